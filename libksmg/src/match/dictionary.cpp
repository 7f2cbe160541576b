// dictionary.cpp — owns the dictionary file format (documented in ksmg/match.hpp): reading a
// file into entries, and an Error with file and line for every line that cannot be read, so
// that an administrator's typo is reported where it is instead of becoming a silent non-match.
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "ksmg/match.hpp"
#include "ksmg/mime.hpp"
#include "match/patterns.hpp"

namespace ksmg::match {
namespace {

bool is_blank(char c) noexcept { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
  return s;
}

bool has_space(std::string_view s) noexcept {
  const char* const end = s.data() + s.size();
  for (const char* p = s.data(); p < end;) {
    std::size_t n = 0;
    if (detail::is_space(detail::decode_at(p, end, n))) return true;
    p += n;
  }
  return false;
}

// Options of one line; a set_ flag per group catches "case nocase" and repeats.
struct Options {
  bool kind_set = false, case_set = false, whole_set = false, weight_set = false;
  EntryKind kind = EntryKind::word;
  bool case_sensitive = false, whole_word = true, unicode = false;
  double weight = 1.0;
};

// Returns "" or what is wrong with the option list.
std::string parse_options(std::string_view text, Options& o) {
  std::size_t i = 0;
  while (i < text.size()) {
    if (is_blank(text[i]) || text[i] == ',') {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < text.size() && !is_blank(text[j]) && text[j] != ',') ++j;
    const std::string_view opt = text.substr(i, j - i);
    i = j;
    auto set = [&](bool& seen, const char* group) -> std::string {
      if (seen) return "option '" + std::string(opt) + "' conflicts with an earlier " + group;
      seen = true;
      return {};
    };
    std::string problem;
    if (opt == "word" || opt == "phrase" || opt == "regex") {
      problem = set(o.kind_set, "kind");
      o.kind = opt == "word" ? EntryKind::word
                             : (opt == "phrase" ? EntryKind::phrase : EntryKind::regex);
    } else if (opt == "case" || opt == "nocase") {
      problem = set(o.case_set, "case option");
      o.case_sensitive = opt == "case";
    } else if (opt == "whole" || opt == "part") {
      problem = set(o.whole_set, "whole/part option");
      o.whole_word = opt == "whole";
    } else if (opt == "unicode") {
      o.unicode = true;
    } else if (opt.starts_with("weight=")) {
      problem = set(o.weight_set, "weight");
      const std::string_view num = opt.substr(7);
      double w = 0;
      const auto [end, ec] = std::from_chars(num.data(), num.data() + num.size(), w);
      if (num.empty() || ec != std::errc() || end != num.data() + num.size() || !std::isfinite(w))
        return "weight '" + std::string(num) + "' is not a decimal number";
      o.weight = w;
    } else {
      return "unknown option '" + std::string(opt) +
             "' (known: word phrase regex case nocase whole part weight=N unicode)";
    }
    if (!problem.empty()) return problem;
  }
  return {};
}

}  // namespace

std::string_view to_string(EntryKind k) noexcept {
  switch (k) {
    case EntryKind::word:
      return "word";
    case EntryKind::phrase:
      return "phrase";
    case EntryKind::regex:
      return "regex";
  }
  return "?";
}

std::string Error::to_string() const {
  std::string s = file;
  if (line != 0) s += (s.empty() ? "line " : ":") + std::to_string(line);
  if (!s.empty()) s += ": ";
  return s + message;
}

bool parse_dictionary(std::string_view text, std::string_view file_name, Dictionary& out,
                      Error& err) {
  out.file = std::string(file_name);
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);  // editors on Windows add a BOM
  std::size_t line_no = 0;
  auto fail = [&](std::string message) {
    err = Error{std::string(file_name), line_no, std::move(message)};
    return false;
  };
  while (!text.empty()) {
    ++line_no;
    const std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (line.ends_with('\r')) line.remove_suffix(1);
    if (!mime::is_valid_utf8(line)) return fail("line is not valid UTF-8");
    line = trim(line);
    if (line.empty() || line.front() == '#') continue;

    Options o;
    if (line.front() == '[') {
      const std::size_t close = line.find(']');
      if (close == std::string_view::npos)
        return fail(
            "'[' opens the options but no ']' closes them (write \"[] [\" for a pattern "
            "that starts with '[')");
      if (std::string problem = parse_options(line.substr(1, close - 1), o); !problem.empty())
        return fail(std::move(problem));
      line = trim(line.substr(close + 1));
    }
    if (line.empty()) return fail("no pattern after the options");
    if (line.find('\0') != std::string_view::npos) return fail("pattern contains a NUL character");

    Entry e;
    e.pattern = std::string(line);
    e.line = line_no;
    e.case_sensitive = o.case_sensitive;
    e.weight = o.weight;
    e.unicode = o.unicode;
    if (!o.kind_set) o.kind = has_space(line) ? EntryKind::phrase : EntryKind::word;
    e.kind = o.kind;
    if (e.kind == EntryKind::word && has_space(line))
      return fail("a word cannot contain whitespace (use [phrase])");
    if (e.kind == EntryKind::regex) {
      if (o.whole_set && o.whole_word)
        return fail("'whole' does not apply to regexes: write \\b in the pattern");
      e.whole_word = false;
    } else {
      if (o.unicode) return fail("'unicode' applies to regexes only");
      e.whole_word = o.whole_word;
    }
    out.entries.push_back(std::move(e));
  }
  return true;
}

bool load_dictionary(const std::string& path, std::string name, Dictionary& out, Error& err) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    err = Error{path, 0, "cannot open the dictionary file"};
    return false;
  }
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad()) {
    err = Error{path, 0, "cannot read the dictionary file"};
    return false;
  }
  out.name = name.empty() ? std::filesystem::path(path).stem().string() : std::move(name);
  return parse_dictionary(text, path, out, err);
}

}  // namespace ksmg::match

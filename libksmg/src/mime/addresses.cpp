// addresses.cpp — RFC 5322 address lists (From, To, Cc, Reply-To, Sender, ...).
//
// Real headers are often broken (unquoted commas in names, missing '>', RFC 2047 inside
// quotes, "addr (Name)" from old mailers), and sender checks depend on what is read here,
// so the reader is tolerant, single-pass, and says when it had to guess.
#include "core/ascii.hpp"
#include "ksmg/mime.hpp"

namespace ksmg::mime {
namespace {

using core::is_lwsp;

struct Element {
  std::string phrase;   // words and quoted strings, space-joined
  std::string comment;  // first comment, used as a name by "addr (Name)" senders
  std::string angle;    // inside <...>
  bool has_angle = false;
  bool broken = false;

  void add_word(std::string_view w) {
    if (!phrase.empty() && !w.empty()) phrase.push_back(' ');
    phrase.append(w);
  }
};

// Strips an obsolete source route ("@a,@b:user@host").
std::string_view strip_route(std::string_view a) {
  a = core::trim(a);
  if (!a.empty() && a.front() == '@') {
    const std::size_t colon = a.find(':');
    if (colon != std::string_view::npos) a = a.substr(colon + 1);
  }
  return a;
}

}  // namespace

bool parse_address_list(std::string_view v, std::vector<Address>& out) {
  bool ok = true;
  std::string group;
  bool in_group = false;
  std::size_t i = 0;
  const std::size_t n = v.size();
  while (i < n) {
    Element e;
    bool end_group = false;
    std::string word;
    auto flush_word = [&] {
      e.add_word(word);
      word.clear();
    };
    for (; i < n; ++i) {
      const char c = v[i];
      if (c == '"') {
        flush_word();
        std::string q;
        ++i;
        bool closed = false;
        for (; i < n; ++i) {
          if (v[i] == '\\' && i + 1 < n) {
            q.push_back(v[++i]);
          } else if (v[i] == '"') {
            closed = true;
            break;
          } else {
            q.push_back(v[i]);
          }
        }
        if (!closed) e.broken = true;
        e.add_word(q);
      } else if (c == '(') {
        flush_word();
        int depth = 0;
        const std::size_t b = i + 1;
        for (; i < n; ++i) {
          if (v[i] == '\\' && i + 1 < n) {
            ++i;
          } else if (v[i] == '(') {
            ++depth;
          } else if (v[i] == ')' && --depth == 0) {
            break;
          }
        }
        if (e.comment.empty()) e.comment = std::string(core::trim(v.substr(b, i - b)));
        if (i >= n) e.broken = true;
      } else if (c == '<') {
        flush_word();
        const std::size_t close = v.find('>', i + 1);
        const std::size_t stop = close == std::string_view::npos ? n : close;
        if (close == std::string_view::npos) e.broken = true;
        if (e.has_angle) e.broken = true;  // "a <x> <y>": the first one counts
        if (!e.has_angle) e.angle = std::string(strip_route(v.substr(i + 1, stop - i - 1)));
        e.has_angle = true;
        i = stop;
      } else if (c == ':' && !e.has_angle && !in_group) {
        flush_word();
        group = e.phrase;
        e.phrase.clear();
        in_group = true;
      } else if (c == ',') {
        ++i;
        break;
      } else if (c == ';' && in_group) {
        end_group = true;
        ++i;
        break;
      } else if (is_lwsp(c)) {
        flush_word();
      } else {
        word.push_back(c);
      }
    }
    flush_word();
    Address a;
    if (e.has_angle) {
      a.address = e.angle;
      a.display_name = decode_header_words(e.phrase);
    } else if (!e.phrase.empty()) {
      // A bare addr-spec; words were split on whitespace, an address has none.
      std::string addr;
      for (char c : e.phrase)
        if (c != ' ') addr.push_back(c);
      a.address = std::move(addr);
      a.display_name = decode_header_words(e.comment);
      if (a.address.find('@') == std::string::npos || e.phrase.find(' ') != std::string::npos)
        e.broken = true;
    }
    if (e.broken) ok = false;
    if (!a.address.empty() || !a.display_name.empty()) {
      if (in_group) a.group = decode_header_words(group);
      out.push_back(std::move(a));
    }
    if (end_group) {
      in_group = false;
      group.clear();
    }
  }
  return ok;
}

}  // namespace ksmg::mime

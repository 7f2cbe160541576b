// encoded_words.cpp — owns ksmg::mime::decode_header_words (RFC 2047 encoded words, with the
// RFC 2231 §5 "charset*language" form) for header values and parameters.
//
// Decoding follows what mail clients display rather than the letter of RFC 2047: words glued
// to other text or inside quoted strings are decoded (spam relies on both, Thunderbird decodes
// them), and the bytes of adjacent words in one charset are joined before charset conversion,
// because real mailers split multi-byte characters and even base64 quanta across words.
#include <string>
#include <string_view>
#include <vector>

#include "core/ascii.hpp"
#include "core/utf8.hpp"
#include "ksmg/mime.hpp"
#include "mime/transfer_decode.hpp"

namespace ksmg::mime {
namespace {

using core::is_lwsp;

// RFC 2047 limits a whole word to 75 characters; charsets in the wild stay far below this.
constexpr std::size_t kMaxCharsetLength = 75;

struct Item {
  std::string_view raw;      // the source text of this item
  bool is_word = false;      // a decodable encoded word (invalid ones are literal text)
  std::string_view charset;  // without "*language"
  char encoding = 0;         // 'b' or 'q'
  std::string_view text;     // encoded text between the third '?' and "?="
};

constexpr bool is_base64_char(char c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || core::is_digit(c) || c == '+' ||
         c == '/' || c == '=';
}

Item literal(std::string_view raw) {
  Item it;
  it.raw = raw;
  return it;
}

struct Scan {
  bool found = false;
  std::size_t end = 0;   // one past "?=" when found
  std::size_t skip = 0;  // where to look for the next "=?" when not found
  Item word;
};

// Parses an encoded word starting at value[p] == '=' and value[p + 1] == '?'.
Scan scan_word(std::string_view value, std::size_t p) {
  Scan s;
  s.skip = p + 2;
  const std::size_t n = value.size();
  std::size_t j = p + 2;
  while (j < n && value[j] != '?' && !is_lwsp(value[j]) && j - (p + 2) <= kMaxCharsetLength) ++j;
  if (j >= n || value[j] != '?' || j == p + 2) return s;
  if (j + 2 >= n || value[j + 2] != '?') return s;
  const char enc = core::to_lower(value[j + 1]);
  if (enc != 'b' && enc != 'q') return s;
  const std::size_t text_begin = j + 3;
  std::size_t k = text_begin;
  while (k < n && !is_lwsp(value[k])) {
    if (value[k] == '?' && k + 1 < n && value[k + 1] == '=') break;
    ++k;
  }
  if (k >= n || is_lwsp(value[k])) {
    // No "?=" before the next blank: no later "=?" before that point can end either, so the
    // search goes on after it (keeps hostile input like "=?a?q?=?a?q?..." linear).
    s.skip = k;
    return s;
  }
  std::string_view charset = value.substr(p + 2, j - (p + 2));
  if (const std::size_t star = charset.find('*'); star != std::string_view::npos)
    charset = charset.substr(0, star);
  s.found = true;
  s.end = k + 2;
  s.word.raw = value.substr(p, s.end - p);
  s.word.is_word = true;
  s.word.charset = charset;
  s.word.encoding = enc;
  s.word.text = value.substr(text_begin, k - text_begin);
  return s;
}

bool charset_known(std::string_view charset) {
  return !charset.empty() && !to_utf8(charset, {}).defects.has(Defect::unknown_charset);
}

std::vector<Item> tokenize(std::string_view value, DefectSet& defects) {
  std::vector<Item> items;
  std::size_t literal_from = 0;
  std::size_t i = 0;
  while (i < value.size()) {
    const std::size_t p = value.find("=?", i);
    if (p == std::string_view::npos) break;
    Scan s = scan_word(value, p);
    if (!s.found) {
      i = s.skip;
      continue;
    }
    bool ok = charset_known(s.word.charset);
    if (!ok) defects.add(Defect::unknown_charset);
    if (ok && s.word.encoding == 'b') {
      for (char c : s.word.text)
        if (!is_base64_char(c)) ok = false;
    }
    if (!ok) {
      // Kept as written: it may not be an encoded word at all, and the reader sees the same.
      defects.add(Defect::invalid_encoded_word);
      i = s.end;
      continue;
    }
    if (p > literal_from) items.push_back(literal(value.substr(literal_from, p - literal_from)));
    items.push_back(s.word);
    literal_from = i = s.end;
  }
  if (literal_from < value.size()) items.push_back(literal(value.substr(literal_from)));
  return items;
}

bool all_lwsp(std::string_view s) noexcept {
  for (char c : s)
    if (!is_lwsp(c)) return false;
  return true;
}

void append_literal(std::string_view s, std::string& out) {
  if (mime::is_valid_utf8(s))
    out.append(s);
  else
    out.append(to_utf8("windows-1252", s).data);
}

// Decodes a run of adjacent words in one charset into out.
void decode_run(const std::vector<const Item*>& run, std::string& out, DefectSet& defects) {
  std::string bytes;
  std::string b64;  // base64 text carried into the next word when a word splits a quantum
  bool bad = false;
  auto flush_b64 = [&] {
    if (b64.empty()) return;
    const detail::DecodeStatus st = detail::decode_base64(b64, bytes, std::string::npos);
    if (!st.defects.empty()) bad = true;
    b64.clear();
  };
  for (const Item* w : run) {
    if (w->encoding == 'b') {
      b64.append(w->text);
      if (b64.size() % 4 == 0 || w->text.find('=') != std::string_view::npos) flush_b64();
    } else {
      flush_b64();
      const detail::DecodeStatus st = detail::decode_q_word(w->text, bytes, std::string::npos);
      if (!st.defects.empty()) bad = true;
    }
  }
  flush_b64();
  if (bad) defects.add(Defect::invalid_encoded_word);
  Decoded d = to_utf8(run.front()->charset, bytes);
  if (d.defects.has(Defect::charset_mismatch)) defects.add(Defect::charset_mismatch);
  out.append(d.data);
}

}  // namespace

std::string decode_header_words(std::string_view value, DefectSet* defects) {
  DefectSet found;
  std::string out;
  if (value.find("=?") == std::string_view::npos) {
    append_literal(value, out);
    return out;
  }
  out.reserve(value.size());
  const std::vector<Item> items = tokenize(value, found);
  std::vector<const Item*> run;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const Item& it = items[i];
    if (!it.is_word) {
      // RFC 2047 §6.2: blanks between two encoded words are not displayed.
      const bool between_words = i > 0 && items[i - 1].is_word && i + 1 < items.size() &&
                                 items[i + 1].is_word && all_lwsp(it.raw);
      if (!between_words) {
        if (!run.empty()) decode_run(run, out, found);
        run.clear();
        append_literal(it.raw, out);
      }
      continue;
    }
    if (!run.empty() && !core::iequals(run.front()->charset, it.charset)) {
      decode_run(run, out, found);
      run.clear();
    }
    run.push_back(&it);
  }
  if (!run.empty()) decode_run(run, out, found);
  if (defects != nullptr) defects->add(found);
  return out;
}

}  // namespace ksmg::mime

// ascii.hpp — locale-free ASCII helpers (internal), used wherever the library reads mail syntax,
// dictionary entries or names.
//
// Mail syntax is ASCII; <cctype> depends on the C locale and on signed chars, so these
// small functions replace it everywhere in the library.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace ksmg::core {

constexpr bool is_wsp(char c) noexcept { return c == ' ' || c == '\t'; }
constexpr bool is_lwsp(char c) noexcept { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
constexpr bool is_alpha(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
constexpr bool is_alnum(char c) noexcept { return is_alpha(c) || is_digit(c); }
constexpr char to_lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? char(c + 32) : c; }
constexpr bool is_8bit(char c) noexcept { return static_cast<unsigned char>(c) >= 0x80; }

constexpr int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

constexpr bool is_line_break(char c) noexcept { return c == '\r' || c == '\n'; }

// One line of text and where the next begins; a line ends at LF, CR LF or a bare CR (as Python's
// email reads mail, and as newsreaders read uuencode and yEnc).
struct Line {
  std::string_view text;  // without its line break
  std::size_t next;       // offset of the following line
};
constexpr Line line_at(std::string_view in, std::size_t pos) noexcept {
  const std::size_t brk = in.find_first_of("\r\n", pos);
  if (brk == std::string_view::npos) return {in.substr(pos), in.size()};
  const bool crlf = in[brk] == '\r' && brk + 1 < in.size() && in[brk + 1] == '\n';
  return {in.substr(pos, brk - pos), brk + (crlf ? 2 : 1)};
}

constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (to_lower(a[i]) != to_lower(b[i])) return false;
  return true;
}

constexpr bool istarts_with(std::string_view s, std::string_view prefix) noexcept {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

// %XX decoding (URLs, RFC 2231 values): appends the bytes to out; a '%' that starts no valid
// escape is kept literally, as browsers and mail clients keep it. False when there was one.
inline bool percent_decode(std::string_view in, std::string& out) {
  bool well_formed = true;
  for (std::size_t i = 0; i < in.size(); ++i) {
    const int hi = in[i] == '%' && i + 2 < in.size() ? hex_value(in[i + 1]) : -1;
    const int lo = hi >= 0 ? hex_value(in[i + 2]) : -1;
    if (lo >= 0) {
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      well_formed = well_formed && in[i] != '%';
      out.push_back(in[i]);
    }
  }
  return well_formed;
}

inline std::string to_lower(std::string_view s) {
  std::string r(s);
  for (char& c : r) c = to_lower(c);
  return r;
}

constexpr std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && is_lwsp(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_lwsp(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace ksmg::core

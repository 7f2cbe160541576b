// warning_wrap.cpp — owns the warning wrap (ksmg/mutate.hpp): the original message becomes the
// second part of a multipart/mixed whose first part is the warning.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>

#include "ksmg/mutate.hpp"
#include "mutate/header_section.hpp"

namespace ksmg::mutate {

namespace {

constexpr std::string_view kBoundaryPrefix = "ksmg-warning-";
constexpr std::size_t kBoundaryHexDigits = 16;

std::uint64_t splitmix64(std::uint64_t x) noexcept {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

std::string hex16(std::uint64_t v) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(kBoundaryHexDigits, '0');
  for (std::size_t i = kBoundaryHexDigits; i-- > 0; v >>= 4) out[i] = kHex[v & 15];
  return out;
}

// The candidates form a fixed sequence, so the same message always gets the same boundary (the
// relay and the milter agree, tests can aim at a collision). A message could carry many of them
// to make each rejection cost a full search; collecting what follows every "ksmg-warning-" of
// the message once keeps the choice linear however many it carries.
// The warning is searched too: its reason names attachments, attacker text after decoding.
std::string choose_boundary(std::string_view raw, std::string_view warning) {
  std::unordered_set<std::string_view> taken;
  for (const std::string_view text : {raw, warning})
    for (std::size_t at = text.find(kBoundaryPrefix); at != std::string_view::npos;
         at = text.find(kBoundaryPrefix, at + 1))
      taken.insert(text.substr(at + kBoundaryPrefix.size(), kBoundaryHexDigits));
  // At most one candidate per occurrence can be taken, so this ends.
  for (std::uint64_t i = 0;; ++i) {
    const std::string hex = hex16(splitmix64(i));
    if (taken.contains(hex)) continue;
    std::string boundary = std::string(kBoundaryPrefix) + hex;
    if (raw.find(boundary) == std::string_view::npos &&
        warning.find(boundary) == std::string_view::npos)
      return boundary;
  }
}

// The warning as the part's body: every line break CRLF, the last line ended.
std::string crlf_text(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 32 + 2);
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\r') {
      out += "\r\n";
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
    } else if (c == '\n') {
      out += "\r\n";
    } else {
      out.push_back(c);
    }
  }
  if (!out.empty() && !out.ends_with("\r\n")) out += "\r\n";
  return out;
}

// The lines of a field, each ended with CR LF. Only LF ends a line (as in the walk), and a CR
// right before it belongs to the break.
void append_crlf_lines(std::string& out, std::string_view field) {
  while (!field.empty()) {
    const std::size_t lf = field.find('\n');
    std::string_view line = field.substr(0, lf);
    if (lf != std::string_view::npos && line.ends_with('\r')) line.remove_suffix(1);
    out.append(line).append("\r\n");
    field.remove_prefix(lf == std::string_view::npos ? field.size() : lf + 1);
  }
}

}  // namespace

WarningWrap detail::wrap_with_warning(std::string_view raw, const ContentFields& content,
                                      std::size_t body_begin, std::string_view warning) {
  const std::string text = crlf_text(warning);
  const std::string boundary = choose_boundary(raw, text);

  WarningWrap out;
  out.content_type = "multipart/mixed; boundary=\"" + boundary + "\"";
  std::string& b = out.body;
  b.reserve(raw.size() + text.size() + 512);
  b += "This is a multi-part message in MIME format.\r\n";
  b.append("--").append(boundary).append("\r\n");
  b += "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n";
  b += text;
  b.append("\r\n--").append(boundary).append("\r\n");
  if (!content.has_content_type) b += "Content-Type: text/plain; charset=us-ascii\r\n";
  for (const Span& f : content.fields) append_crlf_lines(b, raw.substr(f.begin, f.end - f.begin));
  b += "\r\n";
  b += raw.substr(body_begin);
  // Always a line break before the close delimiter, even after one the body ends with: that
  // break belongs to the delimiter (RFC 2046 5.1.1), so the part's body is the original's to the
  // last byte.
  b.append("\r\n--").append(boundary).append("--\r\n");
  return out;
}

WarningWrap wrap_with_warning(std::string_view raw_message, std::string_view warning) {
  detail::HeaderWalk walk(raw_message);
  detail::ContentFields content;
  while (const std::optional<detail::FieldLines> f = walk.next())
    if (detail::is_content_field(f->name)) content.add(*f);
  return detail::wrap_with_warning(raw_message, content, walk.body_begin(), warning);
}

}  // namespace ksmg::mutate

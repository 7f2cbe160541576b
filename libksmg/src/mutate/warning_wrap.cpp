// warning_wrap.cpp — owns the warning wrap (ksmg/mutate.hpp): the original message becomes the
// second part of a multipart/mixed whose first part is the warning.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "ksmg/mutate.hpp"

namespace ksmg::mutate {

namespace {

constexpr std::string_view kBoundaryPrefix = "ksmg-warning-";
constexpr std::size_t kBoundaryHexDigits = 16;

bool is_wsp(char c) noexcept { return c == ' ' || c == '\t'; }

char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

bool starts_with_ci(std::string_view s, std::string_view prefix) noexcept {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i)
    if (lower(s[i]) != lower(prefix[i])) return false;
  return true;
}

// One line of the header section. Only LF ends a line, as in the MIME parser, so a bare CR stays
// inside the line it is on.
struct Line {
  std::string_view content;  // without CR LF / LF
  std::string_view whole;    // with its line break, if it has one
};

// A top-level field: its first line and the continuation lines after it.
struct Field {
  std::size_t first_line = 0;
  std::size_t line_count = 0;
  bool content = false;       // name starts with "Content-"
  bool content_type = false;  // name is Content-Type
  bool mime_version = false;  // name is MIME-Version
};

// The header section split into lines and fields, and where the body starts.
struct Layout {
  std::vector<Line> lines;
  std::vector<Field> fields;  // lines that belong to no field (a stray leading continuation) too
  std::string_view body;
  bool has_content_type = false;
  bool has_mime_version = false;
};

// "Name:", "Name :" and "Name" alone on its line (the colon folded onto the next line, which
// the parser also reads as a field) all count as a field called `name`.
bool names_field(std::string_view line, std::string_view name) noexcept {
  if (!starts_with_ci(line, name)) return false;
  std::size_t i = name.size();
  while (i < line.size() && is_wsp(line[i])) ++i;
  return i == line.size() || line[i] == ':';
}

Layout split(std::string_view raw) {
  Layout out;
  std::size_t pos = 0;
  out.body = raw.substr(raw.size());
  while (pos < raw.size()) {
    const void* nl = std::memchr(raw.data() + pos, '\n', raw.size() - pos);
    const std::size_t lf =
        nl == nullptr ? raw.size()
                      : static_cast<std::size_t>(static_cast<const char*>(nl) - raw.data());
    const std::size_t next = nl == nullptr ? raw.size() : lf + 1;
    std::size_t content_end = lf;
    if (nl != nullptr && content_end > pos && raw[content_end - 1] == '\r') --content_end;
    const std::string_view content = raw.substr(pos, content_end - pos);
    if (content.empty() && nl != nullptr) {
      out.body = raw.substr(next);
      break;
    }
    const bool continuation = is_wsp(content.front()) && !out.fields.empty();
    out.lines.push_back({content, raw.substr(pos, next - pos)});
    if (continuation) {
      ++out.fields.back().line_count;
    } else {
      Field f;
      f.first_line = out.lines.size() - 1;
      f.line_count = 1;
      f.content = starts_with_ci(content, "Content-");
      f.content_type = names_field(content, "Content-Type");
      f.mime_version = names_field(content, "MIME-Version");
      out.has_content_type = out.has_content_type || f.content_type;
      out.has_mime_version = out.has_mime_version || f.mime_version;
      out.fields.push_back(f);
    }
    pos = next;
  }
  return out;
}

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

}  // namespace

WarningWrap wrap_with_warning(std::string_view raw_message, std::string_view warning) {
  const Layout layout = split(raw_message);
  const std::string text = crlf_text(warning);
  const std::string boundary = choose_boundary(raw_message, text);

  WarningWrap out;
  out.content_type = "multipart/mixed; boundary=\"" + boundary + "\"";
  std::string& b = out.body;
  b.reserve(raw_message.size() + text.size() + 512);
  b += "This is a multi-part message in MIME format.\r\n";
  b.append("--").append(boundary).append("\r\n");
  b += "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n";
  b += text;
  b.append("\r\n--").append(boundary).append("\r\n");
  if (!layout.has_content_type) b += "Content-Type: text/plain; charset=us-ascii\r\n";
  for (const Field& f : layout.fields) {
    if (!f.content) continue;
    for (std::size_t i = 0; i < f.line_count; ++i)
      b.append(layout.lines[f.first_line + i].content).append("\r\n");
  }
  b += "\r\n";
  b += layout.body;
  // Always a line break before the close delimiter, even after one the body ends with: that
  // break belongs to the delimiter (RFC 2046 5.1.1), so the part's body is the original's to the
  // last byte.
  b.append("\r\n--").append(boundary).append("--\r\n");
  return out;
}

std::string apply_warning_wrap(std::string_view raw_message, const WarningWrap& wrap) {
  const Layout layout = split(raw_message);
  std::string out;
  out.reserve(raw_message.size() + wrap.body.size() + wrap.content_type.size() / 2 + 64);
  for (const Field& f : layout.fields) {
    if (f.content) continue;
    for (std::size_t i = 0; i < f.line_count; ++i) out += layout.lines[f.first_line + i].whole;
  }
  // A header section that ends the input may lack its last line break.
  if (!out.empty() && out.back() != '\n') out += "\r\n";
  if (!layout.has_mime_version) out += "MIME-Version: 1.0\r\n";
  out.append("Content-Type: ").append(wrap.content_type).append("\r\n");
  out += "\r\n";
  out += wrap.body;
  return out;
}

}  // namespace ksmg::mutate

// pdf.cpp — owns archive::inspect_pdf: the flags a gateway acts on (JavaScript, open actions,
// Launch, embedded files, encryption, truncation), from the PDF's name tokens. Not a PDF parser.
//
// Decisions:
// - Names are found by one pass over the bytes (memchr for '/'), #xx escapes undone, matched
//   exactly. A name in a string or comment counts too: over-flagging a document that talks
//   about /JavaScript is cheaper than parsing PDF syntax a hostile writer controls.
// - Malicious PDFs hide their /JavaScript in compressed object streams, so every stream whose
//   data starts with a zlib header is inflated and its names scanned too, whatever its /Filter
//   says (a filter name can itself be escaped or indirect). Inflated bytes are bounded per file
//   (kMaxInflatedBytes), so a deflate bomb costs at most that much work and memory.
// - truncated: no "%%EOF" in the last 1 KiB. That is the window Acrobat accepts; mail gateways
//   and writers leave a few bytes of padding after %%EOF, more than 1 KiB is a damaged file.
#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <exception>
#include <string>
#include <string_view>

#include "core/ascii.hpp"
#include "ksmg/archive.hpp"

namespace ksmg::archive {

namespace {

constexpr std::size_t kMaxInflatedBytes = 16u << 20;
constexpr std::size_t kEofWindow = 1024;
// Longer than any name matched here; longer names are skipped, never copied whole.
constexpr std::size_t kMaxName = 32;

// PDF delimiters and whitespace end a name (ISO 32000-1 7.2.2).
constexpr bool ends_name(char c) noexcept {
  switch (c) {
    case '\0':
    case '\t':
    case '\n':
    case '\f':
    case '\r':
    case ' ':
    case '(':
    case ')':
    case '<':
    case '>':
    case '[':
    case ']':
    case '{':
    case '}':
    case '/':
    case '%':
      return true;
    default:
      return false;
  }
}

void match(std::string_view name, PdfFeatures& f) noexcept {
  if (name == "JavaScript" || name == "JS")
    f.javascript = true;
  else if (name == "OpenAction" || name == "AA")
    f.open_action = true;
  else if (name == "Launch")
    f.launch = true;
  else if (name == "EmbeddedFile" || name == "EmbeddedFiles")
    f.embedded_files = true;
  else if (name == "Encrypt")
    f.encrypted = true;
}

// Every name token of s, with #xx undone ("#" not followed by two hex digits stays as is).
void scan_names(std::string_view s, PdfFeatures& f) noexcept {
  const char* p = s.data();
  const char* const end = p + s.size();
  while (p < end) {
    const void* hit = std::memchr(p, '/', static_cast<std::size_t>(end - p));
    if (hit == nullptr) return;
    p = static_cast<const char*>(hit) + 1;
    char name[kMaxName];
    std::size_t n = 0;
    bool too_long = false;
    while (p < end && !ends_name(*p)) {
      char c = *p++;
      if (c == '#' && end - p >= 2) {
        const int hi = core::hex_value(p[0]), lo = core::hex_value(p[1]);
        if (hi >= 0 && lo >= 0) {
          c = static_cast<char>(hi * 16 + lo);
          p += 2;
        }
      }
      if (n < kMaxName)
        name[n++] = c;
      else
        too_long = true;
    }
    if (!too_long) match(std::string_view(name, n), f);
  }
}

bool zlib_header(const unsigned char* p) noexcept {
  return (p[0] & 0x0F) == 8 && (p[0] >> 4) <= 7 && ((p[0] << 8) | p[1]) % 31 == 0;
}

// Inflates compressed streams and scans their names, within kMaxInflatedBytes for the file.
class StreamScanner {
 public:
  StreamScanner() noexcept { ok_ = inflateInit(&z_) == Z_OK; }
  ~StreamScanner() {
    if (ok_) inflateEnd(&z_);
  }
  StreamScanner(const StreamScanner&) = delete;
  StreamScanner& operator=(const StreamScanner&) = delete;

  void scan(std::string_view pdf, PdfFeatures& f) {
    if (!ok_) return;
    std::size_t pos = 0;
    while (left_ > 0) {
      const std::size_t at = pdf.find("stream", pos);
      if (at == std::string_view::npos) return;
      pos = at + 6;
      if (at >= 3 && pdf.substr(at - 3, 3) == "end") continue;
      // The keyword is followed by CRLF or LF (a lone CR from sloppy writers too).
      if (pos < pdf.size() && pdf[pos] == '\r') ++pos;
      if (pos < pdf.size() && pdf[pos] == '\n') ++pos;
      if (pdf.size() - pos < 2) return;
      const auto* data = reinterpret_cast<const unsigned char*>(pdf.data() + pos);
      if (!zlib_header(data)) continue;
      pos += inflate_one(pdf.substr(pos), f);
    }
  }

 private:
  // Inflates one zlib stream from the start of s; returns the input bytes it consumed.
  std::size_t inflate_one(std::string_view s, PdfFeatures& f) {
    if (inflateReset(&z_) != Z_OK) return 0;
    out_.clear();
    z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(s.data()));
    // zlib counts in uInt; a PDF over 4 GiB is scanned only as far as that.
    z_.avail_in = static_cast<uInt>(std::min<std::size_t>(s.size(), 0xFFFFFFFFu));
    int rc = Z_OK;
    while (rc == Z_OK && left_ > 0) {
      const std::size_t chunk = std::min<std::size_t>(left_, 64u << 10);
      const std::size_t old = out_.size();
      out_.resize(old + chunk);
      z_.next_out = reinterpret_cast<Bytef*>(out_.data() + old);
      z_.avail_out = static_cast<uInt>(chunk);
      rc = inflate(&z_, Z_NO_FLUSH);
      const std::size_t produced = chunk - z_.avail_out;
      out_.resize(old + produced);
      left_ -= produced;
      if (produced == 0 && rc == Z_OK) break;  // no progress: input exhausted mid-stream
    }
    // A stream cut or corrupted part way still gives the names inflated so far.
    scan_names(out_, f);
    return static_cast<std::size_t>(reinterpret_cast<const char*>(z_.next_in) - s.data());
  }

  z_stream z_{};
  bool ok_ = false;
  std::size_t left_ = kMaxInflatedBytes;
  std::string out_;
};

}  // namespace

PdfFeatures inspect_pdf(std::string_view data) noexcept {
  PdfFeatures f;
  scan_names(data, f);
  const std::string_view tail =
      data.substr(data.size() > kEofWindow ? data.size() - kEofWindow : 0);
  f.truncated = tail.find("%%EOF") == std::string_view::npos;
  try {
    StreamScanner streams;
    streams.scan(data, f);
  } catch (const std::exception&) {
    // Out of memory while inflating: the flags found so far stand.
  }
  return f;
}

}  // namespace ksmg::archive

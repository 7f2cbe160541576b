// utf8.hpp — owns the UTF-8 rules every decoder of the library shares (internal): which byte
// sequences are valid UTF-8 (RFC 3629) and the capped UTF-8 output that never cuts a character.
//
// The charset decoder, the HTML text extractor and the validity check used to carry their own
// copies of both; one copy keeps them agreeing on what is valid and on where a cap cuts.
// Everything that runs per byte or per character is inline here because it sits in the
// decoders' inner loops; only is_valid_utf8, a whole-buffer check, lives in utf8.cpp.
#pragma once

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>

namespace ksmg::core {

// Length (1 to 4) of the valid UTF-8 sequence at p, or 0 when the bytes there do not form one;
// p < end. When it returns 0, `subpart` holds how many bytes a lossy decoder replaces by one
// U+FFFD: the maximal subpart of Unicode §3.9 (the lead byte and the continuation bytes that
// still fit it), at least 1.
constexpr std::size_t utf8_sequence_length(const unsigned char* p, const unsigned char* end,
                                           std::size_t& subpart) noexcept {
  const unsigned c = p[0];
  if (c < 0x80) return 1;
  // Ranges of the second byte follow RFC 3629's table, which rules out overlongs, surrogates and
  // code points above U+10FFFF in one comparison.
  std::size_t need;
  unsigned lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    need = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    need = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    need = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    subpart = 1;
    return 0;
  }
  const auto avail = static_cast<std::size_t>(end - p);
  if (avail >= need) {  // the usual case, unrolled: this runs once per character
    if (p[1] < lo || p[1] > hi) {
      subpart = 1;
      return 0;
    }
    if (need == 2) return 2;
    if ((p[2] & 0xC0) != 0x80) {
      subpart = 2;
      return 0;
    }
    if (need == 3) return 3;
    if ((p[3] & 0xC0) != 0x80) {
      subpart = 3;
      return 0;
    }
    return 4;
  }
  // Cut off by the end of the input: invalid, and the subpart is what fits so far.
  std::size_t k = 1;
  while (k < avail && (k == 1 ? p[1] >= lo && p[1] <= hi : (p[k] & 0xC0) == 0x80)) ++k;
  subpart = k;
  return 0;
}

// For callers that only validate.
constexpr std::size_t utf8_sequence_length(const unsigned char* p,
                                           const unsigned char* end) noexcept {
  std::size_t unused = 0;
  return utf8_sequence_length(p, end, unused);
}

// UTF-8 of the Unicode scalar value c (not a surrogate, at most U+10FFFF) at o; returns the end.
constexpr char* put_utf8(char32_t c, char* o) noexcept {
  if (c < 0x80) {
    *o++ = static_cast<char>(c);
  } else if (c < 0x800) {
    *o++ = static_cast<char>(0xC0 | (c >> 6));
    *o++ = static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    *o++ = static_cast<char>(0xE0 | (c >> 12));
    *o++ = static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    *o++ = static_cast<char>(0x80 | (c & 0x3F));
  } else {
    *o++ = static_cast<char>(0xF0 | (c >> 18));
    *o++ = static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    *o++ = static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    *o++ = static_cast<char>(0x80 | (c & 0x3F));
  }
  return o;
}

// UTF-8 of any code point into b (room for 4); returns its length. Surrogates and values above
// U+10FFFF become U+FFFD, since their UTF-8 would not be valid.
constexpr std::size_t encode_utf8(char32_t c, char* b) noexcept {
  if ((c >= 0xD800 && c <= 0xDFFF) || c > 0x10FFFF) c = 0xFFFD;
  return static_cast<std::size_t>(put_utf8(c, b) - b);
}

// The writer has internal linkage on purpose: each decoder file gets its own copy, as when each
// carried its own class, and GCC then inlines the per-character writes and std::string::append
// into the decoder loops. With external (inline) linkage it kept calls to bytes() and append()
// in those loops, and windows-1252, lossy UTF-8 and UTF-16 decoding ran 10-60% slower.
namespace {

// Appends UTF-8 to a string up to a byte cap, never cutting a character. The first write that
// does not fit sets limited() and returns false; callers stop there, so the output is always a
// prefix of the full text that ends on a character boundary.
class Utf8Out {
 public:
  // expected_in: input size, to size the buffer once for the usual 1-2 bytes per input byte.
  Utf8Out(std::string& s, std::size_t cap, std::size_t expected_in = 0) : s_(s), cap_(cap) {
    if (expected_in != 0) s_.reserve(std::min(cap_, s_.size() + expected_in + expected_in / 2));
  }
  Utf8Out(const Utf8Out&) = delete;
  Utf8Out& operator=(const Utf8Out&) = delete;

  [[nodiscard]] bool limited() const noexcept { return limited_; }
  [[nodiscard]] std::size_t room() const noexcept {
    return s_.size() < cap_ ? cap_ - s_.size() : 0;
  }
  [[nodiscard]] const std::string& str() const noexcept { return s_; }

  bool code_point(char32_t c) {
    char b[4];
    return bytes(b, encode_utf8(c, b));
  }

  // U+FFFD, what decoders write for bytes they cannot read; a constant write, cheaper than
  // code_point(0xFFFD).
  bool replacement() { return bytes("\xEF\xBF\xBD", 3); }

  // Appends already valid UTF-8, cutting before the first character that does not fit.
  bool utf8(std::string_view v) {
    if (v.size() <= room()) {
      s_.append(v);
      return true;
    }
    return cut(v);
  }

  // Appends a whole character (or a few ASCII bytes) or nothing.
  bool bytes(const char* b, std::size_t n) {
    if (n > room()) {
      limited_ = true;
      return false;
    }
    s_.append(b, n);
    return true;
  }

  // UTF-16 (from ICU), lone surrogates as U+FFFD. A high surrogate at the end of a chunk waits
  // for the next chunk; finish16() settles it at the end of the input.
  bool utf16(const char16_t* u, std::size_t n) {
    const std::size_t old = s_.size();
    // A unit gives at most 3 bytes, and a pending high surrogate that turns out lone 3 more.
    const std::size_t worst = 3 * n + 3;
    if (room() >= worst) {
      s_.resize(old + worst);
      char* o = s_.data() + old;
      for (std::size_t i = 0; i < n; ++i) o = put16(u[i], o);
      s_.resize(static_cast<std::size_t>(o - s_.data()));
      return true;
    }
    // Near the cap, character by character so that the cut falls between characters.
    for (std::size_t i = 0; i < n; ++i) {
      char tmp[8];
      const char* e = put16(u[i], tmp);
      if (!bytes(tmp, static_cast<std::size_t>(e - tmp))) return false;
    }
    return true;
  }

  bool finish16() {
    if (pending_ == 0) return true;
    pending_ = 0;
    return replacement();
  }

 private:
  // The write that hits the cap, once per writer. Kept out of utf8() so that what the decoder
  // loops inline is only the common case.
  bool cut(std::string_view v) {
    std::size_t k = room();
    while (k > 0 && (static_cast<unsigned char>(v[k]) & 0xC0) == 0x80) --k;
    s_.append(v.substr(0, k));
    limited_ = true;
    return false;
  }

  static char* put3(char32_t c, char* o) noexcept {
    o[0] = static_cast<char>(0xE0 | (c >> 12));
    o[1] = static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    o[2] = static_cast<char>(0x80 | (c & 0x3F));
    return o + 3;
  }

  // One UTF-16 unit as UTF-8 at o; returns the end. A high surrogate waits in pending_ for
  // the next unit. The common cases (ASCII, two- and three-byte characters) are written out
  // here: going through put_utf8 for them measured 10-25% slower on ICU's output.
  char* put16(char16_t c, char* o) noexcept {
    if (pending_ != 0) {
      const char16_t hi = pending_;
      pending_ = 0;
      if (c >= 0xDC00 && c <= 0xDFFF)
        return put_utf8(0x10000 + ((char32_t(hi) - 0xD800) << 10) + (char32_t(c) - 0xDC00), o);
      o = put_utf8(0xFFFD, o);
    }
    if (c < 0x80) {
      *o++ = static_cast<char>(c);
    } else if (c < 0x800) {
      *o++ = static_cast<char>(0xC0 | (c >> 6));
      *o++ = static_cast<char>(0x80 | (c & 0x3F));
    } else if (c >= 0xD800 && c <= 0xDBFF) {
      pending_ = c;
    } else if (c >= 0xDC00 && c <= 0xDFFF) {
      o = put_utf8(0xFFFD, o);
    } else {
      o = put3(c, o);
    }
    return o;
  }

  std::string& s_;
  std::size_t cap_;
  char16_t pending_ = 0;
  bool limited_ = false;
};

}  // namespace
}  // namespace ksmg::core

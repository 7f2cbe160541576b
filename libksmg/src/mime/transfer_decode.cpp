// transfer_decode.cpp — owns the Content-Transfer-Encoding decoders declared in
// transfer_decode.hpp: base64, quoted-printable, RFC 2047 "Q", uuencode, and yEnc.
//
// These run on every encoded body a scanner looks at, so the common shapes (76-column base64,
// mostly-literal quoted-printable) take table-driven fast paths and the output buffer is sized
// once; anything irregular drops to a slow path that is tolerant the way mail clients are and
// records a defect. Every decoder stops exactly at max_out.
#include "mime/transfer_decode.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <optional>

#include "core/ascii.hpp"
#include "core/crc32.hpp"

namespace ksmg::mime::detail {
namespace {

// Bytes the decoder may still append without passing max_out (0 when out is already there).
std::size_t room_left(const std::string& out, std::size_t max_out) noexcept {
  return out.size() < max_out ? max_out - out.size() : 0;
}

// ---------------------------------------------------------------------------------------------
// base64

constexpr std::uint8_t kB64Junk = 0xFF;
constexpr std::uint8_t kB64Space = 0xFE;
constexpr std::uint8_t kB64Pad = 0xFD;
// Set in a pre-shifted value when the character is not in the alphabet: one test per quad.
constexpr std::uint32_t kB64Bad = 0x01000000u;

struct Base64Tables {
  std::array<std::uint8_t, 256> value{};
  // value << 18, << 12, << 6, << 0, so a quad decodes with three ORs and no shifts.
  std::array<std::uint32_t, 256> d0{}, d1{}, d2{}, d3{};
};

constexpr Base64Tables make_base64_tables() {
  Base64Tables t;
  constexpr std::string_view alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (std::size_t c = 0; c < 256; ++c) {
    t.value[c] = kB64Junk;
    t.d0[c] = t.d1[c] = t.d2[c] = t.d3[c] = kB64Bad;
  }
  for (char c : {' ', '\t', '\r', '\n'}) t.value[static_cast<unsigned char>(c)] = kB64Space;
  t.value['='] = kB64Pad;
  for (std::uint32_t v = 0; v < 64; ++v) {
    const auto c = static_cast<unsigned char>(alphabet[v]);
    t.value[c] = static_cast<std::uint8_t>(v);
    t.d0[c] = v << 18;
    t.d1[c] = v << 12;
    t.d2[c] = v << 6;
    t.d3[c] = v;
  }
  return t;
}

constexpr Base64Tables kB64 = make_base64_tables();

// ---------------------------------------------------------------------------------------------
// Output buffer sized once up front: the decoders write through a raw pointer and trim at the
// end, which is what makes the fast paths fast (no per-byte capacity checks in std::string).

class Sink {
 public:
  Sink(std::string& out, std::size_t max_out, std::size_t upper_bound)
      : out_(out), start_(out.size()) {
    const std::size_t room = room_left(out, max_out);
    capped_ = upper_bound > room;  // reaching the end of the buffer means reaching max_out
    out.resize(start_ + std::min(upper_bound, room));
    begin_ = out.data();
    p_ = begin_ + start_;
    end_ = begin_ + out.size();
  }
  Sink(const Sink&) = delete;
  Sink& operator=(const Sink&) = delete;
  ~Sink() { out_.resize(static_cast<std::size_t>(p_ - begin_)); }

  [[nodiscard]] std::size_t space() const noexcept { return static_cast<std::size_t>(end_ - p_); }
  [[nodiscard]] char* cursor() noexcept { return p_; }
  void advance(std::size_t n) noexcept { p_ += n; }
  // Drops what this sink wrote (a reading that starts afresh).
  void rewind() noexcept {
    p_ = begin_ + start_;
    limited_ = false;
  }

  // Appends what fits; false once the cap was hit (and records it).
  bool put(char c) noexcept {
    if (p_ == end_) return full();
    *p_++ = c;
    return true;
  }
  bool put(const char* s, std::size_t n) noexcept {
    const std::size_t k = std::min(n, space());
    if (k != 0) std::memcpy(p_, s, k);
    p_ += k;
    return k == n || full();
  }
  [[nodiscard]] bool hit_limit() const noexcept { return limited_; }

 private:
  bool full() noexcept {
    // Only a cap smaller than the worst case can fill the buffer; report it as the limit.
    if (capped_) limited_ = true;
    return false;
  }

  std::string& out_;
  std::size_t start_;
  char* begin_ = nullptr;
  char* p_ = nullptr;
  char* end_ = nullptr;
  bool capped_ = false;
  bool limited_ = false;
};

bool has_8bit(std::string_view s) noexcept {
  std::size_t i = 0;
  std::uint64_t acc = 0;
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    acc |= w;
  }
  for (; i < s.size(); ++i) acc |= static_cast<unsigned char>(s[i]);
  return (acc & 0x8080808080808080ull) != 0;
}

// Quoted-printable body or Q word: shared by both, q_word switches '_' and soft breaks.
void decode_qp_line(const char* s, std::size_t n, Sink& sink, DecodeStatus& st, bool q_word,
                    bool& soft_break) {
  std::size_t p = 0;
  soft_break = false;
  while (p < n) {
    const char* eq = static_cast<const char*>(std::memchr(s + p, '=', n - p));
    const std::size_t stop = eq ? static_cast<std::size_t>(eq - s) : n;
    if (q_word) {
      for (std::size_t k = p; k < stop; ++k)
        if (!sink.put(s[k] == '_' ? ' ' : s[k])) return;
    } else if (!sink.put(s + p, stop - p)) {
      return;
    }
    if (!eq) return;
    p = stop;
    if (!q_word && p + 1 == n) {  // '=' ending the line (after trailing blanks were cut)
      soft_break = true;
      return;
    }
    const int h = p + 1 < n ? core::hex_value(s[p + 1]) : -1;
    const int l = p + 2 < n ? core::hex_value(s[p + 2]) : -1;
    if (h >= 0 && l >= 0) {
      if (!sink.put(static_cast<char>(h * 16 + l))) return;
      p += 3;
    } else {
      // Kept literally, as mail clients show it; the following bytes are read afresh. Before a
      // bare CR, Python reads a soft break.
      st.defects.add(Defect::invalid_quoted_printable);
      if (p + 1 < n && s[p + 1] == '\r') st.defects.add(Defect::ambiguous_qp_line_end);
      if (!sink.put('=')) return;
      p += 1;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// uuencode

// "begin" 1*WSP 1*octal [1*WSP name] — the line of a uuencoded block (without its line break).
// Any number of octal digits and no name at all are read as Python's email reads them (it takes
// whatever int(mode, 8) accepts, and the name is optional). "begin-base64" is GNU uuencode -m:
// base64 lines up to a "====" line.
constexpr std::string_view kBeginBase64 = "begin-base64";

std::size_t begin_word_size(std::string_view line) noexcept {
  return line.starts_with(kBeginBase64) ? kBeginBase64.size() : 5;
}

bool is_begin_line(std::string_view line) noexcept {
  if (!line.starts_with("begin")) return false;
  std::size_t i = begin_word_size(line);
  const std::size_t ws1 = i;
  while (i < line.size() && core::is_wsp(line[i])) ++i;
  if (i == ws1) return false;
  const std::size_t digits = i;
  while (i < line.size() && line[i] >= '0' && line[i] <= '7') ++i;
  return i != digits && (i == line.size() || core::is_wsp(line[i]));
}

// A line of encoded text ends at LF, CR LF, or a bare CR, as Python's email and newsreaders
// read it: neither uuencode nor yEnc ever has a CR in its data.
using core::is_line_break;
using core::Line;
using core::line_at;

// The first "begin NNN name" line at or after pos: its start, or npos.
// Whether a line starts at `at`: the text's start, or after LF, CR LF or a bare CR.
constexpr bool starts_line(std::string_view in, std::size_t at) noexcept {
  return at == 0 || is_line_break(in[at - 1]);
}

// Whether a uuencode "begin NNN name" line starts at `at`.
bool uu_begin_at(std::string_view in, std::size_t at) noexcept {
  return starts_line(in, at) && is_begin_line(line_at(in, at).text);
}

// Whether a yEnc "=ybegin " line starts at `at`.
bool ybegin_at(std::string_view in, std::size_t at) noexcept {
  return starts_line(in, at) && in.substr(at).starts_with("=ybegin ");
}

std::size_t find_begin_line(std::string_view in, std::size_t pos) noexcept {
  for (std::size_t at = in.find("begin", pos); at != std::string_view::npos;
       at = in.find("begin", at + 1)) {
    if (uu_begin_at(in, at)) return at;
  }
  return std::string_view::npos;
}

constexpr bool is_uu_char(char c) noexcept { return c >= 0x20 && c <= 0x60; }
constexpr unsigned uu_value(char c) noexcept { return static_cast<unsigned>(c - 0x20) & 0x3F; }

// Whether a line after a padding is more base64 (concatenated encodings) rather than text
// appended to the body: alphabet, '=' and blanks at the end only (a transport may add those;
// text has them between words).
bool line_is_base64(std::string_view line) noexcept {
  bool blank = false;
  for (char c : line) {
    const std::uint8_t v = kB64.value[static_cast<unsigned char>(c)];
    if (c == '\r' || c == '\n') continue;
    if (c == ' ' || c == '\t') {
      blank = true;
    } else if ((v >= 64 && v != kB64Pad) || blank) {
      return false;
    }
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// yEnc

// The first "=ybegin " line at or after pos: its start, or npos.
std::size_t find_ybegin_line(std::string_view in, std::size_t pos) noexcept {
  // Looked for by "ybegin ": '=' is everywhere in HTML, 'y' is not.
  for (std::size_t y = in.find("ybegin ", pos + 1); y != std::string_view::npos;
       y = in.find("ybegin ", y + 1)) {
    if (ybegin_at(in, y - 1)) return y - 1;
  }
  return std::string_view::npos;
}

// The value of " key=" in a yEnc header line ("" when absent); name= takes the rest of the line.
std::string_view yenc_value(std::string_view line, std::string_view key) noexcept {
  for (std::size_t at = line.find(key); at != std::string_view::npos; at = line.find(key, at + 1)) {
    if (at == 0 || !core::is_wsp(line[at - 1]) || at + key.size() >= line.size() ||
        line[at + key.size()] != '=')
      continue;
    std::string_view v = line.substr(at + key.size() + 1);
    if (key == "name") return core::trim(v);
    return v.substr(0, std::min(v.size(), v.find_first_of(" \t")));
  }
  return {};
}

// A declared number (decimal, or hexadecimal for the CRCs); nullopt when absent or malformed.
std::optional<std::uint64_t> yenc_number(std::string_view v, int base) noexcept {
  std::uint64_t n = 0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n, base);
  if (v.empty() || ec != std::errc() || end != v.data() + v.size()) return std::nullopt;
  return n;
}

// The blocks of a text that start at the lines find_start finds: each runs up to the next one
// (or the end), named by what name_of reads in its first line.
template <typename FindStart, typename NameOf>
std::vector<EncodedFileBlock> blocks_of(std::string_view in, FindStart find_start, NameOf name_of) {
  std::vector<EncodedFileBlock> blocks;
  std::size_t b = find_start(in, 0);
  while (b != std::string_view::npos) {
    const Line first = line_at(in, b);
    const std::size_t next = find_start(in, first.next);
    const std::size_t stop = next == std::string_view::npos ? in.size() : next;
    blocks.push_back({name_of(first.text), in.substr(b, stop - b)});
    b = next;
  }
  return blocks;
}

}  // namespace

DecodeStatus decode_base64(std::string_view in, std::string& out, std::size_t max_out) {
  DecodeStatus st;
  Sink sink(out, max_out, in.size() / 4 * 3 + 3);
  const auto* s = reinterpret_cast<const unsigned char*>(in.data());
  const std::size_t n = in.size();
  std::size_t i = 0;
  std::uint32_t acc = 0;
  int q = 0;          // sextets collected in the current quantum
  int pads_owed = 0;  // '=' still expected to close the quantum
  bool after_pad = false;
  // After the first padding each line is checked before it is decoded: more base64 is decoded
  // (so that nothing hidden behind a '=' escapes the scanners), while text such as a mailing
  // list footer appended to the body ends the data instead of being read as garbage.
  bool padded = false;
  std::size_t checked = 0;  // once padded: input before this offset was checked

  auto emit = [&](std::uint32_t bits, int bytes) -> bool {
    for (int k = bytes - 1; k >= 0; --k)
      if (!sink.put(static_cast<char>(bits >> (8 * k)))) return false;
    return true;
  };

  while (i < n) {
    if (padded && i >= checked) {
      const std::size_t nl = in.find('\n', i);
      const std::size_t line_end = nl == std::string_view::npos ? n : nl + 1;
      if (!line_is_base64(in.substr(i, line_end - i))) {
        st.defects.add(Defect::invalid_base64);
        break;
      }
      checked = line_end;
    }
    const std::size_t end = padded ? checked : n;
    if (q == 0 && !after_pad) {
      // Fast path: whole quads of alphabet characters, two at a time when possible.
      char* o = sink.cursor();
      char* const o0 = o;
      std::size_t space = sink.space();
      while (i + 8 <= end && space >= 6) {
        const std::uint32_t x =
            kB64.d0[s[i]] | kB64.d1[s[i + 1]] | kB64.d2[s[i + 2]] | kB64.d3[s[i + 3]];
        const std::uint32_t y =
            kB64.d0[s[i + 4]] | kB64.d1[s[i + 5]] | kB64.d2[s[i + 6]] | kB64.d3[s[i + 7]];
        if ((x | y) & kB64Bad) break;
        o[0] = static_cast<char>(x >> 16);
        o[1] = static_cast<char>(x >> 8);
        o[2] = static_cast<char>(x);
        o[3] = static_cast<char>(y >> 16);
        o[4] = static_cast<char>(y >> 8);
        o[5] = static_cast<char>(y);
        o += 6;
        space -= 6;
        i += 8;
      }
      while (i + 4 <= end && space >= 3) {
        const std::uint32_t x =
            kB64.d0[s[i]] | kB64.d1[s[i + 1]] | kB64.d2[s[i + 2]] | kB64.d3[s[i + 3]];
        if (x & kB64Bad) break;
        o[0] = static_cast<char>(x >> 16);
        o[1] = static_cast<char>(x >> 8);
        o[2] = static_cast<char>(x);
        o += 3;
        space -= 3;
        i += 4;
      }
      sink.advance(static_cast<std::size_t>(o - o0));
    }
    if (i >= end) continue;

    // Slow path: one character, then back to the fast path as soon as a quantum is complete.
    const std::uint8_t v = kB64.value[s[i++]];
    if (v < 64) {
      if (after_pad) {  // data after the padding: concatenated encodings
        st.defects.add(Defect::base64_padding);
        after_pad = false;
        pads_owed = 0;
      }
      acc = (acc << 6) | v;
      if (++q == 4) {
        if (!emit(acc, 3)) break;
        q = 0;
        acc = 0;
      }
    } else if (v == kB64Space) {
      continue;
    } else if (v == kB64Pad) {
      if (q == 2 || q == 3) {
        const int bytes = q - 1;
        const int spare = q == 2 ? 4 : 2;
        if ((acc & ((1u << spare) - 1)) != 0) st.defects.add(Defect::base64_padding);
        if (!emit(acc >> spare, bytes)) break;
        pads_owed = q == 2 ? 1 : 0;
        after_pad = true;
        if (!padded) {
          padded = true;
          checked = i;  // the rest of this line is checked next
        }
        q = 0;
        acc = 0;
      } else if (pads_owed > 0) {
        --pads_owed;
      } else {
        st.defects.add(Defect::base64_padding);  // excess or misplaced '='
        if (q == 1) {
          q = 0;  // six bits cannot make a byte
          acc = 0;
        }
      }
    } else {
      st.defects.add(Defect::invalid_base64);
    }
  }

  if (!sink.hit_limit()) {
    if (q == 1) {
      st.defects.add(Defect::base64_padding);
    } else if (q == 2 || q == 3) {
      st.defects.add(Defect::base64_padding);  // padding missing
      const int spare = q == 2 ? 4 : 2;
      emit(acc >> spare, q - 1);
    } else if (pads_owed > 0) {
      st.defects.add(Defect::base64_padding);
    }
  }
  if (sink.hit_limit()) st.limits.add(Limit::decoded_size);
  return st;
}

DecodeStatus decode_quoted_printable(std::string_view in, std::string& out, std::size_t max_out) {
  DecodeStatus st;
  // Decoding never grows the text, so the input size bounds the output.
  Sink sink(out, max_out, in.size());
  if (has_8bit(in)) st.defects.add(Defect::invalid_quoted_printable);
  const char* s = in.data();
  const std::size_t n = in.size();
  std::size_t pos = 0;
  while (pos < n) {
    const char* nl = static_cast<const char*>(std::memchr(s + pos, '\n', n - pos));
    std::size_t end = nl ? static_cast<std::size_t>(nl - s) : n;
    const std::size_t next = nl ? end + 1 : n;
    std::string_view eol;
    if (nl) {
      if (end > pos && s[end - 1] == '\r') {
        --end;
        eol = "\r\n";
      } else {
        eol = "\n";
      }
    }
    // RFC 2045 rule 3: whitespace at the end of an encoded line was added in transport. A
    // stray CR there is read the same way, as Python's email does ("=<CR><CR><LF>" is a soft
    // break).
    const std::size_t text_end = end;
    while (end > pos && (core::is_wsp(s[end - 1]) || s[end - 1] == '\r')) --end;
    bool soft = false;
    decode_qp_line(s + pos, end - pos, sink, st, false, soft);
    // Clients that keep what was cut read this line otherwise: say so, for other_decodings.
    if (end != text_end && (soft || std::memchr(s + end, '\r', text_end - end) != nullptr))
      st.defects.add(Defect::ambiguous_qp_line_end);
    if (sink.hit_limit()) break;
    if (!soft && !sink.put(eol.data(), eol.size())) break;
    pos = next;
  }
  if (sink.hit_limit()) st.limits.add(Limit::decoded_size);
  return st;
}

DecodeStatus decode_q_word(std::string_view in, std::string& out, std::size_t max_out) {
  DecodeStatus st;
  Sink sink(out, max_out, in.size());
  bool soft = false;
  decode_qp_line(in.data(), in.size(), sink, st, true, soft);
  if (sink.hit_limit()) st.limits.add(Limit::decoded_size);
  return st;
}

DecodeStatus decode_uuencode(std::string_view in, std::string& out, std::size_t max_out) {
  DecodeStatus st;
  // A short line stands for trailing spaces a transport stripped, so "M" alone is 45 bytes:
  // the output is not bounded by the input, only by max_out.
  const std::size_t room = room_left(out, max_out);
  out.reserve(out.size() + std::min(in.size(), room));
  std::size_t budget = room;
  bool limited = false;
  std::size_t pos = 0;
  std::array<char, 66> buf{};  // 63 bytes per line at most, plus the last group's spare

  while (!limited) {
    const std::size_t b = find_begin_line(in, pos);
    if (b == std::string_view::npos) break;
    const Line begin = line_at(in, b);
    pos = begin.next;
    if (begin.text.starts_with(kBeginBase64)) {
      std::size_t stop = pos;
      while (stop < in.size() && core::trim(line_at(in, stop).text) != "====")
        stop = line_at(in, stop).next;
      if (stop == in.size()) st.defects.add(Defect::invalid_uuencode);  // no "====" line
      const std::size_t before = out.size();
      const DecodeStatus b64 = decode_base64(in.substr(pos, stop - pos), out, before + budget);
      st.defects.add(b64.defects);
      budget -= out.size() - before;
      limited = !b64.limits.empty();
      pos = stop == in.size() ? stop : line_at(in, stop).next;
      continue;
    }
    bool ended = false;
    bool zero_line_seen = false;
    while (pos < in.size()) {
      const Line l = line_at(in, pos);
      const std::string_view text = l.text;
      if (core::trim(text) == "end") {
        ended = true;
        pos = l.next;
        break;
      }
      if (text.empty()) {
        pos = l.next;
        continue;
      }
      // After the zero-length line only "end" may follow; other lines belong to whatever
      // comes after the block (a signature, another begin).
      if (zero_line_seen || !is_uu_char(text[0])) break;
      const unsigned count = uu_value(text[0]);
      if (count == 0) {
        zero_line_seen = true;
        pos = l.next;
        continue;
      }
      const std::string_view data = text.substr(1);
      const std::size_t needed = (count + 2) / 3 * 4;
      bool ok = true;
      for (std::size_t k = 0; k < std::min(data.size(), needed); ++k)
        if (!is_uu_char(data[k])) ok = false;
      if (!ok) break;  // not uuencoded text: the block ended without "end"
      std::size_t o = 0;
      for (std::size_t g = 0; g < needed; g += 4) {
        std::uint32_t v = 0;
        for (std::size_t k = 0; k < 4; ++k)
          v = (v << 6) | (g + k < data.size() ? uu_value(data[g + k]) : 0u);
        buf[o++] = static_cast<char>(v >> 16);
        buf[o++] = static_cast<char>(v >> 8);
        buf[o++] = static_cast<char>(v);
      }
      const std::size_t take = std::min<std::size_t>(count, budget);
      out.append(buf.data(), take);
      budget -= take;
      if (take < count) {
        limited = true;
        break;
      }
      pos = l.next;
    }
    if (!ended && !limited) st.defects.add(Defect::invalid_uuencode);
  }
  if (limited) st.limits.add(Limit::decoded_size);
  return st;
}

EncodedFiles encoded_files_in(std::string_view text) noexcept {
  // One search for "begin" finds both kinds: "=ybegin " ends in it too, and 'b' is rarer in
  // text than the 'y' a search for "ybegin" would stop at.
  EncodedFiles found;
  for (std::size_t at = text.find("begin"); at != std::string_view::npos;
       at = text.find("begin", at + 1)) {
    found.uuencoded = found.uuencoded || uu_begin_at(text, at);
    found.yencoded = found.yencoded || (at >= 2 && ybegin_at(text, at - 2));
    if (found.uuencoded && found.yencoded) break;
  }
  return found;
}

std::vector<EncodedFileBlock> uuencoded_blocks(std::string_view in) {
  return blocks_of(in, find_begin_line, [](std::string_view begin) {
    // "begin" + blanks + mode + blanks + name, as is_begin_line accepted it.
    std::string_view rest = begin.substr(begin_word_size(begin));
    while (!rest.empty() && core::is_wsp(rest.front())) rest.remove_prefix(1);
    while (!rest.empty() && !core::is_wsp(rest.front())) rest.remove_prefix(1);
    return core::trim(rest);
  });
}

std::vector<EncodedFileBlock> yenc_blocks(std::string_view in) {
  return blocks_of(in, find_ybegin_line,
                   [](std::string_view begin) { return yenc_value(begin, "name"); });
}

DecodeStatus decode_yenc(std::string_view in, std::string& out, std::size_t max_out) {
  DecodeStatus st;
  std::size_t pos = find_ybegin_line(in, 0);
  if (pos == std::string_view::npos) return st;
  const Line begin = line_at(in, pos);
  pos = begin.next;
  const std::size_t start = out.size();
  // Decoding never grows the data: the input bounds the output.
  Sink sink(out, max_out, in.size() - pos);
  std::string_view end_line;
  bool multipart = false;
  while (pos < in.size()) {
    const Line l = line_at(in, pos);
    pos = l.next;
    if (l.text.starts_with("=ypart ")) {
      multipart = true;
      continue;
    }
    if (l.text.starts_with("=yend")) {
      end_line = l.text;
      break;
    }
    // Each byte is stored plus 42; "=" escapes a critical byte (NUL, LF, CR, '=', and TAB or
    // a space or a dot at a line edge where encoders choose to) stored plus 64 more. Line
    // breaks are not data; an escape at the end of a line escapes nothing.
    const std::string_view t = l.text;
    bool full = false;
    for (std::size_t k = 0; k < t.size() && !full; ++k) {
      unsigned char c = static_cast<unsigned char>(t[k]);
      if (c == '=') {
        if (++k == t.size()) break;
        c = static_cast<unsigned char>(static_cast<unsigned char>(t[k]) - 64);
      } else if (c == '\r') {
        continue;
      }
      full = !sink.put(static_cast<char>(static_cast<unsigned char>(c - 42)));
    }
    if (full) break;
  }
  if (sink.hit_limit()) {
    st.limits.add(Limit::decoded_size);
    return st;
  }
  // The declared size and CRC-32 are checked against what was decoded: a mismatch says the
  // file is not the one the poster sent (truncated or altered), which the scanners report.
  const std::size_t decoded = static_cast<std::size_t>(sink.cursor() - out.data()) - start;
  const auto size = yenc_number(yenc_value(end_line, "size"), 10);
  const auto crc = yenc_number(yenc_value(end_line, multipart ? "pcrc32" : "crc32"), 16);
  const auto begin_size = yenc_number(yenc_value(begin.text, "size"), 10);
  bool ok = !end_line.empty() && size == decoded && (multipart || begin_size == decoded);
  if (ok && crc) {
    ok = core::crc32_of(std::string_view(out).substr(start, decoded)) == *crc;
  }
  if (!ok) st.defects.add(Defect::invalid_yenc);
  return st;
}

std::string_view to_string(OtherDecoding r) noexcept {
  switch (r) {
    case OtherDecoding::base64_ends_at_padding:
      return "base64-ends-at-padding";
    case OtherDecoding::base64_python:
      return "base64-python";
    case OtherDecoding::qp_strict:
      return "qp-strict";
    case OtherDecoding::qp_python:
      return "qp-python";
    case OtherDecoding::as_is:
      return "as-is";
    case OtherDecoding::as_base64:
      return "as-base64";
    case OtherDecoding::as_quoted_printable:
      return "as-quoted-printable";
    case OtherDecoding::as_uuencode:
      return "as-uuencode";
  }
  return "unknown";
}

namespace {

// The readings of a body whose Content-Transfer-Encoding fields clients read differently: as
// each encoding a field names, and as it is.
void add_written_readings(TransferEncoding e, std::span<const TransferEncoding> written,
                          std::vector<OtherDecoding>& out) {
  auto add = [&out](OtherDecoding r) {
    if (std::find(out.begin(), out.end(), r) == out.end()) out.push_back(r);
  };
  for (const TransferEncoding w : written) {
    if (w == e) continue;
    if (w == TransferEncoding::base64) add(OtherDecoding::as_base64);
    if (w == TransferEncoding::quoted_printable) add(OtherDecoding::as_quoted_printable);
    if (w == TransferEncoding::uuencode) add(OtherDecoding::as_uuencode);
  }
  if (e == TransferEncoding::base64 || e == TransferEncoding::quoted_printable ||
      e == TransferEncoding::uuencode)
    add(OtherDecoding::as_is);
}

std::vector<OtherDecoding> decoder_readings(TransferEncoding e, DefectSet defects) {
  switch (e) {
    case TransferEncoding::base64:
      if (defects.has(Defect::base64_padding) || defects.has(Defect::invalid_base64))
        return {OtherDecoding::base64_ends_at_padding, OtherDecoding::base64_python};
      break;
    case TransferEncoding::quoted_printable:
      if (defects.has(Defect::ambiguous_qp_line_end))
        return {OtherDecoding::qp_strict, OtherDecoding::qp_python};
      break;
    case TransferEncoding::uuencode:
      // Python shows the body undecoded whenever its stricter reader fails (no "begin " line,
      // an empty line inside the block, a line it cannot read): rare enough to always scan.
      return {OtherDecoding::as_is};
    default:
      break;
  }
  return {};
}

}  // namespace

std::vector<OtherDecoding> other_decodings(TransferEncoding e, DefectSet defects,
                                           std::span<const TransferEncoding> written) {
  std::vector<OtherDecoding> out = decoder_readings(e, defects);
  if (defects.has(Defect::ambiguous_transfer_encoding)) add_written_readings(e, written, out);
  return out;
}

DecodeStatus decode_other(OtherDecoding r, std::string_view in, std::string& out,
                          std::size_t max_out) {
  switch (r) {
    case OtherDecoding::as_base64:
      return decode_base64(in, out, max_out);
    case OtherDecoding::as_quoted_printable:
      return decode_quoted_printable(in, out, max_out);
    case OtherDecoding::as_uuencode:
      return decode_uuencode(in, out, max_out);
    default:
      break;
  }
  DecodeStatus st;
  Sink sink(out, max_out, in.size());  // none of these readings grows the data
  const std::size_t n = in.size();
  switch (r) {
    case OtherDecoding::base64_ends_at_padding:
    case OtherDecoding::base64_python: {
      const bool python = r == OtherDecoding::base64_python;
      std::uint32_t acc = 0;
      int q = 0;
      int pads = 0;
      bool ended = false;
      const auto* s = reinterpret_cast<const unsigned char*>(in.data());
      for (std::size_t k = 0; k < n && !ended && !sink.hit_limit(); ++k) {
        // Whole quanta of four alphabet characters, the bulk of a body, at table speed.
        while (q == 0 && n - k >= 4 && sink.space() >= 3) {
          const std::uint32_t x =
              kB64.d0[s[k]] | kB64.d1[s[k + 1]] | kB64.d2[s[k + 2]] | kB64.d3[s[k + 3]];
          if (x & kB64Bad) break;
          char* o = sink.cursor();
          o[0] = static_cast<char>(x >> 16);
          o[1] = static_cast<char>(x >> 8);
          o[2] = static_cast<char>(x);
          sink.advance(3);
          k += 4;
          pads = 0;
        }
        if (k == n) break;
        const std::uint8_t v = kB64.value[s[k]];
        if (v == kB64Pad) {
          // binascii.a2b_base64: '=' counts only after two sextets, and ends the data once
          // the quantum is full; GMime and mutt end at any '='.
          ended = !python || (q >= 2 && q + ++pads >= 4);
          continue;
        }
        if (v >= 64) continue;
        pads = 0;
        acc = (acc << 6) | v;
        if (++q == 4) {
          sink.put(static_cast<char>(acc >> 16));
          sink.put(static_cast<char>(acc >> 8));
          sink.put(static_cast<char>(acc));
          q = 0;
          acc = 0;
        }
      }
      if (python && !ended && q == 1) {
        // Python cannot decode it and shows the body with its line breaks removed instead.
        sink.rewind();
        for (std::size_t k = 0; k < n; ++k)
          if (in[k] != '\r' && in[k] != '\n' && !sink.put(in[k])) break;
        break;
      }
      // The last partial quantum: Python pads it, GMime keeps it only when a '=' ended it.
      if (!python && !ended) break;
      if (q == 2) sink.put(static_cast<char>(acc >> 4));
      if (q == 3) {
        sink.put(static_cast<char>(acc >> 10));
        sink.put(static_cast<char>(acc >> 2));
      }
      break;
    }
    case OtherDecoding::qp_strict:
    case OtherDecoding::qp_python:
      for (std::size_t k = 0; k < n && !sink.hit_limit(); ++k) {
        if (in[k] != '=') {
          sink.put(in[k]);
          continue;
        }
        if (k + 1 == n) break;  // '=' ending the body
        if (in[k + 1] == '\n' || (in[k + 1] == '\r' && k + 2 < n && in[k + 2] == '\n')) {
          k += in[k + 1] == '\n' ? 1 : 2;
          continue;
        }
        if (in[k + 1] == '\r' && r == OtherDecoding::qp_python) {
          const std::size_t lf = in.find('\n', k);
          k = lf == std::string_view::npos ? n : lf;
          continue;
        }
        const int h = core::hex_value(in[k + 1]);
        const int l = k + 2 < n ? core::hex_value(in[k + 2]) : -1;
        if (h >= 0 && l >= 0) {
          sink.put(static_cast<char>(h * 16 + l));
          k += 2;
        } else {
          sink.put('=');
        }
      }
      break;
    case OtherDecoding::as_is:
      sink.put(in.data(), n);
      break;
    case OtherDecoding::as_base64:
    case OtherDecoding::as_quoted_printable:
    case OtherDecoding::as_uuencode:
      break;  // decoded above by their own decoders
  }
  if (sink.hit_limit()) st.limits.add(Limit::decoded_size);
  return st;
}

}  // namespace ksmg::mime::detail

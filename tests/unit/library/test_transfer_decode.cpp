// test_transfer_decode.cpp — base64, quoted-printable, RFC 2047 Q, uuencode and yEnc decoders
// (internal header mime/transfer_decode.hpp) and is_valid_utf8 (ksmg/mime.hpp).
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdint>
#include <random>
#include <string>
#include <string_view>

#include "ksmg/mime.hpp"
#include "mime/transfer_decode.hpp"
#include "test_data.hpp"

namespace {

using ksmg::Defect;
using ksmg::Limit;
using ksmg::mime::is_valid_utf8;
using ksmg::mime::detail::decode_base64;
using ksmg::mime::detail::decode_other;
using ksmg::mime::detail::decode_q_word;
using ksmg::mime::detail::decode_quoted_printable;
using ksmg::mime::detail::decode_uuencode;
using ksmg::mime::detail::decode_yenc;
using ksmg::mime::detail::DecodeStatus;
using ksmg::mime::detail::encoded_files_in;
using ksmg::mime::detail::OtherDecoding;
using ksmg::mime::detail::yenc_blocks;

constexpr std::size_t kNoCap = static_cast<std::size_t>(-1);

using Decoder = DecodeStatus (*)(std::string_view, std::string&, std::size_t);

struct Result {
  std::string out;
  DecodeStatus st;
};

Result run(Decoder f, std::string_view in, std::size_t cap = kNoCap) {
  Result r;
  r.st = f(in, r.out, cap);
  return r;
}

std::string random_bytes(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng() & 0xFF);
  return s;
}

// Reference encoder for round trips: 76-column lines, CRLF.
std::string base64_encode(std::string_view in, std::size_t line = 76) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t col = 0;
  for (std::size_t i = 0; i < in.size(); i += 3) {
    std::uint32_t v = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    if (i + 2 < in.size()) v |= static_cast<unsigned char>(in[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += i + 2 < in.size() ? kAlphabet[v & 63] : '=';
    col += 4;
    if (col >= line) {
      out += "\r\n";
      col = 0;
    }
  }
  return out;
}

std::string uuencode_block(std::string_view data, std::string_view name) {
  std::string out = "begin 644 " + std::string(name) + "\n";
  auto ch = [](unsigned v) { return v == 0 ? '`' : static_cast<char>(v + 0x20); };
  for (std::size_t i = 0; i < data.size(); i += 45) {
    const std::string_view chunk = data.substr(i, 45);
    out += ch(static_cast<unsigned>(chunk.size()));
    for (std::size_t k = 0; k < chunk.size(); k += 3) {
      std::uint32_t v = static_cast<unsigned char>(chunk[k]) << 16;
      if (k + 1 < chunk.size()) v |= static_cast<unsigned char>(chunk[k + 1]) << 8;
      if (k + 2 < chunk.size()) v |= static_cast<unsigned char>(chunk[k + 2]);
      for (int s = 18; s >= 0; s -= 6) out += ch((v >> s) & 63);
    }
    out += '\n';
  }
  out += "`\nend\n";
  return out;
}

// Every cap from 0 to past the full size gives the prefix, and the limit exactly when cut.
void expect_caps_are_prefixes(Decoder f, std::string_view in, std::string_view full) {
  for (std::size_t cap = 0; cap <= full.size() + 1; ++cap) {
    const Result r = run(f, in, cap);
    ASSERT_LE(r.out.size(), cap);
    EXPECT_EQ(r.out, full.substr(0, cap)) << "cap " << cap;
    EXPECT_EQ(r.st.limits.has(Limit::decoded_size), cap < full.size()) << "cap " << cap;
  }
  // The cap counts bytes already in the output.
  std::string out = "xyz";
  const DecodeStatus st = f(in, out, 3 + full.size() / 2);
  EXPECT_EQ(out, "xyz" + std::string(full.substr(0, full.size() / 2)));
  EXPECT_EQ(st.limits.has(Limit::decoded_size), full.size() / 2 < full.size());
}

// ------------------------------------------------------------------------------------ base64

TEST(Base64, Empty) {
  const Result r = run(decode_base64, "");
  EXPECT_EQ(r.out, "");
  EXPECT_TRUE(r.st.defects.empty());
  EXPECT_TRUE(r.st.limits.empty());
}

TEST(Base64, Simple) {
  const Result r = run(decode_base64, "SGVsbG8sIFdvcmxkIQ==");
  EXPECT_EQ(r.out, "Hello, World!");
  EXPECT_TRUE(r.st.defects.empty());
  EXPECT_EQ(run(decode_base64, "0J/RgNC40LLQtdGCLCDQvNC40YA=").out, "Привет, мир");
}

TEST(Base64, RoundTripOn76ColumnCrlfLines) {
  for (std::size_t n : {0u, 1u, 2u, 3u, 56u, 57u, 58u, 1000u, 65537u}) {
    const std::string data = random_bytes(n, static_cast<unsigned>(n));
    const Result r = run(decode_base64, base64_encode(data));
    EXPECT_EQ(r.out, data) << n;
    EXPECT_TRUE(r.st.defects.empty()) << n;
  }
}

TEST(Base64, LinesNotMultipleOfFourAndLfOnly) {
  const std::string data = random_bytes(4000, 7);
  std::string enc = base64_encode(data, 1u << 30);
  std::string wrapped;
  for (std::size_t i = 0; i < enc.size(); i += 73) wrapped += enc.substr(i, 73) + "\n \t";
  const Result r = run(decode_base64, wrapped);
  EXPECT_EQ(r.out, data);
  EXPECT_TRUE(r.st.defects.empty());
}

TEST(Base64, JunkIsSkippedNotReadAsZero) {
  // '|' must not count as 'A' (value 0): "QUJD" is "ABC" whatever junk is mixed in.
  for (std::string_view in : {"QU|JD", "|QUJD", "QUJD|", "Q|U|J|D",
                              "QUJ\x80\xFF"
                              "D",
                              "QU.J-D"}) {
    const Result r = run(decode_base64, in);
    EXPECT_EQ(r.out, "ABC") << in;
    EXPECT_TRUE(r.st.defects.has(Defect::invalid_base64)) << in;
    EXPECT_FALSE(r.st.defects.has(Defect::base64_padding)) << in;
  }
  // Whitespace is not junk.
  const Result ws = run(decode_base64, " QU\tJ\r\nD \r\n");
  EXPECT_EQ(ws.out, "ABC");
  EXPECT_TRUE(ws.st.defects.empty());
}

TEST(Base64, JunkInsideLongInputKeepsAlignment) {
  const std::string data = random_bytes(3000, 11);
  std::string enc = base64_encode(data);
  enc.insert(500, "|");
  enc.insert(1501, "!!");
  const Result r = run(decode_base64, enc);
  EXPECT_EQ(r.out, data);
  EXPECT_TRUE(r.st.defects.has(Defect::invalid_base64));
}

TEST(Base64, MissingPadding) {
  Result r = run(decode_base64, "QQ");
  EXPECT_EQ(r.out, "A");
  EXPECT_TRUE(r.st.defects.has(Defect::base64_padding));
  r = run(decode_base64, "QUI");
  EXPECT_EQ(r.out, "AB");
  EXPECT_TRUE(r.st.defects.has(Defect::base64_padding));
  r = run(decode_base64, "QQ=");  // one '=' short
  EXPECT_EQ(r.out, "A");
  EXPECT_TRUE(r.st.defects.has(Defect::base64_padding));
}

TEST(Base64, CorrectPaddingHasNoDefect) {
  for (std::string_view in : {"QQ==", "QUI=", "QUJD", "QQ==\r\n", "QQ=\r\n="}) {
    const Result r = run(decode_base64, in);
    EXPECT_TRUE(r.st.defects.empty()) << in;
  }
  EXPECT_EQ(run(decode_base64, "QUI=").out, "AB");
}

TEST(Base64, LeftoverBitsAndBadPadding) {
  Result r = run(decode_base64, "QUJDR");  // one sextet cannot make a byte
  EXPECT_EQ(r.out, "ABC");
  EXPECT_TRUE(r.st.defects.has(Defect::base64_padding));
  r = run(decode_base64, "QR==");  // non-zero bits under the padding
  EXPECT_EQ(r.out, "A");
  EXPECT_TRUE(r.st.defects.has(Defect::base64_padding));
  r = run(decode_base64, "QQ===");  // excess '='
  EXPECT_EQ(r.out, "A");
  EXPECT_TRUE(r.st.defects.has(Defect::base64_padding));
  r = run(decode_base64, "=QUJD");  // leading '='
  EXPECT_EQ(r.out, "ABC");
  EXPECT_TRUE(r.st.defects.has(Defect::base64_padding));
}

TEST(Base64, DataAfterPaddingIsStillDecoded) {
  // Concatenated encodings: decoded in full so nothing hides behind the first padding.
  const Result r = run(decode_base64, "QQ==\r\nQUJD");
  EXPECT_EQ(r.out, "AABC");
  EXPECT_TRUE(r.st.defects.has(Defect::base64_padding));
}

TEST(Base64, TextAfterPaddingEndsTheData) {
  // A mailing-list footer appended to a base64 body (spamassassin nice_cjk_big5-base64.1).
  Result r =
      run(decode_base64, "QUJD\r\nQQ==\r\n\r\n___\r\nSLAT-talk mailing list\r\nhttp://x.org/\r\n");
  EXPECT_EQ(r.out, "ABCA");
  EXPECT_TRUE(r.st.defects.has(Defect::invalid_base64));
  r = run(decode_base64, "QQ==\r\nThanks for reading\r\n");  // letters only, but words
  EXPECT_EQ(r.out, "A");
  r = run(decode_base64, "QQ==\r\nQUJD  \r\nRA==\r\n");  // blanks at a line end are fine
  EXPECT_EQ(r.out, "AABCD");
  EXPECT_FALSE(r.st.defects.has(Defect::invalid_base64));
  // Concatenated encodings followed by a footer: all of the base64 is decoded.
  r = run(decode_base64, "QQ==\r\nQUJD\r\n-- \r\nfooter\r\nQUJD\r\n");
  EXPECT_EQ(r.out, "AABC");
  // Linear with many paddings and text at the very end.
  std::string many;
  for (int i = 0; i < 100000; ++i) many += "QQ==";
  r = run(decode_base64, many + "\r\n-- \r\nfooter");
  EXPECT_EQ(r.out, std::string(100000, 'A'));
  EXPECT_TRUE(r.st.defects.has(Defect::invalid_base64));
  r = run(decode_base64, many);
  EXPECT_EQ(r.out, std::string(100000, 'A'));
}

TEST(Base64, OnlyJunk) {
  const Result r = run(decode_base64, "!!!@@@###");
  EXPECT_EQ(r.out, "");
  EXPECT_TRUE(r.st.defects.has(Defect::invalid_base64));
}

TEST(Base64, CapAtEveryLength) {
  const std::string data = "The quick brown fox jumps over the lazy dog";
  expect_caps_are_prefixes(decode_base64, base64_encode(data, 8), data);
  expect_caps_are_prefixes(decode_base64, "QUJDREVGRw", "ABCDEFG");  // unpadded tail
}

TEST(Base64, AppendsToExistingOutput) {
  std::string out = "head:";
  const DecodeStatus st = decode_base64("QUJD", out, kNoCap);
  EXPECT_EQ(out, "head:ABC");
  EXPECT_TRUE(st.defects.empty());
}

TEST(Base64, OutputAlreadyAtCap) {
  std::string out = "abcdef";
  DecodeStatus st = decode_base64("QUJD", out, 4);
  EXPECT_EQ(out, "abcdef");
  EXPECT_TRUE(st.limits.has(Limit::decoded_size));
  st = decode_base64("", out, 4);  // nothing to add: no limit crossed
  EXPECT_FALSE(st.limits.has(Limit::decoded_size));
}

// -------------------------------------------------------------------------- quoted-printable

TEST(QuotedPrintable, Empty) {
  const Result r = run(decode_quoted_printable, "");
  EXPECT_EQ(r.out, "");
  EXPECT_TRUE(r.st.defects.empty());
}

TEST(QuotedPrintable, HexEscapesUpperAndLower) {
  const Result r = run(decode_quoted_printable, "Caf=C3=A9 caf=c3=a9 =3D=20x");
  EXPECT_EQ(r.out, "Café café = x");
  EXPECT_TRUE(r.st.defects.empty());
}

TEST(QuotedPrintable, SoftLineBreaks) {
  EXPECT_EQ(run(decode_quoted_printable, "abc=\r\ndef").out, "abcdef");
  EXPECT_EQ(run(decode_quoted_printable, "abc=\ndef").out, "abcdef");
  EXPECT_EQ(run(decode_quoted_printable, "abc= \t\r\ndef").out, "abcdef");  // blanks after '='
  EXPECT_EQ(run(decode_quoted_printable, "abc=\r\n").out, "abc");
  const Result r = run(decode_quoted_printable, "abc=");  // '=' ending the body
  EXPECT_EQ(r.out, "abc");
  EXPECT_TRUE(r.st.defects.empty());
}

TEST(QuotedPrintable, HardLineBreaksKeptAndTrailingBlanksRemoved) {
  const Result r = run(decode_quoted_printable, "line one  \r\nline two\t\nend=20 \r\nlast  ");
  EXPECT_EQ(r.out, "line one\r\nline two\nend \r\nlast");
  EXPECT_TRUE(r.st.defects.empty());
}

TEST(QuotedPrintable, MalformedEqualsKeptLiterally) {
  Result r = run(decode_quoted_printable, "=4");
  EXPECT_EQ(r.out, "=4");
  EXPECT_TRUE(r.st.defects.has(Defect::invalid_quoted_printable));
  r = run(decode_quoted_printable, "a=4G b=ZZ c=\tx");
  EXPECT_EQ(r.out, "a=4G b=ZZ c=\tx");
  EXPECT_TRUE(r.st.defects.has(Defect::invalid_quoted_printable));
  r = run(decode_quoted_printable, "==41");  // the second '=' still starts an escape
  EXPECT_EQ(r.out, "=A");
  EXPECT_TRUE(r.st.defects.has(Defect::invalid_quoted_printable));
  r = run(decode_quoted_printable, "x=4\r\ny");
  EXPECT_EQ(r.out, "x=4\r\ny");
}

TEST(QuotedPrintable, RawEightBitKeptWithDefect) {
  const Result r = run(decode_quoted_printable, "caf\xE9");
  EXPECT_EQ(r.out, "caf\xE9");
  EXPECT_TRUE(r.st.defects.has(Defect::invalid_quoted_printable));
}

TEST(QuotedPrintable, LongInput) {
  std::string in, want;
  for (int i = 0; i < 2000; ++i) {
    in += "Line " + std::to_string(i) + " na=C3=AFve =3D soft=\r\nbreak\r\n";
    want += "Line " + std::to_string(i) + " naïve = softbreak\r\n";
  }
  const Result r = run(decode_quoted_printable, in);
  EXPECT_EQ(r.out, want);
  EXPECT_TRUE(r.st.defects.empty());
}

TEST(QuotedPrintable, CapAtEveryLength) {
  expect_caps_are_prefixes(decode_quoted_printable, "ab=C3=A9 c=\r\nd\r\ne  \r\n=3Df",
                           "ab\xC3\xA9 cd\r\ne\r\n=f");
}

TEST(QWord, UnderscoreIsSpace) {
  Result r = run(decode_q_word, "Hello_World=21_=5F");
  EXPECT_EQ(r.out, "Hello World! _");
  EXPECT_TRUE(r.st.defects.empty());
  r = run(decode_q_word, "a=ZZb=");
  EXPECT_EQ(r.out, "a=ZZb=");
  EXPECT_TRUE(r.st.defects.has(Defect::invalid_quoted_printable));
  expect_caps_are_prefixes(decode_q_word, "a_b=C3=A9_c", "a b\xC3\xA9 c");
}

// -------------------------------------------------------------------------------- uuencode

constexpr std::string_view kFoxUu =
    "begin 644 fox.txt\n"
    "M5&AE('%U:6-K(&)R;W=N(&9O>\"!J=6UP<R!O=F5R('1H92!L87IY(&1O9RX@\n"
    "+,#$R,S0U-C<X.2$`\n"
    "`\n"
    "end\n";
constexpr std::string_view kFox = "The quick brown fox jumps over the lazy dog. 0123456789!";

TEST(Uuencode, KnownVector) {
  const Result r = run(decode_uuencode, kFoxUu);
  EXPECT_EQ(r.out, kFox);
  EXPECT_TRUE(r.st.defects.empty());
}

TEST(Uuencode, CrlfAndSurroundingTextDropped) {
  std::string in = "Hello,\r\nsee the attachment.\r\n\r\n";
  for (char c : kFoxUu) {
    if (c == '\n') in += '\r';
    in += c;
  }
  in += "\r\n-- \r\nsignature\r\n";
  const Result r = run(decode_uuencode, in);
  EXPECT_EQ(r.out, kFox);
  EXPECT_TRUE(r.st.defects.empty());
}

TEST(Uuencode, RoundTripAndSeveralBlocks) {
  const std::string a = random_bytes(1000, 3), b = random_bytes(46, 4);
  const Result r = run(decode_uuencode, "text\n" + uuencode_block(a, "a.bin") + "more text\n" +
                                            uuencode_block(b, "b bin.dat") + "bye\n");
  EXPECT_EQ(r.out, a + b);
  EXPECT_TRUE(r.st.defects.empty());
}

TEST(Uuencode, SpacesForZeroAndStrippedTrailingSpaces) {
  // Old encoders used ' ' for zero; transports strip it at line ends: missing chars are zero.
  Result r = run(decode_uuencode, "begin 600 z\n#    \n \nend\n");
  EXPECT_EQ(r.out, std::string(3, '\0'));
  EXPECT_TRUE(r.st.defects.empty());
  r = run(decode_uuencode, "begin 600 z\n#\n`\nend\n");
  EXPECT_EQ(r.out, std::string(3, '\0'));
}

TEST(Uuencode, MissingEndAndTruncation) {
  Result r = run(decode_uuencode, "begin 644 cat.txt\n#0V%T\n");
  EXPECT_EQ(r.out, "Cat");
  EXPECT_TRUE(r.st.defects.has(Defect::invalid_uuencode));
  // Cut in the middle of a line: what is there is decoded, the missing characters are zero.
  r = run(decode_uuencode, "begin 644 cat.txt\n#0V");
  EXPECT_EQ(r.out, std::string("C`\0", 3));
  EXPECT_TRUE(r.st.defects.has(Defect::invalid_uuencode));
  // A block that runs into ordinary text ends there.
  r = run(decode_uuencode, "begin 644 cat.txt\n#0V%T\nThanks, bob\n");
  EXPECT_EQ(r.out, "Cat");
  EXPECT_TRUE(r.st.defects.has(Defect::invalid_uuencode));
  // After the zero-length line only "end" may follow.
  r = run(decode_uuencode, "begin 644 cat.txt\n#0V%T\n`\n#0V%T\n");
  EXPECT_EQ(r.out, "Cat");
  EXPECT_TRUE(r.st.defects.has(Defect::invalid_uuencode));
}

TEST(Uuencode, NoBlockAndBrokenBeginLines) {
  for (std::string_view in :
       {"", "hello\n", "begin-base6 644 x\nQUJD\n====\n", "xbegin 644 x\n#0V%T\nend\n",
        "begin abc x\n#0V%T\nend\n", "begin 64a x\n#0V%T\nend\n"}) {
    const Result r = run(decode_uuencode, in);
    EXPECT_EQ(r.out, "") << in;
    EXPECT_TRUE(r.st.defects.empty()) << in;
    EXPECT_FALSE(encoded_files_in(in).uuencoded) << in;
  }
}

TEST(Uuencode, BeginLinesAsEncodersAndPythonWriteThem) {
  // Modes of any length ("0644", "100644") and no name at all: Python's email decodes these.
  for (std::string_view begin : {"begin 644 cat.txt", "begin 0644 cat.txt", "begin 100644 c a t",
                                 "begin 7 x", "begin 644", "begin\t644\t"}) {
    const Result r = run(decode_uuencode, std::string(begin) + "\r\n#0V%T\r\n`\r\nend\r\n");
    EXPECT_EQ(r.out, "Cat") << begin;
    EXPECT_TRUE(r.st.defects.empty()) << begin;
  }
}

TEST(Uuencode, BeginBase64AsGnuUuencodeWritesIt) {
  // uuencode -m: base64 lines up to "====", here between ordinary uuencoded blocks.
  Result r =
      run(decode_uuencode, "hi\r\nbegin-base64 644 a b.txt\r\nQUJD\r\nREU=\r\n====\r\nbye\r\n" +
                               std::string(kFoxUu));
  EXPECT_EQ(r.out, "ABCDE" + std::string(kFox));
  EXPECT_TRUE(r.st.defects.empty());
  const auto blocks =
      ksmg::mime::detail::uuencoded_blocks("begin-base64 600 a b.txt\nQUJD\n====\n");
  ASSERT_EQ(blocks.size(), 1u);
  EXPECT_EQ(blocks[0].name, "a b.txt");
  r = run(decode_uuencode, "begin-base64 644 x\nQUJD\n");  // no "====": decoded, flagged
  EXPECT_EQ(r.out, "ABC");
  EXPECT_TRUE(r.st.defects.has(Defect::invalid_uuencode));
  expect_caps_are_prefixes(decode_uuencode, "begin-base64 644 x\nQUJDREVGRw==\n====\n", "ABCDEFG");
}

TEST(Uuencode, LooksUuencoded) {
  EXPECT_TRUE(encoded_files_in(kFoxUu).uuencoded);
  EXPECT_TRUE(encoded_files_in("Hi\r\nbegin 0644 my file.exe\r\nM...\r\n").uuencoded);
  EXPECT_TRUE(encoded_files_in("begin\t600\tx").uuencoded);
  EXPECT_FALSE(encoded_files_in("Let us begin 644 tests\n").uuencoded);
}

TEST(Uuencode, CapAtEveryLength) {
  expect_caps_are_prefixes(decode_uuencode, kFoxUu, kFox);
  // A one-character line claims 45 bytes: output is bounded by the cap, not the input.
  const Result r = run(decode_uuencode, "begin 644 x\nM\nM\nM\nend\n", 100);
  EXPECT_EQ(r.out, std::string(100, '\0'));
  EXPECT_TRUE(r.st.limits.has(Limit::decoded_size));
}

// ------------------------------------------------------------------------------------ yEnc

// What a yEnc encoder writes: every byte plus 42, the critical ones (NUL, LF, CR, '=') escaped
// as '=' and the byte plus 64 more, and TAB, space and '.' escaped at a line's start or end.
std::string yencode(std::string_view data, std::string_view name, std::size_t line = 128) {
  std::string out = "=ybegin line=" + std::to_string(line) +
                    " size=" + std::to_string(data.size()) + " name=" + std::string(name) + "\r\n";
  std::size_t col = 0;
  for (std::size_t i = 0; i < data.size(); ++i) {
    const auto c = static_cast<unsigned char>(static_cast<unsigned char>(data[i]) + 42);
    const bool edge = col == 0 || col + 1 >= line || i + 1 == data.size();
    if (c == 0 || c == '\n' || c == '\r' || c == '=' ||
        (edge && (c == '\t' || c == ' ' || c == '.'))) {
      out += '=';
      out += static_cast<char>(c + 64);
      col += 2;
    } else {
      out += static_cast<char>(c);
      ++col;
    }
    if (col >= line) {
      out += "\r\n";
      col = 0;
    }
  }
  if (col != 0) out += "\r\n";
  char crc[9];
  std::snprintf(
      crc, sizeof crc, "%08lx",
      crc32(0L, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size())));
  return out + "=yend size=" + std::to_string(data.size()) + " crc32=" + crc + "\r\n";
}

TEST(Yenc, RealPostDecodesToItsDeclaredSizeAndCrc) {
  // yEnc's own test post (MimeKit's test data): 584 bytes, every byte value, escapes included;
  // the decoder checks size=584 and crc32=ded29f4f itself.
  const std::string post =
      ksmg::test::read_file(ksmg::test::data_dir() / "mime" / "mimekit" / "yenc__simple.msg");
  ASSERT_TRUE(encoded_files_in(post).yencoded);
  const auto blocks = yenc_blocks(post);
  ASSERT_EQ(blocks.size(), 1u);
  EXPECT_EQ(blocks[0].name, "testfile.txt");
  const Result r = run(decode_yenc, blocks[0].text);
  EXPECT_EQ(r.out.size(), 584u);
  EXPECT_TRUE(r.st.defects.empty());
  // One byte altered in transit: the CRC no longer matches.
  std::string altered = post;
  altered[altered.find("=ybegin") + 60] ^= 1;
  EXPECT_TRUE(run(decode_yenc, altered).st.defects.has(Defect::invalid_yenc));
}

TEST(Yenc, RoundTripWithCriticalBytesAtLineEdges) {
  for (std::size_t n : {0u, 1u, 127u, 128u, 129u, 5000u}) {
    std::string data = random_bytes(n, static_cast<unsigned>(n) + 100);
    for (std::size_t i = 0; i < n; i += 7) data[i] = static_cast<char>(256 - 42 + (i % 4));
    for (std::size_t line : {2u, 64u, 128u}) {
      const Result r =
          run(decode_yenc, "text before\r\n" + yencode(data, "a b.bin", line) + "after");
      EXPECT_EQ(r.out, data) << n << " " << line;
      EXPECT_TRUE(r.st.defects.empty()) << n << " " << line;
    }
  }
}

TEST(Yenc, LfLinesNameWithSpacesAndParts) {
  std::string enc = yencode("hello", "my file.exe");
  std::string lf;
  for (char c : enc)
    if (c != '\r') lf += c;
  EXPECT_EQ(run(decode_yenc, lf).out, "hello");
  EXPECT_EQ(yenc_blocks(lf)[0].name, "my file.exe");
  // Part 2 of a multipart post: sizes are the part's, the CRC is pcrc32.
  const std::string part =
      "=ybegin part=2 total=2 line=128 size=10 name=f.bin\r\n=ypart begin=6 end=10\r\n" +
      yencode("world", "x").substr(yencode("world", "x").find("\r\n") + 2);
  std::string with_pcrc = part;
  with_pcrc.replace(with_pcrc.find("crc32="), 0, "part=2 p");
  const Result r = run(decode_yenc, with_pcrc);
  EXPECT_EQ(r.out, "world");
  EXPECT_TRUE(r.st.defects.empty());
}

TEST(Yenc, MissingEndOrWrongSizeIsADefect) {
  const std::string enc = yencode("payload", "p");
  Result r = run(decode_yenc, enc.substr(0, enc.find("=yend")));
  EXPECT_EQ(r.out, "payload");
  EXPECT_TRUE(r.st.defects.has(Defect::invalid_yenc));
  std::string wrong = enc;
  wrong.replace(wrong.find("size=7"), 6, "size=8");
  EXPECT_TRUE(run(decode_yenc, wrong).st.defects.has(Defect::invalid_yenc));
  EXPECT_FALSE(encoded_files_in("say =ybegin here\n").yencoded);
  EXPECT_FALSE(encoded_files_in("=ybeginning\n").yencoded);
  // Both kinds in one text, each found whichever comes first; a bare CR ends a line.
  const ksmg::mime::detail::EncodedFiles both =
      encoded_files_in("text\r=ybegin line=128 size=1 name=a\nbegin 644 b\n");
  EXPECT_TRUE(both.uuencoded);
  EXPECT_TRUE(both.yencoded);
  EXPECT_FALSE(encoded_files_in("=ybegin line=128 size=1 name=a\n").uuencoded);
  EXPECT_TRUE(run(decode_yenc, "no block\n").out.empty());
}

TEST(Yenc, CapAtEveryLength) {
  const std::string data = "The quick brown fox = jumps\r\n over the lazy dog";
  expect_caps_are_prefixes(decode_yenc, yencode(data, "f", 16), data);
}

// ------------------------------------------------------------------ other clients' readings

std::string other(OtherDecoding r, std::string_view in, std::size_t cap = kNoCap) {
  std::string out;
  decode_other(r, in, out, cap);
  return out;
}

TEST(OtherDecodings, Base64AsGmimeAndPythonRead) {
  // The outputs of GMime 3.2 and Python 3.11's email (get_payload(decode=True)) for each input.
  struct Case {
    std::string_view in, gmime, python;
  };
  for (const Case& c :
       {Case{"QQ==QUJD", "A", "A"}, Case{"QQ=QUJD", "A", "A\x04\x14$"}, Case{"QU=JD", "A", "ABC"},
        Case{"QUJ=D", "AB", "AB"}, Case{"QQ==\r\nQUJD\r\n", "A", "A"},
        Case{"QUJD=QUJD", "ABC", "ABCABC"}, Case{"QU|JD", "ABC", "ABC"},
        Case{"QUJDR\r\n", "ABC", "QUJDR"}, Case{"QUJD\r\nR\r\nQ", "ABC", "ABCE"}}) {
    EXPECT_EQ(other(OtherDecoding::base64_ends_at_padding, c.in), c.gmime) << c.in;
    EXPECT_EQ(other(OtherDecoding::base64_python, c.in), c.python) << c.in;
  }
  EXPECT_EQ(other(OtherDecoding::base64_python, "QUJDR", 3), "QUJ");
}

TEST(OtherDecodings, QuotedPrintableAsGmimeAndPythonRead) {
  struct Case {
    std::string_view in, gmime, python;
  };
  for (const Case& c : {Case{"abc=\r\r\ndef\r\n", "abc=\r\r\ndef\r\n", "abcdef\r\n"},
                        Case{"abc= \ndef\r\n", "abc= \ndef\r\n", "abc= \ndef\r\n"},
                        Case{"abc=\rdef\r\nghi", "abc=\rdef\r\nghi", "abcghi"},
                        Case{"abc=\r\ndef=", "abcdef", "abcdef"},
                        Case{"a=4G=3d=ZZ\r\n", "a=4G==ZZ\r\n", "a=4G==ZZ\r\n"},
                        Case{"abc =  \r\ndef\r\n", "abc =  \r\ndef\r\n", "abc =  \r\ndef\r\n"}}) {
    EXPECT_EQ(other(OtherDecoding::qp_strict, c.in), c.gmime) << c.in;
    EXPECT_EQ(other(OtherDecoding::qp_python, c.in), c.python) << c.in;
  }
}

TEST(OtherDecodings, OnlyIrregularBodiesHaveThem) {
  using ksmg::DefectSet;
  using ksmg::mime::TransferEncoding;
  using ksmg::mime::detail::other_decodings;
  EXPECT_TRUE(other_decodings(TransferEncoding::base64, DefectSet{}).empty());
  EXPECT_TRUE(other_decodings(TransferEncoding::quoted_printable, DefectSet{}).empty());
  EXPECT_FALSE(
      other_decodings(TransferEncoding::base64, run(decode_base64, "QUI===QUJD").st.defects)
          .empty());
  // A soft break with blanks or a CR after the '=' is read otherwise by GMime and Python.
  for (std::string_view qp : {"abc= \r\ndef", "abc=\r\r\ndef", "abc=\rdef\r\n"}) {
    const Result r = run(decode_quoted_printable, qp);
    EXPECT_FALSE(other_decodings(TransferEncoding::quoted_printable, r.st.defects).empty()) << qp;
  }
  EXPECT_EQ(run(decode_quoted_printable, "abc=\r\r\ndef").out, "abcdef");
}

// ------------------------------------------------------------------------------- robustness

TEST(TransferDecode, RandomInputNeverPassesTheCap) {
  std::mt19937 rng(2024);
  const std::string_view parts[] = {"QUJD",
                                    "=",
                                    "\r\n",
                                    "|",
                                    "=4",
                                    "=\r\n",
                                    "begin 644 f\n",
                                    "M",
                                    "end\n",
                                    "`\n",
                                    " ",
                                    "\xFF",
                                    "=C3",
                                    "_",
                                    "#0V%T\n",
                                    "=ybegin size=3 name=y\n",
                                    "=yend size=3\n"};
  for (int round = 0; round < 2000; ++round) {
    std::string in;
    const int n = static_cast<int>(rng() % 30);
    for (int i = 0; i < n; ++i) in += parts[rng() % std::size(parts)];
    const std::size_t cap = rng() % 80;
    for (Decoder f :
         {decode_base64, decode_quoted_printable, decode_q_word, decode_uuencode, decode_yenc}) {
      std::string out = "pre";
      const DecodeStatus st = f(in, out, cap);
      ASSERT_LE(out.size(), std::max<std::size_t>(cap, 3)) << in;
      ASSERT_EQ(out.compare(0, 3, "pre"), 0);
      // Decoding without the cap gives the same bytes, of which the capped run is a prefix.
      std::string full = "pre";
      f(in, full, kNoCap);
      ASSERT_EQ(full.compare(0, out.size(), out), 0) << in;
      ASSERT_EQ(st.limits.has(Limit::decoded_size), full.size() > out.size()) << in;
    }
  }
}

// ------------------------------------------------------------------------------------- UTF-8

TEST(Utf8, Valid) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("plain ASCII text that is longer than eight bytes"));
  EXPECT_TRUE(is_valid_utf8("Grüße, Привет, 日本語, 😀 \xF4\x8F\xBF\xBF \xEF\xBF\xBF"));
  EXPECT_TRUE(is_valid_utf8(std::string_view("nul\0inside", 10)));
}

TEST(Utf8, Invalid) {
  for (std::string_view s : {
           "\x80",
           "abc\xC3",
           "\xC0\xAF",  // lone continuation, truncated, overlong
           "\xE0\x80\xAF",
           "\xED\xA0\x80",  // overlong 3-byte, surrogate
           "\xF4\x90\x80\x80",
           "\xF5\x80\x80\x80",
           "\xFF",
           "\xC3\x28",
           "12345678\xE2\x82",
           "0123456789abcdef\xA0",
       }) {
    EXPECT_FALSE(is_valid_utf8(s)) << testing::PrintToString(s);
  }
}

}  // namespace

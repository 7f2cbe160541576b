// test_charset.cpp — ksmg::mime::to_utf8: charset labels, real samples, fallbacks, caps.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <ksmg/mime.hpp>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "ksmg/mime.hpp"

#ifndef KSMG_TEST_DATA_DIR
#error "KSMG_TEST_DATA_DIR must be defined (path of tests/data)"
#endif

namespace {

using ksmg::Defect;
using ksmg::Limit;
using ksmg::mime::Decoded;
using ksmg::mime::is_valid_utf8;
using ksmg::mime::to_utf8;

std::string read_sample(std::string_view name) {
  const std::string path =
      std::string(KSMG_TEST_DATA_DIR) + "/mime/gmime-charsets/" + std::string(name);
  std::ifstream f(path, std::ios::binary);
  EXPECT_TRUE(f.good()) << path;
  return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

void expect_clean(const Decoded& d) {
  EXPECT_TRUE(d.defects.empty()) << d.defects.bits();
  EXPECT_TRUE(d.limits.empty());
  EXPECT_TRUE(is_valid_utf8(d.data));
}

// Code points of valid UTF-8.
std::vector<char32_t> code_points(std::string_view s) {
  std::vector<char32_t> cps;
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const std::size_t n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    char32_t cp = n == 1 ? c : n == 2 ? (c & 0x1F) : n == 3 ? (c & 0x0F) : (c & 0x07);
    for (std::size_t k = 1; k < n; ++k)
      cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    cps.push_back(cp);
    i += n;
  }
  return cps;
}

// ------------------------------------------------------------------------------ real samples

TEST(CharsetSamples, CyrillicByteExact) {
  const std::string want = read_sample("cyrillic.utf-8.txt");
  ASSERT_FALSE(want.empty());
  for (auto [label, file] :
       {std::pair{"windows-1251", "cyrillic.cp1251.txt"},
        std::pair{"cp1251", "cyrillic.cp1251.txt"}, std::pair{"win-1251", "cyrillic.cp1251.txt"},
        std::pair{"ISO-8859-5", "cyrillic.iso-8859-5.txt"},
        std::pair{"koi8-r", "cyrillic.koi8-r.txt"},
        std::pair{"\"KOI8-R\"", "cyrillic.koi8-r.txt"}}) {
    const Decoded d = to_utf8(label, read_sample(file));
    EXPECT_EQ(d.data, want) << label;
    expect_clean(d);
  }
}

TEST(CharsetSamples, JapaneseByteExact) {
  const std::string want = read_sample("japanese.utf-8.txt");
  ASSERT_FALSE(want.empty());
  for (auto [label, file] : {std::pair{"iso-2022-jp", "japanese.iso-2022-jp.txt"},
                             std::pair{"ISO-2022-JP", "japanese.iso-2022-jp.txt"},
                             std::pair{"shift_jis", "japanese.shift-jis.txt"},
                             std::pair{"Shift-JIS", "japanese.shift-jis.txt"},
                             std::pair{"x-sjis", "japanese.shift-jis.txt"},
                             std::pair{"windows-31j", "japanese.shift-jis.txt"}}) {
    const Decoded d = to_utf8(label, read_sample(file));
    EXPECT_EQ(d.data, want) << label;
    expect_clean(d);
  }
}

TEST(CharsetSamples, Big5DecodesWithoutMismatch) {
  // The Big5 file lacks the Japanese-only characters of the UTF-8 file (see SOURCE.md): what
  // it decodes to must be the UTF-8 text with characters left out, in order.
  const Decoded d = to_utf8("big5", read_sample("chinese.big5.txt"));
  expect_clean(d);
  const std::vector<char32_t> got = code_points(d.data);
  const std::vector<char32_t> all = code_points(read_sample("chinese.utf-8.txt"));
  std::size_t j = 0;
  for (char32_t c : got) {
    while (j < all.size() && all[j] != c) ++j;
    ASSERT_LT(j, all.size()) << "U+" << std::hex << static_cast<unsigned>(c) << " out of order";
    ++j;
  }
  EXPECT_GT(got.size(), all.size() * 3 / 4);
  EXPECT_EQ(d.data.substr(0, 12), "基換年大");
}

TEST(CharsetSamples, FrenchWindows1252) {
  const std::string raw = read_sample("french-fable.cp1252.txt");
  for (const char* label : {"windows-1252", "iso-8859-1", "latin1", "ISO_8859-1:1987", "cp819"}) {
    const Decoded d = to_utf8(label, raw);
    expect_clean(d);
    EXPECT_TRUE(d.data.starts_with("Maître Corbeau, sur un arbre perché,\nTenait")) << label;
    EXPECT_NE(d.data.find("\xE2\x80\x99"), std::string::npos) << label;  // 0x92 is U+2019
    EXPECT_NE(d.data.find("«"), std::string::npos) << label;
  }
}

// ----------------------------------------------------------------------------------- labels

TEST(CharsetLabels, MessyNamesAndAliases) {
  const std::string koi = "\xF0\xD2\xC9\xD7\xC5\xD4";  // "Привет" in KOI8-R
  for (const char* label : {"koi8-r", " KOI8-R ", "'koi8-r'", "\"koi8-r", "koi8_r", "cskoi8r",
                            "koi8-r*ru", "x-koi8-r", "KOI8-R\t"}) {
    const Decoded d = to_utf8(label, koi);
    EXPECT_EQ(d.data, "Привет") << label;
    EXPECT_TRUE(d.defects.empty()) << label;
  }
  EXPECT_EQ(to_utf8("utf8", "é").data, "é");
  EXPECT_EQ(to_utf8("UTF-8", "é").data, "é");
  EXPECT_EQ(to_utf8("unicode-1-1-utf-8", "é").data, "é");
  EXPECT_EQ(to_utf8("cp-850", "\x82").data, "é");
  EXPECT_EQ(to_utf8("ibm850", "\x82").data, "é");
  EXPECT_EQ(to_utf8("ks_c_5601-1987", "\xC7\xD1\xB1\xB9").data, "한국");
  EXPECT_EQ(to_utf8("euc-kr", "\xC7\xD1\xB1\xB9").data, "한국");
  EXPECT_EQ(to_utf8("unicode-1-1-utf-7", "Hi +ZeVnLIqe-").data, "Hi 日本語");
  EXPECT_EQ(to_utf8("utf-7", "1 +- 1").data, "1 + 1");
  EXPECT_EQ(to_utf8("iso-8859-8-i", "\xE0\xE1").data, "אב");
  EXPECT_EQ(to_utf8("iso-8859-9", "\xFD").data, "ı");
  EXPECT_EQ(to_utf8("iso-8859-15", "\xA4").data, "€");
  EXPECT_EQ(to_utf8("windows-1250", "\x8A").data, "Š");
  EXPECT_EQ(to_utf8("macintosh", "\x8E").data, "é");
  EXPECT_EQ(to_utf8("euc-jp", "\xC6\xFC\xCB\xDC").data, "日本");
  EXPECT_EQ(to_utf8("gb18030", "\x81\x30\x81\x30").data, "\xC2\x80");
}

TEST(CharsetLabels, Gb2312ReadAsGbkSuperset) {
  // 0x8140 is GBK-only (U+4E02): browsers and mail clients read gb2312 as GBK/GB18030.
  const Decoded d = to_utf8("gb2312", "\xC4\xE3\xBA\xC3\x81\x40");
  EXPECT_EQ(d.data, "你好丂");
  EXPECT_TRUE(d.defects.empty());
}

TEST(CharsetLabels, Latin1ReadAsWindows1252) {
  Decoded d = to_utf8("iso-8859-1", "\x80 \x93quoted\x94 \x81 \xE9");
  EXPECT_EQ(d.data, "€ “quoted” \xC2\x81 é");
  EXPECT_TRUE(d.defects.empty());
  d = to_utf8("windows-1252", "\x9F");
  EXPECT_EQ(d.data, "Ÿ");
}

TEST(CharsetLabels, UserDefined) {
  const Decoded d = to_utf8("x-user-defined", "a\x80\xFF");
  EXPECT_EQ(d.data, "a\xEF\x9E\x80\xEF\x9F\xBF");  // U+F780, U+F7FF
  EXPECT_TRUE(d.defects.empty());
}

TEST(CharsetLabels, UnknownCharset) {
  Decoded d = to_utf8("x-foobar-42", "Grüße");
  EXPECT_EQ(d.data, "Grüße");
  EXPECT_TRUE(d.defects.has(Defect::unknown_charset));
  EXPECT_FALSE(d.defects.has(Defect::charset_mismatch));
  d = to_utf8("unknown-8bit",
              "Gr\xFC\xDF"
              "e \x80");
  EXPECT_EQ(d.data, "Grüße €");
  EXPECT_TRUE(d.defects.has(Defect::unknown_charset));
  EXPECT_TRUE(is_valid_utf8(d.data));
}

TEST(CharsetLabels, HostileNamesNeverReachIcuOptionsOrPaths) {
  // ICU would read ",swaplfnl" as an option and "/x/y" as a converter file path.
  for (const char* label : {"utf-8,swaplfnl", "../../../tmp/evil", "/etc/passwd", "iso-8859-1;x",
                            "utf-8 utf-8", "a very long charset name that no registry ever had"}) {
    const Decoded d = to_utf8(label, "abc\r\n");
    EXPECT_EQ(d.data, "abc\r\n") << label;
    EXPECT_TRUE(d.defects.has(Defect::unknown_charset)) << label;
  }
}

// ------------------------------------------------------------------------- ASCII and empty

TEST(CharsetAscii, PureAsciiIsCopied) {
  for (const char* label : {"", "us-ascii", "ascii", "koi8-r", "shift_jis", "windows-1251", "utf-8",
                            "iso-8859-1", "big5", "gb2312"}) {
    const Decoded d = to_utf8(label, "Hello, World!\r\n~ \\ {}");
    EXPECT_EQ(d.data, "Hello, World!\r\n~ \\ {}") << label;
    EXPECT_TRUE(d.defects.empty()) << label;
  }
}

TEST(CharsetAscii, EightBitInAsciiFallsBack) {
  for (const char* label : {"", "us-ascii", "ASCII", "ansi_x3.4-1968"}) {
    Decoded d = to_utf8(label, "Grüße");  // undeclared UTF-8
    EXPECT_EQ(d.data, "Grüße") << label;
    EXPECT_TRUE(d.defects.has(Defect::charset_mismatch)) << label;
    d = to_utf8(label,
                "Gr\xFC\xDF"
                "e");  // undeclared Latin-1
    EXPECT_EQ(d.data, "Grüße") << label;
    EXPECT_TRUE(d.defects.has(Defect::charset_mismatch)) << label;
  }
}

TEST(CharsetAscii, IsoStatefulCharsetsAreNotCopied) {
  // Pure 7-bit ISO-2022-JP still needs decoding: the escapes switch charsets.
  const Decoded d = to_utf8("iso-2022-jp", "\x1B$BF|K\\\x1B(B");
  EXPECT_EQ(d.data, "日本");
  EXPECT_TRUE(d.defects.empty());
}

// ------------------------------------------------------------------------------- mismatches

TEST(CharsetMismatch, MislabelledUtf8IsKept) {
  const Decoded d = to_utf8("iso-2022-jp", "Grüße 日本");
  EXPECT_EQ(d.data, "Grüße 日本");
  EXPECT_TRUE(d.defects.has(Defect::charset_mismatch));
}

TEST(CharsetMismatch, InvalidBytesBecomeReplacement) {
  Decoded d = to_utf8("shift_jis",
                      "ab\xA0"
                      "cd");  // 0xA0 is unassigned in windows-31j
  EXPECT_EQ(d.data,
            "ab\xEF\xBF\xBD"
            "cd");
  EXPECT_TRUE(d.defects.has(Defect::charset_mismatch));
  d = to_utf8("iso-8859-8", "\xE0\xFF");  // 0xFF is a hole in ISO-8859-8
  EXPECT_EQ(d.data, "א\xEF\xBF\xBD");
  EXPECT_TRUE(d.defects.has(Defect::charset_mismatch));
  d = to_utf8("euc-kr", "\xC7");  // truncated double-byte character
  EXPECT_EQ(d.data, "\xEF\xBF\xBD");
  EXPECT_TRUE(d.defects.has(Defect::charset_mismatch));
}

TEST(CharsetMismatch, InvalidUtf8) {
  const Decoded d = to_utf8("utf-8",
                            "a\xFF"
                            "b\xE2\x82 c\xED\xA0\x80");
  // Maximal subparts: \xE2\x82 is one U+FFFD; the surrogate \xED\xA0\x80 is three.
  EXPECT_EQ(d.data, "a\uFFFDb\uFFFD c\uFFFD\uFFFD\uFFFD");
  EXPECT_TRUE(d.defects.has(Defect::charset_mismatch));
}

// ----------------------------------------------------------------------------- UTF-16 / 32

std::string bytes(std::initializer_list<int> b) {
  std::string s;
  for (int c : b) s += static_cast<char>(c);
  return s;
}

TEST(CharsetUtf16, WithAndWithoutBom) {
  EXPECT_EQ(to_utf8("utf-16", bytes({0xFF, 0xFE, 'h', 0, 'i', 0})).data, "hi");
  EXPECT_EQ(to_utf8("utf-16", bytes({0xFE, 0xFF, 0, 'h', 0, 'i'})).data, "hi");
  EXPECT_EQ(to_utf8("utf-16", bytes({'h', 0, 'i', 0})).data, "hi");
  EXPECT_EQ(to_utf8("utf-16", bytes({0, 'h', 0, 'i'})).data, "hi");
  EXPECT_EQ(to_utf8("UTF-16LE", bytes({'h', 0, 0x3D, 0xD8, 0x00, 0xDE})).data, "h😀");
  EXPECT_EQ(to_utf8("utf-16be", bytes({0, 'h', 0x65, 0xE5})).data, "h日");
  EXPECT_EQ(to_utf8("ucs-2", bytes({0xFF, 0xFE, 0xE5, 0x65})).data, "日");
  // The BOM wins over a wrong label, as in browsers.
  EXPECT_EQ(to_utf8("utf-16be", bytes({0xFF, 0xFE, 'o', 0, 'k', 0})).data, "ok");
  const Decoded d = to_utf8("utf-16le", bytes({'o', 0, 'k', 0}));
  expect_clean(d);
}

TEST(CharsetUtf16, BrokenUnits) {
  Decoded d = to_utf8("utf-16le", bytes({'a', 0, 0x3D, 0xD8, 'b', 0}));  // lone high surrogate
  EXPECT_EQ(d.data, "a\uFFFDb");
  EXPECT_TRUE(d.defects.has(Defect::charset_mismatch));
  d = to_utf8("utf-16le", bytes({'a', 0, 0x80}));  // odd length, and not valid UTF-8
  EXPECT_EQ(d.data, "a\uFFFD");
  EXPECT_TRUE(d.defects.has(Defect::charset_mismatch));
}

TEST(CharsetUtf32, WithAndWithoutBom) {
  EXPECT_EQ(to_utf8("utf-32", bytes({0xFF, 0xFE, 0, 0, 'h', 0, 0, 0})).data, "h");
  EXPECT_EQ(to_utf8("utf-32", bytes({0, 0, 0xFE, 0xFF, 0, 0, 0, 'h'})).data, "h");
  EXPECT_EQ(to_utf8("utf-32", bytes({0, 0, 0, 'h', 0, 0x01, 0xF6, 0x00})).data, "h😀");
  EXPECT_EQ(to_utf8("utf-32le", bytes({'h', 0, 0, 0, 'i', 0, 0, 0})).data, "hi");
  EXPECT_EQ(to_utf8("UTF-32BE", bytes({0, 0, 0, 'h'})).data, "h");
  // A UTF-32LE BOM is not taken for a UTF-16LE one under a UTF-32 label.
  EXPECT_EQ(to_utf8("utf-32le", bytes({0xFF, 0xFE, 0, 0, 'h', 0, 0, 0})).data, "h");
  EXPECT_EQ(to_utf8("utf-32be", bytes({0, 0, 0xFE, 0xFF, 0, 0, 0, 'h'})).data, "h");
  EXPECT_TRUE(to_utf8("utf-32le", bytes({0xFF, 0xFE, 0, 0, 'h', 0, 0, 0})).defects.empty());
}

TEST(CharsetBom, Utf8BomWinsAndIsStripped) {
  const Decoded d = to_utf8("iso-8859-1", "\xEF\xBB\xBFGrüße");
  EXPECT_EQ(d.data, "Grüße");
  EXPECT_TRUE(d.defects.empty());
  EXPECT_EQ(to_utf8("utf-8",
                    "\xEF\xBB\xBF"
                    "abc")
                .data,
            "abc");
}

// ------------------------------------------------------------------------------------ caps

void expect_caps(std::string_view label, std::string_view in) {
  const std::string full = to_utf8(label, in).data;
  for (std::size_t cap = 0; cap <= full.size() + 1; ++cap) {
    const Decoded d = to_utf8(label, in, cap);
    ASSERT_LE(d.data.size(), cap) << label;
    EXPECT_TRUE(is_valid_utf8(d.data)) << label << " cap " << cap;
    EXPECT_EQ(full.substr(0, d.data.size()), d.data) << label;
    EXPECT_GT(d.data.size() + 4, std::min(cap, full.size())) << label;  // cut at most one char
    EXPECT_EQ(d.limits.has(Limit::decoded_size), cap < full.size()) << label << " cap " << cap;
  }
}

TEST(CharsetCaps, EveryCapCutsOnACharacterBoundary) {
  expect_caps("koi8-r", "\xF0\xD2\xC9\xD7\xC5\xD4 mir");
  expect_caps("utf-8", "Grüße 日本 😀!");
  expect_caps("utf-8", "bad \xFF utf-8 \xE2\x82");
  expect_caps("windows-1252", "caf\xE9 \x80 ok");
  expect_caps("us-ascii", "plain");
  expect_caps("us-ascii", "caf\xE9");
  expect_caps("x-unknown-charset", "caf\xE9");
  expect_caps("shift_jis", read_sample("japanese.shift-jis.txt").substr(0, 200));
  expect_caps("utf-16le", bytes({'h', 0, 0x3D, 0xD8, 0x00, 0xDE, 0xE5, 0x65, '!', 0}));
  expect_caps("x-user-defined", "a\x80\xFF");
}

TEST(CharsetCaps, LargeInputWithSmallCap) {
  const std::string koi(200000, '\xC1');  // 'а' in KOI8-R, two bytes in UTF-8
  const Decoded d = to_utf8("koi8-r", koi, 1001);
  EXPECT_EQ(d.data.size(), 1000u);
  EXPECT_TRUE(d.limits.has(Limit::decoded_size));
  const Decoded full = to_utf8("koi8-r", koi);
  EXPECT_EQ(full.data.size(), 400000u);
  EXPECT_TRUE(full.limits.empty());
}

// -------------------------------------------------------------------- robustness, threads

TEST(CharsetRobustness, RandomBytesAlwaysGiveValidUtf8) {
  std::mt19937 rng(1234);
  const char* labels[] = {"",
                          "utf-8",
                          "us-ascii",
                          "iso-8859-1",
                          "koi8-r",
                          "shift_jis",
                          "iso-2022-jp",
                          "big5",
                          "gb2312",
                          "euc-kr",
                          "utf-16",
                          "utf-16be",
                          "utf-32",
                          "utf-7",
                          "hz-gb-2312",
                          "euc-jp",
                          "x-user-defined",
                          "no-such-charset",
                          "iso-2022-kr",
                          "ibm866"};
  for (int round = 0; round < 200; ++round) {
    std::string in(rng() % 300, '\0');
    for (char& c : in) c = static_cast<char>(rng() & 0xFF);
    for (const char* label : labels) {
      const Decoded d = to_utf8(label, in, 1 + rng() % 700);
      ASSERT_TRUE(is_valid_utf8(d.data)) << label;
    }
  }
}

TEST(CharsetRobustness, CacheChurnAndThreads) {
  // More charsets than the per-thread cache holds, from several threads at once.
  const std::string koi = "\xF0\xD2\xC9\xD7\xC5\xD4";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"koi8-r", koi},
      {"windows-1251", "\xCF\xF0\xE8\xE2\xE5\xF2"},
      {"iso-8859-5", "\xBF\xE0\xD8\xD2\xD5\xE2"},
      {"ibm866", "\x8F\xE0\xA8\xA2\xA5\xE2"},
      {"x-mac-cyrillic", "\x8F\xF0\xE8\xE2\xE5\xF2"},
      {"koi8-u", koi},
      {"utf-16le", bytes({0x1F, 0x04, 0x40, 0x04, 0x38, 0x04, 0x32, 0x04, 0x35, 0x04, 0x42, 0x04})},
      {"utf-8", "Привет"},
      {"utf-7", "+BB8EQAQ4BDIENQRC-"},
      {"cp866", "\x8F\xE0\xA8\xA2\xA5\xE2"},
  };
  auto work = [&cases](int* failures) {
    for (int round = 0; round < 300; ++round)
      for (const auto& [label, in] : cases)
        if (to_utf8(label, in).data != "Привет") ++*failures;
  };
  std::vector<int> failures(4, 0);
  std::vector<std::thread> threads;
  for (int& f : failures) threads.emplace_back(work, &f);
  for (std::thread& t : threads) t.join();
  for (int f : failures) EXPECT_EQ(f, 0);
}

}  // namespace

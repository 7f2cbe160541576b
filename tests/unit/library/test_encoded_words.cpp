// test_encoded_words.cpp — ksmg::mime::decode_header_words (RFC 2047 / RFC 2231 §5).
#include <gtest/gtest.h>

#include <ksmg/mime.hpp>
#include <random>
#include <string>
#include <string_view>

#include "ksmg/mime.hpp"
#include "test_cpu_time.hpp"

namespace {

using ksmg::Defect;
using ksmg::DefectSet;
using ksmg::mime::decode_header_words;
using ksmg::mime::is_valid_utf8;

struct Words {
  std::string text;
  DefectSet defects;
};

Words decode(std::string_view v) {
  Words w;
  w.text = decode_header_words(v, &w.defects);
  return w;
}

TEST(EncodedWords, PlainTextUnchanged) {
  for (std::string_view v : {"", "Hello World", "a = b ? c", "100% =? maybe", "Grüße"}) {
    const Words w = decode(v);
    EXPECT_EQ(w.text, v);
    EXPECT_TRUE(w.defects.empty()) << v;
  }
}

TEST(EncodedWords, BaseAndQ) {
  EXPECT_EQ(decode("=?UTF-8?B?5pel5pys6Kqe?=").text, "日本語");
  EXPECT_EQ(decode("=?utf-8?b?5pel5pys6Kqe?=").text, "日本語");
  EXPECT_EQ(decode("=?iso-8859-1?q?Gr=FC=DFe_aus_Berlin?=").text, "Grüße aus Berlin");
  EXPECT_EQ(decode("=?ISO-8859-1?Q?Gr=fc=dfe?=").text, "Grüße");
  EXPECT_EQ(decode("=?koi8-r?B?8NLJ18XU?=").text, "Привет");
  EXPECT_EQ(decode("=?ISO-2022-JP?B?GyRCJDMkcyRLJEEkTxsoQg==?=").text, "こんにちは");
  EXPECT_EQ(decode("=?utf-8?q?"
                   "?=")
                .text,
            "");  // literal split: "??=" is a trigraph
  const Words w = decode("Subject: =?utf-8?Q?caf=C3=A9?= ok");
  EXPECT_EQ(w.text, "Subject: café ok");
  EXPECT_TRUE(w.defects.empty());
}

TEST(EncodedWords, QUnderscoresAreSpaces) {
  EXPECT_EQ(decode("=?us-ascii?q?a_b__c=5Fd?=").text, "a b  c_d");
}

TEST(EncodedWords, Rfc2231Language) {
  const Words w = decode("=?US-ASCII*EN?Q?Keith_Moore?=");
  EXPECT_EQ(w.text, "Keith Moore");
  EXPECT_TRUE(w.defects.empty());
}

TEST(EncodedWords, MultiByteCharacterSplitAcrossWords) {
  // Neither word is valid UTF-8 alone: the bytes are joined before conversion.
  Words w = decode("=?UTF-8?B?5pel5pw=?= =?UTF-8?B?rOiqnuODhuOCreOCueODiA==?=");
  EXPECT_EQ(w.text, "日本語テキスト");
  EXPECT_TRUE(w.defects.empty());
  w = decode("=?utf-8?q?=E6=97?=\r\n =?UTF-8?Q?=A5?=");
  EXPECT_EQ(w.text, "日");
  EXPECT_TRUE(w.defects.empty());
  // Mixed B and Q words of one charset.
  EXPECT_EQ(decode("=?utf-8?b?5pc=?= =?utf-8?q?=A5?=").text, "日");
}

TEST(EncodedWords, Base64QuantumSplitAcrossWords) {
  const Words w = decode("=?UTF-8?B?5pel5p?= =?UTF-8?B?ys6Kqe?=");
  EXPECT_EQ(w.text, "日本語");
  EXPECT_TRUE(w.defects.empty());
}

TEST(EncodedWords, WhitespaceBetweenAdjacentWordsDropped) {
  EXPECT_EQ(decode("=?utf-8?q?a?= =?utf-8?q?b?=").text, "ab");
  EXPECT_EQ(decode("=?utf-8?q?a?=\r\n\t =?utf-8?q?b?=").text, "ab");
  EXPECT_EQ(decode("=?utf-8?q?a?==?utf-8?q?b?=").text, "ab");
  EXPECT_EQ(decode("=?utf-8?q?a_?= =?utf-8?q?b?=").text, "a b");  // encoded space stays
  // Different charsets: still adjacent words.
  EXPECT_EQ(decode("=?iso-8859-1?q?=E9?= =?koi8-r?b?8NLJ18XU?=").text, "éПривет");
}

TEST(EncodedWords, WhitespaceNextToTextKept) {
  EXPECT_EQ(decode("=?utf-8?q?a?= b =?utf-8?q?c?=").text, "a b c");
  EXPECT_EQ(decode("Re: =?utf-8?q?Hallo?=  Welt").text, "Re: Hallo  Welt");
}

TEST(EncodedWords, GluedToTextAndInsideQuotes) {
  EXPECT_EQ(decode("Re:=?utf-8?q?Hallo?=World").text, "Re:HalloWorld");
  EXPECT_EQ(decode("\"=?utf-8?q?M=C3=BCller?=\" <m@example.com>").text,
            "\"Müller\" <m@example.com>");
  EXPECT_EQ(decode("\"=?utf-8?q?M=C3=BCller=2C?= Hans\" <h@example.com>").text,
            "\"Müller, Hans\" <h@example.com>");
}

TEST(EncodedWords, UnknownCharsetKeptAsIs) {
  Words w = decode("=?x-klingon?q?abc?= rest");
  EXPECT_EQ(w.text, "=?x-klingon?q?abc?= rest");
  EXPECT_TRUE(w.defects.has(Defect::invalid_encoded_word));
  // The kept word is text: the blanks around it stay.
  w = decode("=?utf-8?q?a?= =?x-bad?q?b?= =?utf-8?q?c?=");
  EXPECT_EQ(w.text, "a =?x-bad?q?b?= c");
  EXPECT_TRUE(w.defects.has(Defect::invalid_encoded_word));
}

TEST(EncodedWords, BadBase64KeptAsIs) {
  const Words w = decode("x =?utf-8?b?5pel|5pys?= y");
  EXPECT_EQ(w.text, "x =?utf-8?b?5pel|5pys?= y");
  EXPECT_TRUE(w.defects.has(Defect::invalid_encoded_word));
}

TEST(EncodedWords, SloppyButReadableWordsDecodedWithDefect) {
  Words w = decode("=?utf-8?b?QQ?=");  // padding missing
  EXPECT_EQ(w.text, "A");
  EXPECT_TRUE(w.defects.has(Defect::invalid_encoded_word));
  w = decode("=?utf-8?q?a=ZZb?=");
  EXPECT_EQ(w.text, "a=ZZb");
  EXPECT_TRUE(w.defects.has(Defect::invalid_encoded_word));
}

TEST(EncodedWords, CharsetMismatchInWord) {
  const Words w = decode("=?us-ascii?q?caf=C3=A9?=");
  EXPECT_EQ(w.text, "café");
  EXPECT_TRUE(w.defects.has(Defect::charset_mismatch));
}

TEST(EncodedWords, NotWords) {
  for (std::string_view v :
       {"=?", "=?utf-8", "=?utf-8?q?unterminated",
        "=?"
        "?q?x?=",
        "=?utf-8?x?abc?=", "=?utf-8?q?a b?=", "=?utf-8?qq?a?=", "?= =? ?=", "=?utf 8?q?a?="}) {
    const Words w = decode(v);
    EXPECT_EQ(w.text, v);
  }
}

TEST(EncodedWords, RawEightBitText) {
  Words w = decode(
      "Gr\xFC\xDF"
      "e =?utf-8?q?x?=");
  EXPECT_EQ(w.text, "Grüße x");
  w = decode("Grüße =?utf-8?q?x?=");
  EXPECT_EQ(w.text, "Grüße x");
  EXPECT_EQ(decode("caf\xE9").text, "café");
}

TEST(EncodedWords, NullDefectsPointer) {
  EXPECT_EQ(decode_header_words("=?utf-8?q?x?=", nullptr), "x");
  EXPECT_EQ(decode_header_words("=?bad?q?x?="), "=?bad?q?x?=");
}

TEST(EncodedWords, HostileInputStaysLinear) {
  // Every "=?" here starts a word whose end is never found; a naive search is quadratic.
  std::string a;
  for (int i = 0; i < 100000; ++i) a += "=?utf-8?q?A=";
  std::string b(1000000, '=');
  for (std::size_t i = 1; i < b.size(); i += 2) b[i] = '?';
  std::string c;
  for (int i = 0; i < 50000; ++i) c += "=?utf-8?q?x?=";  // 50k valid words
  const ksmg::test::CpuStopwatch cpu;
  EXPECT_EQ(decode(a).text, a);
  EXPECT_EQ(decode(b).text, b);
  EXPECT_EQ(decode(c).text, std::string(50000, 'x'));
  EXPECT_LT(cpu.seconds(), 5.0);
}

TEST(EncodedWords, OutputAlwaysValidUtf8) {
  std::mt19937 rng(99);
  const std::string_view parts[] = {
      "=?utf-8?b?", "=?koi8-r?q?", "?=",          " ",    "=C3",
      "=A9",        "5pel",        "\xFF",        "\xC3", "_",
      "=?",         "?",           "=?utf-16?b?", "AAA",  "=?iso-2022-jp?b?GyRC"};
  for (int round = 0; round < 3000; ++round) {
    std::string v;
    const int n = static_cast<int>(rng() % 12);
    for (int i = 0; i < n; ++i) v += parts[rng() % std::size(parts)];
    ASSERT_TRUE(is_valid_utf8(decode(v).text)) << v;
  }
}

}  // namespace

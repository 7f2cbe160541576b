// test_hostile.cpp — messages built to hurt a parser: each is parsed and fully decoded with no
// crash, in under a second of CPU (ten under the sanitizers), with its limit flagged and the
// structures it produced bounded by the configured limits.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "ksmg/mime.hpp"
#include "test_cpu_time.hpp"

namespace {

using ksmg::Limit;
using ksmg::ScanLimits;
using ksmg::mime::Message;

constexpr double kBudgetSeconds = KSMG_SANITIZED ? 10.0 : 1.0;

// Parses and decodes every part (text parts also to UTF-8 and HTML to text); returns the CPU
// seconds it took.
double parse_and_decode(const std::string& raw, Message* out = nullptr,
                        const ScanLimits& limits = {}) {
  const ksmg::test::CpuStopwatch cpu;
  Message m = Message::parse(raw, limits);
  std::size_t sink = 0;
  for (const auto& p : m.parts()) {
    sink += m.decode(p).data.size();
    if (p.is_text()) sink += m.text(p, true).data.size();
  }
  for (const auto& f : m.headers()) sink += f.decoded().size();
  const double s = cpu.seconds();
  EXPECT_GE(sink, 0u);
  if (out != nullptr) *out = std::move(m);
  return s;
}

TEST(Hostile, HundredThousandNestedMultiparts) {
  std::string raw;
  for (int i = 0; i < 100000; ++i)
    raw += "Content-Type: multipart/mixed; boundary=\"b" + std::to_string(i) + "\"\n\n--b" +
           std::to_string(i) + "\n";
  raw += "\ninnermost\n";
  ASSERT_GT(raw.size(), 5u << 20);
  Message m = Message::parse("");
  EXPECT_LT(parse_and_decode(raw, &m), kBudgetSeconds);
  EXPECT_TRUE(m.limits_exceeded().has(Limit::mime_depth));
  EXPECT_LE(m.parts().size(), ScanLimits{}.max_mime_depth + 1);
  // The opaque leaf at the depth limit still holds the rest, so nothing escapes scanning.
  EXPECT_TRUE(m.parts().back().is_leaf());
  EXPECT_NE(m.parts().back().body.find("innermost"), std::string_view::npos);
}

TEST(Hostile, HundredThousandNestedMessages) {
  std::string raw;
  for (int i = 0; i < 100000; ++i) raw += "Content-Type: message/rfc822\n\n";
  raw += "Subject: deep\n\nbody\n";
  Message m = Message::parse("");
  EXPECT_LT(parse_and_decode(raw, &m), kBudgetSeconds);
  EXPECT_TRUE(m.limits_exceeded().has(Limit::mime_depth));
  EXPECT_LE(m.parts().size(), ScanLimits{}.max_mime_depth + 1);
}

TEST(Hostile, EightMegabyteHeaderLine) {
  std::string raw = "Subject: " + std::string(8u << 20, 'a') + "\nX-After: yes\n\nbody";
  Message m = Message::parse("");
  EXPECT_LT(parse_and_decode(raw, &m), kBudgetSeconds);
  ASSERT_NE(m.header("subject"), nullptr);
  EXPECT_LE(m.header("subject")->raw_value.size(), ScanLimits{}.max_header_line_bytes);
  EXPECT_TRUE(m.root().limits.has(Limit::header_line_length));
  ASSERT_NE(m.header("x-after"), nullptr);
  EXPECT_EQ(m.root().body, "body");
}

TEST(Hostile, EightMegabyteFoldedHeader) {
  std::string raw = "Subject: start\n";
  for (int i = 0; i < (8 << 20) / 8; ++i) raw += " folded\n";
  raw += "\nbody";
  Message m = Message::parse("");
  EXPECT_LT(parse_and_decode(raw, &m), kBudgetSeconds);
  EXPECT_LE(m.header("subject")->raw_value.size(), ScanLimits{}.max_header_line_bytes);
  EXPECT_TRUE(m.root().limits.has(Limit::header_line_length));
  EXPECT_EQ(m.root().body, "body");
}

TEST(Hostile, MillionHeaderFields) {
  std::string raw;
  raw.reserve(10u << 20);
  for (int i = 0; i < 1000000; ++i) raw += "X-Header: value\n";
  raw += "\nbody";
  Message m = Message::parse("");
  EXPECT_LT(parse_and_decode(raw, &m), kBudgetSeconds);
  EXPECT_EQ(m.headers().size(), ScanLimits{}.max_header_fields);
  EXPECT_TRUE(m.root().limits.has(Limit::header_fields));
  EXPECT_EQ(m.root().body, "body");
}

TEST(Hostile, HundredThousandSiblingParts) {
  std::string raw = "Content-Type: multipart/mixed; boundary=B\n\n";
  for (int i = 0; i < 100000; ++i) raw += "--B\n\npart\n";
  raw += "--B--\n";
  Message m = Message::parse("");
  EXPECT_LT(parse_and_decode(raw, &m), kBudgetSeconds);
  EXPECT_EQ(m.parts().size(), ScanLimits{}.max_parts);
  EXPECT_TRUE(m.limits_exceeded().has(Limit::part_count));
}

TEST(Hostile, EightyThousandContentTypeParameters) {
  std::string raw = "Content-Type: multipart/mixed";
  for (int i = 0; i < 80000; ++i)
    raw += ";\n p" + std::to_string(i) + "*" + std::to_string(i) + "=x";
  raw += "; boundary=B\n\n--B\n\nx\n--B--\n";
  ScanLimits limits;
  limits.max_header_line_bytes = 4u << 20;  // let the whole field through to the parameter parser
  Message m = Message::parse("");
  EXPECT_LT(parse_and_decode(raw, &m, limits), kBudgetSeconds);
  // Past the cap only the structure's parameters are kept, a bounded number of them; the
  // boundary behind 80,000 decoys still opens the multipart.
  EXPECT_LE(m.root().content_type.params.size(), limits.max_content_params + 64);
  EXPECT_TRUE(m.root().limits.has(Limit::content_params));
  EXPECT_EQ(m.root().content_type.param("boundary"), "B");
  EXPECT_EQ(m.parts().size(), 2u);
}

TEST(Hostile, EightyThousandRfc2231Sections) {
  std::string raw = "Content-Type: application/octet-stream";
  for (int i = 80000; i-- > 0;) raw += "; name*" + std::to_string(i) + "*=%41";
  raw += "\n\nx";
  ScanLimits limits;
  limits.max_header_line_bytes = 4u << 20;
  limits.max_content_params = 100000;  // sections of one name are joined, in order
  Message m = Message::parse("");
  EXPECT_LT(parse_and_decode(raw, &m, limits), kBudgetSeconds);
  EXPECT_EQ(m.root().filename, std::string(80000, 'A'));
}

TEST(Hostile, MessageSizeLimitParsesThePrefix) {
  ScanLimits limits;
  limits.max_message_bytes = 1024;
  const std::string raw = "Subject: big\n\n" + std::string(1u << 20, 'x');
  const Message m = Message::parse(raw, limits);
  EXPECT_TRUE(m.limits_exceeded().has(Limit::message_size));
  EXPECT_EQ(m.root().body.size(), 1024u - 14u);
}

TEST(Hostile, DecodedSizeLimit) {
  ScanLimits limits;
  limits.max_decoded_bytes = 1000;
  std::string raw = "Content-Transfer-Encoding: base64\n\n";
  for (int i = 0; i < 1000; ++i)
    raw += "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB\n";
  const Message m = Message::parse(raw, limits);
  const auto d = m.decode(m.root());
  EXPECT_EQ(d.data.size(), 1000u);
  EXPECT_TRUE(d.limits.has(Limit::decoded_size));
}

// Every prefix of a layered message: truncation anywhere must parse and decode cleanly.
TEST(Hostile, EveryTruncation) {
  const std::string raw =
      "From: a@example.com\r\nSubject: =?UTF-8?B?0J/RgNC4?=\r\n"
      "Content-Type: multipart/mixed; boundary=\"OUT\"\r\n\r\npre\r\n"
      "--OUT\r\nContent-Type: multipart/alternative; boundary=IN\r\n\r\n"
      "--IN\r\nContent-Type: text/plain; charset=koi8-r\r\nContent-Transfer-Encoding: "
      "quoted-printable\r\n\r\n=F0=D2=C9=D7=C5=D4 soft=\r\nbreak\r\n"
      "--IN\r\nContent-Type: text/html\r\n\r\n<p>x &amp; y<!-- c --></p>\r\n--IN--\r\n"
      "--OUT\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\ninner body\r\n"
      "--OUT\r\nContent-Type: application/zip; name*0*=utf-8''%D0%B0; name*1=\".zip\"\r\n"
      "Content-Transfer-Encoding: base64\r\n\r\nUEsDBAoAAAAAAA==\r\n--OUT--\r\nepi\r\n";
  for (std::size_t n = 0; n <= raw.size(); ++n) {
    const std::string prefix = raw.substr(0, n);
    EXPECT_LT(parse_and_decode(prefix), kBudgetSeconds) << n;
  }
  Message full = Message::parse("");
  parse_and_decode(raw, &full);
  EXPECT_EQ(full.parts().size(), 7u);
  EXPECT_TRUE(full.all_defects().empty());
}

// Random bytes and random mutations of a real message: no crash, structure stays consistent.
TEST(Hostile, RandomBytesAndMutations) {
  std::mt19937_64 rng(20261122);
  const std::string base =
      "Content-Type: multipart/mixed; boundary=B\n\n--B\nContent-Type: text/plain; "
      "charset=utf-8\nContent-Transfer-Encoding: base64\n\n0J/RgNC40LLQtdGC\n--B\n"
      "Content-Type: message/rfc822\n\nContent-Type: multipart/alternative; boundary=C\n\n--C\n\n"
      "x\n--C--\n--B--\n";
  const std::string alphabet = "-\n\r:; =\"\\()<>?*'%ABbC\t\x80\xff\x00";
  for (int iter = 0; iter < 3000; ++iter) {
    std::string s = base;
    const int edits = 1 + static_cast<int>(rng() % 8);
    for (int e = 0; e < edits; ++e) {
      const std::size_t at = rng() % (s.size() + 1);
      switch (rng() % 3) {
        case 0:
          s.insert(at, 1, alphabet[rng() % alphabet.size()]);
          break;
        case 1:
          if (at < s.size()) s.erase(at, 1);
          break;
        default:
          if (at < s.size()) s[at] = static_cast<char>(rng());
          break;
      }
    }
    Message m = Message::parse("");
    parse_and_decode(s, &m);
    for (const auto& p : m.parts()) {
      ASSERT_GE(p.body.data(), s.data());
      ASSERT_LE(p.body.data() + p.body.size(), s.data() + s.size());
      if (p.parent != ksmg::mime::kNoPart) {
        ASSERT_LT(p.parent, p.index);
      }
    }
  }
  std::string noise(1u << 20, '\0');
  for (char& c : noise) c = static_cast<char>(rng());
  EXPECT_LT(parse_and_decode(noise), kBudgetSeconds);
}

}  // namespace

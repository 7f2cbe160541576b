// test_warning_wrap.cpp — the warning wrap (ksmg/mutate.hpp): the warning first, the original
// content intact as the second part, a boundary the original cannot break, hostile input survived.
#include <gtest/gtest.h>

#include <cctype>
#include <string>
#include <string_view>

#include "ksmg/mime.hpp"
#include "ksmg/mutate.hpp"

namespace {

using ksmg::mime::Message;
using ksmg::mime::Part;
using ksmg::mime::PartKind;
using ksmg::mime::TransferEncoding;
using ksmg::mutate::wrap_with_warning;

constexpr std::string_view kWarning = "Caution: this message could not be fully checked.\n";

std::string boundary_of(const ksmg::mutate::WarningWrap& w) {
  const std::size_t open = w.content_type.find('"');
  const std::size_t close = w.content_type.rfind('"');
  if (open == std::string::npos || close <= open) return {};
  return w.content_type.substr(open + 1, close - open - 1);
}

// The whole message with the warning's edits made, as the relay sends it (the wrap is the one
// wrap_with_warning() gives for the same message and warning).
std::string wrapped(std::string_view raw) {
  return *ksmg::mutate::apply(ksmg::mutate::make_plan(raw, {.warning = std::string(kWarning)}), raw)
              .message;
}

// The shape every wrapped message has: multipart/mixed at the top, the warning first.
void expect_wrapped(const Message& m) {
  const Part& root = m.root();
  ASSERT_EQ(root.kind, PartKind::multipart);
  EXPECT_EQ(root.content_type.mime_type(), "multipart/mixed");
  ASSERT_EQ(root.children.size(), 2u);
  const Part& warning = m.parts()[root.children[0]];
  EXPECT_EQ(warning.content_type.mime_type(), "text/plain");
  EXPECT_EQ(warning.charset, "utf-8");
  EXPECT_EQ(m.text(warning).data, "Caution: this message could not be fully checked.\r\n");
  ASSERT_NE(m.header("MIME-Version"), nullptr);
  EXPECT_EQ(m.header("MIME-Version")->unfolded(), "1.0");
}

TEST(WarningWrap, QuotedPrintableTextKeepsItsEncodingInside) {
  const std::string original =
      "From: a@example.com\r\n"
      "To: b@example.com\r\n"
      "Subject: hello\r\n"
      "MIME-Version: 1.0\r\n"
      "Content-Type: text/plain; charset=iso-8859-1\r\n"
      "Content-Transfer-Encoding: quoted-printable\r\n"
      "\r\n"
      "Gr=FC=DFe aus K=F6ln, a long line that is soft-=\r\n"
      "broken.\r\n";
  const Message before = Message::parse(original);
  const std::string decoded_before = before.decode(before.root()).data;
  const std::string text_before = before.text(before.root()).data;

  const auto w = wrap_with_warning(original, kWarning);
  EXPECT_TRUE(w.content_type.starts_with("multipart/mixed; boundary=\""));
  const std::string out = wrapped(original);
  const Message m = Message::parse(out);
  ASSERT_NO_FATAL_FAILURE(expect_wrapped(m));
  EXPECT_EQ(m.root().content_type.param("boundary"), boundary_of(w));
  EXPECT_EQ(m.header("Content-Transfer-Encoding"), nullptr);
  ASSERT_NE(m.header("Subject"), nullptr);
  EXPECT_EQ(m.header("Subject")->unfolded(), "hello");
  // MIME-Version was there: not added a second time.
  int versions = 0;
  for (const auto& f : m.headers()) versions += f.name == "MIME-Version";
  EXPECT_EQ(versions, 1);

  const Part& inner = m.parts()[m.root().children[1]];
  EXPECT_EQ(inner.content_type.mime_type(), "text/plain");
  EXPECT_EQ(inner.charset, "iso-8859-1");
  EXPECT_EQ(inner.transfer_encoding, TransferEncoding::quoted_printable);
  EXPECT_EQ(inner.body, before.root().body);
  EXPECT_EQ(m.decode(inner).data, decoded_before);
  EXPECT_EQ(m.text(inner).data, text_before);
}

TEST(WarningWrap, MultipartAlternativeStaysWholeAsTheSecondPart) {
  const std::string original =
      "From: a@example.com\r\n"
      "MIME-Version: 1.0\r\n"
      "Content-Type: multipart/alternative;\r\n"
      "\tboundary=\"alt-1\"\r\n"
      "\r\n"
      "--alt-1\r\n"
      "Content-Type: text/plain; charset=utf-8\r\n"
      "\r\n"
      "plain text\r\n"
      "--alt-1\r\n"
      "Content-Type: text/html; charset=utf-8\r\n"
      "\r\n"
      "<p>html text</p>\r\n"
      "--alt-1--\r\n";
  const Message m = Message::parse_owned(wrapped(original));
  ASSERT_NO_FATAL_FAILURE(expect_wrapped(m));
  const Part& alt = m.parts()[m.root().children[1]];
  EXPECT_EQ(alt.content_type.mime_type(), "multipart/alternative");
  EXPECT_EQ(alt.content_type.param("boundary"), "alt-1");
  ASSERT_EQ(alt.children.size(), 2u);
  EXPECT_EQ(m.text(m.parts()[alt.children[0]]).data, "plain text");
  EXPECT_EQ(m.parts()[alt.children[1]].content_type.mime_type(), "text/html");
  EXPECT_EQ(m.text(m.parts()[alt.children[1]]).data, "<p>html text</p>");
  // The folded field is carried inside as it was.
  ASSERT_NE(m.header(alt, "Content-Type"), nullptr);
  EXPECT_EQ(m.header(alt, "Content-Type")->raw_value,
            " multipart/alternative;\r\n\tboundary=\"alt-1\"");
  EXPECT_TRUE(m.all_defects().empty());
}

TEST(WarningWrap, PlainRfc822MessageGetsTheDefaultTypeAndMimeVersion) {
  const std::string original =
      "From: a@example.com\r\n"
      "Subject: no MIME here\r\n"
      "Content-Transfer-Encoding: 7bit\r\n"
      "\r\n"
      "Just text.\r\n";
  const std::string out = wrapped(original);
  const Message m = Message::parse(out);
  ASSERT_NO_FATAL_FAILURE(expect_wrapped(m));
  EXPECT_NE(out.find("MIME-Version: 1.0\r\nContent-Type: multipart/mixed;"), std::string::npos);
  const Part& inner = m.parts()[m.root().children[1]];
  EXPECT_TRUE(inner.content_type_explicit);
  EXPECT_EQ(inner.content_type.mime_type(), "text/plain");
  EXPECT_EQ(inner.charset, "us-ascii");
  EXPECT_EQ(inner.transfer_encoding, TransferEncoding::seven_bit);
  EXPECT_EQ(m.text(inner).data, "Just text.\r\n");
  EXPECT_EQ(m.header("Content-Transfer-Encoding"), nullptr);
}

TEST(WarningWrap, BoundaryAvoidsEveryStringOfTheOriginal) {
  const std::string plain = "Subject: x\r\n\r\nbody\r\n";
  const std::string first = boundary_of(wrap_with_warning(plain, kWarning));
  ASSERT_TRUE(first.starts_with("ksmg-warning-"));
  ASSERT_LE(first.size(), 70u);
  for (char c : first) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '-') << c;

  // The first candidate, its look-alikes and a message already wrapped once.
  std::string hostile = "Subject: x\r\nX-Note: " + first +
                        "\r\nContent-Type: text/plain\r\n\r\n--" + first + "\r\n--" + first +
                        "--\r\nksmg-warning-\r\nksmg-warning-0123\r\n";
  for (int i = 0; i < 50; ++i) hostile += "ksmg-warning-" + std::to_string(i) + "\r\n";
  const auto w = wrap_with_warning(hostile, kWarning);
  const std::string second = boundary_of(w);
  EXPECT_NE(second, first);
  EXPECT_EQ(hostile.find(second), std::string::npos);
  const std::string out = wrapped(hostile);
  const Message m = Message::parse(out);
  ASSERT_NO_FATAL_FAILURE(expect_wrapped(m));
  EXPECT_EQ(m.parts()[m.root().children[1]].body, Message::parse(hostile).root().body);

  // Wrapping the wrapped message again: the outer boundary must differ from the inner one.
  const auto again = wrap_with_warning(out, kWarning);
  EXPECT_EQ(out.find(boundary_of(again)), std::string::npos);
  const Message twice = Message::parse_owned(wrapped(out));
  ASSERT_NO_FATAL_FAILURE(expect_wrapped(twice));
  EXPECT_EQ(twice.parts()[twice.root().children[1]].content_type.mime_type(), "multipart/mixed");
}

TEST(WarningWrap, HostileInputStillGivesAMessageThatParses) {
  const std::string folded_type =
      "From: a@example.com\r\n"
      "Content-Type: text/plain;\r\n"
      " charset=\"utf-8\";\r\n"
      "\tformat=flowed\r\n"
      "Subject: after the fold\r\n"
      "\r\n"
      "folded\r\n";
  const std::string nul_and_cr =
      std::string("Subject: a\0b\rc\r\nContent-Type: text/plain\r\r\n\r\nx\0y\r", 46);
  const std::string cases[] = {
      "",
      "\r\n",
      "\n",
      "Subject: header only\r\nContent-Type: text/html\r\n",
      "Subject: header only, no line break at the end",
      "\r\nbody only, no header fields\r\n",
      "Subject: bare LF\nContent-Type: text/plain; charset=utf-8\n\nline one\nline two\n",
      " leading continuation\r\nSubject: x\r\n\r\nb",
      "Content-Type\r\n : text/plain\r\n\r\nfolded name",
      folded_type,
      nul_and_cr,
      std::string(100000, ' '),
      "Subject: x\r\nContent-Type: text/plain;" + std::string(200000, '\t') + "\r\n\r\nb",
  };
  for (const std::string& raw : cases) {
    SCOPED_TRACE(raw.substr(0, 60));
    const auto w = wrap_with_warning(raw, kWarning);
    EXPECT_EQ(raw.find(boundary_of(w)), std::string::npos);
    const std::string out = wrapped(raw);
    const Message m = Message::parse(out);
    ASSERT_NO_FATAL_FAILURE(expect_wrapped(m));
  }

  // The folded Content-Type is carried inside whole; the field after it stays at the top.
  const Message m = Message::parse_owned(wrapped(folded_type));
  const Part& inner = m.parts()[m.root().children[1]];
  ASSERT_NE(m.header(inner, "Content-Type"), nullptr);
  EXPECT_EQ(m.header(inner, "Content-Type")->raw_value,
            " text/plain;\r\n charset=\"utf-8\";\r\n\tformat=flowed");
  EXPECT_EQ(inner.content_type.param("format"), "flowed");
  ASSERT_NE(m.header("Subject"), nullptr);
  EXPECT_EQ(m.header("Subject")->unfolded(), "after the fold");
  EXPECT_EQ(m.text(inner).data, "folded\r\n");

  // Header only: the original body is empty, and so is the second part's.
  const Message header_only =
      Message::parse_owned(wrapped("Subject: h\r\nContent-Type: text/html\r\n"));
  const Part& empty = header_only.parts()[header_only.root().children[1]];
  EXPECT_EQ(empty.content_type.mime_type(), "text/html");
  EXPECT_EQ(empty.body, "");

  // Body only: no fields to move, the body arrives as it was.
  const Message body_only = Message::parse_owned(wrapped("\r\nbody only\r\n"));
  const Part& b = body_only.parts()[body_only.root().children[1]];
  EXPECT_EQ(b.content_type.mime_type(), "text/plain");
  EXPECT_EQ(b.body, "body only\r\n");

  // Bare LF: the original body is not touched, line breaks and all.
  const Message lf = Message::parse_owned(
      wrapped("Subject: bare LF\nContent-Type: text/plain; charset=utf-8\n\nline one\nline two\n"));
  ASSERT_NE(lf.header("Subject"), nullptr);
  EXPECT_EQ(lf.header("Subject")->unfolded(), "bare LF");
  EXPECT_EQ(lf.parts()[lf.root().children[1]].body, "line one\nline two\n");
}

}  // namespace

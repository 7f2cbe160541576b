// test_parser.cpp — the MIME structure parser: headers, tree, boundaries, defects, limits.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>

#include "ksmg/hash.hpp"
#include "ksmg/mime.hpp"

namespace {

using ksmg::Defect;
using ksmg::Limit;
using ksmg::mime::Message;
using ksmg::mime::Part;
using ksmg::mime::PartKind;
using ksmg::mime::TransferEncoding;

std::string crlf(std::string_view lf) {
  std::string out;
  for (char c : lf) {
    if (c == '\n') out.push_back('\r');
    out.push_back(c);
  }
  return out;
}

constexpr std::string_view kMixed =
    "From: a@example.com\n"
    "Subject: test\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/mixed; boundary=\"XX\"\n"
    "\n"
    "preamble text\n"
    "--XX\n"
    "Content-Type: text/plain; charset=utf-8\n"
    "\n"
    "hello\n"
    "--XX\n"
    "Content-Type: application/octet-stream; name=\"a.bin\"\n"
    "Content-Transfer-Encoding: base64\n"
    "\n"
    "aGVsbG8gd29ybGQ=\n"
    "--XX--\n"
    "epilogue text\n";

TEST(Parser, MultipartTreeWithPreambleAndEpilogue) {
  const Message m = Message::parse(kMixed);
  ASSERT_EQ(m.parts().size(), 3u);
  const Part& root = m.root();
  EXPECT_EQ(root.kind, PartKind::multipart);
  EXPECT_EQ(root.path, "0");
  EXPECT_EQ(root.content_type.mime_type(), "multipart/mixed");
  EXPECT_EQ(root.preamble, "preamble text");
  EXPECT_EQ(root.epilogue, "epilogue text\n");
  EXPECT_EQ(root.children, (std::vector<std::uint32_t>{1, 2}));
  const Part& text = m.parts()[1];
  EXPECT_EQ(text.path, "1");
  EXPECT_EQ(text.depth, 1u);
  EXPECT_EQ(text.charset, "utf-8");
  EXPECT_EQ(text.body, "hello");  // the line break before a boundary belongs to the boundary
  const Part& bin = m.parts()[2];
  EXPECT_EQ(bin.path, "2");
  EXPECT_EQ(bin.filename, "a.bin");
  EXPECT_EQ(bin.transfer_encoding, TransferEncoding::base64);
  EXPECT_EQ(m.decode(bin).data, "hello world");
  EXPECT_TRUE(m.all_defects().empty());
  EXPECT_TRUE(m.all_limits().empty());
}

TEST(Parser, CrlfAndBareLfGiveTheSameTree) {
  const std::string with_crlf = crlf(kMixed);
  const Message a = Message::parse(kMixed);
  const Message b = Message::parse(with_crlf);
  ASSERT_EQ(a.parts().size(), b.parts().size());
  for (std::size_t i = 0; i < a.parts().size(); ++i) {
    EXPECT_EQ(a.parts()[i].content_type.mime_type(), b.parts()[i].content_type.mime_type());
    EXPECT_EQ(a.parts()[i].path, b.parts()[i].path);
  }
  EXPECT_EQ(b.parts()[1].body, "hello");
  EXPECT_EQ(b.decode(b.parts()[2]).data, "hello world");
  EXPECT_EQ(b.header("Subject")->unfolded(), "test");
}

TEST(Parser, LeadingMboxFromLineIsSkippedAndRecorded) {
  const std::string raw =
      "From someone@example.com Mon Jan  1 00:00:00 2024\nSubject: hi\n\nbody\n";
  const Message m = Message::parse(raw);
  EXPECT_EQ(m.mbox_from(), "From someone@example.com Mon Jan  1 00:00:00 2024");
  EXPECT_TRUE(m.defects().has(Defect::mbox_from_line));
  ASSERT_NE(m.header("subject"), nullptr);
  EXPECT_EQ(m.header("subject")->unfolded(), "hi");
  EXPECT_EQ(m.root().body, "body\n");
}

TEST(Parser, FoldedHeadersKeepRawAndUnfoldedViews) {
  const std::string raw = crlf("Subject: first\n second\n\tthird\nX-A: 1\n\nbody");
  const Message m = Message::parse(raw);
  const auto* f = m.header("Subject");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->raw_value, " first\r\n second\r\n\tthird");
  EXPECT_EQ(f->unfolded(), "first second\tthird");
  EXPECT_EQ(m.headers().size(), 2u);
  EXPECT_EQ(m.root().header_block, "Subject: first\r\n second\r\n\tthird\r\nX-A: 1");
  // The header value is a view into the input: no copy of undecoded data.
  EXPECT_GE(f->raw_value.data(), raw.data());
  EXPECT_LT(f->raw_value.data(), raw.data() + raw.size());
}

TEST(Parser, EncodedWordsInSubjectAndFilename) {
  const std::string raw =
      "Subject: =?UTF-8?B?0J/RgNC40LLQtdGC?= and =?ISO-8859-1?Q?caf=E9?=\n"
      "Content-Type: application/pdf; name=\"=?UTF-8?Q?r=C3=A9sum=C3=A9.pdf?=\"\n"
      "\n"
      "x";
  const Message m = Message::parse(raw);
  EXPECT_EQ(m.header("Subject")->decoded(), "Привет and café");
  EXPECT_EQ(m.root().filename, "résumé.pdf");
}

TEST(Parser, Rfc2231ContinuationsAndCharset) {
  const std::string raw =
      "Content-Type: application/x-stuff;\n"
      " title*0*=us-ascii'en'This%20is%20even%20more%20;\n"
      " title*1*=%2A%2A%2Afun%2A%2A%2A%20;\n"
      " title*2=\"isn't it!\"\n"
      "Content-Disposition: attachment;\n"
      " filename*=UTF-8''%D0%BE%D1%82%D1%87%D1%91%D1%82.xlsm;\n"
      " filename=\"fallback.xlsm\"\n"
      "\n"
      "x";
  const Message m = Message::parse(raw);
  const Part& p = m.root();
  EXPECT_EQ(p.content_type.param("title").value_or(""), "This is even more ***fun*** isn't it!");
  EXPECT_EQ(p.disposition, "attachment");
  // The RFC 2231 form wins over the plain one, as in GMime and Thunderbird.
  EXPECT_EQ(p.filename, "отчёт.xlsm");
}

TEST(Parser, Rfc2231SectionsOutOfOrderAreSorted) {
  const std::string raw =
      "Content-Type: text/plain; name*1=\"def\"; name*0=\"abc\"; name*2=\"ghi\"\n\nx";
  const Message m = Message::parse(raw);
  EXPECT_EQ(m.root().filename, "abcdefghi");
}

TEST(Parser, DuplicateBoundaryParameterFirstWinsAndIsFlagged) {
  const std::string raw =
      "Content-Type: multipart/mixed; boundary=A; boundary=B\n\n--A\n\none\n--B\n\ntwo\n--A--\n";
  const Message m = Message::parse(raw);
  EXPECT_TRUE(m.root().defects.has(Defect::duplicate_parameter));
  ASSERT_EQ(m.parts().size(), 2u);
  EXPECT_EQ(m.parts()[1].body, "one\n--B\n\ntwo");
}

TEST(Parser, BoundaryCountsOnlyAtTheStartOfALine) {
  // mimetic splits on "--XX" in the middle of a line; RFC 2046 (and GMime, Python) do not.
  const std::string raw =
      "Content-Type: multipart/mixed; boundary=XX\n\n"
      "--XX\n\n"
      "text with --XX inside and x--XX\n"
      " --XX (indented, not a boundary)\n"
      "--XX\n\n"
      "second\n"
      "--XX--\n";
  const Message m = Message::parse(raw);
  ASSERT_EQ(m.parts().size(), 3u);
  EXPECT_EQ(m.parts()[1].body, "text with --XX inside and x--XX\n --XX (indented, not a boundary)");
  EXPECT_EQ(m.parts()[2].body, "second");
}

TEST(Parser, BoundaryLineMayHaveTrailingWhitespaceButNoOtherSuffix) {
  const std::string raw =
      "Content-Type: multipart/mixed; boundary=XX\n\n"
      "--XX \t\n\n"
      "a\n"
      "--XXtrailing\n"
      "--XX--  \n"
      "epi";
  const Message m = Message::parse(raw);
  ASSERT_EQ(m.parts().size(), 2u);
  EXPECT_EQ(m.parts()[1].body, "a\n--XXtrailing");
  EXPECT_EQ(m.root().epilogue, "epi");
}

TEST(Parser, InnerBoundaryThatExtendsTheOuterOneIsMatchedInnermostFirst) {
  const std::string raw =
      "Content-Type: multipart/mixed; boundary=\"abc\"\n\n"
      "--abc\n"
      "Content-Type: multipart/alternative; boundary=\"abc-1\"\n\n"
      "--abc-1\n\ninner one\n"
      "--abc-1\n\ninner two\n"
      "--abc-1--\n"
      "--abc\n\nouter two\n"
      "--abc--\n";
  const Message m = Message::parse(raw);
  ASSERT_EQ(m.parts().size(), 5u);
  EXPECT_EQ(m.parts()[1].content_type.subtype, "alternative");
  EXPECT_EQ(m.parts()[2].path, "1.1");
  EXPECT_EQ(m.parts()[2].body, "inner one");
  EXPECT_EQ(m.parts()[3].path, "1.2");
  EXPECT_EQ(m.parts()[3].body, "inner two");
  EXPECT_EQ(m.parts()[4].path, "2");
  EXPECT_EQ(m.parts()[4].body, "outer two");
  EXPECT_TRUE(m.all_defects().empty());
}

TEST(Parser, MissingCloseBoundaryKeepsContentAndIsADefect) {
  const std::string raw =
      "Content-Type: multipart/mixed; boundary=XX\n\n--XX\n\nfirst\n--XX\n\nlast part to the end\n";
  const Message m = Message::parse(raw);
  ASSERT_EQ(m.parts().size(), 3u);
  EXPECT_TRUE(m.root().defects.has(Defect::close_boundary_not_found));
  EXPECT_EQ(m.parts()[2].body, "last part to the end\n");
}

TEST(Parser, InnerMultipartEndedByOuterBoundary) {
  const std::string raw =
      "Content-Type: multipart/mixed; boundary=OUT\n\n"
      "--OUT\nContent-Type: multipart/alternative; boundary=IN\n\n"
      "--IN\n\ninner\n"
      "--OUT\n\nouter\n--OUT--\n";
  const Message m = Message::parse(raw);
  ASSERT_EQ(m.parts().size(), 4u);
  EXPECT_TRUE(m.parts()[1].defects.has(Defect::close_boundary_not_found));
  EXPECT_EQ(m.parts()[2].body, "inner");
  EXPECT_EQ(m.parts()[3].body, "outer");
  EXPECT_EQ(m.parts()[3].depth, 1u);
}

TEST(Parser, MultipartWithoutBoundaryIsOneLeafNotSplitAtEveryDashDash) {
  const std::string raw = "Content-Type: multipart/mixed\n\n--\nabc\n--foo\ndef\n";
  const Message m = Message::parse(raw);
  ASSERT_EQ(m.parts().size(), 1u);
  EXPECT_TRUE(m.root().is_leaf());
  EXPECT_TRUE(m.root().defects.has(Defect::multipart_without_boundary));
  EXPECT_EQ(m.decode(m.root()).data, "--\nabc\n--foo\ndef\n");
}

TEST(Parser, MultipartWhoseBoundaryNeverAppearsIsOneLeaf) {
  const std::string raw = "Content-Type: multipart/alternative; boundary=NEVER\n\nall of it\n";
  const Message m = Message::parse(raw);
  ASSERT_EQ(m.parts().size(), 1u);
  EXPECT_TRUE(m.root().is_leaf());
  EXPECT_TRUE(m.root().defects.has(Defect::start_boundary_not_found));
  EXPECT_EQ(m.root().body, "all of it\n");
}

TEST(Parser, EmbeddedMessageIsParsedAsAMessage) {
  const std::string raw =
      "Content-Type: multipart/mixed; boundary=XX\n\n"
      "--XX\n\nwrapper text\n"
      "--XX\nContent-Type: message/rfc822\n\n"
      "From: inner@example.com\nSubject: inner\nContent-Type: multipart/alternative; "
      "boundary=YY\n\n"
      "--YY\n\ninner plain\n--YY\nContent-Type: text/html\n\n<p>inner html</p>\n--YY--\n"
      "--XX--\n";
  const Message m = Message::parse(raw);
  ASSERT_EQ(m.parts().size(), 6u);
  const Part& msg = m.parts()[2];
  EXPECT_EQ(msg.kind, PartKind::message);
  EXPECT_EQ(msg.path, "2");
  const Part& inner = m.parts()[3];
  EXPECT_EQ(inner.path, "2.1");
  EXPECT_EQ(inner.depth, 2u);
  EXPECT_EQ(m.header(inner, "subject")->unfolded(), "inner");
  EXPECT_EQ(m.parts()[4].path, "2.1.1");
  EXPECT_EQ(m.parts()[4].body, "inner plain");
  EXPECT_EQ(m.parts()[5].body, "<p>inner html</p>");
  EXPECT_TRUE(msg.body.starts_with("From: inner@example.com"));
  EXPECT_TRUE(msg.body.ends_with("--YY--"));
}

TEST(Parser, MessageGlobalIsParsedLikeRfc822AndPartialStaysALeaf) {
  // RFC 6532 message/global carries UTF-8 headers; RFC 2046 message/partial is a fragment.
  const Message g =
      Message::parse("Content-Type: message/global\n\nSubject: \xd0\x9f\xd1\x80\xd0\xb8\n\nbody\n");
  ASSERT_EQ(g.parts().size(), 2u);
  EXPECT_EQ(g.root().kind, PartKind::message);
  EXPECT_EQ(g.header(g.parts()[1], "subject")->decoded(), "При");
  EXPECT_EQ(g.parts()[1].body, "body\n");
  const Message p = Message::parse(
      "Content-Type: message/partial; id=\"x\"; number=1; total=2\n\nSubject: a\n\nfrag");
  ASSERT_EQ(p.parts().size(), 1u);
  EXPECT_TRUE(p.root().is_leaf());
}

TEST(Parser, DigestChildrenDefaultToMessageRfc822) {
  const std::string raw =
      "Content-Type: multipart/digest; boundary=D\n\n"
      "--D\n\nSubject: one\n\nfirst\n"
      "--D\nContent-Type: text/plain\n\nplain\n"
      "--D--\n";
  const Message m = Message::parse(raw);
  ASSERT_EQ(m.parts().size(), 4u);
  EXPECT_EQ(m.parts()[1].content_type.mime_type(), "message/rfc822");
  EXPECT_EQ(m.parts()[1].kind, PartKind::message);
  EXPECT_EQ(m.parts()[2].body, "first");
  EXPECT_EQ(m.parts()[3].content_type.mime_type(), "text/plain");
}

TEST(Parser, EncodedEmbeddedMessageStaysALeafWithADefect) {
  const std::string raw =
      "Content-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n"
      "U3ViamVjdDogeAoKYm9keQo=\n";
  const Message m = Message::parse(raw);
  ASSERT_EQ(m.parts().size(), 1u);
  EXPECT_TRUE(m.root().is_leaf());
  EXPECT_TRUE(m.root().defects.has(Defect::transfer_encoding_on_container));
  EXPECT_EQ(m.decode(m.root()).data, "Subject: x\n\nbody\n");
}

TEST(Parser, DefaultsAndBrokenContentType) {
  const Message a = Message::parse("Subject: x\n\nbody");
  EXPECT_EQ(a.root().content_type.mime_type(), "text/plain");
  EXPECT_FALSE(a.root().content_type_explicit);
  const Message b = Message::parse("Content-Type: text; charset=koi8-r\n\nbody");
  EXPECT_EQ(b.root().content_type.mime_type(), "text/plain");
  EXPECT_TRUE(b.root().defects.has(Defect::invalid_content_type));
  EXPECT_EQ(b.root().charset, "koi8-r");
  const Message c = Message::parse("Content-Type: TEXT/HTML ; CHARSET=\"UTF-8\"\n\n<b>x</b>");
  EXPECT_EQ(c.root().content_type.mime_type(), "text/html");
  EXPECT_EQ(c.root().charset, "utf-8");
  const Message d = Message::parse("Content-Type: text/plain\nContent-Type: text/html\n\nx");
  EXPECT_EQ(d.root().content_type.mime_type(), "text/plain");
  EXPECT_TRUE(d.root().defects.has(Defect::duplicate_content_type));
}

TEST(Parser, HeaderIrregularitiesAreDefects) {
  // A stray line between fields is stepped over (GMime, MimeKit): the fields after it count.
  const Message a = Message::parse("Subject: x\nthis line has no colon\nX-Y: z\n\nbody");
  EXPECT_TRUE(a.root().defects.has(Defect::invalid_header_field));
  EXPECT_EQ(a.headers().size(), 2u);
  EXPECT_EQ(a.root().body, "body");
  // A stray line not followed by a field starts the body.
  const Message a2 = Message::parse("Subject: x\nno colon here\nmore text\n\nbody");
  EXPECT_TRUE(a2.root().defects.has(Defect::missing_header_body_separator));
  EXPECT_EQ(a2.headers().size(), 1u);
  EXPECT_EQ(a2.root().body, "no colon here\nmore text\n\nbody");
  const Message b = Message::parse(" folded first\nSubject: x\n\nbody");
  EXPECT_TRUE(b.root().defects.has(Defect::first_line_is_continuation));
  const Message c = Message::parse("Subject: caf\xc3\xa9\n\nbody");
  EXPECT_TRUE(c.root().defects.has(Defect::non_ascii_header));
  EXPECT_EQ(c.header("subject")->decoded(), "café");
  const Message d = Message::parse("Subject: \xe9t\xe9\n\nbody");  // Latin-1 in a raw header
  EXPECT_EQ(d.header("subject")->decoded(), "été");
  const Message e = Message::parse("Subject : spaced name\n\nbody");
  ASSERT_NE(e.header("subject"), nullptr);
  EXPECT_EQ(e.header("subject")->unfolded(), "spaced name");
}

TEST(Parser, FoldBetweenNameAndColonIsAField) {
  // RFC 5322 unfolds "From" CRLF " : x" to "From : x"; a scanner that misses it misses From.
  const Message m = Message::parse("From\n : <any@attack.example>\nSubject: s\n\nbody");
  ASSERT_NE(m.header("from"), nullptr);
  EXPECT_EQ(m.header("from")->unfolded(), "<any@attack.example>");
  EXPECT_EQ(m.addresses("from").at(0).address, "any@attack.example");
  EXPECT_EQ(m.header("subject")->unfolded(), "s");
  EXPECT_EQ(m.root().body, "body");
}

TEST(Parser, Utf8ByteOrderMarkBeforeHeadersIsSkipped) {
  const Message m = Message::parse("\xEF\xBB\xBFSubject: bom\nContent-Type: text/html\n\n<p>x</p>");
  EXPECT_TRUE(m.defects().has(Defect::byte_order_mark));
  EXPECT_EQ(m.header("subject")->unfolded(), "bom");
  EXPECT_EQ(m.root().content_type.mime_type(), "text/html");
}

TEST(Parser, DuplicateContentTypeFollowsTheBoundaryThatIsThere) {
  // The first field is a decoy whose boundary never appears; the second one's does.
  const std::string raw =
      "Content-Type: multipart/mixed; boundary=\"decoy\"\n"
      "Content-Type: multipart/mixed; boundary=\"real\"\n\n"
      "--real\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n"
      "aGVsbG8=\n--real--\n";
  const Message m = Message::parse(raw);
  EXPECT_TRUE(m.root().defects.has(Defect::duplicate_content_type));
  EXPECT_EQ(m.root().content_type.param("boundary").value_or(""), "real");
  ASSERT_EQ(m.parts().size(), 2u);
  EXPECT_EQ(m.decode(m.parts()[1]).data, "hello");
  // When the first field's boundary is there, the first field counts (as in Python).
  const Message first = Message::parse(
      "Content-Type: multipart/mixed; boundary=A\nContent-Type: text/plain\n\n--A\n\nx\n--A--\n");
  EXPECT_EQ(first.root().content_type.param("boundary").value_or(""), "A");
  EXPECT_EQ(first.parts().size(), 2u);
}

TEST(Parser, HeadersOnlyMessageHasAnEmptyBody) {
  const Message m = Message::parse("Subject: only headers\n");
  EXPECT_EQ(m.headers().size(), 1u);
  EXPECT_TRUE(m.root().body.empty());
  EXPECT_TRUE(m.all_defects().empty());
  const Message empty = Message::parse("");
  ASSERT_EQ(empty.parts().size(), 1u);
  EXPECT_TRUE(empty.root().body.empty());
}

TEST(Parser, TransferEncodings) {
  const Message qp = Message::parse(
      "Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: "
      "Quoted-Printable\n\n"
      "caf=E9 soft=\nbreak\n");
  EXPECT_EQ(qp.root().transfer_encoding, TransferEncoding::quoted_printable);
  EXPECT_EQ(qp.decode(qp.root()).data, "caf\xe9 softbreak\n");
  EXPECT_EQ(qp.text(qp.root()).data, "café softbreak\n");
  const Message unknown = Message::parse("Content-Transfer-Encoding: x-rot13\n\nuryyb");
  EXPECT_EQ(unknown.root().transfer_encoding, TransferEncoding::unknown);
  EXPECT_TRUE(unknown.root().defects.has(Defect::unknown_transfer_encoding));
  EXPECT_EQ(unknown.decode(unknown.root()).data, "uryyb");
  const Message uu = Message::parse(
      "Content-Transfer-Encoding: x-uuencode\n\nbegin 644 a.txt\n%:&5L;&\\`\n`\nend\n");
  EXPECT_EQ(uu.root().transfer_encoding, TransferEncoding::uuencode);
  EXPECT_EQ(uu.decode(uu.root()).data.substr(0, 4), "hell");
}

TEST(Parser, JunkInBase64IsSkippedAndReported) {
  const Message m = Message::parse("Content-Transfer-Encoding: base64\n\naGVs|bG8g!d29y\nbGQ=\n");
  const auto d = m.decode(m.root());
  EXPECT_EQ(d.data, "hello world");  // '|' is not read as 'A' (mimetic does that)
  EXPECT_TRUE(d.defects.has(Defect::invalid_base64));
}

TEST(Parser, HtmlTextOfAPart) {
  const Message m = Message::parse(
      "Content-Type: text/html; charset=utf-8\n\n"
      "<html><head><style>p{}</style></head><body><p>Hello&nbsp;<b>world</b> &amp; co</p>"
      "<script>var x=1;</script></body></html>");
  const auto t = m.text(m.root(), true);
  EXPECT_NE(t.data.find("Hello"), std::string::npos);
  EXPECT_NE(t.data.find("world & co"), std::string::npos);
  EXPECT_EQ(t.data.find("var x"), std::string::npos);
  EXPECT_EQ(t.data.find("<b>"), std::string::npos);
}

TEST(Parser, AddressHeaders) {
  const Message m = Message::parse(
      "From: \"Doe, John\" <john@example.com>\n"
      "To: =?UTF-8?Q?J=C3=BCrgen?= <j@example.de>, plain@example.org,\n"
      " old@example.net (Old Style), Team: a@x.example, b@x.example;\n"
      "Reply-To: <@relay.example:route@example.com>\n"
      "\nbody");
  const auto from = m.addresses("from");
  ASSERT_EQ(from.size(), 1u);
  EXPECT_EQ(from[0].display_name, "Doe, John");
  EXPECT_EQ(from[0].address, "john@example.com");
  const auto to = m.addresses("To");
  ASSERT_EQ(to.size(), 5u);
  EXPECT_EQ(to[0].display_name, "Jürgen");
  EXPECT_EQ(to[0].address, "j@example.de");
  EXPECT_EQ(to[1].address, "plain@example.org");
  EXPECT_EQ(to[2].address, "old@example.net");
  EXPECT_EQ(to[2].display_name, "Old Style");
  EXPECT_EQ(to[3].group, "Team");
  EXPECT_EQ(to[3].address, "a@x.example");
  EXPECT_EQ(to[4].address, "b@x.example");
  const auto reply = m.addresses("reply-to");
  ASSERT_EQ(reply.size(), 1u);
  EXPECT_EQ(reply[0].address, "route@example.com");
}

TEST(Parser, BrokenAddressListIsReadAsFarAsPossible) {
  std::vector<ksmg::mime::Address> out;
  EXPECT_FALSE(ksmg::mime::parse_address_list("\"unterminated <a@b.example", out));
  EXPECT_FALSE(ksmg::mime::parse_address_list("Name <x@y.example", out));
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(out.back().address, "x@y.example");
}

TEST(Parser, ParsedMessageIsReadableFromManyThreads) {
  const std::string raw = crlf(kMixed);
  const Message m = Message::parse(raw);
  const std::string expected = ksmg::sha256_hex(m.decode(m.parts()[2]).data);
  std::vector<std::thread> threads;
  std::atomic<int> good{0};
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i)
        if (ksmg::sha256_hex(m.decode(m.parts()[2]).data) == expected &&
            m.text(m.parts()[1]).data == "hello")
          ++good;
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(good.load(), 800);
}

TEST(Parser, OwnedBufferOutlivesTheCaller) {
  Message m = [] {
    std::string s(kMixed);
    return Message::parse_owned(std::move(s));
  }();
  EXPECT_EQ(m.parts()[1].body, "hello");
  EXPECT_EQ(m.header("subject")->unfolded(), "test");
}

}  // namespace

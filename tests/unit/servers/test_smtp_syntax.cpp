// test_smtp_syntax.cpp — the relay's SMTP syntax: command verbs, MAIL/RCPT paths and
// parameters, replies both ways, and the DATA stream (end marker, smuggling variants, limits,
// dot-stuffing as the exact inverse of the reader).
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "smtp_syntax.hpp"

namespace {

using namespace std::string_literals;
using ksmg::relay::smtp::append_dot_stuffed;
using ksmg::relay::smtp::DataReader;
using ksmg::relay::smtp::domain_of;
using ksmg::relay::smtp::format_reply;
using ksmg::relay::smtp::parse_command;
using ksmg::relay::smtp::parse_path;
using ksmg::relay::smtp::PathError;
using ksmg::relay::smtp::ReplyReader;
using ksmg::relay::smtp::Verb;

// ---- commands

TEST(SmtpCommand, VerbsAreCaseInsensitive) {
  EXPECT_EQ(parse_command("ehlo mx.example").verb, Verb::ehlo);
  EXPECT_EQ(parse_command("EhLo mx.example").verb, Verb::ehlo);
  EXPECT_EQ(parse_command("StartTLS").verb, Verb::starttls);
  EXPECT_EQ(parse_command("bdat 10 LAST").verb, Verb::bdat);
  EXPECT_EQ(parse_command("AUTH PLAIN").verb, Verb::auth);
}

TEST(SmtpCommand, EveryKnownVerbIsRecognised) {
  const std::vector<std::pair<std::string, Verb>> all = {
      {"HELO", Verb::helo}, {"EHLO", Verb::ehlo}, {"MAIL", Verb::mail},
      {"RCPT", Verb::rcpt}, {"DATA", Verb::data}, {"RSET", Verb::rset},
      {"NOOP", Verb::noop}, {"QUIT", Verb::quit}, {"VRFY", Verb::vrfy},
      {"EXPN", Verb::expn}, {"HELP", Verb::help}, {"STARTTLS", Verb::starttls},
      {"BDAT", Verb::bdat}, {"AUTH", Verb::auth}};
  for (const auto& [name, verb] : all) EXPECT_EQ(parse_command(name).verb, verb) << name;
}

TEST(SmtpCommand, ArgumentFollowsTheSeparatingSpace) {
  const auto c = parse_command("MAIL FROM:<a@b.example> SIZE=10");
  EXPECT_EQ(c.verb, Verb::mail);
  EXPECT_EQ(c.argument, "FROM:<a@b.example> SIZE=10");
}

TEST(SmtpCommand, MultipleSpacesBeforeAndAfterTheArgumentAreDropped) {
  const auto c = parse_command("RCPT   TO:<a@b.example>   ");
  EXPECT_EQ(c.verb, Verb::rcpt);
  EXPECT_EQ(c.argument, "TO:<a@b.example>");
}

TEST(SmtpCommand, DataWithTrailingSpacesIsDataWithoutArgument) {
  const auto c = parse_command("DATA   ");
  EXPECT_EQ(c.verb, Verb::data);
  EXPECT_TRUE(c.argument.empty());
}

TEST(SmtpCommand, EmptyLineIsUnknown) { EXPECT_EQ(parse_command("").verb, Verb::unknown); }

TEST(SmtpCommand, VerbGluedToItsArgumentIsUnknown) {
  EXPECT_EQ(parse_command("MAILFROM:<a@b>").verb, Verb::unknown);
  EXPECT_EQ(parse_command("MAIL:FROM:<a@b>").verb, Verb::unknown);
  EXPECT_EQ(parse_command("DATAX").verb, Verb::unknown);
}

TEST(SmtpCommand, ControlCharacterInTheVerbIsUnknown) {
  EXPECT_EQ(parse_command("DA\0TA"s).verb, Verb::unknown);
  EXPECT_EQ(parse_command("DATA\r").verb, Verb::unknown);
  EXPECT_EQ(parse_command("HELO\tx").verb, Verb::unknown);
  EXPECT_EQ(parse_command(" QUIT").verb, Verb::unknown);
}

TEST(SmtpCommand, ControlCharactersInTheArgumentArePassedThrough) {
  const auto c = parse_command("HELO a\tb\x01");
  EXPECT_EQ(c.verb, Verb::helo);
  EXPECT_EQ(c.argument, "a\tb\x01");
}

TEST(SmtpCommand, UnknownLetterVerbKeepsItsArgument) {
  const auto c = parse_command("XCLIENT ADDR=1.2.3.4");
  EXPECT_EQ(c.verb, Verb::unknown);
  EXPECT_EQ(c.argument, "ADDR=1.2.3.4");
}

// ---- paths

TEST(SmtpPath, PlainMailFrom) {
  const auto r = parse_path("FROM:<alice@example.org>", "FROM:", false);
  ASSERT_EQ(r.error, PathError::none) << r.why;
  EXPECT_EQ(r.path.address, "alice@example.org");
  EXPECT_TRUE(r.path.params.empty());
}

TEST(SmtpPath, PrefixIsCaseInsensitiveAndOneSpaceAfterColonIsTolerated) {
  EXPECT_EQ(parse_path("from:<a@b.example>", "FROM:", false).path.address, "a@b.example");
  EXPECT_EQ(parse_path("From: <a@b.example>", "FROM:", false).path.address, "a@b.example");
  EXPECT_EQ(parse_path("to: <a@b.example>", "TO:", false).path.address, "a@b.example");
}

TEST(SmtpPath, MissingPrefixIsSyntax) {
  EXPECT_EQ(parse_path("<a@b.example>", "FROM:", false).error, PathError::syntax);
  EXPECT_EQ(parse_path("TO:<a@b.example>", "FROM:", false).error, PathError::syntax);
  EXPECT_EQ(parse_path("FROM <a@b.example>", "FROM:", false).error, PathError::syntax);
}

TEST(SmtpPath, MissingAngleBracketsIsSyntax) {
  EXPECT_EQ(parse_path("FROM:a@b.example", "FROM:", false).error, PathError::syntax);
  EXPECT_EQ(parse_path("FROM:<a@b.example", "FROM:", false).error, PathError::syntax);
  EXPECT_EQ(parse_path("FROM:", "FROM:", false).error, PathError::syntax);
  EXPECT_EQ(parse_path("FROM:  <a@b.example>", "FROM:", false).error, PathError::syntax);
}

TEST(SmtpPath, JunkGluedAfterTheBracketIsSyntax) {
  EXPECT_EQ(parse_path("FROM:<a@b.example>SIZE=1", "FROM:", false).error, PathError::syntax);
}

TEST(SmtpPath, NullReversePathOnlyForFrom) {
  const auto from = parse_path("FROM:<>", "FROM:", false);
  ASSERT_EQ(from.error, PathError::none);
  EXPECT_EQ(from.path.address, "");
  EXPECT_EQ(parse_path("TO:<>", "TO:", false).error, PathError::bad_address);
}

TEST(SmtpPath, BarePostmasterOnlyForRcpt) {
  const auto to = parse_path("TO:<pOstMaster>", "TO:", false);
  ASSERT_EQ(to.error, PathError::none);
  EXPECT_EQ(to.path.address, "Postmaster");
  EXPECT_EQ(domain_of(to.path.address), "");
  EXPECT_EQ(parse_path("FROM:<Postmaster>", "FROM:", false).error, PathError::bad_address);
}

TEST(SmtpPath, AddressWithoutDomainIsBadAddress) {
  EXPECT_EQ(parse_path("TO:<alice>", "TO:", false).error, PathError::bad_address);
  EXPECT_EQ(parse_path("TO:<alice@>", "TO:", false).error, PathError::bad_address);
}

TEST(SmtpPath, QuotedLocalPartMayHoldSpacesAtAndClosingBracket) {
  const auto r = parse_path(R"(TO:<"john \"q\" doe>@x"@example.org> NOTIFY=NEVER)", "TO:", false);
  ASSERT_EQ(r.error, PathError::none) << r.why;
  EXPECT_EQ(r.path.address, R"("john \"q\" doe>@x"@example.org)");
  EXPECT_EQ(domain_of(r.path.address), "example.org");
  ASSERT_EQ(r.path.params.size(), 1u);
}

TEST(SmtpPath, UnterminatedQuotedLocalPartIsRejected) {
  EXPECT_NE(parse_path(R"(TO:<"abc@example.org>)", "TO:", false).error, PathError::none);
}

TEST(SmtpPath, BadDotStringsAreBadAddress) {
  for (const char* a : {"TO:<.a@b.example>", "TO:<a.@b.example>", "TO:<a..b@b.example>",
                        "TO:<a b@b.example>", "TO:<a(b)@b.example>", "TO:<a@b@c.example>"})
    EXPECT_EQ(parse_path(a, "TO:", false).error, PathError::bad_address) << a;
}

TEST(SmtpPath, BadDomainsAreBadAddress) {
  for (const char* a : {"TO:<a@-b.example>", "TO:<a@b-.example>", "TO:<a@b..example>",
                        "TO:<a@.example>", "TO:<a@b_c.example>", "TO:<a@.>"})
    EXPECT_EQ(parse_path(a, "TO:", false).error, PathError::bad_address) << a;
}

TEST(SmtpPath, AtextSpecialsAndTrailingDotInDomainAreAccepted) {
  const auto r = parse_path("TO:<a+b!#$%&'*/=?^_`{|}~-c@Mail.Example.ORG.>", "TO:", false);
  ASSERT_EQ(r.error, PathError::none) << r.why;
  EXPECT_EQ(domain_of(r.path.address), "mail.example.org");
}

TEST(SmtpPath, Ipv4AddressLiteral) {
  const auto r = parse_path("TO:<a@[192.0.2.1]>", "TO:", false);
  ASSERT_EQ(r.error, PathError::none) << r.why;
  EXPECT_EQ(domain_of(r.path.address), "[192.0.2.1]");
  EXPECT_EQ(parse_path("TO:<a@[192.0.2.256]>", "TO:", false).error, PathError::bad_address);
  EXPECT_EQ(parse_path("TO:<a@[192.0.2]>", "TO:", false).error, PathError::bad_address);
  EXPECT_EQ(parse_path("TO:<a@[192.0.2.1>", "TO:", false).error, PathError::bad_address);
}

TEST(SmtpPath, Ipv6AddressLiteral) {
  for (const char* a : {"TO:<a@[IPv6:2001:db8::1]>", "TO:<a@[ipv6:::1]>",
                        "TO:<a@[IPv6:2001:db8:0:0:0:0:0:1]>", "TO:<a@[IPv6:::ffff:192.0.2.1]>"})
    EXPECT_EQ(parse_path(a, "TO:", false).error, PathError::none) << a;
  EXPECT_EQ(domain_of("a@[IPv6:2001:DB8::1]"), "[ipv6:2001:db8::1]");
}

TEST(SmtpPath, MalformedOrUntaggedIpv6LiteralIsBadAddress) {
  for (const char* a :
       {"TO:<a@[2001:db8::1]>", "TO:<a@[IPv6:2001:db8:::1]>", "TO:<a@[IPv6:fe80::1%eth0]>",
        "TO:<a@[IPv6:12345::1]>", "TO:<a@[x400:foo]>"})
    EXPECT_EQ(parse_path(a, "TO:", false).error, PathError::bad_address) << a;
}

TEST(SmtpPath, SourceRouteIsAcceptedAndDropped) {
  const auto r = parse_path("TO:<@relay1.example,@relay2.example:user@dest.example>", "TO:", false);
  ASSERT_EQ(r.error, PathError::none) << r.why;
  EXPECT_EQ(r.path.address, "user@dest.example");
}

TEST(SmtpPath, MalformedSourceRouteIsBadAddress) {
  EXPECT_EQ(parse_path("TO:<@relay1.example user@d.example>", "TO:", false).error,
            PathError::bad_address);
  EXPECT_EQ(parse_path("TO:<@relay1.example,relay2:user@d.example>", "TO:", false).error,
            PathError::bad_address);
  EXPECT_EQ(parse_path("TO:<@:user@d.example>", "TO:", false).error, PathError::bad_address);
}

TEST(SmtpPath, Utf8MailboxNeedsAllowUtf8OnRcpt) {
  const std::string arg =
      "TO:<j\xC3\xB6rg@b\xC3\xBC"
      "cher.example>";
  EXPECT_EQ(parse_path(arg, "TO:", false).error, PathError::bad_address);
  const auto r = parse_path(arg, "TO:", true);
  ASSERT_EQ(r.error, PathError::none) << r.why;
  EXPECT_EQ(r.path.address,
            "j\xC3\xB6rg@b\xC3\xBC"
            "cher.example");
  EXPECT_EQ(domain_of(r.path.address),
            "b\xC3\xBC"
            "cher.example");
}

TEST(SmtpPath, WhyNamesSmtputf8OnlyForNonAscii) {
  EXPECT_NE(parse_path("TO:<j\xC3\xB6rg@example.org>", "TO:", false).why.find("SMTPUTF8"),
            std::string_view::npos);
  EXPECT_EQ(parse_path("TO:<a..b@example.org>", "TO:", false).why.find("SMTPUTF8"),
            std::string_view::npos);
}

TEST(SmtpPath, Utf8MailFromNeedsItsOwnSmtputf8Parameter) {
  const std::string with = "FROM:<j\xC3\xB6rg@example.org> SMTPUTF8";
  const std::string without = "FROM:<j\xC3\xB6rg@example.org> BODY=8BITMIME";
  EXPECT_EQ(parse_path(with, "FROM:", true).error, PathError::none);
  EXPECT_EQ(parse_path(with, "FROM:", false).error, PathError::bad_address);
  EXPECT_EQ(parse_path(without, "FROM:", true).error, PathError::bad_address);
}

TEST(SmtpPath, IllFormedUtf8IsRejectedEvenWithAllowUtf8) {
  for (const std::string& bad : {"\xC3"s, "\xC0\xAF"s /* overlong '/' */, "\xED\xA0\x80"s,
                                 "\xF4\x90\x80\x80"s, "\x80"s, "\xFF"s}) {
    const std::string arg = "TO:<a" + bad + "b@example.org>";
    EXPECT_EQ(parse_path(arg, "TO:", true).error, PathError::bad_address);
  }
}

TEST(SmtpPath, LocalPartOf64IsAcceptedAnd65IsBadAddress) {
  const std::string l64(64, 'a');
  EXPECT_EQ(parse_path("TO:<" + l64 + "@example.org>", "TO:", false).error, PathError::none);
  const auto r = parse_path("TO:<" + l64 + "a@example.org>", "TO:", false);
  EXPECT_EQ(r.error, PathError::bad_address);
  EXPECT_FALSE(r.why.empty());
}

TEST(SmtpPath, QuotedLocalPartOver64IsBadAddress) {
  const std::string quoted = "\"" + std::string(63, 'a') + "\"";  // 65 octets with the quotes
  EXPECT_EQ(parse_path("TO:<" + quoted + "@example.org>", "TO:", false).error,
            PathError::bad_address);
}

TEST(SmtpPath, PathOver256OctetsIsBadAddress) {
  // 2 brackets + 64 + "@" + 189 = 256: accepted; one more domain octet: refused.
  const std::string domain =
      std::string(63, 'a') + "." + std::string(62, 'b') + "." + std::string(62, 'c');
  ASSERT_EQ(domain.size(), 189u);
  const std::string local(64, 'l');
  ASSERT_EQ(parse_path("TO:<" + local + "@" + domain + ">", "TO:", false).error, PathError::none);
  EXPECT_EQ(parse_path("TO:<" + local + "@" + domain + "e>", "TO:", false).error,
            PathError::bad_address);
}

TEST(SmtpPath, DomainLabelOver63IsBadAddress) {
  EXPECT_EQ(parse_path("TO:<a@" + std::string(64, 'x') + ".example>", "TO:", false).error,
            PathError::bad_address);
}

TEST(SmtpPath, ParamsWithAndWithoutValuesKeywordUppercased) {
  const auto r =
      parse_path("FROM:<a@b.example> size=12345 body=8BITMIME  smtputf8 ret=HDRS", "FROM:", false);
  ASSERT_EQ(r.error, PathError::none) << r.why;
  const std::vector<std::pair<std::string, std::string>> want = {
      {"SIZE", "12345"}, {"BODY", "8BITMIME"}, {"SMTPUTF8", ""}, {"RET", "HDRS"}};
  EXPECT_EQ(r.path.params, want);
}

TEST(SmtpPath, ParamValueKeepsItsCaseAndXtext) {
  const auto r = parse_path("TO:<a@b.example> ORCPT=rfc822;Bob+2Bx@B.example", "TO:", false);
  ASSERT_EQ(r.error, PathError::none);
  ASSERT_EQ(r.path.params.size(), 1u);
  EXPECT_EQ(r.path.params[0].second, "rfc822;Bob+2Bx@B.example");
}

TEST(SmtpPath, UnknownParamsAreReturnedNotJudged) {
  const auto r = parse_path("FROM:<a@b.example> X-FOO=1 XYZZY", "FROM:", false);
  ASSERT_EQ(r.error, PathError::none);
  EXPECT_EQ(r.path.params.size(), 2u);
}

TEST(SmtpPath, BadKeywordIsBadParam) {
  for (const char* a : {"FROM:<a@b.example> -SIZE=1", "FROM:<a@b.example> SI_ZE=1",
                        "FROM:<a@b.example> =1", "FROM:<a@b.example> SIZE\x01"})
    EXPECT_EQ(parse_path(a, "FROM:", false).error, PathError::bad_param) << a;
}

TEST(SmtpPath, BadValueIsBadParam) {
  EXPECT_EQ(parse_path("FROM:<a@b.example> SIZE=", "FROM:", false).error, PathError::bad_param);
  EXPECT_EQ(parse_path("FROM:<a@b.example> A=b=c", "FROM:", false).error, PathError::bad_param);
  EXPECT_EQ(parse_path("FROM:<a@b.example> A=b\tc", "FROM:", false).error, PathError::bad_param);
  EXPECT_EQ(parse_path("FROM:<a@b.example> A=\xC3\xA9", "FROM:", false).error,
            PathError::bad_param);
}

TEST(SmtpPath, Utf8ParamValueNeedsSmtputf8) {
  EXPECT_EQ(parse_path("FROM:<a@b.example> SMTPUTF8 A=\xC3\xA9", "FROM:", true).error,
            PathError::none);
  EXPECT_EQ(parse_path("TO:<a@b.example> ORCPT=utf-8;\xC3\xA9@x", "TO:", true).error,
            PathError::none);
}

TEST(SmtpPath, ControlCharactersInTheMailboxAreBadAddress) {
  EXPECT_EQ(parse_path("TO:<a\r\nb@example.org>", "TO:", false).error, PathError::bad_address);
  EXPECT_EQ(parse_path("TO:<a@exam\x00ple.org>"s, "TO:", false).error, PathError::bad_address);
  EXPECT_EQ(parse_path("TO:<\"a\x01\"@example.org>", "TO:", false).error, PathError::bad_address);
}

TEST(SmtpDomainOf, LowercasesAsciiAndDropsTrailingDot) {
  EXPECT_EQ(domain_of("Alice@Example.ORG."), "example.org");
  EXPECT_EQ(domain_of(""), "");
  EXPECT_EQ(domain_of("Postmaster"), "");
  EXPECT_EQ(domain_of("\"a@b\"@Host.Example"), "host.example");
  EXPECT_EQ(domain_of("a@B\xC3\x9C.example"), "b\xC3\x9C.example");
}

// ---- format_reply

TEST(SmtpFormatReply, SingleLineWithEnhancedCode) {
  EXPECT_EQ(format_reply(250, "2.0.0", "Ok"), "250 2.0.0 Ok\r\n");
  EXPECT_EQ(format_reply(354, "", "End data with <CR><LF>.<CR><LF>"),
            "354 End data with <CR><LF>.<CR><LF>\r\n");
}

TEST(SmtpFormatReply, EmptyTextGivesCodeAndStatusOnly) {
  EXPECT_EQ(format_reply(250, "2.0.0", ""), "250 2.0.0\r\n");
  EXPECT_EQ(format_reply(221, "", ""), "221\r\n");
  EXPECT_EQ(format_reply(221, "", std::vector<std::string>{}), "221\r\n");
}

TEST(SmtpFormatReply, MultiLineUsesDashContinuation) {
  EXPECT_EQ(format_reply(250, "", std::vector<std::string>{"mx.example", "PIPELINING", "SIZE 10"}),
            "250-mx.example\r\n250-PIPELINING\r\n250 SIZE 10\r\n");
  EXPECT_EQ(format_reply(550, "5.7.1", std::vector<std::string>{"a", "b"}),
            "550-5.7.1 a\r\n550 5.7.1 b\r\n");
}

TEST(SmtpFormatReply, ControlCharactersCannotEndTheReplyEarly) {
  const std::string r = format_reply(250, "", "hi\r\n250 fake\0x\x7f\t"s);
  EXPECT_EQ(r, "250 hi  250 fake x  \r\n");
}

TEST(SmtpFormatReply, LongLinesAreCutTo512WithCrlf) {
  const std::string r = format_reply(550, "5.7.1", std::string(2000, 'x'));
  EXPECT_EQ(r.size(), 512u);
  EXPECT_EQ(r.substr(0, 10), "550 5.7.1 ");
  EXPECT_EQ(r.substr(510), "\r\n");
}

TEST(SmtpFormatReply, CutNeverSplitsAUtf8Character) {
  std::string text;
  while (text.size() < 1000) text += "\xE2\x82\xAC";  // 3-byte euro signs
  const std::string r = format_reply(250, "", text);
  ASSERT_LE(r.size(), 512u);
  const std::string body = r.substr(4, r.size() - 6);
  EXPECT_EQ(body.size() % 3, 0u);
}

TEST(SmtpFormatReply, OutOfRangeCodeBecomes451) {
  EXPECT_EQ(format_reply(42, "", "x"), "451 x\r\n");
  EXPECT_EQ(format_reply(1000, "", "x"), "451 x\r\n");
}

// ---- ReplyReader

TEST(SmtpReplyReader, SingleLineWithEnhancedCode) {
  ReplyReader r;
  EXPECT_EQ(r.take("250 2.1.0 Sender ok"), ReplyReader::State::done);
  EXPECT_EQ(r.reply().code, 250);
  EXPECT_EQ(r.reply().enhanced, "2.1.0");
  EXPECT_EQ(r.reply().lines, std::vector<std::string>{"Sender ok"});
}

TEST(SmtpReplyReader, MultiLineEhloWithoutEnhancedCode) {
  ReplyReader r;
  EXPECT_EQ(r.take("250-mx.example Hello"), ReplyReader::State::more);
  EXPECT_EQ(r.take("250-PIPELINING"), ReplyReader::State::more);
  EXPECT_EQ(r.take("250 8BITMIME"), ReplyReader::State::done);
  EXPECT_EQ(r.reply().enhanced, "");
  EXPECT_EQ(r.reply().lines,
            (std::vector<std::string>{"mx.example Hello", "PIPELINING", "8BITMIME"}));
}

TEST(SmtpReplyReader, EnhancedCodeRepeatedOnLaterLinesIsStripped) {
  ReplyReader r;
  EXPECT_EQ(r.take("550-5.7.1 first"), ReplyReader::State::more);
  EXPECT_EQ(r.take("550-5.7.1"), ReplyReader::State::more);
  EXPECT_EQ(r.take("550 5.7.1 last"), ReplyReader::State::done);
  EXPECT_EQ(r.reply().enhanced, "5.7.1");
  EXPECT_EQ(r.reply().lines, (std::vector<std::string>{"first", "", "last"}));
}

TEST(SmtpReplyReader, EnhancedCodeOfAnotherClassIsText) {
  ReplyReader r;
  EXPECT_EQ(r.take("250 5.0.0 odd"), ReplyReader::State::done);
  EXPECT_EQ(r.reply().enhanced, "");
  EXPECT_EQ(r.reply().lines, std::vector<std::string>{"5.0.0 odd"});
}

TEST(SmtpReplyReader, VersionNumberIsNotAnEnhancedCode) {
  ReplyReader r;
  EXPECT_EQ(r.take("220 2.0.0.1 ESMTP"), ReplyReader::State::done);
  EXPECT_EQ(r.reply().enhanced, "");
  ReplyReader s;
  EXPECT_EQ(s.take("250 2.1234.0 x"), ReplyReader::State::done);
  EXPECT_EQ(s.reply().enhanced, "");
}

TEST(SmtpReplyReader, BareCodeEndsTheReply) {
  ReplyReader r;
  EXPECT_EQ(r.take("354"), ReplyReader::State::done);
  EXPECT_EQ(r.reply().code, 354);
  EXPECT_EQ(r.reply().lines, std::vector<std::string>{""});
}

TEST(SmtpReplyReader, MalformedLines) {
  for (const char* line :
       {"", "25", "250x", "abc def", "25a ok", "650 nope", "150 old", "2500 x"}) {
    ReplyReader r;
    EXPECT_EQ(r.take(line), ReplyReader::State::malformed) << line;
  }
}

TEST(SmtpReplyReader, CodeChangingMidReplyIsMalformed) {
  ReplyReader r;
  EXPECT_EQ(r.take("250-a"), ReplyReader::State::more);
  EXPECT_EQ(r.take("251 b"), ReplyReader::State::malformed);
}

TEST(SmtpReplyReader, TooManyLinesIsMalformed) {
  ReplyReader r(3);
  EXPECT_EQ(r.take("250-a"), ReplyReader::State::more);
  EXPECT_EQ(r.take("250-b"), ReplyReader::State::more);
  EXPECT_EQ(r.take("250-c"), ReplyReader::State::more);
  EXPECT_EQ(r.take("250 d"), ReplyReader::State::malformed);
  EXPECT_EQ(r.reply().lines.size(), 3u);
}

TEST(SmtpReplyReader, LineAfterDoneIsMalformedUntilReset) {
  ReplyReader r;
  EXPECT_EQ(r.take("250 ok"), ReplyReader::State::done);
  EXPECT_EQ(r.take("250 again"), ReplyReader::State::malformed);
  EXPECT_EQ(r.reply().lines.size(), 1u);
  r.reset();
  EXPECT_EQ(r.reply().code, 0);
  EXPECT_EQ(r.take("221 2.0.0 bye"), ReplyReader::State::done);
  EXPECT_EQ(r.reply().code, 221);
}

TEST(SmtpReplyReader, ReadsWhatFormatReplyWrites) {
  const std::string wire =
      format_reply(451, "4.3.0", std::vector<std::string>{"try", "again\r\nlater"});
  ReplyReader r;
  ReplyReader::State state = ReplyReader::State::more;
  std::string_view rest = wire;
  while (!rest.empty()) {
    const auto end = rest.find("\r\n");
    ASSERT_NE(end, std::string_view::npos);
    state = r.take(rest.substr(0, end));
    rest.remove_prefix(end + 2);
  }
  EXPECT_EQ(state, ReplyReader::State::done);
  EXPECT_EQ(r.reply().code, 451);
  EXPECT_EQ(r.reply().enhanced, "4.3.0");
  EXPECT_EQ(r.reply().lines, (std::vector<std::string>{"try", "again  later"}));
}

// ---- DataReader

struct Read {
  std::string message;
  std::size_t consumed = 0;
  bool finished = false;
  bool too_big = false;
  std::size_t bare_lf = 0;
  std::size_t bare_cr = 0;
  std::size_t total = 0;
};

Read read_all(std::string_view wire, std::size_t max = 1 << 20) {
  DataReader d(max);
  Read r;
  r.consumed = d.feed(wire);
  r.finished = d.finished();
  r.too_big = d.too_big();
  r.bare_lf = d.bare_lf();
  r.bare_cr = d.bare_cr();
  r.total = d.total_bytes();
  r.message = d.message();
  return r;
}

TEST(SmtpDataReader, SimpleMessageEndsAtCrlfDotCrlf) {
  const auto r = read_all("Subject: x\r\n\r\nbody\r\n.\r\n");
  EXPECT_TRUE(r.finished);
  EXPECT_EQ(r.message, "Subject: x\r\n\r\nbody\r\n");
  EXPECT_EQ(r.total, r.message.size());
  EXPECT_EQ(r.bare_lf, 0u);
  EXPECT_EQ(r.bare_cr, 0u);
}

TEST(SmtpDataReader, EmptyMessageIsJustTheEndMarker) {
  const auto r = read_all(".\r\n");
  EXPECT_TRUE(r.finished);
  EXPECT_EQ(r.message, "");
  EXPECT_EQ(r.consumed, 3u);
}

TEST(SmtpDataReader, StuffedDotsAreRemoved) {
  const auto r = read_all("..leading\r\n...\r\n..\r\nmid.dle\r\n.\r\n");
  EXPECT_TRUE(r.finished);
  EXPECT_EQ(r.message, ".leading\r\n..\r\n.\r\nmid.dle\r\n");
}

TEST(SmtpDataReader, BareLfIsCountedAndStoredAsCrlf) {
  const auto r = read_all("a\nb\r\n\n.\r\n");
  EXPECT_FALSE(r.finished);  // the "." follows a bare-LF line
  EXPECT_EQ(r.bare_lf, 2u);
  EXPECT_EQ(r.message, "a\r\nb\r\n\r\n.\r\n");
}

TEST(SmtpDataReader, BareLfDotLineIsNotTheEnd) {
  // "\r\n.\n": a "." line ended by a bare LF.
  DataReader d(1 << 20);
  EXPECT_EQ(d.feed("hello\r\n.\nmore\r\n"), 15u);
  EXPECT_FALSE(d.finished());
  EXPECT_EQ(d.bare_lf(), 1u);
  d.feed(".\r\n");
  EXPECT_TRUE(d.finished());
  EXPECT_EQ(d.message(), "hello\r\n.\r\nmore\r\n");
}

TEST(SmtpDataReader, DotCrlfAfterBareLfLineIsNotTheEnd) {
  // "\n.\r\n": the line before the "." ended with a bare LF.
  DataReader d(1 << 20);
  d.feed("hello\n.\r\n");
  EXPECT_FALSE(d.finished());
  d.feed("after\r\n.\r\n");
  EXPECT_TRUE(d.finished());
  EXPECT_EQ(d.message(), "hello\r\n.\r\nafter\r\n");
}

TEST(SmtpDataReader, BareCrDotIsNotTheEnd) {
  // "\r.\r\n": the line "<CR>." is not the end marker; its bare CR is stored as CRLF, so the
  // "." becomes a line of its own, which append_dot_stuffed stuffs.
  DataReader d(1 << 20);
  d.feed("hello\r.\r\n");
  EXPECT_FALSE(d.finished());
  d.feed("x\r\n.\r\n");
  EXPECT_TRUE(d.finished());
  EXPECT_EQ(d.message(), "hello\r\n.\r\nx\r\n");
  EXPECT_EQ(d.bare_lf(), 0u);
  EXPECT_EQ(d.bare_cr(), 1u);
  std::string wire;
  append_dot_stuffed(wire, d.message());
  EXPECT_EQ(wire, "hello\r\n..\r\nx\r\n.\r\n");
}

TEST(SmtpDataReader, BareCrIsCountedAndStoredAsCrlf) {
  // Like Postfix's smtpd_forbid_bare_newline = normalize, for CR as well as LF: the scanner
  // and the next hop read the same lines, whatever line ends each of them would have taken.
  const auto r = read_all("a\rb\r\rc\r\r\nd\r\r\r\n\r\n.\r\n");
  EXPECT_TRUE(r.finished);
  EXPECT_EQ(r.message, "a\r\nb\r\n\r\nc\r\n\r\nd\r\n\r\n\r\n\r\n");
  EXPECT_EQ(r.bare_lf, 0u);
  EXPECT_EQ(r.bare_cr, 6u);
  EXPECT_EQ(r.total, r.message.size());
}

TEST(SmtpDataReader, DotBareCrAtLineStartIsText) {
  const auto r = read_all("\r\n.\r.\r\n.\r\n");
  EXPECT_TRUE(r.finished);
  EXPECT_EQ(r.message, "\r\n\r\n.\r\n");
}

TEST(SmtpDataReader, NoEndMarkerMeansNotFinished) {
  const auto r = read_all("line\r\n.\n\n.\r");
  EXPECT_FALSE(r.finished);
  EXPECT_EQ(r.consumed, 11u);
}

TEST(SmtpDataReader, PipelinedBytesAfterTheEndAreNotConsumed) {
  const std::string wire = "body\r\n.\r\nQUIT\r\n";
  DataReader d(1 << 20);
  EXPECT_EQ(d.feed(wire), 9u);
  EXPECT_TRUE(d.finished());
  EXPECT_EQ(d.message(), "body\r\n");
  EXPECT_EQ(d.feed("more"), 0u);
  EXPECT_EQ(d.message(), "body\r\n");
}

TEST(SmtpDataReader, EveryTwoChunkSplitGivesTheSameResult) {
  const std::string wire = "A: b\r\n\r\n..x\r\n.\n\r\n.\r\r\n\r.\r\n\n.\r\n.y\r\nend\r\n.\r\nNEXT";
  const auto whole = read_all(wire);
  ASSERT_TRUE(whole.finished);
  ASSERT_EQ(wire.substr(whole.consumed), "NEXT");
  for (std::size_t cut = 0; cut <= wire.size(); ++cut) {
    DataReader d(1 << 20);
    std::size_t consumed = d.feed(std::string_view(wire).substr(0, cut));
    if (!d.finished()) consumed += d.feed(std::string_view(wire).substr(cut));
    EXPECT_TRUE(d.finished()) << cut;
    EXPECT_EQ(consumed, whole.consumed) << cut;
    EXPECT_EQ(d.message(), whole.message) << cut;
    EXPECT_EQ(d.bare_lf(), whole.bare_lf) << cut;
    EXPECT_EQ(d.bare_cr(), whole.bare_cr) << cut;
  }
}

TEST(SmtpDataReader, ByteAtATimeGivesTheSameResult) {
  const std::string wire = "x\r\n..\r\n.\n\r\n.\r\r\n\r.\r\n.\r\nrest";
  const auto whole = read_all(wire);
  DataReader d(1 << 20);
  std::size_t consumed = 0;
  for (std::size_t i = 0; i < wire.size() && !d.finished(); ++i)
    consumed += d.feed(std::string_view(wire).substr(i, 1));
  EXPECT_TRUE(d.finished());
  EXPECT_EQ(consumed, whole.consumed);
  EXPECT_EQ(d.message(), whole.message);
  EXPECT_EQ(d.bare_cr(), whole.bare_cr);
}

TEST(SmtpDataReader, EndMarkerSplitBetweenCrAndLf) {
  DataReader d(1 << 20);
  EXPECT_EQ(d.feed("a\r"), 2u);
  EXPECT_EQ(d.feed("\n.\r"), 3u);
  EXPECT_FALSE(d.finished());
  EXPECT_EQ(d.feed("\nX"), 1u);
  EXPECT_TRUE(d.finished());
  EXPECT_EQ(d.message(), "a\r\n");
}

TEST(SmtpDataReader, MessageOfExactlyMaxBytesFits) {
  const auto r = read_all("12345678\r\n.\r\n", 10);
  EXPECT_TRUE(r.finished);
  EXPECT_FALSE(r.too_big);
  EXPECT_EQ(r.message, "12345678\r\n");
}

TEST(SmtpDataReader, OneByteOverMaxIsTooBigAndReadToTheEnd) {
  const auto r = read_all("123456789\r\n.\r\nQUIT\r\n", 10);
  EXPECT_TRUE(r.finished);
  EXPECT_TRUE(r.too_big);
  EXPECT_EQ(r.message, "");
  EXPECT_EQ(r.total, 11u);
  EXPECT_EQ(r.consumed, 14u);
}

TEST(SmtpDataReader, TenMegabytesWithoutNewlineStayBounded) {
  constexpr std::size_t kMax = 64 * 1024;
  DataReader d(kMax);
  const std::string chunk(64 * 1024 + 7, 'x');
  std::size_t fed = 0;
  while (fed < 10u * 1024 * 1024) {
    EXPECT_EQ(d.feed(chunk), chunk.size());
    fed += chunk.size();
    ASSERT_LE(d.message().capacity(), kMax + 64);
  }
  EXPECT_TRUE(d.too_big());
  EXPECT_FALSE(d.finished());
  EXPECT_TRUE(d.message().empty());
  EXPECT_LE(d.message().capacity(), 64u);
  EXPECT_EQ(d.total_bytes(), fed);
  EXPECT_EQ(d.feed("\r\n.\r\n"), 5u);
  EXPECT_TRUE(d.finished());
  EXPECT_EQ(d.total_bytes(), fed + 2);
}

TEST(SmtpDataReader, CapacityNeverExceedsTheLimitBelowIt) {
  constexpr std::size_t kMax = 1000 * 1000;
  DataReader d(kMax);
  const std::string line(999, 'y');
  while (!d.too_big()) {
    d.feed(line);
    ASSERT_LE(d.message().capacity(), kMax + 64);
  }
}

TEST(SmtpDataReader, TotalCountsNormalizedUnstuffedBytes) {
  const auto r = read_all("..a\nb\r\n.\r\n");
  EXPECT_EQ(r.message, ".a\r\nb\r\n");
  EXPECT_EQ(r.total, r.message.size());
}

// ---- append_dot_stuffed

std::string stuffed(std::string_view m) {
  std::string out;
  append_dot_stuffed(out, m);
  return out;
}

TEST(SmtpDotStuffing, StuffsLeadingDotsAndEnds) {
  EXPECT_EQ(stuffed("a\r\n.\r\n..b\r\n"), "a\r\n..\r\n...b\r\n.\r\n");
  EXPECT_EQ(stuffed(""), ".\r\n");
  EXPECT_EQ(stuffed("no final newline"), "no final newline\r\n.\r\n");
}

TEST(SmtpDotStuffing, AppendsToExistingOutput) {
  std::string out = "DATA\r\n";
  append_dot_stuffed(out, "x\r\n");
  EXPECT_EQ(out, "DATA\r\nx\r\n.\r\n");
}

TEST(SmtpDotStuffing, BareLfGoesOutAsCrlf) {
  EXPECT_EQ(stuffed("a\n.\nb"), "a\r\n..\r\nb\r\n.\r\n");
}

TEST(SmtpDotStuffing, BareCrGoesOutAsCrlfAndADotAfterItIsStuffed) {
  EXPECT_EQ(stuffed("a\rb\nc\r\n.d\r.e\r\r\nlast\r"),
            "a\r\nb\r\nc\r\n..d\r\n..e\r\n\r\nlast\r\n.\r\n");
}

std::string normalized(std::string_view m) {
  std::string out;
  for (std::size_t i = 0; i < m.size(); ++i) {
    if (m[i] == '\n' && (i == 0 || m[i - 1] != '\r')) out += '\r';
    out += m[i];
    if (m[i] == '\r' && (i + 1 == m.size() || m[i + 1] != '\n')) out += '\n';
  }
  if (!out.empty() && !out.ends_with("\r\n")) out += "\r\n";
  return out;
}

void expect_round_trip(const std::string& m) {
  const std::string wire = stuffed(m);
  DataReader d(1 << 20);
  EXPECT_EQ(d.feed(wire), wire.size());
  EXPECT_TRUE(d.finished());
  EXPECT_EQ(d.bare_lf(), 0u);
  EXPECT_EQ(d.message(), normalized(m));
}

TEST(SmtpDotStuffing, ReaderInvertsStuffingOnEdgeCases) {
  for (const std::string& m : {""s, "\r\n"s, ".\r\n"s, "..\r\n"s, ".\r\r\n"s, ".\r"s, "."s, ".."s,
                               "\r"s, "\r."s, "a\r\n.\r\n.\r\nb"s, "\r\n.\r\n"s, "x\n.\n"s, "\n"s,
                               ".\n"s, "\r\r\n.\r\r\n"s, "...\r\n....\r\n"s, "a\0b\r\n"s})
    expect_round_trip(m);
}

TEST(SmtpDotStuffing, ReaderInvertsStuffingOnRandomMessages) {
  std::mt19937 rng(5321);
  const char alphabet[] = {'.', '\r', '\n', 'a', ' ', '\0'};
  for (int n = 0; n < 3000; ++n) {
    std::string m(rng() % 24, ' ');
    for (char& c : m) c = alphabet[rng() % sizeof alphabet];
    expect_round_trip(m);
  }
}

TEST(SmtpDotStuffing, WhatTheReaderStoredNeverCarriesAnEarlyEndMarker) {
  // Whatever the client sent, re-sending what we stored must end exactly where we ended.
  const std::string hostile = "a\n.\n.\r\n\r.\r\n.\r\r\nb\r\n.\r\n";
  const auto r = read_all(hostile);
  ASSERT_TRUE(r.finished);
  const std::string wire = stuffed(r.message);
  DataReader again(1 << 20);
  EXPECT_EQ(again.feed(wire), wire.size());
  EXPECT_EQ(again.message(), r.message);
}

}  // namespace

// test_milter_protocol.cpp — the milter wire format: framing of the MTA's stream, option
// negotiation against what Postfix and Sendmail offer, the command decoders on the byte layouts
// the MTAs send (and on broken ones), and the filter's replies byte for byte.
#include <gtest/gtest.h>
#include <libmilter/mfapi.h>
#include <libmilter/mfdef.h>

#include <string>
#include <string_view>
#include <vector>

#include "milter_protocol.hpp"

namespace {

using namespace std::literals;
namespace milter = ksmg::milter;
using Status = milter::Frame::Status;

constexpr std::size_t kMaxData = 65536;

// Postfix 3.7's opening packet: version 6, every action, every protocol bit it knows.
constexpr std::string_view kPostfixOptneg =
    "\0\0\0\x0d"
    "O"
    "\0\0\0\x06"
    "\0\0\x01\xff"
    "\0\x1f\xff\xff"sv;

// The data of the single packet in `packet` (a reply we encoded).
std::string_view only_packet_data(std::string_view packet, char command) {
  const milter::Frame frame = milter::parse_frame(packet, kMaxData);
  EXPECT_EQ(frame.status, Status::complete);
  EXPECT_EQ(frame.command, command);
  EXPECT_EQ(frame.size, packet.size());
  return frame.data;
}

// The text of a REPLYCODE packet after "550 5.7.1 ", without its NUL.
std::string reply_text(std::string_view raw_text) {
  std::string out;
  milter::append_reply_code(out, 550, "5.7.1", raw_text);
  std::string_view data = only_packet_data(out, SMFIR_REPLYCODE);
  EXPECT_TRUE(data.starts_with("550 5.7.1"));
  EXPECT_TRUE(data.ends_with('\0'));
  data.remove_prefix(std::string_view("550 5.7.1").size());
  data.remove_suffix(1);
  if (data.starts_with(' ')) data.remove_prefix(1);
  return std::string(data);
}

bool printable_ascii(std::string_view text) {
  for (const char c : text) {
    if (c < 0x20 || c >= 0x7F) return false;
  }
  return true;
}

// ---- framing

TEST(MilterFrame, CompletePacket) {
  constexpr std::string_view helo = "\0\0\0\x10Hmx.example.org\0"sv;
  const milter::Frame frame = milter::parse_frame(helo, kMaxData);
  ASSERT_EQ(frame.status, Status::complete);
  EXPECT_EQ(frame.command, SMFIC_HELO);
  EXPECT_EQ(frame.data, "mx.example.org\0"sv);
  EXPECT_EQ(frame.length, 16U);
  EXPECT_EQ(frame.size, helo.size());
}

TEST(MilterFrame, CommandWithoutData) {
  constexpr std::string_view eoh = "\0\0\0\x01N"sv;
  const milter::Frame frame = milter::parse_frame(eoh, kMaxData);
  ASSERT_EQ(frame.status, Status::complete);
  EXPECT_EQ(frame.command, SMFIC_EOH);
  EXPECT_TRUE(frame.data.empty());
  EXPECT_EQ(frame.size, 5U);
}

TEST(MilterFrame, EveryPrefixNeedsMore) {
  constexpr std::string_view mail = "\0\0\0\x1dM<sender@example.org>\0SIZE=9\0"sv;
  ASSERT_EQ(milter::parse_frame(mail, kMaxData).status, Status::complete);
  for (std::size_t n = 0; n < mail.size(); ++n) {
    const milter::Frame frame = milter::parse_frame(mail.substr(0, n), kMaxData);
    EXPECT_EQ(frame.status, Status::need_more) << "prefix of " << n << " bytes";
    EXPECT_TRUE(frame.data.empty());
    EXPECT_EQ(frame.size, 0U);
  }
}

TEST(MilterFrame, TwoPacketsBackToBack) {
  constexpr std::string_view stream =
      "\0\0\0\x01N\0\0\0\x06"
      "Bbody!"sv;
  const milter::Frame first = milter::parse_frame(stream, kMaxData);
  ASSERT_EQ(first.status, Status::complete);
  EXPECT_EQ(first.command, SMFIC_EOH);
  const milter::Frame second = milter::parse_frame(stream.substr(first.size), kMaxData);
  ASSERT_EQ(second.status, Status::complete);
  EXPECT_EQ(second.command, SMFIC_BODY);
  EXPECT_EQ(second.data, "body!");
  EXPECT_EQ(first.size + second.size, stream.size());
}

TEST(MilterFrame, TooLongIsKnownFromTheLengthAlone) {
  const milter::Frame frame = milter::parse_frame("\0\x01\0\x02"sv, kMaxData);
  EXPECT_EQ(frame.status, Status::too_long);
  EXPECT_EQ(frame.length, 0x00010002U);
  EXPECT_EQ(milter::parse_frame("\xff\xff\xff\xff"sv, kMaxData).status, Status::too_long);
}

TEST(MilterFrame, ZeroLengthIsEmpty) {
  const milter::Frame frame = milter::parse_frame("\0\0\0\0\0\0\0\x01N"sv, kMaxData);
  EXPECT_EQ(frame.status, Status::empty);
  EXPECT_EQ(frame.length, 0U);
}

TEST(MilterFrame, MaxDataBoundaryIsExact) {
  const milter::Frame at_max = milter::parse_frame(
      "\0\0\0\x04"
      "Babc"sv,
      3);
  ASSERT_EQ(at_max.status, Status::complete);
  EXPECT_EQ(at_max.data, "abc");
  const milter::Frame over = milter::parse_frame(
      "\0\0\0\x05"
      "Babcd"sv,
      3);
  EXPECT_EQ(over.status, Status::too_long);
  EXPECT_EQ(over.length, 5U);
}

TEST(MilterFrame, AppendPacket) {
  std::string out = "x";
  milter::append_packet(out, SMFIR_REPLBODY, "hi");
  EXPECT_EQ(out,
            "x\0\0\0\x03"
            "bhi"sv);
}

// ---- option negotiation

TEST(MilterOptions, DecodesPostfixOffer) {
  const milter::Frame frame = milter::parse_frame(kPostfixOptneg, kMaxData);
  ASSERT_EQ(frame.status, Status::complete);
  ASSERT_EQ(frame.command, SMFIC_OPTNEG);
  const auto offer = milter::decode_options(frame.data);
  ASSERT_TRUE(offer);
  EXPECT_EQ(offer->version, 6U);
  EXPECT_EQ(offer->actions, 0x1ffU);
  EXPECT_EQ(offer->protocol, 0x1fffffU);
}

TEST(MilterOptions, ShortOfferIsRejectedLongerIsTolerated) {
  EXPECT_FALSE(milter::decode_options(""));
  EXPECT_FALSE(milter::decode_options("\0\0\0\x06\0\0\0\x3f\0\0\0"sv));
  const auto longer = milter::decode_options("\0\0\0\x02\0\0\0\x3f\0\0\0\x7fzz"sv);
  ASSERT_TRUE(longer);
  EXPECT_EQ(longer->version, 2U);
  EXPECT_EQ(longer->actions, 0x3fU);
  EXPECT_EQ(longer->protocol, 0x7fU);
}

TEST(MilterOptions, FullVersion6Offer) {
  const milter::Options offer{.version = 6, .actions = 0x1ff, .protocol = 0x1fffff};
  const milter::Wanted wanted{
      .actions = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_CHGBODY | SMFIF_QUARANTINE,
      .skip_steps = SMFIP_NOUNKNOWN | SMFIP_NODATA,
      .no_reply = SMFIP_NR_HDR | SMFIP_NR_BODY,
      .header_leading_space = true};
  const milter::Agreement agreement = milter::negotiate(offer, wanted);
  ASSERT_TRUE(agreement.ok);
  EXPECT_EQ(agreement.reply.version, 6U);
  EXPECT_EQ(agreement.reply.actions, 0x33U);
  EXPECT_EQ(agreement.reply.protocol, 0x180380U);

  std::string out;
  milter::append_options(out, agreement.reply);
  EXPECT_EQ(out,
            "\0\0\0\x0d"
            "O"
            "\0\0\0\x06"
            "\0\0\0\x33"
            "\0\x18\x03\x80"sv);
}

TEST(MilterOptions, Version2OfferHasNoNoReplyFlags) {
  // Sendmail 8.13-era offer: the v2 actions and the seven skip bits, nothing else.
  const milter::Options offer{.version = 2, .actions = 0x3f, .protocol = 0x7f};
  const milter::Wanted wanted{.actions = SMFIF_ADDHDRS | SMFIF_QUARANTINE,
                              .skip_steps = SMFIP_NOHELO,
                              .no_reply = SMFIP_NR_HDR | SMFIP_NR_CONN | SMFIP_NR_BODY,
                              .header_leading_space = true};
  const milter::Agreement agreement = milter::negotiate(offer, wanted);
  ASSERT_TRUE(agreement.ok);
  EXPECT_EQ(agreement.reply.version, 2U);
  EXPECT_EQ(agreement.reply.actions, 0x21U);
  EXPECT_EQ(agreement.reply.protocol, static_cast<std::uint32_t>(SMFIP_NOHELO));
}

TEST(MilterOptions, Version1IsRefused) {
  const milter::Agreement agreement =
      milter::negotiate({.version = 1, .actions = 0x0f, .protocol = 0x3f}, {});
  EXPECT_FALSE(agreement.ok);
  EXPECT_FALSE(agreement.why.empty());
  EXPECT_FALSE(milter::negotiate({.version = 0, .actions = 0, .protocol = 0}, {}).ok);
}

TEST(MilterOptions, NewerVersionIsServedAtOurs) {
  const milter::Agreement agreement =
      milter::negotiate({.version = 7, .actions = 0x1ff, .protocol = 0x1fffff}, {});
  ASSERT_TRUE(agreement.ok);
  EXPECT_EQ(agreement.reply.version, milter::kProtocolVersion);
}

TEST(MilterOptions, FlagsNotOfferedAreNotRequested) {
  const milter::Options offer{
      .version = 6, .actions = SMFIF_ADDHDRS, .protocol = SMFIP_NOCONNECT | SMFIP_NR_CONN};
  const milter::Wanted wanted{.actions = SMFIF_ADDHDRS | SMFIF_CHGBODY,
                              .skip_steps = SMFIP_NOCONNECT | SMFIP_NOUNKNOWN,
                              .no_reply = SMFIP_NR_CONN | SMFIP_NR_EOH,
                              .header_leading_space = true};
  const milter::Agreement agreement = milter::negotiate(offer, wanted);
  ASSERT_TRUE(agreement.ok);
  EXPECT_EQ(agreement.reply.actions, static_cast<std::uint32_t>(SMFIF_ADDHDRS));
  EXPECT_EQ(agreement.reply.protocol, static_cast<std::uint32_t>(SMFIP_NOCONNECT | SMFIP_NR_CONN));
}

TEST(MilterOptions, LeadingSpaceOnlyWhenWanted) {
  const milter::Options offer{.version = 6, .actions = 0x1ff, .protocol = 0x1fffff};
  EXPECT_EQ(milter::negotiate(offer, {.header_leading_space = false}).reply.protocol, 0U);
  EXPECT_EQ(milter::negotiate(offer, {.header_leading_space = true}).reply.protocol,
            static_cast<std::uint32_t>(SMFIP_HDR_LEADSPC));
}

// ---- the MTA's commands

TEST(MilterStrings, MailWithParameters) {
  const auto strings = milter::decode_strings("<sender@example.org>\0SIZE=1024\0BODY=8BITMIME\0"sv);
  ASSERT_TRUE(strings);
  EXPECT_EQ(*strings,
            (std::vector<std::string_view>{"<sender@example.org>", "SIZE=1024", "BODY=8BITMIME"}));
}

TEST(MilterStrings, EmptyAndEmptyStrings) {
  const auto none = milter::decode_strings("");
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
  const auto bounce = milter::decode_strings("<>\0\0"sv);
  ASSERT_TRUE(bounce);
  EXPECT_EQ(*bounce, (std::vector<std::string_view>{"<>", ""}));
}

TEST(MilterStrings, MissingFinalNul) {
  EXPECT_FALSE(milter::decode_strings("mx.example.org"));
  EXPECT_FALSE(milter::decode_strings("<a@b>\0SIZE=1"sv));
}

TEST(MilterConnect, Inet4AsPostfixSendsIt) {
  const auto connect = milter::decode_connect(
      "mail.example.org\0"
      "4\x9c\x40"
      "192.0.2.1\0"sv);
  ASSERT_TRUE(connect);
  EXPECT_EQ(connect->hostname, "mail.example.org");
  EXPECT_EQ(connect->family, SMFIA_INET);
  EXPECT_EQ(connect->port, 40000);
  EXPECT_EQ(connect->address, "192.0.2.1");
}

TEST(MilterConnect, Inet6) {
  const auto connect = milter::decode_connect(
      "unknown\0"
      "6\xff\xfe"
      "2001:db8::1\0"sv);
  ASSERT_TRUE(connect);
  EXPECT_EQ(connect->hostname, "unknown");
  EXPECT_EQ(connect->family, SMFIA_INET6);
  EXPECT_EQ(connect->port, 65534);
  EXPECT_EQ(connect->address, "2001:db8::1");
}

TEST(MilterConnect, UnixSocket) {
  const auto connect = milter::decode_connect("localhost\0L\0\0/run/smtp.sock\0"sv);
  ASSERT_TRUE(connect);
  EXPECT_EQ(connect->family, SMFIA_UNIX);
  EXPECT_EQ(connect->port, 0);
  EXPECT_EQ(connect->address, "/run/smtp.sock");
}

TEST(MilterConnect, UnknownFamilyHasNoPortNorAddress) {
  const auto connect = milter::decode_connect("localhost\0U"sv);
  ASSERT_TRUE(connect);
  EXPECT_EQ(connect->hostname, "localhost");
  EXPECT_EQ(connect->family, SMFIA_UNKNOWN);
  EXPECT_EQ(connect->port, 0);
  EXPECT_EQ(connect->address, "");
}

TEST(MilterConnect, Malformed) {
  EXPECT_FALSE(milter::decode_connect(""));
  EXPECT_FALSE(milter::decode_connect("mail.example.org"));      // hostname without NUL
  EXPECT_FALSE(milter::decode_connect("mail.example.org\0"sv));  // no family
  EXPECT_FALSE(
      milter::decode_connect("mail.example.org\0"
                             "4"sv));  // no port
  EXPECT_FALSE(
      milter::decode_connect("mail.example.org\0"
                             "4\x9c"sv));  // half a port
  EXPECT_FALSE(
      milter::decode_connect("mail.example.org\0"
                             "4\x9c\x40"sv));  // no address
  EXPECT_FALSE(
      milter::decode_connect("mail.example.org\0"
                             "4\x9c\x40"
                             "192.0.2.1"sv));
  EXPECT_FALSE(
      milter::decode_connect("mail.example.org\0"
                             "4\x9c\x40"
                             "192.0.2.1\0x"sv));
  EXPECT_FALSE(
      milter::decode_connect("mail.example.org\0X\x9c\x40"
                             "192.0.2.1\0"sv));
  EXPECT_FALSE(milter::decode_connect("localhost\0Uextra"sv));
}

TEST(MilterMacros, ConnectStageFromPostfix) {
  const auto macros = milter::decode_macros(
      "Cj\0mx.example.net\0{daemon_name}\0mx.example.net\0v\0Postfix 3.7.11\0"sv);
  ASSERT_TRUE(macros);
  EXPECT_EQ(macros->stage, SMFIC_CONNECT);
  ASSERT_EQ(macros->values.size(), 3U);
  EXPECT_EQ(macros->values[0].first, "j");
  EXPECT_EQ(macros->values[0].second, "mx.example.net");
  EXPECT_EQ(macros->values[1].first, "{daemon_name}");
  EXPECT_EQ(macros->values[2].second, "Postfix 3.7.11");
}

TEST(MilterMacros, EmptyValueAndEmptyList) {
  const auto empty_value = milter::decode_macros("M{auth_authen}\0\0"sv);
  ASSERT_TRUE(empty_value);
  ASSERT_EQ(empty_value->values.size(), 1U);
  EXPECT_EQ(empty_value->values[0].second, "");
  const auto none = milter::decode_macros("T");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->stage, SMFIC_DATA);
  EXPECT_TRUE(none->values.empty());
}

TEST(MilterMacros, Malformed) {
  EXPECT_FALSE(milter::decode_macros(""));        // no stage
  EXPECT_FALSE(milter::decode_macros("Mi\0"sv));  // name without value
  EXPECT_FALSE(
      milter::decode_macros("Mi\0"
                            "4C2A1\0j"sv));  // trailing name
  EXPECT_FALSE(
      milter::decode_macros("Mi\0"
                            "4C2A1"sv));  // value without NUL
}

TEST(MilterHeader, NameAndValueWithLeadingSpace) {
  const auto header = milter::decode_header("Subject\0 Quarterly report\0"sv);
  ASSERT_TRUE(header);
  EXPECT_EQ(header->name, "Subject");
  EXPECT_EQ(header->value, " Quarterly report");
  const auto empty = milter::decode_header("X-Empty\0\0"sv);
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->value, "");
}

TEST(MilterHeader, Malformed) {
  EXPECT_FALSE(milter::decode_header(""));
  EXPECT_FALSE(milter::decode_header("Subject\0"sv));
  EXPECT_FALSE(milter::decode_header("Subject\0 hi"sv));
  EXPECT_FALSE(milter::decode_header("Subject\0 hi\0extra\0"sv));
}

TEST(MilterAddress, StripAngleBrackets) {
  EXPECT_EQ(milter::strip_angle_brackets("<user@example.org>"), "user@example.org");
  EXPECT_EQ(milter::strip_angle_brackets("<>"), "");
  EXPECT_EQ(milter::strip_angle_brackets("user@example.org"), "user@example.org");
  EXPECT_EQ(milter::strip_angle_brackets("<user@example.org"), "<user@example.org");
  EXPECT_EQ(milter::strip_angle_brackets("<"), "<");
  EXPECT_EQ(milter::strip_angle_brackets(""), "");
}

// ---- the filter's replies

TEST(MilterReply, ReplyCodeBytes) {
  std::string out;
  milter::append_reply_code(out, 550, "5.7.1", "Message rejected");
  EXPECT_EQ(out, "\0\0\0\x1cy550 5.7.1 Message rejected\0"sv);
  out.clear();
  milter::append_reply_code(out, 451, "4.7.1", "");
  EXPECT_EQ(out, "\0\0\0\x0by451 4.7.1\0"sv);
}

TEST(MilterReply, HeaderBytes) {
  std::string out;
  milter::append_add_header(out, "X-KSMG-Status", "clean");
  EXPECT_EQ(out, "\0\0\0\x15hX-KSMG-Status\0clean\0"sv);
  out.clear();
  milter::append_insert_header(out, 0, "X-A", "v");
  EXPECT_EQ(out, "\0\0\0\x0bi\0\0\0\0X-A\0v\0"sv);
  out.clear();
  milter::append_change_header(out, 1, "Subject", "");
  EXPECT_EQ(out, "\0\0\0\x0em\0\0\0\x01Subject\0\0"sv);
  out.clear();
  milter::append_change_header(out, 0x01020304, "S", "[SPAM] x");
  EXPECT_EQ(out, "\0\0\0\x10m\x01\x02\x03\x04S\0[SPAM] x\0"sv);
}

TEST(MilterReply, NulInsideAHeaderFieldEndsIt) {
  std::string out;
  milter::append_add_header(out, "X-A\0B"sv, "v\0w"sv);
  EXPECT_EQ(out, "\0\0\0\x07hX-A\0v\0"sv);
}

TEST(MilterReply, QuarantineBytes) {
  std::string out;
  milter::append_quarantine(out, "virus found");
  EXPECT_EQ(out, "\0\0\0\x0dqvirus found\0"sv);
  out.clear();
  milter::append_quarantine(out, "EICAR\r\n100%");
  EXPECT_EQ(out, "\0\0\0\x0dqEICAR  100%\0"sv);
}

TEST(MilterReply, ReplaceBodyBytes) {
  std::string out;
  milter::append_replace_body(out, "new\r\nbody\r\n");
  EXPECT_EQ(out,
            "\0\0\0\x0c"
            "bnew\r\nbody\r\n"sv);
  out.clear();
  milter::append_replace_body(out, "");
  EXPECT_EQ(out,
            "\0\0\0\x01"
            "b"sv);
}

TEST(MilterReply, ReplaceBodyIsChunked) {
  const std::string body(milter::kBodyChunkBytes + 1, 'x');
  std::string out;
  milter::append_replace_body(out, body);
  ASSERT_EQ(out.size(), 4 + 1 + milter::kBodyChunkBytes + 4 + 1 + 1);
  const milter::Frame first = milter::parse_frame(out, kMaxData);
  ASSERT_EQ(first.status, Status::complete);
  EXPECT_EQ(first.length, 0x00010000U);
  EXPECT_EQ(first.command, SMFIR_REPLBODY);
  EXPECT_EQ(std::string_view(out).substr(first.size),
            "\0\0\0\x02"
            "bx"sv);
}

TEST(MilterReply, SimpleReplies) {
  std::string out;
  for (const char reply : {SMFIR_CONTINUE, SMFIR_ACCEPT, SMFIR_REJECT, SMFIR_TEMPFAIL,
                           SMFIR_DISCARD, SMFIR_SKIP, SMFIR_PROGRESS}) {
    milter::append_simple(out, reply);
  }
  EXPECT_EQ(out,
            "\0\0\0\x01"
            "c\0\0\0\x01"
            "a\0\0\0\x01"
            "r\0\0\0\x01"
            "t\0\0\0\x01"
            "d\0\0\0\x01"
            "s\0\0\0\x01"
            "p"sv);
}

// ---- reply text sanitising

TEST(MilterReplyText, LineBreaksBecomeSpaces) {
  EXPECT_EQ(reply_text("line one\r\nline two"), "line one  line two");
  EXPECT_EQ(reply_text("tab\there\0nul"sv), "tab here nul");
}

TEST(MilterReplyText, PercentIsDoubled) {
  EXPECT_EQ(reply_text("100% sure, %s %%"), "100%% sure, %%s %%%%");
}

TEST(MilterReplyText, NonAsciiBecomesPrintableAscii) {
  const std::string text = reply_text("Spam d\xc3\xa9tect\xc3\xa9 \xff");
  EXPECT_TRUE(printable_ascii(text)) << text;
  EXPECT_TRUE(text.starts_with("=?UTF-8?B?")) << text;
  EXPECT_LE(text.size(), milter::kMaxReplyText);
}

TEST(MilterReplyText, OverLongIsCut) {
  EXPECT_EQ(reply_text(std::string(1000, 'a')), std::string(milter::kMaxReplyText, 'a'));
}

TEST(MilterReplyText, CutNeverSplitsADoubledPercent) {
  const std::string fits = std::string(milter::kMaxReplyText - 2, 'a') + "%b";
  EXPECT_EQ(reply_text(fits), std::string(milter::kMaxReplyText - 2, 'a') + "%%");
  const std::string straddles = std::string(milter::kMaxReplyText - 1, 'a') + "%";
  EXPECT_EQ(reply_text(straddles), std::string(milter::kMaxReplyText - 1, 'a'));
  const std::string all_percent(1000, '%');
  const std::string escaped = reply_text(all_percent);
  EXPECT_EQ(escaped, std::string(milter::kMaxReplyText, '%'));
}

}  // namespace

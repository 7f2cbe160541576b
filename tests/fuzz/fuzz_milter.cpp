// fuzz_milter.cpp — libFuzzer harness for the milter wire format: the input is an MTA's stream,
// cut into packets as ksmg-milter's session would, and each packet's data goes through the
// decoder of its command; what was decoded goes back out through the encoders, with the
// properties a milter relies on: every reply frames back to itself, decoded fields encode and
// decode to the same fields, and reply texts are one printable line with every '%' doubled. A
// violated property traps.
#include <libmilter/mfdef.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "milter_protocol.hpp"

namespace {

namespace milter = ksmg::milter;

constexpr std::size_t kMaxDataBytes = 65536;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

// The one packet `out` holds, which must be exactly one complete packet of `command`.
std::string_view reframed(std::string_view out, char command) {
  const milter::Frame frame = milter::parse_frame(out, kMaxDataBytes);
  check(frame.status == milter::Frame::Status::complete);
  check(frame.command == command);
  check(frame.size == out.size());
  return frame.data;
}

// A reply text or a quarantine reason as it travels: printable ASCII, then the NUL.
void check_one_line(std::string_view data) {
  check(!data.empty() && data.back() == '\0');
  data.remove_suffix(1);
  for (const char c : data) check(c >= 0x20 && c < 0x7F);
}

void reply_with(std::string_view text) {
  std::string out;
  milter::append_reply_code(out, 550, "5.7.1", text);
  std::string_view data = reframed(out, SMFIR_REPLYCODE);
  check_one_line(data);
  check(data.starts_with("550 5.7.1"));
  data.remove_prefix(std::string_view("550 5.7.1").size());
  data.remove_suffix(1);
  if (!data.empty()) {
    check(data.front() == ' ');
    data.remove_prefix(1);
  }
  check(data.size() <= milter::kMaxReplyText);
  // Doubled: every run of '%' is of even length.
  std::size_t run = 0;
  for (const char c : data) {
    if (c == '%') {
      ++run;
    } else {
      check(run % 2 == 0);
      run = 0;
    }
  }
  check(run % 2 == 0);

  out.clear();
  milter::append_quarantine(out, text);
  check_one_line(reframed(out, SMFIR_QUARANTINE));
}

void header_round_trip(std::string_view name, std::string_view value, std::uint32_t index) {
  std::string out;
  milter::append_add_header(out, name, value);
  const auto added = milter::decode_header(reframed(out, SMFIR_ADDHEADER));
  check(added && added->name == name && added->value == value);

  out.clear();
  milter::append_change_header(out, index, name, value);
  std::string_view data = reframed(out, SMFIR_CHGHEADER);
  check(data.size() >= 4);
  data.remove_prefix(4);
  const auto changed = milter::decode_header(data);
  check(changed && changed->name == name && changed->value == value);
}

void on_options(std::string_view data) {
  const auto offer = milter::decode_options(data);
  check(offer.has_value() == (data.size() >= 12));
  if (!offer) return;
  const milter::Wanted wanted{.actions = 0x1ff, .skip_steps = 0x3ff, .no_reply = 0xff000};
  const milter::Agreement agreement = milter::negotiate(*offer, wanted);
  check(agreement.ok == (offer->version >= milter::kOldestProtocolVersion));
  if (!agreement.ok) return;
  check(agreement.reply.version <= milter::kProtocolVersion);
  check((agreement.reply.actions & ~offer->actions) == 0);
  check((agreement.reply.protocol & ~offer->protocol) == 0);
  std::string out;
  milter::append_options(out, agreement.reply);
  const auto echoed = milter::decode_options(reframed(out, SMFIC_OPTNEG));
  check(echoed && echoed->version == agreement.reply.version &&
        echoed->actions == agreement.reply.actions && echoed->protocol == agreement.reply.protocol);
}

void on_connect(std::string_view data) {
  const auto connect = milter::decode_connect(data);
  if (!connect) return;
  check(connect->hostname.find('\0') == std::string_view::npos);
  check(connect->address.find('\0') == std::string_view::npos);
  reply_with(connect->hostname);
  reply_with(connect->address);
}

void on_macros(std::string_view data) {
  const auto macros = milter::decode_macros(data);
  if (!macros) return;
  for (const auto& [name, value] : macros->values) header_round_trip(name, value, 1);
}

void on_header(std::string_view data) {
  const auto header = milter::decode_header(data);
  if (!header) return;
  header_round_trip(header->name, header->value, static_cast<std::uint32_t>(data.size()));
  reply_with(header->value);
}

void on_strings(std::string_view data) {
  const auto strings = milter::decode_strings(data);
  check(strings.has_value() == (data.empty() || data.back() == '\0'));
  if (!strings) return;
  std::string joined;
  for (const std::string_view s : *strings) {
    joined += s;
    joined += '\0';
  }
  check(joined == data);
  if (strings->empty()) return;
  const std::string_view address = milter::strip_angle_brackets(strings->front());
  check(address.size() <= strings->front().size());
  reply_with(address);
}

void on_body(std::string_view data) {
  std::string out;
  milter::append_replace_body(out, data);
  std::string body;
  std::string_view rest = out;
  do {
    const milter::Frame frame = milter::parse_frame(rest, kMaxDataBytes);
    check(frame.status == milter::Frame::Status::complete);
    check(frame.command == SMFIR_REPLBODY);
    check(frame.data.size() <= milter::kBodyChunkBytes);
    body += frame.data;
    rest.remove_prefix(frame.size);
  } while (!rest.empty());
  check(body == data);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  std::string_view stream(reinterpret_cast<const char*>(bytes), size);
  for (;;) {
    const milter::Frame frame = milter::parse_frame(stream, kMaxDataBytes);
    if (frame.status != milter::Frame::Status::complete) break;
    check(frame.size >= 5 && frame.size <= stream.size());
    check(frame.data.size() + 5 == frame.size);
    switch (frame.command) {
      case SMFIC_OPTNEG:
        on_options(frame.data);
        break;
      case SMFIC_CONNECT:
        on_connect(frame.data);
        break;
      case SMFIC_MACRO:
        on_macros(frame.data);
        break;
      case SMFIC_HEADER:
        on_header(frame.data);
        break;
      case SMFIC_HELO:
      case SMFIC_MAIL:
      case SMFIC_RCPT:
      case SMFIC_UNKNOWN:
        on_strings(frame.data);
        break;
      case SMFIC_BODY:
        on_body(frame.data);
        break;
      default:
        reply_with(frame.data);
        break;
    }
    stream.remove_prefix(frame.size);
  }
  return 0;
}

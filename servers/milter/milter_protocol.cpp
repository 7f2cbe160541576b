// milter_protocol.cpp — owns the milter wire format (milter_protocol.hpp): framing, option
// negotiation, decoding the MTA's commands and encoding the filter's replies.
#include "milter_protocol.hpp"

#include <libmilter/mfdef.h>

#include <algorithm>
#include <limits>
#include <stdexcept>

#include "ksmg/verdict.hpp"

namespace ksmg::milter {

namespace {

constexpr std::size_t kLengthBytes = MILTER_LEN_BYTES;
constexpr std::size_t kPortBytes = 2;

// mfdef.h spells its flags as long constants; the wire fields are 32-bit.
constexpr std::uint32_t kHeaderLeadingSpace = static_cast<std::uint32_t>(SMFIP_HDR_LEADSPC);

// Network order; the callers have checked that the bytes are there.
std::uint32_t read_u32(std::string_view bytes) noexcept {
  const auto b = [&](std::size_t i) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i]));
  };
  return (b(0) << 24) | (b(1) << 16) | (b(2) << 8) | b(3);
}

std::uint16_t read_u16(std::string_view bytes) noexcept {
  const auto b = [&](std::size_t i) {
    return static_cast<unsigned>(static_cast<unsigned char>(bytes[i]));
  };
  return static_cast<std::uint16_t>((b(0) << 8) | b(1));
}

void append_u32(std::string& out, std::uint32_t value) {
  out += static_cast<char>((value >> 24) & 0xFF);
  out += static_cast<char>((value >> 16) & 0xFF);
  out += static_cast<char>((value >> 8) & 0xFF);
  out += static_cast<char>(value & 0xFF);
}

// The MTA reads our strings as C strings: a NUL inside one would end it early and turn the rest
// into the next field, so everything from the first NUL on is left out, as libmilter's char*
// API would.
void append_c_string(std::string& out, std::string_view text) {
  out += text.substr(0, text.find('\0'));
  out += '\0';
}

// The NUL-terminated string at the start of `rest`, which is then advanced past its NUL.
std::optional<std::string_view> take_c_string(std::string_view& rest) noexcept {
  const std::size_t nul = rest.find('\0');
  if (nul == std::string_view::npos) return std::nullopt;
  const std::string_view text = rest.substr(0, nul);
  rest.remove_prefix(nul + 1);
  return text;
}

// Reply and quarantine texts reach SMTP clients and the MTA's logs and queue files: one line of
// printable ASCII, bounded.
std::string one_line(std::string_view text) { return verdict::header_safe(text, kMaxReplyText); }

// MTAs pass reply text through printf-style formatting, so each '%' travels doubled; the cut
// keeps the escaped text within max_bytes and never leaves half a "%%".
std::string percent_escaped(std::string_view text, std::size_t max_bytes) {
  std::string out;
  out.reserve(std::min(text.size() * 2, max_bytes));
  for (const char c : text) {
    const std::size_t width = c == '%' ? 2 : 1;
    if (out.size() + width > max_bytes) break;
    out.append(width, c);
  }
  return out;
}

void append_header_fields(std::string& out, char reply, std::optional<std::uint32_t> index,
                          std::string_view name, std::string_view value) {
  std::string data;
  if (index) append_u32(data, *index);
  append_c_string(data, name);
  append_c_string(data, value);
  append_packet(out, reply, data);
}

}  // namespace

Frame parse_frame(std::string_view input, std::size_t max_data_bytes) noexcept {
  Frame frame;
  if (input.size() < kLengthBytes) return frame;
  frame.length = read_u32(input);
  if (frame.length == 0) {
    frame.status = Frame::Status::empty;
    return frame;
  }
  // The length is checked before waiting for the data, so a hostile length never makes the
  // caller buffer gigabytes.
  if (frame.length - 1 > max_data_bytes) {
    frame.status = Frame::Status::too_long;
    return frame;
  }
  if (input.size() - kLengthBytes < frame.length) return frame;
  frame.status = Frame::Status::complete;
  frame.command = input[kLengthBytes];
  frame.data = input.substr(kLengthBytes + 1, frame.length - 1);
  frame.size = kLengthBytes + frame.length;
  return frame;
}

void append_packet(std::string& out, char command, std::string_view data) {
  if (data.size() >= std::numeric_limits<std::uint32_t>::max()) {
    throw std::length_error("milter packet data over 4 GiB");
  }
  append_u32(out, static_cast<std::uint32_t>(data.size() + 1));
  out += command;
  out += data;
}

std::optional<Options> decode_options(std::string_view data) noexcept {
  if (data.size() < MILTER_OPTLEN) return std::nullopt;
  return Options{.version = read_u32(data),
                 .actions = read_u32(data.substr(kLengthBytes)),
                 .protocol = read_u32(data.substr(2 * kLengthBytes))};
}

Agreement negotiate(const Options& offered, const Wanted& wanted) {
  Agreement agreement;
  if (offered.version < kOldestProtocolVersion) {
    agreement.why = "the MTA offers milter protocol version " + std::to_string(offered.version) +
                    ", older than " + std::to_string(kOldestProtocolVersion);
    return agreement;
  }
  const std::uint32_t protocol = wanted.skip_steps | wanted.no_reply |
                                 (wanted.header_leading_space ? kHeaderLeadingSpace : 0U);
  agreement.reply.version = std::min(offered.version, kProtocolVersion);
  agreement.reply.actions = wanted.actions & offered.actions;
  agreement.reply.protocol = protocol & offered.protocol;
  agreement.ok = true;
  return agreement;
}

void append_options(std::string& out, const Options& agreed) {
  std::string data;
  append_u32(data, agreed.version);
  append_u32(data, agreed.actions);
  append_u32(data, agreed.protocol);
  append_packet(out, SMFIC_OPTNEG, data);
}

std::optional<std::vector<std::string_view>> decode_strings(std::string_view data) {
  if (!data.empty() && data.back() != '\0') return std::nullopt;
  std::vector<std::string_view> strings;
  while (!data.empty()) strings.push_back(*take_c_string(data));
  return strings;
}

std::optional<Connect> decode_connect(std::string_view data) noexcept {
  Connect connect;
  const auto hostname = take_c_string(data);
  if (!hostname || data.empty()) return std::nullopt;
  connect.hostname = *hostname;
  connect.family = data.front();
  data.remove_prefix(1);
  switch (connect.family) {
    case SMFIA_UNKNOWN:
      // Sendmail and Postfix send neither port nor address for an unknown family.
      if (!data.empty()) return std::nullopt;
      return connect;
    case SMFIA_UNIX:
    case SMFIA_INET:
    case SMFIA_INET6: {
      if (data.size() < kPortBytes) return std::nullopt;
      connect.port = read_u16(data);
      data.remove_prefix(kPortBytes);
      const auto address = take_c_string(data);
      if (!address || !data.empty()) return std::nullopt;
      connect.address = *address;
      return connect;
    }
    default:
      return std::nullopt;
  }
}

std::optional<Macros> decode_macros(std::string_view data) {
  if (data.empty()) return std::nullopt;
  Macros macros;
  macros.stage = data.front();
  auto strings = decode_strings(data.substr(1));
  if (!strings || strings->size() % 2 != 0) return std::nullopt;
  macros.values.reserve(strings->size() / 2);
  for (std::size_t i = 0; i < strings->size(); i += 2) {
    macros.values.emplace_back((*strings)[i], (*strings)[i + 1]);
  }
  return macros;
}

std::optional<Header> decode_header(std::string_view data) noexcept {
  const auto name = take_c_string(data);
  if (!name) return std::nullopt;
  const auto value = take_c_string(data);
  if (!value || !data.empty()) return std::nullopt;
  return Header{.name = *name, .value = *value};
}

std::string_view strip_angle_brackets(std::string_view address) noexcept {
  if (address.size() >= 2 && address.front() == '<' && address.back() == '>') {
    return address.substr(1, address.size() - 2);
  }
  return address;
}

void append_reply_code(std::string& out, int code, std::string_view enhanced,
                       std::string_view text) {
  std::string data = std::to_string(code);
  if (!enhanced.empty()) {
    data += ' ';
    data += enhanced.substr(0, enhanced.find('\0'));
  }
  const std::string escaped = percent_escaped(one_line(text), kMaxReplyText);
  if (!escaped.empty()) {
    data += ' ';
    data += escaped;
  }
  data += '\0';
  append_packet(out, SMFIR_REPLYCODE, data);
}

void append_add_header(std::string& out, std::string_view name, std::string_view value) {
  append_header_fields(out, SMFIR_ADDHEADER, std::nullopt, name, value);
}

void append_insert_header(std::string& out, std::uint32_t index, std::string_view name,
                          std::string_view value) {
  append_header_fields(out, SMFIR_INSHEADER, index, name, value);
}

void append_change_header(std::string& out, std::uint32_t index, std::string_view name,
                          std::string_view value) {
  append_header_fields(out, SMFIR_CHGHEADER, index, name, value);
}

// The reason is not escaped: MTAs store it (Sendmail's queue file) or ignore it (Postfix), they
// do not format it.
void append_quarantine(std::string& out, std::string_view reason) {
  std::string data = one_line(reason);
  data += '\0';
  append_packet(out, SMFIR_QUARANTINE, data);
}

void append_replace_body(std::string& out, std::string_view body) {
  do {
    const std::string_view chunk = body.substr(0, kBodyChunkBytes);
    append_packet(out, SMFIR_REPLBODY, chunk);
    body.remove_prefix(chunk.size());
  } while (!body.empty());
}

void append_simple(std::string& out, char reply) { append_packet(out, reply, {}); }

}  // namespace ksmg::milter

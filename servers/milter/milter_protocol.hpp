// milter_protocol.hpp — the milter wire protocol as Sendmail and Postfix speak it (version 6,
// down to 2): packet framing, the MTA's commands decoded into views, option negotiation, and the
// filter's replies encoded. No I/O: ksmg-milter's session feeds it bytes, and fuzz_milter feeds
// it anything. The constants are libmilter's own (mfdef.h, mfapi.h from Debian's libmilter-dev).
//
// A packet is a 4-byte length in network order (counting the command byte), the command byte,
// then the command's data. Strings in the data end with NUL. Every decoder treats its input as
// hostile: a missing NUL, a short field or a length past the end is an error, never a read out
// of bounds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ksmg::milter {

// The protocol version we speak; MTAs offering 2..6 are served at theirs.
inline constexpr std::uint32_t kProtocolVersion = 6;
inline constexpr std::uint32_t kOldestProtocolVersion = 2;
// What one SMFIR_REPLBODY packet may carry (libmilter's MILTER_CHUNK_SIZE).
inline constexpr std::size_t kBodyChunkBytes = 65535;
// The reply text of SMFIR_REPLYCODE is cut to this many bytes (one SMTP reply line stays under
// RFC 5321's 512 octets with its code and enhanced code).
inline constexpr std::size_t kMaxReplyText = 400;

// ---- framing ---------------------------------------------------------------------------------

struct Frame {
  enum class Status : std::uint8_t {
    complete,   // command and data are set; `size` bytes of the input make up the packet
    need_more,  // the input holds only part of a packet
    too_long,   // the length field is over max_data_bytes + 1: the connection must end
    empty,      // the length field is 0 (no command byte): the connection must end
  };
  Status status = Status::need_more;
  char command = 0;
  std::string_view data;     // a view into the input
  std::size_t size = 0;      // bytes of the input this packet takes (4 + length) when complete
  std::uint32_t length = 0;  // the length field, when it could be read (too_long tells it)
};

// The first packet at the start of `input`. max_data_bytes bounds the data (not the command byte).
[[nodiscard]] Frame parse_frame(std::string_view input, std::size_t max_data_bytes) noexcept;

// One packet: length, command, data.
void append_packet(std::string& out, char command, std::string_view data);

// ---- option negotiation (SMFIC_OPTNEG) -------------------------------------------------------

struct Options {
  std::uint32_t version = 0;
  std::uint32_t actions = 0;   // SMFIF_*: what the filter may do at end of message
  std::uint32_t protocol = 0;  // SMFIP_*: steps left out, replies not expected, ...
};

// The MTA's offer; nullopt when the data is shorter than the three 32-bit fields.
[[nodiscard]] std::optional<Options> decode_options(std::string_view data) noexcept;

// What this filter wants: the actions it may need, the steps it can do without, and the
// replies it would rather not send (each asked for only when the MTA offers it).
struct Wanted {
  std::uint32_t actions = 0;         // SMFIF_*
  std::uint32_t skip_steps = 0;      // SMFIP_NOCONNECT, SMFIP_NOUNKNOWN, SMFIP_NODATA, ...
  std::uint32_t no_reply = 0;        // SMFIP_NR_*: steps we never answer
  bool header_leading_space = true;  // SMFIP_HDR_LEADSPC: header values exactly as received
};

struct Agreement {
  Options reply;    // what we send back
  bool ok = false;  // false: the MTA's version is too old (reply is unset)
  std::string why;  // when !ok
};

// The negotiation's outcome: version min(theirs, 6) when theirs is at least 2; actions and
// protocol flags are what we want AND what they offer (a v2 MTA offers no NR_* flags: then we
// reply to every step).
[[nodiscard]] Agreement negotiate(const Options& offered, const Wanted& wanted);

// SMFIC_OPTNEG's reply packet.
void append_options(std::string& out, const Options& agreed);

// ---- the MTA's commands ----------------------------------------------------------------------

// NUL-terminated strings, one after another, to the end of the data (SMFIC_MAIL / SMFIC_RCPT:
// the address in <>, then the ESMTP parameters; SMFIC_HELO: the name). nullopt when the data
// does not end with NUL; an empty data yields no strings.
[[nodiscard]] std::optional<std::vector<std::string_view>> decode_strings(std::string_view data);

// SMFIC_CONNECT: host name, address family (SMFIA_*), port, address.
struct Connect {
  std::string_view hostname;
  char family = 'U';         // SMFIA_UNKNOWN, SMFIA_UNIX, SMFIA_INET, SMFIA_INET6
  std::uint16_t port = 0;    // inet and inet6 only
  std::string_view address;  // numeric address, or the socket path for unix; "" for unknown
};
[[nodiscard]] std::optional<Connect> decode_connect(std::string_view data) noexcept;

// SMFIC_MACRO: the command the macros are for, then name/value pairs. Names come as the MTA
// sends them ("i", "{auth_authen}"); nullopt when a value is missing or a NUL is.
struct Macros {
  char stage = 0;
  std::vector<std::pair<std::string_view, std::string_view>> values;
};
[[nodiscard]] std::optional<Macros> decode_macros(std::string_view data);

// SMFIC_HEADER: name and value (with its leading space when SMFIP_HDR_LEADSPC was agreed).
struct Header {
  std::string_view name;
  std::string_view value;
};
[[nodiscard]] std::optional<Header> decode_header(std::string_view data) noexcept;

// "<user@example.org>" → "user@example.org"; "<>" → ""; text without brackets is returned as is.
[[nodiscard]] std::string_view strip_angle_brackets(std::string_view address) noexcept;

// ---- the filter's replies --------------------------------------------------------------------

// SMFIR_REPLYCODE: "550 5.7.1 text" (code 4xx or 5xx with an enhanced code of its class: the
// caller's constants). The text is made one printable ASCII line (verdict::header_safe), cut
// to kMaxReplyText bytes, and its '%' doubled (the MTA formats the text).
void append_reply_code(std::string& out, int code, std::string_view enhanced,
                       std::string_view text);

// SMFIR_ADDHEADER (appended at the end of the header), SMFIR_INSHEADER (at `index`, 0 = first),
// SMFIR_CHGHEADER (the index-th field of that name, 1-based; an empty value deletes it).
void append_add_header(std::string& out, std::string_view name, std::string_view value);
void append_insert_header(std::string& out, std::uint32_t index, std::string_view name,
                          std::string_view value);
void append_change_header(std::string& out, std::uint32_t index, std::string_view name,
                          std::string_view value);

// SMFIR_QUARANTINE with the reason (one printable line, like reply texts).
void append_quarantine(std::string& out, std::string_view reason);

// SMFIR_REPLBODY packets carrying `body`, kBodyChunkBytes at most each (an empty body is one
// empty packet: the body becomes empty).
void append_replace_body(std::string& out, std::string_view body);

// A reply without data: SMFIR_CONTINUE, SMFIR_ACCEPT, SMFIR_REJECT, SMFIR_TEMPFAIL,
// SMFIR_DISCARD, SMFIR_SKIP, SMFIR_PROGRESS.
void append_simple(std::string& out, char reply);

}  // namespace ksmg::milter

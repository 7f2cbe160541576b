// spf_record.hpp — (internal) an SPF record read into terms, and SPF macro expansion (RFC 7208
// sections 4.5, 4.6, 5, 6, 7 and 12), without any DNS.
//
// check_host() (which looks names up) stands on these two pieces, so both are pure functions of
// their text and can be tested and fuzzed alone. RFC 7208 4.6 says a syntax error anywhere in a
// record is a permerror before any term is evaluated, so the whole record is checked here, macro
// strings included; only what needs the expanded name (an empty label, a name over 253 octets) is
// left to evaluation. Records come from DNS and are hostile: the parse is one pass, the terms are
// views into the record (which must outlive the Record), their count is bounded, and expansion
// is bounded in bytes so that a record of nested %{s} cannot make megabytes.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ksmg::auth::spf {

// Terms kept from one record; a record with more is a permerror. Only 10 of them may look names
// up (RFC 7208 4.6.4), and the largest published records list a few dozen ip4/ip6 networks.
inline constexpr std::size_t kMaxRecordTerms = 256;
// A domain-spec expands to at most this many octets: longer names lose labels on the left
// (RFC 7208 7.3).
inline constexpr std::size_t kMaxExpandedDomainBytes = 253;
// An expansion (domain-spec before that truncation, or an explanation) that would exceed this
// is a permerror: no legitimate record comes near it, a macro bomb does.
inline constexpr std::size_t kMaxExpansionBytes = 8192;

enum class Qualifier : char { pass = '+', fail = '-', softfail = '~', neutral = '?' };

enum class MechanismKind : std::uint8_t { all, include, a, mx, ptr, ip4, ip6, exists };

struct Mechanism {
  Qualifier qualifier = Qualifier::pass;
  MechanismKind kind = MechanismKind::all;
  // The unexpanded domain-spec; empty where the mechanism has none (a, mx and ptr then use the
  // current domain; all, ip4 and ip6 never have one).
  std::string_view domain_spec;
  // Dual CIDR lengths of a and mx; the prefix of ip4 (ip4_prefix) and ip6 (ip6_prefix).
  std::uint8_t ip4_prefix = 32;
  std::uint8_t ip6_prefix = 128;
  // The network of ip4 (first 4 bytes) or ip6, in network byte order, as written (host bits are
  // not cleared: matching masks both sides).
  std::array<std::uint8_t, 16> network{};
};

struct Modifier {
  std::string_view name;   // as written; compared without case
  std::string_view value;  // the unexpanded macro-string
};

struct Record {
  std::vector<Mechanism> mechanisms;  // in record order
  std::optional<std::string_view> redirect;
  std::optional<std::string_view> explanation;  // exp=
  // Modifiers this implementation does not know: kept for diagnostics, ignored (RFC 7208 6).
  std::vector<Modifier> unknown_modifiers;
};

struct ParseResult {
  bool ok = false;
  std::string reason;  // why the record is a permerror, when !ok
};

// Whether a TXT record is an SPF record at all (RFC 7208 4.5): "v=spf1", its letters in any
// case, followed by a space or by the end. Others are not SPF records and are ignored.
[[nodiscard]] bool is_spf_record(std::string_view txt) noexcept;

// Reads a record that is_spf_record() selected. On failure `record` is left partly filled and
// must not be evaluated: the result is a permerror.
[[nodiscard]] ParseResult parse_record(std::string_view txt, Record& record);

// What the macros of RFC 7208 7.2 stand for, given by check_host().
struct MacroInputs {
  std::string_view sender_local;   // l: the sender's local part ("postmaster" when it has none)
  std::string_view sender_domain;  // o
  std::string_view domain;         // d: the current domain
  std::string_view client_ip;      // i, c and v: the client's IPv4 or IPv6 address as text
  std::string_view helo;           // h
  std::string_view validated_domain = "unknown";  // p (RFC 7208 7.3 permits "unknown")
  std::string_view receiver = "unknown";          // r: this host's name
  std::uint64_t timestamp = 0;                    // t: seconds since the epoch
};

enum class MacroContext : std::uint8_t {
  domain_spec,  // a mechanism's or modifier's target: c, r, t refused; truncated to 253 octets
  explanation,  // the TXT text exp= points at: every letter, no truncation (RFC 7208 6.2)
};

// Expands a macro-string into `out` (replaced). False, with `reason`, on a syntax error, a letter
// not allowed in `context`, a client IP that is no address, or an expansion over
// kMaxExpansionBytes: all permerrors.
[[nodiscard]] bool expand_macros(std::string_view macro_string, const MacroInputs& inputs,
                                 MacroContext context, std::string& out, std::string& reason);

}  // namespace ksmg::auth::spf

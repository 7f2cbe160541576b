// spf_record.cpp — the SPF record grammar of RFC 7208 section 12 and the macro expansion of
// section 7; see spf_record.hpp.
//
// One walker reads macro-strings both to check them when a record is parsed and to expand them
// during evaluation, so that what the parser accepts is exactly what the expander can expand.
// Addresses are read by inet_pton (which, as the ABNF asks, refuses leading zeros in IPv4
// octets) and written by inet_ntop.
#include "auth/spf_record.hpp"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>
#include <charconv>

#include "core/ascii.hpp"

namespace ksmg::auth::spf {

namespace {

using core::iequals;
using core::is_alnum;
using core::is_alpha;
using core::is_digit;
using core::to_lower;

// name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." )
constexpr bool is_name_char(char c) noexcept {
  return is_alnum(c) || c == '-' || c == '_' || c == '.';
}
// macro-literal = %x21-24 / %x26-7E
constexpr bool is_macro_literal(char c) noexcept { return c >= 0x21 && c <= 0x7e && c != '%'; }
constexpr bool is_delimiter(char c) noexcept {
  return c == '.' || c == '-' || c == '+' || c == ',' || c == '/' || c == '_' || c == '=';
}
// RFC 3986 unreserved: left as is by the URL escaping of uppercase macro letters.
constexpr bool is_unreserved(char c) noexcept {
  return is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

// More parts than any value has (RFC 7208 7.3: too large a DIGIT means all parts).
constexpr unsigned kMaxMacroParts = 1000;
// Longest text inet_pton is asked to read (an IPv6 address with an embedded IPv4 one is 45).
constexpr std::size_t kMaxAddressText = 45;

ParseResult failure(std::string reason) { return {false, std::move(reason)}; }

// The client address in the three forms the macros i, c and v write.
struct ClientAddress {
  std::string dotted;     // i
  std::string readable;   // c
  std::string_view kind;  // v
};

bool read_client_address(std::string_view text, ClientAddress& address) {
  if (text.size() > kMaxAddressText) return false;
  const std::string z(text);
  std::array<unsigned char, 16> bytes{};
  if (inet_pton(AF_INET, z.c_str(), bytes.data()) == 1) {
    address.dotted = z;
    address.readable = z;
    address.kind = "in-addr";
    return true;
  }
  if (inet_pton(AF_INET6, z.c_str(), bytes.data()) != 1) return false;
  constexpr char kHex[] = "0123456789abcdef";
  address.dotted.clear();
  for (const unsigned char b : bytes) {
    if (!address.dotted.empty()) address.dotted.push_back('.');
    address.dotted.push_back(kHex[b >> 4]);
    address.dotted.push_back('.');
    address.dotted.push_back(kHex[b & 15]);
  }
  char readable[INET6_ADDRSTRLEN];
  if (inet_ntop(AF_INET6, bytes.data(), readable, sizeof readable) == nullptr) return false;
  address.readable = readable;
  address.kind = "ip6";
  return true;
}

// What a macro-string walk writes to, when it expands rather than only checks.
struct Expansion {
  const MacroInputs& inputs;
  std::string& out;
  std::optional<ClientAddress> address;  // read on first use
};

struct Transform {
  unsigned keep = kMaxMacroParts;  // rightmost parts kept
  bool reverse = false;
  bool url_escape = false;
  std::string_view delimiters;  // empty: "."
};

// Appends `piece` unless the expansion would pass kMaxExpansionBytes.
bool append_bounded(std::string& out, std::string_view piece, std::string& reason) {
  if (out.size() + piece.size() > kMaxExpansionBytes) {
    reason = "macro expansion exceeds " + std::to_string(kMaxExpansionBytes) + " bytes";
    return false;
  }
  out.append(piece);
  return true;
}

// RFC 7208 7.3: split on the delimiters, reverse when asked, keep the rightmost parts, join
// with dots, URL-escape for an uppercase letter.
bool append_transformed(std::string_view value, const Transform& t, std::string& out,
                        std::string& reason) {
  const std::string_view delimiters = t.delimiters.empty() ? "." : t.delimiters;
  std::vector<std::string_view> parts;
  std::size_t begin = 0;
  for (std::size_t i = 0; i <= value.size(); ++i) {
    if (i == value.size() || delimiters.find(value[i]) != std::string_view::npos) {
      parts.push_back(value.substr(begin, i - begin));
      begin = i + 1;
    }
  }
  if (t.reverse) std::reverse(parts.begin(), parts.end());
  const std::size_t first = parts.size() > t.keep ? parts.size() - t.keep : 0;
  std::string joined;
  for (std::size_t i = first; i < parts.size(); ++i) {
    if (i > first) joined.push_back('.');
    joined.append(parts[i]);
    if (joined.size() > kMaxExpansionBytes) break;  // append_bounded refuses it below
  }
  if (!t.url_escape) return append_bounded(out, joined, reason);
  constexpr char kHex[] = "0123456789ABCDEF";
  for (const char c : joined) {
    const auto b = static_cast<unsigned char>(c);
    const char escaped[3] = {'%', kHex[b >> 4], kHex[b & 15]};
    if (!append_bounded(
            out, is_unreserved(c) ? std::string_view(&c, 1) : std::string_view(escaped, 3), reason))
      return false;
  }
  return true;
}

// The value of one macro letter (lowercase) before its transformers.
bool macro_value(char letter, Expansion& e, std::string& scratch, std::string_view& value,
                 std::string& reason) {
  const MacroInputs& in = e.inputs;
  if ((letter == 'i' || letter == 'c' || letter == 'v') && !e.address) {
    e.address.emplace();
    if (!read_client_address(in.client_ip, *e.address)) {
      reason = "the client IP is not an address";
      return false;
    }
  }
  switch (letter) {
    case 's':
      scratch.assign(in.sender_local).append("@").append(in.sender_domain);
      value = scratch;
      return true;
    case 'l':
      value = in.sender_local;
      return true;
    case 'o':
      value = in.sender_domain;
      return true;
    case 'd':
      value = in.domain;
      return true;
    case 'i':
      value = e.address->dotted;
      return true;
    case 'c':
      value = e.address->readable;
      return true;
    case 'v':
      value = e.address->kind;
      return true;
    case 'p':
      value = in.validated_domain;
      return true;
    case 'h':
      value = in.helo;
      return true;
    case 'r':
      value = in.receiver;
      return true;
    case 't':
      scratch = std::to_string(in.timestamp);
      value = scratch;
      return true;
    default:
      reason = "unknown macro letter";
      return false;  // refused by the walker already
  }
}

// Reads the inside of "%{...}": macro-letter transformers *delimiter. Letters c, r and t only
// in explanations (RFC 7208 7.2).
bool read_macro_expand(std::string_view body, bool explanation, char& letter, Transform& t,
                       std::string& reason) {
  if (body.empty()) {
    reason = "empty macro %{}";
    return false;
  }
  letter = to_lower(body[0]);
  if (std::string_view("slodiphcrtv").find(letter) == std::string_view::npos) {
    reason = std::string("unknown macro letter '") + body[0] + "'";
    return false;
  }
  if (!explanation && (letter == 'c' || letter == 'r' || letter == 't')) {
    reason = std::string("macro letter '") + body[0] + "' is allowed only in exp= text";
    return false;
  }
  t.url_escape = body[0] != letter;
  std::size_t j = 1;
  bool has_digits = false;
  unsigned keep = 0;
  for (; j < body.size() && is_digit(body[j]); ++j) {
    has_digits = true;
    keep = std::min(kMaxMacroParts, keep * 10 + unsigned(body[j] - '0'));
  }
  if (has_digits && keep == 0) {
    reason = "macro transformer of zero parts";
    return false;
  }
  if (has_digits) t.keep = keep;
  if (j < body.size() && to_lower(body[j]) == 'r') {
    t.reverse = true;
    ++j;
  }
  t.delimiters = body.substr(j);
  for (const char c : t.delimiters) {
    if (!is_delimiter(c)) {
      reason = std::string("bad character '") + c + "' in macro %{" + std::string(body) + "}";
      return false;
    }
  }
  return true;
}

// Walks a macro-string (RFC 7208 7.1), or an explain-string (spaces allowed) when
// `explanation`. Checks only when `expansion` is null; else appends to its output.
// `ends_with_macro` tells whether the last thing read was a macro-expand (for domain-end).
bool walk_macro_string(std::string_view s, bool explanation, Expansion* expansion,
                       bool& ends_with_macro, std::string& reason) {
  ends_with_macro = false;
  std::string scratch;
  for (std::size_t i = 0; i < s.size();) {
    const char c = s[i];
    if (c != '%') {
      if (!is_macro_literal(c) && !(explanation && c == ' ')) {
        reason = "character " + std::to_string(static_cast<unsigned char>(c)) +
                 " not allowed in a macro-string";
        return false;
      }
      if (expansion && !append_bounded(expansion->out, s.substr(i, 1), reason)) return false;
      ends_with_macro = false;
      ++i;
      continue;
    }
    if (i + 1 >= s.size()) {
      reason = "a '%' ends the macro-string";
      return false;
    }
    const char next = s[i + 1];
    std::string_view literal;
    if (next == '%') literal = "%";
    if (next == '_') literal = " ";
    if (next == '-') literal = "%20";
    if (!literal.empty()) {
      if (expansion && !append_bounded(expansion->out, literal, reason)) return false;
      ends_with_macro = true;
      i += 2;
      continue;
    }
    if (next != '{') {
      reason = std::string("'%' followed by '") + next + "' (not '{', '%', '_' or '-')";
      return false;
    }
    const std::size_t close = s.find('}', i + 2);
    if (close == std::string_view::npos) {
      reason = "unterminated macro %{";
      return false;
    }
    char letter = 0;
    Transform t;
    if (!read_macro_expand(s.substr(i + 2, close - i - 2), explanation, letter, t, reason))
      return false;
    if (expansion) {
      std::string_view value;
      if (!macro_value(letter, *expansion, scratch, value, reason) ||
          !append_transformed(value, t, expansion->out, reason))
        return false;
    }
    ends_with_macro = true;
    i = close + 1;
  }
  return true;
}

// toplabel = ( *alphanum ALPHA *alphanum ) / ( 1*alphanum "-" *( alphanum / "-" ) alphanum )
bool is_toplabel(std::string_view label) {
  if (label.empty() || !is_alnum(label.front()) || !is_alnum(label.back())) return false;
  bool alpha_or_dash = false;
  for (const char c : label) {
    if (!is_alnum(c) && c != '-') return false;
    alpha_or_dash = alpha_or_dash || !is_digit(c);
  }
  return alpha_or_dash;
}

// domain-spec = macro-string domain-end; domain-end = ( "." toplabel [ "." ] ) / macro-expand
bool check_domain_spec(std::string_view spec, std::string& reason) {
  if (spec.empty()) {
    reason = "empty domain-spec";
    return false;
  }
  bool ends_with_macro = false;
  if (!walk_macro_string(spec, false, nullptr, ends_with_macro, reason)) return false;
  if (ends_with_macro) return true;
  std::string_view name = spec;
  if (name.back() == '.') name.remove_suffix(1);
  const std::size_t dot = name.rfind('.');
  if (dot == std::string_view::npos || !is_toplabel(name.substr(dot + 1))) {
    reason = "domain-spec '" + std::string(spec) + "' does not end in a dot and a top label";
    return false;
  }
  return true;
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return is_digit(c); });
}

// ip4-cidr-length = "/" ( "0" / %x31-39 0*1DIGIT ), at most 32; ip6: 0*2DIGIT, at most 128.
bool read_prefix(std::string_view digits, unsigned max, std::uint8_t& prefix) {
  const std::size_t max_digits = max > 99 ? 3 : 2;
  if (!all_digits(digits) || digits.size() > max_digits || (digits[0] == '0' && digits.size() > 1))
    return false;
  unsigned value = 0;
  std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (value > max) return false;
  prefix = static_cast<std::uint8_t>(value);
  return true;
}

// Takes a trailing dual-cidr-length ( [ "/" ip4 ] [ "//" ip6 ] ) off the arguments of a or mx.
bool take_dual_cidr(std::string_view& args, Mechanism& m, std::string& reason) {
  std::size_t slash = args.rfind('/');
  if (slash == std::string_view::npos || !all_digits(args.substr(slash + 1))) return true;
  if (slash > 0 && args[slash - 1] == '/') {
    if (!read_prefix(args.substr(slash + 1), 128, m.ip6_prefix)) {
      reason = "bad ip6 CIDR length '" + std::string(args.substr(slash + 1)) + "'";
      return false;
    }
    args = args.substr(0, slash - 1);
    slash = args.rfind('/');
    if (slash == std::string_view::npos || !all_digits(args.substr(slash + 1))) return true;
    if (slash > 0 && args[slash - 1] == '/') {
      reason = "two ip6 CIDR lengths";
      return false;
    }
  }
  if (!read_prefix(args.substr(slash + 1), 32, m.ip4_prefix)) {
    reason = "bad ip4 CIDR length '" + std::string(args.substr(slash + 1)) + "'";
    return false;
  }
  args = args.substr(0, slash);
  return true;
}

// ip4:network[/len] and ip6:network[/len]
bool read_network(std::string_view args, bool ip6, Mechanism& m, std::string& reason) {
  const std::string_view label = ip6 ? "ip6" : "ip4";
  if (args.empty() || args[0] != ':') {
    reason = std::string(label) + " needs ':' and a network";
    return false;
  }
  args.remove_prefix(1);
  const std::size_t slash = args.find('/');
  const std::string_view network = args.substr(0, slash);
  if (slash != std::string_view::npos &&
      !read_prefix(args.substr(slash + 1), ip6 ? 128 : 32, ip6 ? m.ip6_prefix : m.ip4_prefix)) {
    reason = "bad " + std::string(label) + " CIDR length '" + std::string(args.substr(slash)) + "'";
    return false;
  }
  const std::string z(network.substr(0, kMaxAddressText + 1));
  if (network.size() > kMaxAddressText ||
      inet_pton(ip6 ? AF_INET6 : AF_INET, z.c_str(), m.network.data()) != 1) {
    reason = "bad " + std::string(label) + " network '" + std::string(network) + "'";
    return false;
  }
  return true;
}

struct MechanismName {
  std::string_view name;
  MechanismKind kind;
};
constexpr MechanismName kMechanisms[] = {
    {"all", MechanismKind::all}, {"include", MechanismKind::include}, {"a", MechanismKind::a},
    {"mx", MechanismKind::mx},   {"ptr", MechanismKind::ptr},         {"ip4", MechanismKind::ip4},
    {"ip6", MechanismKind::ip6}, {"exists", MechanismKind::exists}};

// directive = [ qualifier ] mechanism
bool read_directive(std::string_view term, Mechanism& m, std::string& reason) {
  if (term[0] == '+' || term[0] == '-' || term[0] == '~' || term[0] == '?') {
    m.qualifier = static_cast<Qualifier>(term[0]);
    term.remove_prefix(1);
  }
  std::size_t name_end = 0;
  while (name_end < term.size() && is_alnum(term[name_end])) ++name_end;
  const std::string_view name = term.substr(0, name_end);
  const auto known = std::find_if(std::begin(kMechanisms), std::end(kMechanisms),
                                  [&](const MechanismName& k) { return iequals(k.name, name); });
  if (known == std::end(kMechanisms)) {
    reason = "unknown mechanism '" + std::string(term) + "'";
    return false;
  }
  m.kind = known->kind;
  std::string_view args = term.substr(name_end);
  const auto domain_after_colon = [&](bool required) {
    if (args.empty() && !required) return true;
    if (args.empty() || args[0] != ':') {
      reason = std::string(name) + (required ? " needs ':' and a domain-spec" : ": bad argument") +
               " in '" + std::string(term) + "'";
      return false;
    }
    m.domain_spec = args.substr(1);
    return check_domain_spec(m.domain_spec, reason);
  };
  switch (m.kind) {
    case MechanismKind::all:
      if (args.empty()) return true;
      reason = "'all' takes no argument: '" + std::string(term) + "'";
      return false;
    case MechanismKind::include:
    case MechanismKind::exists:
      return domain_after_colon(true);
    case MechanismKind::ptr:
      return domain_after_colon(false);
    case MechanismKind::a:
    case MechanismKind::mx:
      return take_dual_cidr(args, m, reason) && domain_after_colon(false);
    case MechanismKind::ip4:
      return read_network(args, false, m, reason);
    case MechanismKind::ip6:
      return read_network(args, true, m, reason);
  }
  return false;
}

// modifier = redirect / explanation / unknown-modifier, each name "=" value
bool read_modifier(std::string_view name, std::string_view value, Record& record,
                   std::string& reason) {
  const bool redirect = iequals(name, "redirect");
  if (redirect || iequals(name, "exp")) {
    std::optional<std::string_view>& slot = redirect ? record.redirect : record.explanation;
    if (slot) {
      reason = std::string(name) + "= appears twice";
      return false;
    }
    slot = value;
    return check_domain_spec(value, reason);
  }
  bool ends_with_macro = false;
  if (!walk_macro_string(value, false, nullptr, ends_with_macro, reason)) return false;
  record.unknown_modifiers.push_back({name, value});
  return true;
}

}  // namespace

bool is_spf_record(std::string_view txt) noexcept {
  constexpr std::string_view kVersion = "v=spf1";
  return core::istarts_with(txt, kVersion) && (txt.size() == kVersion.size() || txt[6] == ' ');
}

ParseResult parse_record(std::string_view txt, Record& record) {
  if (!is_spf_record(txt)) return failure("not an SPF record (no \"v=spf1\")");
  std::size_t terms = 0;
  // terms = *( 1*SP ( directive / modifier ) ), then *SP: only spaces separate terms.
  for (std::size_t begin = 6; begin < txt.size();) {
    if (txt[begin] == ' ') {
      ++begin;
      continue;
    }
    const std::size_t end = std::min(txt.find(' ', begin), txt.size());
    const std::string_view term = txt.substr(begin, end - begin);
    begin = end;
    if (++terms > kMaxRecordTerms)
      return failure("more than " + std::to_string(kMaxRecordTerms) + " terms");
    std::size_t name_end = 0;
    while (name_end < term.size() && is_name_char(term[name_end])) ++name_end;
    std::string reason;
    if (is_alpha(term[0]) && name_end < term.size() && term[name_end] == '=') {
      if (!read_modifier(term.substr(0, name_end), term.substr(name_end + 1), record, reason))
        return failure(std::move(reason));
      continue;
    }
    Mechanism m;
    if (!read_directive(term, m, reason)) return failure(std::move(reason));
    record.mechanisms.push_back(m);
  }
  return {true, {}};
}

bool expand_macros(std::string_view macro_string, const MacroInputs& inputs, MacroContext context,
                   std::string& out, std::string& reason) {
  out.clear();
  Expansion expansion{inputs, out, std::nullopt};
  bool ends_with_macro = false;
  if (!walk_macro_string(macro_string, context == MacroContext::explanation, &expansion,
                         ends_with_macro, reason))
    return false;
  // RFC 7208 7.3: labels are removed from the left until the name fits.
  // The first dot at or after size - 254 leaves at most 253 octets behind it.
  if (context == MacroContext::domain_spec && out.size() > kMaxExpandedDomainBytes) {
    const std::size_t dot = out.find('.', out.size() - kMaxExpandedDomainBytes - 1);
    out.erase(0, dot == std::string::npos ? out.size() : dot + 1);
  }
  return true;
}

}  // namespace ksmg::auth::spf

// spf.cpp — check_host() of RFC 7208 sections 4 and 5; see spf.hpp.
//
// One Evaluation holds what a check shares across include and redirect: the client, the sender,
// the term and void-lookup counts, and the validated PTR names once they are looked up (ptr and
// %{p} use the same ones). Include and redirect call evaluate() one level deeper; every level
// spends a DNS term before it descends, so the depth is bounded by kMaxDnsTerms, and evaluate()
// refuses to go deeper anyway. Each record's text is copied before it is parsed, since the
// parsed terms are views into it.
#include "auth/spf.hpp"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "auth/spf_record.hpp"
#include "core/ascii.hpp"
#include "dns/zone.hpp"

namespace ksmg::auth::spf {

std::string_view to_string(Result r) noexcept {
  switch (r) {
    case Result::none:
      return "none";
    case Result::neutral:
      return "neutral";
    case Result::pass:
      return "pass";
    case Result::fail:
      return "fail";
    case Result::softfail:
      return "softfail";
    case Result::temperror:
      return "temperror";
    case Result::permerror:
      return "permerror";
  }
  return "none";
}

namespace {

using dns::Status;
using dns::Type;

std::string_view without_trailing_dot(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  return name;
}

// Labels of 1 to 63 octets, 253 in all: what a DNS query can be made of (RFC 7208 4.3, 4.8).
bool is_queryable_name(std::string_view name) { return dns::domain_name(name).has_value(); }

// The <domain> of a check (RFC 7208 4.3): queryable, several labels, no domain literal and a top
// label that is not numeric (so no address literal either); anything else is "none".
bool is_checkable_domain(std::string_view domain) {
  const std::optional<std::string_view> name = dns::domain_name(domain);
  if (!name || name->find('.') == std::string_view::npos) return false;
  if (name->find_first_of("[]") != std::string_view::npos) return false;
  const std::string_view top = name->substr(name->rfind('.') + 1);
  for (const char c : top)
    if (!core::is_digit(c)) return true;
  return false;
}

// Whether `name` is `domain` or a name below it, without regard to ASCII case.
bool is_within(std::string_view name, std::string_view domain) {
  name = without_trailing_dot(name);
  domain = without_trailing_dot(domain);
  if (name.size() == domain.size()) return core::iequals(name, domain);
  return name.size() > domain.size() && name[name.size() - domain.size() - 1] == '.' &&
         core::iequals(name.substr(name.size() - domain.size()), domain);
}

bool is_dns_error(Status s) { return s == Status::timeout || s == Status::servfail; }
bool is_void(Status s) { return s == Status::nxdomain || s == Status::nodata; }

// ::ffff:a.b.c.d is checked as a.b.c.d (RFC 7208 5: ip4 and a match IPv4 connections).
dns::Address unmapped(const dns::Address& client) {
  if (client.is_v4()) return client;
  const std::uint8_t* b = client.bytes();
  for (int i = 0; i < 10; ++i)
    if (b[i] != 0) return client;
  if (b[10] != 0xff || b[11] != 0xff) return client;
  return dns::Address::v4({b[12], b[13], b[14], b[15]});
}

Result result_of(Qualifier q) {
  switch (q) {
    case Qualifier::pass:
      return Result::pass;
    case Qualifier::fail:
      return Result::fail;
    case Qualifier::softfail:
      return Result::softfail;
    case Qualifier::neutral:
      return Result::neutral;
  }
  return Result::neutral;
}

std::string_view name_of(MechanismKind kind) {
  switch (kind) {
    case MechanismKind::all:
      return "all";
    case MechanismKind::include:
      return "include";
    case MechanismKind::a:
      return "a";
    case MechanismKind::mx:
      return "mx";
    case MechanismKind::ptr:
      return "ptr";
    case MechanismKind::ip4:
      return "ip4";
    case MechanismKind::ip6:
      return "ip6";
    case MechanismKind::exists:
      return "exists";
  }
  return "all";
}

// The term as it would be written (for diagnostics): "-mx:example.com/24", "ip4:192.0.2.0/24".
std::string describe(const Mechanism& m) {
  std::string text;
  if (m.qualifier != Qualifier::pass) text += static_cast<char>(m.qualifier);
  text += name_of(m.kind);
  if (m.kind == MechanismKind::ip4) {
    const auto& n = m.network;
    text += ':' + dns::Address::v4({n[0], n[1], n[2], n[3]}).to_string() + '/' +
            std::to_string(m.ip4_prefix);
    return text;
  }
  if (m.kind == MechanismKind::ip6) {
    text += ':' + dns::Address::v6(m.network).to_string() + '/' + std::to_string(m.ip6_prefix);
    return text;
  }
  if (!m.domain_spec.empty()) (text += ':') += m.domain_spec;
  if (m.kind == MechanismKind::a || m.kind == MechanismKind::mx) {
    if (m.ip4_prefix != 32) text += '/' + std::to_string(m.ip4_prefix);
    if (m.ip6_prefix != 128) text += "//" + std::to_string(m.ip6_prefix);
  }
  return text;
}

// How one term came out.
enum class Match : std::uint8_t { yes, no, temperror, permerror };

class Evaluation {
 public:
  Evaluation(const dns::Address& client, std::string_view sender, std::string_view helo,
             dns::Lookups& lookups, const Receiver& receiver)
      : lookups_(lookups),
        client_(unmapped(client)),
        client_text_(client_.to_string()),
        helo_(helo),
        receiver_(receiver) {
    const std::size_t at = sender.rfind('@');
    sender_domain_ = at == std::string_view::npos ? sender : sender.substr(at + 1);
    sender_local_ = at == std::string_view::npos || at == 0 ? "postmaster" : sender.substr(0, at);
  }

  Outcome evaluate(std::string_view domain, std::size_t depth, bool explain) {
    Outcome out;
    if (depth > kMaxDnsTerms)
      return error(Result::permerror, "include or redirect nested too deep");
    if (!is_checkable_domain(domain)) return error(Result::none, "not a domain name: ", domain);
    const dns::Answer answer = lookups_.query(domain, Type::txt);
    if (is_dns_error(answer.status))
      return error(Result::temperror, "TXT lookup failed: ", dns::to_string(answer.status));
    const std::string* selected = nullptr;
    for (const std::string& text : answer.texts) {
      if (!is_spf_record(text)) continue;
      if (selected) return error(Result::permerror, "several SPF records at ", domain);
      selected = &text;
    }
    if (!selected) return error(Result::none, "no SPF record at ", domain);
    const std::string text = *selected;
    Record record;
    const ParseResult parsed = parse_record(text, record);
    if (!parsed.ok) return error(Result::permerror, parsed.reason);

    for (const Mechanism& mechanism : record.mechanisms) {
      Outcome failure;
      const Match match = matches(mechanism, domain, depth, failure);
      if (match == Match::no) continue;
      if (match != Match::yes) return failure;
      out.result = result_of(mechanism.qualifier);
      out.mechanism = describe(mechanism);
      out.domain = std::string(without_trailing_dot(domain));
      if (out.result == Result::fail && explain) out.explanation = explanation(record, domain);
      return out;
    }
    if (!record.redirect) {
      out.result = Result::neutral;
      return out;
    }
    if (!spend_term()) return error(Result::permerror, "more than 10 DNS-querying terms");
    Outcome failure;
    const std::optional<std::string> target = expand_target(*record.redirect, domain, failure);
    if (!target) return failure;
    // A redirect to a name that cannot be queried, or that has no record, is a permerror
    // (RFC 7208 6.1); its own exp= replaces ours.
    Outcome redirected = evaluate(*target, depth + 1, explain);
    if (redirected.result == Result::none) {
      redirected.result = Result::permerror;
      redirected.reason = "redirect to a domain without an SPF record: " + *target;
    }
    return redirected;
  }

 private:
  static Outcome error(Result result, std::string_view what, std::string_view detail = {}) {
    Outcome out;
    out.result = result;
    out.reason = std::string(what) + std::string(detail);
    return out;
  }

  bool spend_term() { return ++dns_terms_ <= kMaxDnsTerms; }

  // A lookup that found nothing; false past kMaxVoidLookups.
  bool spend_void() { return ++void_lookups_ <= kMaxVoidLookups; }

  MacroInputs inputs(std::string_view domain) {
    MacroInputs in;
    in.sender_local = sender_local_;
    in.sender_domain = sender_domain_;
    in.domain = domain;
    in.client_ip = client_text_;
    in.helo = helo_;
    in.receiver = receiver_.name;
    in.timestamp = receiver_.timestamp;
    return in;
  }

  // Expands a macro-string, looking the validated name up only when %{p} asks for it.
  bool expand(std::string_view macro_string, std::string_view domain, MacroContext context,
              std::string& out, std::string& reason) {
    MacroInputs in = inputs(domain);
    std::string validated;
    if (macro_string.find("%{p") != std::string_view::npos ||
        macro_string.find("%{P") != std::string_view::npos) {
      validated = validated_domain(domain);
      in.validated_domain = validated;
    }
    return expand_macros(macro_string, in, context, out, reason);
  }

  // The target of a term; nullopt with `failure` set to a permerror when it does not expand.
  std::optional<std::string> expand_target(std::string_view domain_spec, std::string_view domain,
                                           Outcome& failure) {
    if (domain_spec.empty()) return std::string(domain);
    std::string target, reason;
    if (!expand(domain_spec, domain, MacroContext::domain_spec, target, reason)) {
      failure = error(Result::permerror, reason);
      return std::nullopt;
    }
    return target;
  }

  // Addresses of `name` in the client's family; a void answer counts against kMaxVoidLookups.
  Match addresses_match(std::string_view name, const Mechanism& m, Outcome& failure) {
    const dns::Answer answer = lookups_.query(name, client_.is_v4() ? Type::a : Type::aaaa);
    if (is_dns_error(answer.status)) {
      failure = error(Result::temperror, "address lookup failed: ", name);
      return Match::temperror;
    }
    return any_address_matches(answer, m) ? Match::yes : Match::no;
  }

  bool any_address_matches(const dns::Answer& answer, const Mechanism& m) const {
    const unsigned prefix = client_.is_v4() ? m.ip4_prefix : m.ip6_prefix;
    for (const dns::Address& address : answer.addresses)
      if (client_.in_network(address, prefix)) return true;
    return false;
  }

  Match void_or_no(Outcome& failure) {
    if (spend_void()) return Match::no;
    failure = error(Result::permerror, "more than 2 void lookups");
    return Match::permerror;
  }

  Match matches(const Mechanism& m, std::string_view domain, std::size_t depth, Outcome& failure) {
    switch (m.kind) {
      case MechanismKind::all:
        return Match::yes;
      case MechanismKind::ip4:
        if (!client_.is_v4()) return Match::no;
        return client_.in_network(
                   dns::Address::v4({m.network[0], m.network[1], m.network[2], m.network[3]}),
                   m.ip4_prefix)
                   ? Match::yes
                   : Match::no;
      case MechanismKind::ip6:
        if (client_.is_v4()) return Match::no;
        return client_.in_network(dns::Address::v6(m.network), m.ip6_prefix) ? Match::yes
                                                                             : Match::no;
      default:
        break;
    }
    if (!spend_term()) {
      failure = error(Result::permerror, "more than 10 DNS-querying terms");
      return Match::permerror;
    }
    const std::optional<std::string> target = expand_target(m.domain_spec, domain, failure);
    if (!target) return Match::permerror;
    if (m.kind == MechanismKind::include) return include_matches(*target, depth, failure);
    // A name that no query can be made of exists nowhere (RFC 7208 4.3 by analogy; 4.8 leaves
    // it open): the term does not match.
    if (!is_queryable_name(*target)) return Match::no;
    switch (m.kind) {
      case MechanismKind::a: {
        const dns::Answer answer = lookups_.query(*target, client_.is_v4() ? Type::a : Type::aaaa);
        if (is_dns_error(answer.status)) {
          failure = error(Result::temperror, "address lookup failed: ", *target);
          return Match::temperror;
        }
        if (is_void(answer.status)) return void_or_no(failure);
        return any_address_matches(answer, m) ? Match::yes : Match::no;
      }
      case MechanismKind::mx:
        return mx_matches(*target, m, failure);
      case MechanismKind::ptr:
        for (const std::string& name : validated_names())
          if (is_within(name, *target)) return Match::yes;
        return Match::no;
      case MechanismKind::exists: {
        // Always an A query, whatever the client's family (RFC 7208 5.7).
        const dns::Answer answer = lookups_.query(*target, Type::a);
        if (is_dns_error(answer.status)) {
          failure = error(Result::temperror, "exists lookup failed: ", *target);
          return Match::temperror;
        }
        if (is_void(answer.status)) return void_or_no(failure);
        return answer.addresses.empty() ? Match::no : Match::yes;
      }
      default:
        return Match::no;
    }
  }

  // RFC 7208 5.2: the included check's pass matches; fail, softfail and neutral do not; errors
  // carry over, and a domain without a record is a permerror.
  Match include_matches(const std::string& target, std::size_t depth, Outcome& failure) {
    Outcome included = evaluate(target, depth + 1, false);
    switch (included.result) {
      case Result::pass:
        return Match::yes;
      case Result::fail:
      case Result::softfail:
      case Result::neutral:
        return Match::no;
      case Result::none:
        failure = error(Result::permerror, "include of a domain without an SPF record: ", target);
        return Match::permerror;
      case Result::temperror:
        failure = std::move(included);
        return Match::temperror;
      case Result::permerror:
        failure = std::move(included);
        return Match::permerror;
    }
    return Match::no;
  }

  // RFC 7208 5.4: the MX names' addresses, at most kMaxMxNames names (4.6.4).
  Match mx_matches(const std::string& target, const Mechanism& m, Outcome& failure) {
    const dns::Answer answer = lookups_.query(target, Type::mx);
    if (is_dns_error(answer.status)) {
      failure = error(Result::temperror, "MX lookup failed: ", target);
      return Match::temperror;
    }
    if (is_void(answer.status)) return void_or_no(failure);
    if (answer.exchanges.size() > kMaxMxNames) {
      failure = error(Result::permerror, "more than 10 MX names at ", target);
      return Match::permerror;
    }
    for (const dns::Mx& mx : answer.exchanges) {
      if (!is_queryable_name(mx.exchange)) continue;  // a null MX (RFC 7505) names no host
      const Match match = addresses_match(mx.exchange, m, failure);
      if (match != Match::no) return match;
    }
    return Match::no;
  }

  // RFC 7208 5.5: the client's PTR names (the first kMaxPtrNames) whose own addresses include
  // the client; a name whose lookup fails is skipped, and a failed PTR lookup validates none.
  const std::vector<std::string>& validated_names() {
    if (validated_) return *validated_;
    validated_.emplace();
    const dns::Answer ptr = lookups_.query(client_.reverse_name(), Type::ptr);
    if (ptr.status != Status::answer) return *validated_;
    std::size_t checked = 0;
    for (const std::string& name : ptr.names) {
      if (checked == kMaxPtrNames) break;
      if (!is_queryable_name(name)) continue;
      ++checked;
      const dns::Answer answer = lookups_.query(name, client_.is_v4() ? Type::a : Type::aaaa);
      for (const dns::Address& address : answer.addresses) {
        if (address == client_) {
          validated_->push_back(name);
          break;
        }
      }
    }
    return *validated_;
  }

  // %{p} (RFC 7208 7.3): the current domain if validated, else a validated name below it, else
  // any validated name, else "unknown".
  std::string validated_domain(std::string_view domain) {
    const std::vector<std::string>& names = validated_names();
    for (const std::string& name : names)
      if (core::iequals(without_trailing_dot(name), without_trailing_dot(domain))) return name;
    for (const std::string& name : names)
      if (is_within(name, domain)) return name;
    return names.empty() ? std::string("unknown") : names.front();
  }

  // RFC 7208 6.2: the TXT record exp= names, expanded; any error falls back to the default.
  std::string explanation(const Record& record, std::string_view domain) {
    if (!record.explanation) return std::string(kDefaultExplanation);
    std::string target, reason;
    if (!expand(*record.explanation, domain, MacroContext::domain_spec, target, reason) ||
        !is_queryable_name(target))
      return std::string(kDefaultExplanation);
    const dns::Answer answer = lookups_.query(target, Type::txt);
    if (answer.status != Status::answer || answer.texts.size() != 1)
      return std::string(kDefaultExplanation);
    std::string text;
    if (!expand(answer.texts.front(), domain, MacroContext::explanation, text, reason))
      return std::string(kDefaultExplanation);
    return text;
  }

  dns::Lookups& lookups_;
  const dns::Address client_;
  const std::string client_text_;
  std::string_view sender_local_;
  std::string_view sender_domain_;
  std::string_view helo_;
  const Receiver receiver_;
  std::size_t dns_terms_ = 0;
  std::size_t void_lookups_ = 0;
  std::optional<std::vector<std::string>> validated_;
};

}  // namespace

Outcome check_host(const dns::Address& client, std::string_view domain, std::string_view sender,
                   std::string_view helo, dns::Lookups& lookups, const Receiver& receiver) {
  Evaluation evaluation(client, sender, helo, lookups, receiver);
  return evaluation.evaluate(domain, 0, true);
}

}  // namespace ksmg::auth::spf

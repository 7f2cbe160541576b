// spf.hpp — (internal) SPF evaluation: check_host() of RFC 7208 sections 4 and 5, on the record
// grammar of spf_record.hpp and the message's DNS budget (dns::Lookups).
//
// Records come from DNS and are hostile, so every walk is bounded by the RFC's own limits: at
// most kMaxDnsTerms terms that query DNS (include, a, mx, ptr, exists, redirect) per check, which
// also bounds how deep include and redirect nest (each level spends one term before it descends),
// kMaxVoidLookups lookups that find nothing, kMaxMxNames exchanges per mx and kMaxPtrNames names
// per ptr or %{p}. Everything below those is also under the message's dns::Lookups budget, whose
// exhaustion reads as a timeout and so gives temperror.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "ksmg/dns.hpp"

namespace ksmg::auth::spf {

// RFC 7208 4.6.4.
inline constexpr std::size_t kMaxDnsTerms = 10;
inline constexpr std::size_t kMaxVoidLookups = 2;
inline constexpr std::size_t kMaxMxNames = 10;
inline constexpr std::size_t kMaxPtrNames = 10;

// The explanation of a fail whose record has no usable exp= (RFC 7208 6.2 leaves it to us).
inline constexpr std::string_view kDefaultExplanation = "SPF fail - not authorized";

enum class Result : std::uint8_t { none, neutral, pass, fail, softfail, temperror, permerror };
[[nodiscard]] std::string_view to_string(Result r) noexcept;  // "none", "pass", ... (RFC 8601)

struct Outcome {
  Result result = Result::none;
  // Of a fail: the expanded exp= text, or kDefaultExplanation (RFC 7208 6.2).
  std::string explanation;
  // For diagnostics: the term that decided ("-all", "ip4:192.0.2.0/24", "redirect=..." is never
  // named: the term of the redirected record is) and the domain whose record held it; both empty
  // when no term matched (neutral by default, none, errors).
  std::string mechanism;
  std::string domain;
  // Of none, temperror and permerror: why.
  std::string reason;
};

// What the macros r and t stand for (RFC 7208 7.2); they appear in explanations only.
struct Receiver {
  std::string_view name = "unknown";
  std::uint64_t timestamp = 0;
};

// check_host(<ip>, <domain>, <sender>) with the HELO name for %{h}. `sender` is the MAIL FROM
// address; without a local part ("example.com", "@example.com") the local part is "postmaster"
// (RFC 7208 4.3). The HELO identity is a separate call: domain = helo, sender =
// "postmaster@" + helo (RFC 7208 2.3). An IPv4-mapped IPv6 client is checked as IPv4.
[[nodiscard]] Outcome check_host(const dns::Address& client, std::string_view domain,
                                 std::string_view sender, std::string_view helo,
                                 dns::Lookups& lookups, const Receiver& receiver = {});

}  // namespace ksmg::auth::spf

// dkim_signature.hpp — (internal) the DKIM-Signature header field read into its tags (RFC 6376
// 3.5, with the ed25519-sha256 algorithm of RFC 8463 and rsa-sha1's retirement by RFC 8301).
//
// A signature that this reader refuses is a permerror for that signature (RFC 6376 6.1.1), so
// each rule it checks has its own error, which the Authentication-Results comment can name. The
// reader needs no DNS and no clock (expiry is judged by the verifier, from expiration); views
// point into the field's value, which must outlive the Signature.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/dkim_canon.hpp"
#include "auth/dkim_tags.hpp"

namespace ksmg::auth::dkim {

// Names in h=; a signature with more is refused. Signers list a dozen or two, and "oversign"
// each once more; a thousand would make the header hash a quadratic search.
inline constexpr std::size_t kMaxSignedHeaders = 128;
// Digits of the decimals l=, t= and x=: up to 10^18 - 1, which fits in 64 bits. RFC 6376 allows
// l= 76 digits, but no body exceeds 10^18 bytes, and t=/x= are 12 digits (RFC 6376 3.5).
inline constexpr std::size_t kMaxDecimalDigits = 18;

enum class Algorithm : std::uint8_t {
  rsa_sha256,
  ed25519_sha256,  // RFC 8463
  rsa_sha1,        // recognised so that it is named, never passes (RFC 8301 3.1)
};

enum class SignatureError : std::uint8_t {
  none,
  tag_syntax,               // the tag list itself (tag_error says how)
  missing_version,          // no v=
  bad_version,              // v= other than 1
  missing_algorithm,        // no a=
  unknown_algorithm,        // a= not rsa-sha256, ed25519-sha256 or rsa-sha1
  missing_signature,        // no b=, or an empty one
  bad_signature,            // b= not base64
  missing_body_hash,        // no bh=, or an empty one
  bad_body_hash,            // bh= not base64
  bad_canonicalization,     // c= not simple or relaxed, for header and body
  missing_domain,           // no d=
  bad_domain,               // d= not a domain name
  missing_selector,         // no s=
  bad_selector,             // s= not a domain name
  missing_headers,          // no h=
  bad_header_name,          // an empty or invalid name in h=
  too_many_headers,         // more than kMaxSignedHeaders in h=
  from_not_signed,          // h= without From (RFC 6376 5.4)
  bad_identity,             // i= with no '@', or not dkim-quoted-printable
  identity_outside_domain,  // i='s domain neither d= nor a subdomain of it
  bad_body_length,          // l= not a decimal of at most kMaxDecimalDigits digits
  unknown_query_method,     // q= without dns/txt
  bad_timestamp,            // t= not a decimal
  bad_expiration,           // x= not a decimal
  expired_before_signed,    // x= earlier than t=
};
[[nodiscard]] std::string_view to_string(SignatureError e) noexcept;

struct Signature {
  Algorithm algorithm = Algorithm::rsa_sha256;
  std::string signature;  // b=, decoded
  std::string body_hash;  // bh=, decoded
  // b= as written, so that the verifier can empty it in the field it hashes (RFC 6376 3.7).
  std::string_view signature_as_written;
  Canonicalization header_canonicalization = Canonicalization::simple;
  Canonicalization body_canonicalization = Canonicalization::simple;
  std::string_view domain;                       // d=
  std::string_view selector;                     // s=
  std::vector<std::string_view> signed_headers;  // h=, in order, as written
  std::string identity;                          // i=, decoded; "@" + d= when absent (RFC 6376 3.5)
  std::optional<std::uint64_t> body_length;      // l=
  std::optional<std::uint64_t> timestamp;        // t=
  std::optional<std::uint64_t> expiration;       // x=
};

struct SignatureParse {
  SignatureError error = SignatureError::none;
  TagListError tag_error = TagListError::none;  // how, when error is tag_syntax
};

// Reads the value of a DKIM-Signature field (after its ':', folding included). On an error
// `signature` is left partly filled and must not be verified: the signature is a permerror.
[[nodiscard]] SignatureParse parse_signature(std::string_view value, Signature& signature);

// rsa-sha1 signatures are read but never pass (RFC 8301 3.1).
[[nodiscard]] constexpr bool never_passes(Algorithm a) noexcept { return a == Algorithm::rsa_sha1; }

}  // namespace ksmg::auth::dkim

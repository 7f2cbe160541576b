// dkim_signature.cpp — the DKIM-Signature field's tags read and checked (RFC 6376 3.5).
#include "auth/dkim_signature.hpp"

#include "core/ascii.hpp"
#include "dns/zone.hpp"
#include "mime/transfer_decode.hpp"

namespace ksmg::auth::dkim {

namespace {

// A decimal of 1 to kMaxDecimalDigits digits.
std::optional<std::uint64_t> decimal(std::string_view value) noexcept {
  if (value.empty() || value.size() > kMaxDecimalDigits) return std::nullopt;
  std::uint64_t n = 0;
  for (const char c : value) {
    if (!core::is_digit(c)) return std::nullopt;
    n = n * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return n;
}

// A header field name of RFC 5322 2.2: printable ASCII other than ':'.
bool is_field_name(std::string_view name) noexcept {
  if (name.empty()) return false;
  for (const char c : name)
    if (c < 0x21 || c > 0x7e) return false;
  return true;
}

// a= and c= are compared without case: RFC 6376 defines them in lower case only, and a signer
// that wrote "RSA-SHA256" or "Relaxed" meant nothing else.
std::optional<Canonicalization> canonicalization(std::string_view name) noexcept {
  if (core::iequals(name, "simple")) return Canonicalization::simple;
  if (core::iequals(name, "relaxed")) return Canonicalization::relaxed;
  return std::nullopt;
}

std::optional<Algorithm> algorithm(std::string_view name) noexcept {
  if (core::iequals(name, "rsa-sha256")) return Algorithm::rsa_sha256;
  if (core::iequals(name, "ed25519-sha256")) return Algorithm::ed25519_sha256;
  if (core::iequals(name, "rsa-sha1")) return Algorithm::rsa_sha1;
  return std::nullopt;
}

SignatureError read_canonicalization(std::string_view value, Signature& sig) {
  const std::size_t slash = value.find('/');
  const auto header = canonicalization(value.substr(0, slash));
  if (!header) return SignatureError::bad_canonicalization;
  sig.header_canonicalization = *header;
  if (slash == std::string_view::npos) return SignatureError::none;  // body: simple
  const auto body = canonicalization(value.substr(slash + 1));
  if (!body) return SignatureError::bad_canonicalization;
  sig.body_canonicalization = *body;
  return SignatureError::none;
}

SignatureError read_headers(std::string_view value, Signature& sig) {
  if (!split_list(value, kMaxSignedHeaders, sig.signed_headers))
    return SignatureError::too_many_headers;
  bool from = false;
  for (const std::string_view name : sig.signed_headers) {
    if (!is_field_name(name)) return SignatureError::bad_header_name;
    from = from || core::iequals(name, "from");
  }
  return from ? SignatureError::none : SignatureError::from_not_signed;
}

// i= is dkim-quoted-printable (RFC 6376 2.11): "=XX" escapes, folding whitespace ignored.
SignatureError read_identity(std::string_view value, Signature& sig) {
  const std::string compact = without_fws(value);
  std::string identity;
  const mime::detail::DecodeStatus status =
      mime::detail::decode_quoted_printable(compact, identity, kMaxTagValueBytes);
  const std::size_t at = identity.rfind('@');
  if (!status.defects.empty() || at == std::string::npos) return SignatureError::bad_identity;
  const std::string_view domain = std::string_view(identity).substr(at + 1);
  const bool in_domain =
      core::iequals(domain, sig.domain) ||
      (domain.size() > sig.domain.size() && domain[domain.size() - sig.domain.size() - 1] == '.' &&
       core::iequals(domain.substr(domain.size() - sig.domain.size()), sig.domain));
  if (!in_domain) return SignatureError::identity_outside_domain;
  sig.identity = std::move(identity);
  return SignatureError::none;
}

SignatureError read_tags(const std::vector<Tag>& tags, Signature& sig) {
  const std::string_view* v = find_tag(tags, "v");
  if (v == nullptr) return SignatureError::missing_version;
  if (*v != "1") return SignatureError::bad_version;

  const std::string_view* a = find_tag(tags, "a");
  if (a == nullptr) return SignatureError::missing_algorithm;
  const auto alg = algorithm(*a);
  if (!alg) return SignatureError::unknown_algorithm;
  sig.algorithm = *alg;

  const std::string_view* b = find_tag(tags, "b");
  if (b == nullptr || b->empty()) return SignatureError::missing_signature;
  if (!decode_base64_value(*b, sig.signature) || sig.signature.empty())
    return SignatureError::bad_signature;
  sig.signature_as_written = *b;

  const std::string_view* bh = find_tag(tags, "bh");
  if (bh == nullptr || bh->empty()) return SignatureError::missing_body_hash;
  if (!decode_base64_value(*bh, sig.body_hash) || sig.body_hash.empty())
    return SignatureError::bad_body_hash;

  if (const std::string_view* c = find_tag(tags, "c")) {
    const SignatureError e = read_canonicalization(*c, sig);
    if (e != SignatureError::none) return e;
  }

  const std::string_view* d = find_tag(tags, "d");
  if (d == nullptr) return SignatureError::missing_domain;
  if (!dns::domain_name(*d)) return SignatureError::bad_domain;
  sig.domain = *dns::domain_name(*d);

  const std::string_view* s = find_tag(tags, "s");
  if (s == nullptr) return SignatureError::missing_selector;
  if (!dns::domain_name(*s)) return SignatureError::bad_selector;
  sig.selector = *dns::domain_name(*s);

  const std::string_view* h = find_tag(tags, "h");
  if (h == nullptr) return SignatureError::missing_headers;
  if (const SignatureError e = read_headers(*h, sig); e != SignatureError::none) return e;

  if (const std::string_view* i = find_tag(tags, "i")) {
    if (const SignatureError e = read_identity(*i, sig); e != SignatureError::none) return e;
  } else {
    sig.identity = "@" + std::string(sig.domain);
  }

  if (const std::string_view* l = find_tag(tags, "l")) {
    sig.body_length = decimal(*l);
    if (!sig.body_length) return SignatureError::bad_body_length;
  }

  // RFC 6376 3.5: unrecognised methods are ignored, but dns/txt is the only one there is.
  if (const std::string_view* q = find_tag(tags, "q")) {
    std::vector<std::string_view> methods;
    bool dns_txt = false;
    if (split_list(*q, kMaxTags, methods))
      for (const std::string_view m : methods) dns_txt = dns_txt || core::iequals(m, "dns/txt");
    if (!dns_txt) return SignatureError::unknown_query_method;
  }

  if (const std::string_view* t = find_tag(tags, "t")) {
    sig.timestamp = decimal(*t);
    if (!sig.timestamp) return SignatureError::bad_timestamp;
  }
  if (const std::string_view* x = find_tag(tags, "x")) {
    sig.expiration = decimal(*x);
    if (!sig.expiration) return SignatureError::bad_expiration;
    if (sig.timestamp && *sig.expiration < *sig.timestamp)
      return SignatureError::expired_before_signed;
  }
  return SignatureError::none;  // z= (copied header fields) is diagnostics only: not read
}

}  // namespace

std::string_view to_string(SignatureError e) noexcept {
  switch (e) {
    case SignatureError::none:
      return "no error";
    case SignatureError::tag_syntax:
      return "malformed tag list";
    case SignatureError::missing_version:
      return "missing v= tag";
    case SignatureError::bad_version:
      return "unsupported version";
    case SignatureError::missing_algorithm:
      return "missing a= tag";
    case SignatureError::unknown_algorithm:
      return "unknown algorithm";
    case SignatureError::missing_signature:
      return "missing b= tag";
    case SignatureError::bad_signature:
      return "b= is not base64";
    case SignatureError::missing_body_hash:
      return "missing bh= tag";
    case SignatureError::bad_body_hash:
      return "bh= is not base64";
    case SignatureError::bad_canonicalization:
      return "unknown canonicalization";
    case SignatureError::missing_domain:
      return "missing d= tag";
    case SignatureError::bad_domain:
      return "d= is not a domain name";
    case SignatureError::missing_selector:
      return "missing s= tag";
    case SignatureError::bad_selector:
      return "s= is not a selector";
    case SignatureError::missing_headers:
      return "missing h= tag";
    case SignatureError::bad_header_name:
      return "invalid header name in h=";
    case SignatureError::too_many_headers:
      return "too many headers in h=";
    case SignatureError::from_not_signed:
      return "From not in h=";
    case SignatureError::bad_identity:
      return "malformed i= tag";
    case SignatureError::identity_outside_domain:
      return "i= not in d= domain";
    case SignatureError::bad_body_length:
      return "malformed l= tag";
    case SignatureError::unknown_query_method:
      return "no known query method in q=";
    case SignatureError::bad_timestamp:
      return "malformed t= tag";
    case SignatureError::bad_expiration:
      return "malformed x= tag";
    case SignatureError::expired_before_signed:
      return "x= earlier than t=";
  }
  return "unknown error";
}

SignatureParse parse_signature(std::string_view value, Signature& signature) {
  signature = Signature{};
  std::vector<Tag> tags;
  SignatureParse result;
  result.tag_error = parse_tag_list(value, tags);
  if (result.tag_error != TagListError::none) {
    result.error = SignatureError::tag_syntax;
    return result;
  }
  result.error = read_tags(tags, signature);
  return result;
}

}  // namespace ksmg::auth::dkim

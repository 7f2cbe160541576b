// dkim_key.hpp — (internal) the DKIM key record, the TXT record at
// <selector>._domainkey.<domain> (RFC 6376 3.6.1, with the ed25519 key type of RFC 8463).
//
// The record comes from DNS and is hostile; it is read through the same bounded tag-list reader
// as the signature. A record refused here makes the signature a permerror (RFC 6376 6.1.2). The
// public key is kept decoded, as OpenSSL will take it (SubjectPublicKeyInfo for rsa, the 32 raw
// bytes for ed25519); whether it is a key of that type is the verifier's to find out.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "auth/dkim_signature.hpp"
#include "auth/dkim_tags.hpp"

namespace ksmg::auth::dkim {

enum class KeyType : std::uint8_t { rsa, ed25519 };

enum class KeyError : std::uint8_t {
  none,
  tag_syntax,          // the tag list itself
  version_not_first,   // v= present but not the first tag
  bad_version,         // v= other than DKIM1
  unknown_key_type,    // k= not rsa or ed25519
  missing_public_key,  // no p=
  bad_public_key,      // p= not base64
  no_known_hash,       // h= lists neither sha1 nor sha256
  not_for_email,       // s= lists neither '*' nor email
};
[[nodiscard]] std::string_view to_string(KeyError e) noexcept;

struct KeyRecord {
  KeyType type = KeyType::rsa;
  std::string public_key;  // p=, decoded; empty when revoked
  bool revoked = false;    // p= empty (RFC 6376 3.6.1)
  // h=: the hashes the key may sign with; both when h= is absent.
  bool allows_sha1 = true;
  bool allows_sha256 = true;
  bool testing = false;  // t=y: the domain is testing DKIM
  bool strict = false;   // t=s: i= must be d= itself, no subdomain
};

struct KeyParse {
  KeyError error = KeyError::none;
  TagListError tag_error = TagListError::none;  // how, when error is tag_syntax
};

[[nodiscard]] KeyParse parse_key_record(std::string_view txt, KeyRecord& key);

// Whether a signature of `algorithm` may be checked with `key`: the key type and h= agree.
[[nodiscard]] bool key_fits(const KeyRecord& key, Algorithm algorithm) noexcept;

}  // namespace ksmg::auth::dkim

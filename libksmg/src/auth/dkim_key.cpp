// dkim_key.cpp — the DKIM key record's tags read and checked (RFC 6376 3.6.1, RFC 8463).
#include "auth/dkim_key.hpp"

#include <vector>

#include "core/ascii.hpp"

namespace ksmg::auth::dkim {

namespace {

KeyError read_tags(const std::vector<Tag>& tags, KeyRecord& key) {
  if (const std::string_view* v = find_tag(tags, "v")) {
    if (tags.front().name != "v") return KeyError::version_not_first;
    if (*v != "DKIM1") return KeyError::bad_version;
  }

  if (const std::string_view* k = find_tag(tags, "k")) {
    if (*k == "rsa")
      key.type = KeyType::rsa;
    else if (*k == "ed25519")
      key.type = KeyType::ed25519;
    else
      return KeyError::unknown_key_type;
  }

  const std::string_view* p = find_tag(tags, "p");
  if (p == nullptr) return KeyError::missing_public_key;
  if (!decode_base64_value(*p, key.public_key)) return KeyError::bad_public_key;
  key.revoked = key.public_key.empty();

  // The lists below name values this reader may not know: those are ignored (RFC 6376 3.6.1).
  std::vector<std::string_view> items;
  if (const std::string_view* h = find_tag(tags, "h")) {
    key.allows_sha1 = key.allows_sha256 = false;
    (void)split_list(*h, kMaxTags, items);  // past kMaxTags the rest is ignored
    for (const std::string_view hash : items) {
      key.allows_sha1 = key.allows_sha1 || hash == "sha1";
      key.allows_sha256 = key.allows_sha256 || hash == "sha256";
    }
    if (!key.allows_sha1 && !key.allows_sha256) return KeyError::no_known_hash;
  }
  if (const std::string_view* s = find_tag(tags, "s")) {
    bool email = false;
    (void)split_list(*s, kMaxTags, items);
    for (const std::string_view service : items)
      email = email || service == "*" || service == "email";
    if (!email) return KeyError::not_for_email;
  }
  if (const std::string_view* t = find_tag(tags, "t")) {
    (void)split_list(*t, kMaxTags, items);
    for (const std::string_view flag : items) {
      key.testing = key.testing || flag == "y";
      key.strict = key.strict || flag == "s";
    }
  }
  return KeyError::none;
}

}  // namespace

std::string_view to_string(KeyError e) noexcept {
  switch (e) {
    case KeyError::none:
      return "no error";
    case KeyError::tag_syntax:
      return "malformed tag list";
    case KeyError::version_not_first:
      return "v= is not the first tag";
    case KeyError::bad_version:
      return "unsupported key version";
    case KeyError::unknown_key_type:
      return "unknown key type";
    case KeyError::missing_public_key:
      return "missing p= tag";
    case KeyError::bad_public_key:
      return "p= is not base64";
    case KeyError::no_known_hash:
      return "no known hash in h=";
    case KeyError::not_for_email:
      return "key not for email";
  }
  return "unknown error";
}

KeyParse parse_key_record(std::string_view txt, KeyRecord& key) {
  key = KeyRecord{};
  std::vector<Tag> tags;
  KeyParse result;
  result.tag_error = parse_tag_list(txt, tags);
  if (result.tag_error != TagListError::none) {
    result.error = KeyError::tag_syntax;
    return result;
  }
  result.error = read_tags(tags, key);
  return result;
}

bool key_fits(const KeyRecord& key, Algorithm algorithm) noexcept {
  switch (algorithm) {
    case Algorithm::rsa_sha256:
      return key.type == KeyType::rsa && key.allows_sha256;
    case Algorithm::rsa_sha1:
      return key.type == KeyType::rsa && key.allows_sha1;
    case Algorithm::ed25519_sha256:
      return key.type == KeyType::ed25519 && key.allows_sha256;
  }
  return false;
}

}  // namespace ksmg::auth::dkim

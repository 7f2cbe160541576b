// fuzz_dkim_tags.cpp — libFuzzer harness for DKIM's readers without DNS (auth/dkim_tags.cpp,
// dkim_signature.cpp, dkim_key.cpp, dkim_canon.cpp): the input is read as a DKIM-Signature value
// and as a key record, canonicalized as a header field, and as a body both whole and in chunks
// whose sizes come from its first bytes. The chunked body must equal the whole one (the
// canonicalizer's promise), and what the readers keep must stay within their bounds.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "auth/dkim_canon.hpp"
#include "auth/dkim_key.hpp"
#include "auth/dkim_signature.hpp"
#include "auth/dkim_tags.hpp"

namespace {

using namespace ksmg::auth::dkim;

void read_tags(std::string_view in) {
  std::vector<Tag> tags;
  if (parse_tag_list(in, tags) == TagListError::none && tags.size() > kMaxTags) __builtin_trap();
  for (const Tag& t : tags)
    if (t.value.size() > kMaxTagValueBytes) __builtin_trap();

  Signature sig;
  if (parse_signature(in, sig).error == SignatureError::none) {
    if (sig.signed_headers.size() > kMaxSignedHeaders || sig.signature.empty() ||
        sig.body_hash.empty() || sig.domain.empty() || sig.selector.empty())
      __builtin_trap();
    if (sig.timestamp && sig.expiration && *sig.expiration < *sig.timestamp) __builtin_trap();
  }
  KeyRecord key;
  if (parse_key_record(in, key).error == KeyError::none && key.revoked != key.public_key.empty())
    __builtin_trap();
}

void canonicalize(std::string_view in) {
  for (const Canonicalization c : {Canonicalization::simple, Canonicalization::relaxed}) {
    std::string header;
    append_canonical_header(c, in, header);
    if (header.size() > in.size()) __builtin_trap();

    std::string whole;
    BodyCanonicalizer one(c);
    one.feed(in, whole);
    one.finish(whole);

    std::string chunked;
    BodyCanonicalizer many(c);
    std::size_t pos = 0;
    for (std::size_t k = 0; pos < in.size(); ++k) {
      const std::size_t size = 1 + static_cast<unsigned char>(in[k % in.size()]) % 16;
      many.feed(in.substr(pos, size), chunked);
      pos += size;
    }
    many.finish(chunked);
    if (chunked != whole) __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  read_tags(in);
  canonicalize(in);
  return 0;
}

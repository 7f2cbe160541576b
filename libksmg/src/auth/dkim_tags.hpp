// dkim_tags.hpp — (internal) the tag=value list of RFC 6376 3.2, which both the DKIM-Signature
// field and the DKIM key record are written in.
//
// The list is read once into views of the text (which must outlive them), so the signature and
// key readers above it only interpret values. The text comes from a message or from DNS and is
// hostile: the tag count and each value's size are bounded by the named constants below, and the
// read is one pass without recursion.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ksmg::auth::dkim {

// Tags kept from one list; a list with more is malformed. RFC 6376 defines 14 signature tags and
// 7 key tags; signers add a few of their own, none adds dozens.
inline constexpr std::size_t kMaxTags = 64;
// Bytes in one value, folding whitespace included. The largest legitimate values are an RSA-8192
// public key or signature in base64 (about 1.5 KB) and a long h= list.
inline constexpr std::size_t kMaxTagValueBytes = 8192;

struct Tag {
  std::string_view name;   // case-sensitive (RFC 6376 3.2)
  std::string_view value;  // folding whitespace around it removed, inside it kept
};

enum class TagListError : std::uint8_t {
  none,
  empty,            // no tag at all
  bad_name,         // a tag-spec that starts with no ALPHA *(ALPHA / DIGIT / "_")
  missing_equals,   // a tag name not followed by '='
  bad_value,        // a value with a byte outside VALCHAR and folding whitespace
  duplicate_tag,    // the same name twice: RFC 6376 3.2 makes it an error
  too_many_tags,    // more than kMaxTags
  value_too_large,  // a value over kMaxTagValueBytes
};
[[nodiscard]] std::string_view to_string(TagListError e) noexcept;

// Reads `text` into `tags` (replaced), in the order written. Folding whitespace (WSP, and line
// breaks CRLF or LF) is allowed around names, '=' and ';'; a final ';' is allowed.
[[nodiscard]] TagListError parse_tag_list(std::string_view text, std::vector<Tag>& tags);

// The value of the tag named `name` (exactly), or nullptr.
[[nodiscard]] const std::string_view* find_tag(const std::vector<Tag>& tags,
                                               std::string_view name) noexcept;

// Readings of values that the signature and the key record share.

// A value without its folding whitespace (b=, bh=, p= and i= may be folded anywhere).
[[nodiscard]] std::string without_fws(std::string_view value);
// Decodes base64 written with folding whitespace (b=, bh=, p=) into `out` (replaced). False when
// it is not base64: a byte outside the alphabet, padding inside the data or of the wrong length.
[[nodiscard]] bool decode_base64_value(std::string_view value, std::string& out);
// The items of a colon-separated list (h=, q=, and the key's h=, s=, t=), folding whitespace
// around each removed, empty items kept; at most `max_items` (false when there are more).
[[nodiscard]] bool split_list(std::string_view value, std::size_t max_items,
                              std::vector<std::string_view>& items);

}  // namespace ksmg::auth::dkim

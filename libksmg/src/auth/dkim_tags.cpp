// dkim_tags.cpp — the tag=value list of RFC 6376 3.2: one pass over the text, views out.
#include "auth/dkim_tags.hpp"

#include <algorithm>

#include "core/ascii.hpp"
#include "mime/transfer_decode.hpp"

namespace ksmg::auth::dkim {

namespace {

// VALCHAR of RFC 6376 3.2: printable ASCII other than ';'.
constexpr bool is_valchar(char c) noexcept { return c >= 0x21 && c <= 0x7e && c != ';'; }
constexpr bool is_name_char(char c) noexcept { return core::is_alnum(c) || c == '_'; }

// Folding whitespace: WSP and the line breaks of a folded field (a CRLF or LF of a header is
// always followed by WSP; a record from DNS has none).
std::size_t skip_fws(std::string_view text, std::size_t i) noexcept {
  while (i < text.size() && core::is_lwsp(text[i])) ++i;
  return i;
}

}  // namespace

std::string_view to_string(TagListError e) noexcept {
  switch (e) {
    case TagListError::none:
      return "no error";
    case TagListError::empty:
      return "no tag";
    case TagListError::bad_name:
      return "malformed tag name";
    case TagListError::missing_equals:
      return "tag name without '='";
    case TagListError::bad_value:
      return "invalid character in tag value";
    case TagListError::duplicate_tag:
      return "duplicate tag";
    case TagListError::too_many_tags:
      return "too many tags";
    case TagListError::value_too_large:
      return "tag value too large";
  }
  return "unknown error";
}

TagListError parse_tag_list(std::string_view text, std::vector<Tag>& tags) {
  tags.clear();
  std::size_t i = skip_fws(text, 0);
  while (i < text.size()) {
    const std::size_t name_begin = i;
    if (!core::is_alpha(text[i])) return TagListError::bad_name;
    while (i < text.size() && is_name_char(text[i])) ++i;
    const std::string_view name = text.substr(name_begin, i - name_begin);
    i = skip_fws(text, i);
    if (i == text.size() || text[i] != '=') return TagListError::missing_equals;
    i = skip_fws(text, i + 1);
    const std::size_t value_begin = i;
    std::size_t value_end = i;  // past the last VALCHAR
    for (; i < text.size() && text[i] != ';'; ++i) {
      if (is_valchar(text[i]))
        value_end = i + 1;
      else if (!core::is_lwsp(text[i]))
        return TagListError::bad_value;
    }
    if (value_end - value_begin > kMaxTagValueBytes) return TagListError::value_too_large;
    if (find_tag(tags, name) != nullptr) return TagListError::duplicate_tag;
    if (tags.size() == kMaxTags) return TagListError::too_many_tags;
    tags.push_back({name, text.substr(value_begin, value_end - value_begin)});
    if (i < text.size()) i = skip_fws(text, i + 1);  // past ';'
  }
  return tags.empty() ? TagListError::empty : TagListError::none;
}

const std::string_view* find_tag(const std::vector<Tag>& tags, std::string_view name) noexcept {
  for (const Tag& t : tags)
    if (t.name == name) return &t.value;
  return nullptr;
}

std::string without_fws(std::string_view value) {
  std::string compact;
  compact.reserve(value.size());
  for (const char c : value)
    if (!core::is_lwsp(c)) compact.push_back(c);
  return compact;
}

bool decode_base64_value(std::string_view value, std::string& out) {
  out.clear();
  const std::string compact = without_fws(value);
  if (compact.size() % 4 != 0) return false;
  const std::size_t data_end = compact.find_last_not_of('=') + 1;  // npos + 1 == 0
  if (compact.size() - data_end > 2) return false;
  for (std::size_t i = 0; i < data_end; ++i) {
    const char c = compact[i];
    if (!core::is_alnum(c) && c != '+' && c != '/') return false;
  }
  const mime::detail::DecodeStatus status =
      mime::detail::decode_base64(compact, out, kMaxTagValueBytes);
  return status.defects.empty() && status.limits.empty();
}

bool split_list(std::string_view value, std::size_t max_items,
                std::vector<std::string_view>& items) {
  items.clear();
  for (std::size_t begin = 0;;) {
    const std::size_t colon = std::min(value.find(':', begin), value.size());
    if (items.size() == max_items) return false;
    items.push_back(core::trim(value.substr(begin, colon - begin)));
    if (colon == value.size()) return true;
    begin = colon + 1;
  }
}

}  // namespace ksmg::auth::dkim

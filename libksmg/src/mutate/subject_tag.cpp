// subject_tag.cpp — owns the subject tag of a field value (ksmg/mutate.hpp).
#include <algorithm>

#include "ksmg/mutate.hpp"

namespace ksmg::mutate {

std::optional<std::string> tag_subject(std::string_view value, std::string_view tag) {
  if (tag.empty()) return std::nullopt;
  const std::size_t text_start = std::min(value.find_first_not_of(" \t"), value.size());
  const std::string_view lead = value.substr(0, text_start);
  const std::string_view text = value.substr(text_start);
  if (text.starts_with(tag)) return std::nullopt;
  std::string out;
  out.reserve(value.size() + tag.size() + 1);
  out.append(lead).append(tag);
  if (!text.empty()) out.append(" ").append(text);
  return out;
}

}  // namespace ksmg::mutate

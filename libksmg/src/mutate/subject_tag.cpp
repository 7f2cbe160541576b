// subject_tag.cpp — owns the subject tag, of a field value and of a whole message
// (ksmg/mutate.hpp).
#include <algorithm>
#include <cctype>

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

std::optional<std::string> tag_subject_of_message(std::string_view raw, std::string_view tag) {
  if (tag.empty()) return std::nullopt;
  // Walk the header section field by field (a field runs until a line that does not start with
  // white space); stop at the blank line or the end.
  std::size_t pos = 0;
  while (pos < raw.size()) {
    const std::size_t eol = raw.find('\n', pos);
    const std::size_t line_end = eol == std::string_view::npos ? raw.size() : eol + 1;
    const std::string_view line = raw.substr(pos, line_end - pos);
    if (line == "\r\n" || line == "\n") break;
    std::size_t field_end = line_end;
    while (field_end < raw.size() && (raw[field_end] == ' ' || raw[field_end] == '\t')) {
      const std::size_t next = raw.find('\n', field_end);
      field_end = next == std::string_view::npos ? raw.size() : next + 1;
    }
    constexpr std::string_view kName = "subject:";
    const bool subject = line.size() >= kName.size() &&
                         std::equal(kName.begin(), kName.end(), line.begin(), [](char a, char b) {
                           return a == std::tolower(static_cast<unsigned char>(b));
                         });
    if (subject) {
      // The value without the field's final line break, which goes back after it.
      std::size_t value_end = field_end;
      if (value_end > pos && raw[value_end - 1] == '\n') --value_end;
      if (value_end > pos && raw[value_end - 1] == '\r') --value_end;
      const std::size_t value_start = pos + kName.size();
      const auto tagged = tag_subject(raw.substr(value_start, value_end - value_start), tag);
      if (!tagged) return std::nullopt;
      std::string out;
      out.reserve(raw.size() + tag.size() + 1);
      out.append(raw.substr(0, value_start)).append(*tagged).append(raw.substr(value_end));
      return out;
    }
    pos = field_end;
  }
  std::string out;
  out.reserve(raw.size() + tag.size() + 12);
  out.append(raw.substr(0, pos)).append("Subject: ").append(tag).append("\r\n");
  out.append(raw.substr(pos));
  return out;
}

}  // namespace ksmg::mutate

// header_section.hpp — the one walk over a message's header section that the mutate module
// makes (internal): the plan and the warning wrap read the fields through it, so they agree on
// where each field starts and ends and where the body begins.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <optional>
#include <string_view>
#include <vector>

#include "core/ascii.hpp"
#include "ksmg/mutate.hpp"

namespace ksmg::mutate::detail {

// One field: its first line and the continuation lines after it (lines that start with white
// space). Only LF ends a line, as in the MIME parser, so a bare CR stays inside its line.
struct FieldLines {
  Span bytes;  // with the last line's line break, when it has one
  // The first line up to its first colon, or all of it (without its line break) when it has
  // none: "Content-Type" alone on its line, the colon folded onto the next one, is still named.
  std::string_view name;
  // After the colon (after the first line's text when it has none) up to the last line's line
  // break.
  Span value;
};

// The fields of the header section one by one, up to the blank line that ends it or the end of
// the input. A first line that starts with white space has no field to continue: it is a field of
// its own (whose name starts with white space, so it is nobody's).
class HeaderWalk {
 public:
  explicit HeaderWalk(std::string_view raw) noexcept : raw_(raw) {}

  std::optional<FieldLines> next() noexcept {
    if (pos_ >= raw_.size()) {
      section_end_ = body_begin_ = raw_.size();
      return std::nullopt;
    }
    const std::size_t first_end = line_end(pos_);
    if (is_blank(pos_, first_end)) {
      section_end_ = pos_;
      body_begin_ = first_end;
      pos_ = raw_.size();
      return std::nullopt;
    }
    FieldLines f;
    f.bytes.begin = pos_;
    std::size_t last_line = pos_;
    std::size_t end = first_end;
    while (end < raw_.size() && core::is_wsp(raw_[end])) {
      last_line = end;
      end = line_end(end);
    }
    f.bytes.end = end;
    const std::string_view first = raw_.substr(pos_, content_end(pos_, first_end) - pos_);
    const std::size_t colon = first.find(':');
    f.name = first.substr(0, colon);
    const std::size_t value_begin =
        colon == std::string_view::npos ? pos_ + first.size() : pos_ + colon + 1;
    f.value = {value_begin, std::max(value_begin, content_end(last_line, end))};
    pos_ = end;
    return f;
  }

  // Valid once next() returned nullopt.
  [[nodiscard]] std::size_t section_end() const noexcept { return section_end_; }
  [[nodiscard]] std::size_t body_begin() const noexcept { return body_begin_; }

 private:
  // Where the line at `pos` ends: after its LF, or at the end of the input.
  std::size_t line_end(std::size_t pos) const noexcept {
    const void* lf = std::memchr(raw_.data() + pos, '\n', raw_.size() - pos);
    return lf == nullptr ? raw_.size()
                         : static_cast<std::size_t>(static_cast<const char*>(lf) - raw_.data()) + 1;
  }
  // The line [begin, end) without its line break (LF, or CR LF).
  std::size_t content_end(std::size_t begin, std::size_t end) const noexcept {
    if (end > begin && raw_[end - 1] == '\n') {
      --end;
      if (end > begin && raw_[end - 1] == '\r') --end;
    }
    return end;
  }
  bool is_blank(std::size_t begin, std::size_t end) const noexcept {
    return end > begin && raw_[end - 1] == '\n' && content_end(begin, end) == begin;
  }

  std::string_view raw_;
  std::size_t pos_ = 0;
  std::size_t section_end_ = 0;
  std::size_t body_begin_ = 0;
};

// A field named `name` (ASCII case-insensitive), white space before the colon allowed
// ("Content-Type :", RFC 5322 4.5.3).
inline bool names(std::string_view field_name, std::string_view name) noexcept {
  while (!field_name.empty() && core::is_wsp(field_name.back())) field_name.remove_suffix(1);
  return core::iequals(field_name, name);
}

inline bool is_content_field(std::string_view field_name) noexcept {
  return core::istarts_with(field_name, "Content-");
}

// The top-level Content-* fields and what the warning wrap needs to know of them.
struct ContentFields {
  std::vector<Span> fields;  // in the order of the message
  bool has_content_type = false;

  // `f`, a Content-* field (is_content_field()).
  void add(const FieldLines& f) {
    fields.push_back(f.bytes);
    has_content_type = has_content_type || names(f.name, "Content-Type");
  }
};

// wrap_with_warning() on a header section already walked: `body_begin` as HeaderWalk found it.
WarningWrap wrap_with_warning(std::string_view raw, const ContentFields& content,
                              std::size_t body_begin, std::string_view warning);

}  // namespace ksmg::mutate::detail

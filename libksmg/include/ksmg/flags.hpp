// ksmg/flags.hpp — what the object tree marks on an object (encrypted, macros, a limit cut it,
// ...), apart from the tree itself: a scan's report carries the union of its objects' flags,
// and its readers need not see the tree (ksmg/objects.hpp) for that.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace ksmg::objects {

enum class Flag : std::uint16_t {
  encrypted = 1u << 0,           // content, or part of it, needs a password
  corrupted = 1u << 1,           // a container or encoding that could not be read to the end
  macros = 1u << 2,              // Office document with a VBA project or Excel 4 macro sheets
  limit_exceeded = 1u << 3,      // a limit stopped unpacking or decoding: not fully scanned
  name_type_mismatch = 1u << 4,  // file extension or declared type disagrees with the true type
  embedded_objects = 1u << 5,    // objects embedded in a document (RTF \object, PDF files)
  javascript = 1u << 6,          // PDF JavaScript
  auto_action = 1u << 7,         // PDF /OpenAction, /AA or /Launch
};
inline constexpr Flag kAllFlags[] = {
    Flag::encrypted,          Flag::corrupted,        Flag::macros,     Flag::limit_exceeded,
    Flag::name_type_mismatch, Flag::embedded_objects, Flag::javascript, Flag::auto_action,
};
// Stable snake_case name, used in JSON and logs.
std::string_view to_string(Flag f) noexcept;
// The flag named by to_string(), or nullopt.
[[nodiscard]] std::optional<Flag> flag_from_string(std::string_view s) noexcept;

class FlagSet {
 public:
  constexpr void add(Flag f) noexcept { bits_ |= static_cast<std::uint16_t>(f); }
  constexpr void add(FlagSet o) noexcept { bits_ |= o.bits_; }
  constexpr void remove(Flag f) noexcept {
    bits_ &= static_cast<std::uint16_t>(~static_cast<std::uint16_t>(f));
  }
  [[nodiscard]] constexpr bool has(Flag f) const noexcept {
    return (bits_ & static_cast<std::uint16_t>(f)) != 0;
  }
  [[nodiscard]] constexpr bool empty() const noexcept { return bits_ == 0; }
  [[nodiscard]] constexpr std::uint16_t bits() const noexcept { return bits_; }

 private:
  std::uint16_t bits_ = 0;
};

}  // namespace ksmg::objects

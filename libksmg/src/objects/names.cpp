// names.cpp — owns the stable snake_case names of the objects module's enums.
#include "ksmg/objects.hpp"

namespace ksmg::objects {

std::string_view to_string(Flag f) noexcept {
  switch (f) {
    case Flag::encrypted:
      return "encrypted";
    case Flag::corrupted:
      return "corrupted";
    case Flag::macros:
      return "macros";
    case Flag::limit_exceeded:
      return "limit_exceeded";
    case Flag::name_type_mismatch:
      return "name_type_mismatch";
    case Flag::embedded_objects:
      return "embedded_objects";
    case Flag::javascript:
      return "javascript";
    case Flag::auto_action:
      return "auto_action";
  }
  return "unknown_flag";
}

std::optional<Flag> flag_from_string(std::string_view s) noexcept {
  for (const Flag f : kAllFlags)
    if (to_string(f) == s) return f;
  return std::nullopt;
}

std::string_view to_string(Origin o) noexcept {
  switch (o) {
    case Origin::file:
      return "file";
    case Origin::mime_part:
      return "mime_part";
    case Origin::member:
      return "member";
    case Origin::uuencoded:
      return "uuencoded";
    case Origin::yencoded:
      return "yencoded";
    case Origin::other_decoding:
      return "other_decoding";
  }
  return "unknown_origin";
}

}  // namespace ksmg::objects

// options.hpp — how the front-ends read a command-line option that takes a value: both
// "--opt value" and "--opt=value" are accepted.
#pragma once

#include <string_view>

namespace ksmg::frontend {

struct OptionArg {
  std::string_view name;   // "--opt"
  std::string_view value;  // after '=', when has_value
  bool has_value = false;  // false: the value is the next argument
};

// Splits "--opt=value" at the first '='; any other argument is returned as the name.
inline OptionArg split_option(std::string_view arg) noexcept {
  const auto eq = arg.find('=');
  if (eq == std::string_view::npos) return {arg, {}, false};
  return {arg.substr(0, eq), arg.substr(eq + 1), true};
}

}  // namespace ksmg::frontend

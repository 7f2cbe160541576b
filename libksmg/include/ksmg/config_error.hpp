// ksmg/config_error.hpp — what is wrong with a configuration: the file, line, column and key at
// fault. Apart from the configuration itself (ksmg/policy.hpp), so that a program that only
// loads an engine (ksmg/engine.hpp) can say why one did not load.
#pragma once

#include <cstddef>
#include <string>

namespace ksmg::policy {

struct ConfigError {
  std::string file;
  std::size_t line = 0;  // 1-based; 0 when the error is about the whole file
  std::size_t column = 0;
  std::string key;  // dotted path, e.g. "actions.antivirus.infected"
  std::string message;

  // "ksmg.toml:12:5: actions.antivirus.infected: unknown action 'rejct' (expected ...)"
  [[nodiscard]] std::string to_string() const;
};

}  // namespace ksmg::policy

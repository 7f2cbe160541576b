// config_section.hpp — reading a server's own section of the configuration file ([relay],
// [milter]) as strictly as the library reads its own: typed, range-checked values, paths
// relative to the file's folder, and errors that carry the file, line, column and key.
#pragma once

#include <toml++/toml.h>

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "ksmg/policy.hpp"

namespace ksmg::frontend {

// The file's TOML (a syntax error goes to err with its position); nullopt when it cannot be read
// or parsed.
[[nodiscard]] std::optional<toml::table> parse_config_text(std::string_view text,
                                                           std::string_view file_name,
                                                           policy::ConfigError& err);
[[nodiscard]] std::optional<toml::table> read_config_file(const std::string& path,
                                                          policy::ConfigError& err);

// The typed readers every section uses; each returns false with the error filled in.
class SectionReader {
 public:
  SectionReader(std::string_view file, policy::ConfigError& err) : file_(file), err_(err) {}

  bool fail(const toml::node& at, std::string key, std::string message);
  bool fail(const toml::source_region& at, std::string key, std::string message);

  bool string_value(const std::string& key, const toml::node& node, std::string& out);
  // Relative to the configuration file's folder, like every path of the configuration.
  bool path_value(const std::string& key, const toml::node& node, std::string& out);
  [[nodiscard]] std::string resolve(const std::string& path) const;
  bool count_value(const std::string& key, const toml::node& node, std::size_t& out,
                   bool zero_allowed);
  // 65536, "64K", "64M", "1G" (policy::parse_size).
  bool size_value(const std::string& key, const toml::node& node, std::size_t& out);
  // 1 to 86400.
  bool seconds_value(const std::string& key, const toml::node& node, std::chrono::seconds& out);

  // Calls each(item_node, text) for every string of an array; false at the first failure.
  template <typename Each>
  bool string_array(const std::string& key, const toml::node& node, Each each) {
    const auto* a = node.as_array();
    if (a == nullptr) return fail(node, key, "expected an array of strings");
    for (const toml::node& item : *a) {
      const auto* s = item.as_string();
      if (s == nullptr) return fail(item, key, "expected a string");
      if (!each(item, s->get())) return false;
    }
    return true;
  }

 private:
  std::string_view file_;
  policy::ConfigError& err_;
};

}  // namespace ksmg::frontend

// config_section.hpp — reading a server's own section of the configuration file ([relay],
// [milter]) as strictly as the library reads its own: typed, range-checked values, paths
// relative to the file's folder, and errors that carry the file, line, column and key.
#pragma once

#include <toml++/toml.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "ksmg/policy.hpp"

namespace ksmg::frontend {

// The sections the front-ends own. One file serves every front-end (`ksmg scan --config` takes the
// gateway's file), so the library is told to pass over all of them (policy::CallerSections);
// each front-end reads its own through read_section().
inline constexpr std::array<std::string_view, 2> kFrontendSections{"relay", "milter"};

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

  // Reads [section] of `root` key by key through `keys`, a table of SectionKey<Reader, Settings>
  // (keys that are absent keep their defaults); an unknown key is an error that lists the known
  // ones. `reader` is the section's own reader, derived from this class.
  template <typename Reader, typename Settings, std::size_t N, typename Key>
  static bool read_section(Reader& reader, const toml::table& root, std::string_view section,
                           const std::array<Key, N>& keys, Settings& out) {
    const toml::node* table = root.get(section);
    if (table == nullptr) return true;
    if (!table->is_table()) return reader.fail(*table, std::string(section), "expected a table");
    for (const auto& [k, node] : *table->as_table()) {
      // Named, not captured: clang before 16 (the fuzz build's) cannot capture a binding.
      const std::string_view name = k.str();
      const std::string key = std::string(section) + "." + std::string(name);
      const auto known = std::find_if(keys.begin(), keys.end(),
                                      [&](const Key& entry) { return entry.name == name; });
      if (known == keys.end()) {
        std::string names;
        for (std::size_t i = 0; i < N; ++i)
          names += (i == 0 ? "" : i + 1 == N ? " or " : ", ") + std::string(keys[i].name);
        return reader.fail(node, key, "unknown key (expected " + names + ")");
      }
      if (!known->read(reader, key, node, out)) return false;
    }
    return true;
  }

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

// One key of a section's table: its name and how its value is read into Settings.
template <typename Reader, typename Settings>
struct SectionKey {
  std::string_view name;
  bool (*read)(Reader& reader, const std::string& key, const toml::node& node, Settings& out);
};

// Table entries for keys that are one typed value in one member of Settings:
//   {"hostname", &Keys::string<&RelaySettings::hostname>}.
template <typename Reader, typename Settings>
struct SectionKeys {
  using Key = SectionKey<Reader, Settings>;

  template <auto Field>
  static bool string(Reader& r, const std::string& key, const toml::node& node, Settings& out) {
    return r.string_value(key, node, out.*Field);
  }
  template <auto Field>
  static bool path(Reader& r, const std::string& key, const toml::node& node, Settings& out) {
    return r.path_value(key, node, out.*Field);
  }
  template <auto Field>
  static bool size(Reader& r, const std::string& key, const toml::node& node, Settings& out) {
    return r.size_value(key, node, out.*Field);
  }
  template <auto Field>
  static bool seconds(Reader& r, const std::string& key, const toml::node& node, Settings& out) {
    return r.seconds_value(key, node, out.*Field);
  }
  template <auto Field>
  static bool count(Reader& r, const std::string& key, const toml::node& node, Settings& out) {
    return r.count_value(key, node, out.*Field, false);
  }
  // 0 means "as many as there are cores" (scan_threads).
  template <auto Field>
  static bool count_or_zero(Reader& r, const std::string& key, const toml::node& node,
                            Settings& out) {
    return r.count_value(key, node, out.*Field, true);
  }
};

}  // namespace ksmg::frontend

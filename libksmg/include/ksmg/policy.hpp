// ksmg/policy.hpp — the configuration: one TOML file (examples/ksmg.toml documents every key)
// read into a Config, or a ConfigError that names the file, line, column and key at fault.
//
// Unknown keys and values of the wrong type are errors, never ignored: a typo in a security
// product's configuration must not silently switch protection off. Sections of a front-end
// ([relay], [milter]) are its own: the caller names them (CallerSections), it reads them with the
// same strictness, and here they are only required to be tables. Per-group rules, lists, TLS
// and routing come with later issues; this holds limits, module switches, the action for each
// module status, the organization's domains, and the content filter's dictionaries,
// expressions and conditions (expressions are checked here, so that their errors have a line).
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ksmg/antivirus.hpp"
#include "ksmg/config_error.hpp"
#include "ksmg/content_filter.hpp"
#include "ksmg/limits.hpp"
#include "ksmg/verdict.hpp"

namespace ksmg::policy {

struct ModuleSwitches {
  bool antivirus = true;
  bool content_filter = true;
  bool antispam = true;
  bool antiphishing = true;
  bool auth = true;

  [[nodiscard]] bool enabled(verdict::Module m) const noexcept;
};

// A content dictionary to load: its name (what conditions refer to) and file.
struct DictionaryRef {
  std::string name;
  std::string file;  // resolved against the configuration file's folder
  match::PlaceSet places = match::PlaceSet::by_default();
  std::size_t line = 0;  // of its file key
};

struct Config {
  std::string file;  // where it was read from ("" for text)
  ScanLimits limits;
  ModuleSwitches modules;
  verdict::ActionTable actions = verdict::ActionTable::defaults();
  std::vector<DictionaryRef> dictionaries;
  std::vector<match::NamedExpression> expressions;
  std::vector<match::Condition> conditions;
  // Mail from these domains (and their subdomains) is from inside; lower case, no trailing dot.
  std::vector<std::string> organization_domains;
  // Compiled dictionary databases are kept here between runs ("" = no disk cache); relative to
  // the configuration file's folder.
  std::string cache_dir;
  // [antivirus]: the ClamAV database and how libclamav is run; database_dir and temp_dir are
  // relative to the configuration file's folder.
  av::Settings antivirus;
};

// Parses TOML text; file_name is used in errors and to resolve relative paths. Keys that are
// absent keep their defaults (ScanLimits{}, every module on, ActionTable::defaults()).
// caller_sections: the top-level sections the caller reads itself (a front-end's); any other
// section the library does not know is an error.
using CallerSections = std::span<const std::string_view>;
[[nodiscard]] bool parse_config(std::string_view text, std::string_view file_name, Config& out,
                                ConfigError& err, CallerSections caller_sections = {});
[[nodiscard]] bool load_config(const std::string& path, Config& out, ConfigError& err,
                               CallerSections caller_sections = {});

// A size as the configuration writes it: digits, optionally followed by K, M or G (powers of
// 1024), e.g. "65536", "64K", "64M". Nullopt for anything else (at most 9 digits).
[[nodiscard]] std::optional<std::size_t> parse_size(std::string_view text) noexcept;

}  // namespace ksmg::policy

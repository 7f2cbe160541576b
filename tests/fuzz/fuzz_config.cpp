// fuzz_config.cpp — libFuzzer harness for the configuration reader (policy/config.cpp: TOML
// through toml++, then every section and key the library knows, the limits through kLimitKeys,
// the action table, dictionaries, and the expressions and conditions it checks before anything
// is compiled). It reads text only: dictionary files are named, not opened.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ksmg/policy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  ksmg::policy::Config config;
  ksmg::policy::ConfigError error;
  (void)ksmg::policy::parse_config(in, "/fuzz/ksmg.toml", config, error);
  return 0;
}

// fuzz_config.cpp — libFuzzer harness for the configuration readers, all on the same text as one
// file is read by a front-end: the library's (policy/config.cpp: TOML through toml++, then every
// section and key it knows, the limits through kLimitKeys, the action table, dictionaries, and
// the expressions and conditions it checks before anything is compiled) with the front-ends'
// sections left to them, then the relay's [relay] and the milter's [milter]. They read text only:
// dictionary, certificate and socket files are named, not opened.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ksmg/policy.hpp"
#include "milter_config.hpp"
#include "relay_config.hpp"

namespace {

constexpr std::string_view kFile = "/fuzz/ksmg.toml";
constexpr std::array<std::string_view, 2> kFrontEndSections{"relay", "milter"};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  ksmg::policy::ConfigError error;
  ksmg::policy::Config config;
  (void)ksmg::policy::parse_config(in, kFile, config, error, kFrontEndSections);
  ksmg::relay::RelaySettings relay;
  (void)ksmg::relay::parse_relay_settings(in, kFile, relay, error);
  ksmg::milter::MilterSettings milter;
  (void)ksmg::milter::parse_milter_settings(in, kFile, milter, error);
  return 0;
}

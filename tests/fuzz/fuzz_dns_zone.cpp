// fuzz_dns_zone.cpp — libFuzzer harness for the DNS master-file reader
// (StaticResolver::from_master_file, what `ksmg scan --dns-file` and the tests load), then the
// resolver on what it read: the names of the input's first words, each asked for every type,
// so that CNAME chains, empty non-terminals and TIMEOUT marks built from hostile text are
// followed too.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "ksmg/dns.hpp"

namespace {

// Words of the input asked as names; enough to reach the records of a small zone.
constexpr std::size_t kMaxNamesAsked = 16;
constexpr std::array kTypes{ksmg::dns::Type::a,   ksmg::dns::Type::aaaa, ksmg::dns::Type::mx,
                            ksmg::dns::Type::txt, ksmg::dns::Type::ptr,  ksmg::dns::Type::cname};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  std::string error;
  std::optional<ksmg::dns::StaticResolver> zone =
      ksmg::dns::StaticResolver::from_master_file(in, error);
  if (!zone) return 0;
  const auto deadline = std::chrono::steady_clock::now();
  std::size_t asked = 0;
  for (std::size_t start = 0; start < in.size() && asked < kMaxNamesAsked;) {
    const std::size_t end = in.find_first_of(" \t\r\n", start);
    const std::string_view word = in.substr(start, end - start);
    if (!word.empty()) {
      ++asked;
      for (const ksmg::dns::Type t : kTypes) (void)zone->resolve(word, t, deadline);
    }
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return 0;
}

// fuzz_7z_decrypt.cpp — libFuzzer harness for the 7z decryption alone
// (archive/sevenzip_crypt.cpp: signature header, encoded header, StreamsInfo, 7zAES, the plain
// copy it writes). The input is decrypted with the password of the seeds
// (tests/data/archives/7z-encrypted), and a copy it opens is read back with unpack_archive as the
// password loop reads it, under the container harnesses' limits.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "archive/decrypt.hpp"
#include "fuzz_containers.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  ksmg::archive::Budget budget(ksmg::fuzz::container_limits());
  const ksmg::archive::detail::Decrypted d =
      ksmg::archive::detail::decrypt_7z(in, "secret7z", budget);
  // Only an opened archive carries a copy, and the copy is a 7z.
  if (d.status != ksmg::archive::detail::Decryption::opened) {
    if (!d.archive.empty()) __builtin_trap();
    return 0;
  }
  if (d.archive.substr(0, 6) != in.substr(0, 6)) __builtin_trap();
  ksmg::fuzz::check_contents(ksmg::archive::unpack_archive(d.archive, budget), budget);
  return 0;
}

// fuzz_rar_decrypt.cpp — libFuzzer harness for the RAR decryption alone (archive/rar*_crypt.cpp,
// rar_keys.cpp, rar5_blocks.cpp): the input decrypted with the password of libarchive's RAR
// samples and, when that opens it, the plain copy read by libarchive as the password loop reads
// it, under the container harnesses' small limits. Besides their promises about members, the
// copy never holds more than the input (the rewrite only removes and decrypts).
//
// Each input costs at least one key derivation (milliseconds: RAR 4's 2^18 SHA-1 rounds, RAR 5's
// 2^15 PBKDF2 iterations and up to 2^24 from a hostile header), so the CPU budget is small: a
// work factor the input asks for ends in out_of_time, not in a libFuzzer timeout.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "archive/decrypt.hpp"
#include "fuzz_containers.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  ksmg::ScanLimits limits = ksmg::fuzz::container_limits();
  limits.max_unpack_cpu_ms = 250;
  ksmg::archive::Budget budget(limits);
  const ksmg::archive::detail::Decrypted d =
      ksmg::archive::detail::decrypt_rar(in, "password", budget);
  if (d.status != ksmg::archive::detail::Decryption::opened) return 0;
  if (d.archive.size() > in.size()) __builtin_trap();
  ksmg::fuzz::check_contents(ksmg::archive::unpack_archive(d.archive, budget), budget);
  return 0;
}

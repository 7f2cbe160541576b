// fuzz_7z_decrypt.cpp — libFuzzer harness for the 7z decryption alone
// (archive/sevenzip_crypt.cpp: signature header, encoded header, StreamsInfo, 7zAES, the plain
// copy it writes). The input is decrypted with the password of the seeds
// (tests/data/archives/7z-encrypted), and a copy it opens is read back with unpack_archive as the
// password loop reads it, under the container harnesses' limits.
//
// The two CRCs of the signature header (of the next header, and of the start header that holds
// it) are set right before the input is read: a mutation anywhere would otherwise end at the
// first CRC check, and the header parser behind it would never be reached. (The checks
// themselves are covered by the unit tests.)
#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "archive/decrypt.hpp"
#include "fuzz_containers.hpp"

namespace {

std::uint64_t le(const std::string& s, std::size_t at, unsigned bytes) {
  std::uint64_t v = 0;
  for (unsigned i = 0; i < bytes; ++i)
    v |= static_cast<std::uint64_t>(static_cast<unsigned char>(s[at + i])) << (8 * i);
  return v;
}

void put_le32(std::string& s, std::size_t at, std::uint32_t v) {
  for (unsigned i = 0; i < 4; ++i) s[at + i] = static_cast<char>((v >> (8 * i)) & 0xFF);
}

std::uint32_t crc_of(const std::string& s, std::size_t at, std::size_t n) {
  return static_cast<std::uint32_t>(
      crc32(0L, reinterpret_cast<const Bytef*>(s.data() + at), static_cast<uInt>(n)));
}

// The input with its signature header's CRCs made to match, where its offsets lie inside it.
std::string with_crcs_set(std::string_view in) {
  std::string s(in);
  if (s.size() < 32) return s;
  const std::uint64_t offset = le(s, 12, 8);
  const std::uint64_t size = le(s, 20, 8);
  if (offset <= s.size() - 32 && size <= s.size() - 32 - offset)
    put_le32(s, 28, crc_of(s, 32 + static_cast<std::size_t>(offset), size));
  put_le32(s, 8, crc_of(s, 12, 20));
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string in = with_crcs_set({reinterpret_cast<const char*>(data), size});
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

// decrypt.hpp — (internal) encrypted 7z and RAR archives made readable for libarchive.
//
// libarchive 3.6 decrypts zips only, and no Debian library decrypts 7z or RAR. Rather than a
// second unpacker for each format, the decryption is done here and nothing else: given one
// password, a copy of the archive is written in which every encrypted header and member is
// decrypted and marked plain, and libarchive then reads that copy like any other (with all of
// its decompressors, limits and damage handling). Each function here parses only the headers
// it must rewrite, as hostile input: every size is bounds-checked, every count bounded, and the
// key derivation (deliberately slow in both formats) is checked against the Budget's clock.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "ksmg/archive.hpp"

namespace ksmg::archive::detail {

enum class Decryption : std::uint8_t {
  opened,          // `archive` holds the decrypted copy
  wrong_password,  // a check the format offers says this password is not the one
  unsupported,     // not an encryption (or a layout) this reader rewrites: no password will do
  out_of_time,     // the Budget's CPU time ran out (Limit::unpack_time)
};

struct Decrypted {
  Decryption status = Decryption::unsupported;
  std::string archive;  // the plain copy when opened
};

// The bytes of `s` as OpenSSL's interfaces take them.
inline const unsigned char* bytes(std::string_view s) noexcept {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// AES-CBC without padding, as both formats use it: a key of 16 or 32 bytes, a 16-byte IV, `in`
// a multiple of 16 bytes; the plain text is appended to `out`. False when OpenSSL fails.
[[nodiscard]] bool aes_cbc_decrypt(std::string_view key, std::string_view iv, std::string_view in,
                                   std::string& out);

// A 7z archive (7zAES coders: SHA-256 key derivation, AES-256-CBC), headers included.
[[nodiscard]] Decrypted decrypt_7z(std::string_view data, std::string_view password,
                                   Budget& budget);
// A RAR archive: RAR 2.9/4.x (AES-128, SHA-1 key derivation) and RAR 5 (AES-256, PBKDF2-SHA256),
// encrypted file data and encrypted headers (-hp) both.
[[nodiscard]] Decrypted decrypt_rar(std::string_view data, std::string_view password,
                                    Budget& budget);

}  // namespace ksmg::archive::detail

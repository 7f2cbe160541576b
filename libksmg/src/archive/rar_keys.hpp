// rar_keys.hpp — the keys RAR derives from a password, and its cipher (internal), for the
// decryption of RAR archives (decrypt.hpp): RAR 2.9 to 4.x (AES-128, a key and IV from 2^18
// rounds of SHA-1) and RAR 5 (AES-256, a key and a password check value from one
// PBKDF2-HMAC-SHA256 chain), all through OpenSSL's EVP interface.
//
// Both derivations are slow on purpose; each checks the Budget's clock as it goes. A derivation
// is made once per salt and password: one archive uses few salts (RAR 5 one, RAR 4 one per
// encrypted file and one for its headers), so a small cache of the latest ones does.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ksmg/archive.hpp"

namespace ksmg::archive::detail::rar {

// RAR takes at most 127 characters (UTF-16 units) of a password and drops the rest.
inline constexpr std::size_t kMaxPasswordUnits = 127;
// log2 of the most PBKDF2 iterations of a RAR 5 key: RAR refuses archives that ask for more.
inline constexpr unsigned kMaxKdfLog2 = 24;
inline constexpr std::size_t kRar4SaltBytes = 8;
inline constexpr std::size_t kRar5SaltBytes = 16;
inline constexpr std::size_t kAesBlockBytes = 16;
inline constexpr std::size_t kRar5CheckBytes = 8;     // the password check value...
inline constexpr std::size_t kRar5CheckSumBytes = 4;  // ...and its own checksum after it

// A candidate as RAR takes it: at most kMaxPasswordUnits UTF-16 units, as UTF-16LE (RAR 4) and
// as UTF-8 (RAR 5); nullopt when the candidate is not valid UTF-8.
struct Password {
  std::string utf16le;
  std::string utf8;
};
[[nodiscard]] std::optional<Password> rar_password(std::string_view candidate);

enum class Derivation : std::uint8_t { done, out_of_time, failed /* OpenSSL could not */ };

struct Rar4Key {
  std::array<unsigned char, 16> key{};
  std::array<unsigned char, 16> iv{};
};
// RAR 2.9/3.x/4.x: SHA-1 over 2^18 rounds of (password, salt, 3-byte round number); the IV
// takes one byte of the running digest every 2^14 rounds, the key is the final digest's first
// 16 bytes, each 32-bit word byte-swapped. `salt` is 8 bytes or empty (no salt).
[[nodiscard]] Derivation derive_rar4(const Password& password, std::string_view salt,
                                     Budget& budget, Rar4Key& out);

struct Rar5Key {
  std::array<unsigned char, 32> key{};
  std::array<unsigned char, kRar5CheckBytes> check{};
};
// RAR 5: PBKDF2-HMAC-SHA256 of the UTF-8 password and the 16-byte salt; the key is the chain
// at 2^log2_count iterations, the password check value the chain at 2^log2_count + 32
// iterations folded to 8 bytes by XOR. log2_count must be at most kMaxKdfLog2.
[[nodiscard]] Derivation derive_rar5(const Password& password, std::string_view salt,
                                     unsigned log2_count, Budget& budget, Rar5Key& out);
// Whether a key's check value is the one stored (the first 8 of its 12 bytes).
[[nodiscard]] bool check_matches(const Rar5Key& key, std::string_view stored) noexcept;
// Whether a stored 12-byte password check (the value, then the first 4 bytes of its SHA-256)
// is intact; RAR ignores a check whose sum is wrong, and so does the decryption.
[[nodiscard]] bool check_is_sound(std::string_view stored);

// The latest few keys derived for one password, by salt (and work factor).
template <class Key>
class KeyCache {
 public:
  // The key for `id`: the cached one, else what `derive(Key&)` derives (kept when done).
  template <class Derive>
  Derivation get(std::string_view id, Derive&& derive, const Key*& key) {
    for (std::size_t i = 0; i < used_; ++i)
      if (entries_[i].id == id) {
        key = &entries_[i].key;
        return Derivation::done;
      }
    Entry& e = entries_[next_];
    const Derivation d = derive(e.key);
    if (d != Derivation::done) return d;
    next_ = (next_ + 1) % kEntries;
    if (used_ < kEntries) ++used_;
    e.id.assign(id);
    key = &e.key;
    return d;
  }

 private:
  static constexpr std::size_t kEntries = 8;
  struct Entry {
    std::string id;
    Key key;
  };
  std::array<Entry, kEntries> entries_{};
  std::size_t used_ = 0;
  std::size_t next_ = 0;
};

}  // namespace ksmg::archive::detail::rar

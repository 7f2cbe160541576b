// rar_keys.cpp — owns RAR's key derivations and cipher (rar_keys.hpp) on OpenSSL EVP.
//
// RAR 4's SHA-1 has a quirk that its derivation depends on: RAR 2.9's SHA-1 transform worked in
// place on the caller's buffer, and unrar keeps that behaviour for these archives to this day
// (7-Zip does the same). A 64-byte block that one update covers in full is hashed straight from
// the password buffer, which is left holding the block's last 16 message-schedule words; the
// next round hashes that. It matters only when the password and salt (2 bytes per UTF-16 unit,
// plus 8) reach a whole block beyond what the hash's own buffer still takes, i.e. from 65 bytes:
// passwords of 29 UTF-16 units or more with a salt, 33 or more without. OpenSSL's SHA-1 is left
// unchanged; the rewrite of the buffer is done here after each update, exactly where RAR's
// transform would have done it (hashcat's RAR3-hp sample, password of 36 characters, is the
// test that it is right).
#include "archive/rar_keys.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <algorithm>
#include <climits>
#include <memory>

#include "archive/decrypt.hpp"
#include "core/utf8.hpp"

namespace ksmg::archive::detail::rar {

namespace {

// Rounds of RAR 4's SHA-1 derivation, and every how many rounds the IV takes a byte.
constexpr std::uint32_t kRar4Rounds = 0x40000;
constexpr std::uint32_t kRar4IvStep = kRar4Rounds / 16;
// Iterations (or rounds) between two looks at the Budget's clock: a few milliseconds of work.
constexpr std::uint64_t kClockMask = 0xFFF;

struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const noexcept { EVP_MD_CTX_free(c); }
};
struct MacCtxFree {
  void operator()(EVP_MAC_CTX* c) const noexcept { EVP_MAC_CTX_free(c); }
};
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;
using MacCtx = std::unique_ptr<EVP_MAC_CTX, MacCtxFree>;

// The code point of the valid UTF-8 sequence of length n at p.
char32_t decode_utf8(const unsigned char* p, std::size_t n) noexcept {
  if (n == 1) return p[0];
  char32_t c = p[0] & (0xFF >> (n + 1));
  for (std::size_t i = 1; i < n; ++i) c = (c << 6) | (p[i] & 0x3F);
  return c;
}

void append_utf16le(std::string& out, char16_t u) {
  out += static_cast<char>(u & 0xFF);
  out += static_cast<char>(u >> 8);
}

// What RAR 2.9's in-place SHA-1 transform leaves in the 64-byte block at p: its message
// schedule words 64 to 79, little-endian (the byte order of the machines RAR ran on).
void leave_message_schedule(unsigned char* p) noexcept {
  std::array<std::uint32_t, 80> w{};
  for (std::size_t i = 0; i < 16; ++i)
    w[i] = static_cast<std::uint32_t>(p[4 * i]) << 24 |
           static_cast<std::uint32_t>(p[4 * i + 1]) << 16 |
           static_cast<std::uint32_t>(p[4 * i + 2]) << 8 | p[4 * i + 3];
  for (std::size_t i = 16; i < 80; ++i) {
    const std::uint32_t t = w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16];
    w[i] = (t << 1) | (t >> 31);
  }
  for (std::size_t i = 0; i < 16; ++i)
    for (std::size_t b = 0; b < 4; ++b)
      p[4 * i + b] = static_cast<unsigned char>(w[64 + i] >> (8 * b));
}

// After `raw` was hashed with `hashed` bytes already in the hash: the blocks of it that RAR's
// update would have transformed in place, rewritten as it left them. The first block boundary
// inside the update is where the hash's buffer is full; every whole block from there on is one.
void rewrite_like_rar29(std::string& raw, std::uint64_t hashed) noexcept {
  auto* p = reinterpret_cast<unsigned char*>(raw.data());
  for (std::size_t at = 64 - static_cast<std::size_t>(hashed % 64); at + 64 <= raw.size(); at += 64)
    leave_message_schedule(p + at);
}

bool hmac(EVP_MAC_CTX* ctx, const unsigned char* in, std::size_t n, unsigned char* out) noexcept {
  std::size_t len = 0;
  // A null key re-initialises the context with the key it has: OpenSSL copies its saved pad
  // states instead of hashing the key again.
  return EVP_MAC_init(ctx, nullptr, 0, nullptr) == 1 && EVP_MAC_update(ctx, in, n) == 1 &&
         EVP_MAC_final(ctx, out, &len, 32) == 1 && len == 32;
}

}  // namespace

std::optional<Password> rar_password(std::string_view candidate) {
  Password pw;
  const auto* p = bytes(candidate);
  const unsigned char* const end = p + candidate.size();
  std::size_t units = 0;
  while (p < end) {
    const std::size_t n = core::utf8_sequence_length(p, end);
    if (n == 0) return std::nullopt;
    const char32_t c = decode_utf8(p, n);
    const std::size_t need = c >= 0x10000 ? 2 : 1;
    if (units + need > kMaxPasswordUnits) break;
    if (need == 2) {
      append_utf16le(pw.utf16le, static_cast<char16_t>(0xD800 + ((c - 0x10000) >> 10)));
      append_utf16le(pw.utf16le, static_cast<char16_t>(0xDC00 + ((c - 0x10000) & 0x3FF)));
    } else {
      append_utf16le(pw.utf16le, static_cast<char16_t>(c));
    }
    pw.utf8.append(reinterpret_cast<const char*>(p), n);
    units += need;
    p += n;
  }
  return pw;
}

Derivation derive_rar4(const Password& password, std::string_view salt, Budget& budget,
                       Rar4Key& out) {
  MdCtx ctx(EVP_MD_CTX_new());
  MdCtx snapshot(EVP_MD_CTX_new());
  if (!ctx || !snapshot || EVP_DigestInit_ex(ctx.get(), EVP_sha1(), nullptr) != 1)
    return Derivation::failed;
  std::string raw = password.utf16le;
  raw.append(salt);
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  std::uint64_t hashed = 0;
  for (std::uint32_t round = 0; round < kRar4Rounds; ++round) {
    if ((round & kClockMask) == 0 && budget.out_of_time()) return Derivation::out_of_time;
    const std::array<unsigned char, 3> number{static_cast<unsigned char>(round),
                                              static_cast<unsigned char>(round >> 8),
                                              static_cast<unsigned char>(round >> 16)};
    if (EVP_DigestUpdate(ctx.get(), raw.data(), raw.size()) != 1) return Derivation::failed;
    rewrite_like_rar29(raw, hashed);
    if (EVP_DigestUpdate(ctx.get(), number.data(), number.size()) != 1) return Derivation::failed;
    hashed += raw.size() + number.size();
    if (round % kRar4IvStep == 0) {
      if (EVP_MD_CTX_copy_ex(snapshot.get(), ctx.get()) != 1 ||
          EVP_DigestFinal_ex(snapshot.get(), digest.data(), nullptr) != 1)
        return Derivation::failed;
      out.iv[round / kRar4IvStep] = digest[19];  // the low byte of the fifth word
    }
  }
  if (EVP_DigestFinal_ex(ctx.get(), digest.data(), nullptr) != 1) return Derivation::failed;
  for (std::size_t word = 0; word < 4; ++word)
    for (std::size_t b = 0; b < 4; ++b) out.key[word * 4 + b] = digest[word * 4 + 3 - b];
  return Derivation::done;
}

Derivation derive_rar5(const Password& password, std::string_view salt, unsigned log2_count,
                       Budget& budget, Rar5Key& out) {
  if (log2_count > kMaxKdfLog2 || salt.size() != kRar5SaltBytes) return Derivation::failed;
  static EVP_MAC* const kHmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (kHmac == nullptr) return Derivation::failed;
  MacCtx ctx(EVP_MAC_CTX_new(kHmac));
  std::array<char, 7> digest_name{"SHA256"};
  const std::array<OSSL_PARAM, 2> params{
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name.data(), 0),
      OSSL_PARAM_construct_end()};
  if (!ctx ||
      EVP_MAC_init(ctx.get(), bytes(password.utf8), password.utf8.size(), params.data()) != 1)
    return Derivation::failed;
  // PBKDF2's first block: U1 = HMAC(salt || 00 00 00 01); then Ui = HMAC(Ui-1), all XORed.
  std::array<unsigned char, kRar5SaltBytes + 4> first{};
  std::copy(salt.begin(), salt.end(), first.begin());
  first.back() = 1;
  std::array<unsigned char, 32> u{};
  if (!hmac(ctx.get(), first.data(), first.size(), u.data())) return Derivation::failed;
  std::array<unsigned char, 32> chain = u;
  const std::uint64_t count = std::uint64_t{1} << log2_count;
  // The key at `count` iterations; RAR's hash key at count + 16 (unused: the checksums it keys
  // are dropped from the copy); the password check at count + 32.
  const std::uint64_t last = count + 32;
  if (count == 1) out.key = chain;
  for (std::uint64_t i = 2; i <= last; ++i) {
    if ((i & kClockMask) == 0 && budget.out_of_time()) return Derivation::out_of_time;
    if (!hmac(ctx.get(), u.data(), u.size(), u.data())) return Derivation::failed;
    for (std::size_t k = 0; k < chain.size(); ++k) chain[k] ^= u[k];
    if (i == count) out.key = chain;
  }
  out.check.fill(0);
  for (std::size_t k = 0; k < chain.size(); ++k) out.check[k % kRar5CheckBytes] ^= chain[k];
  return Derivation::done;
}

bool check_matches(const Rar5Key& key, std::string_view stored) noexcept {
  return stored.size() >= kRar5CheckBytes &&
         std::equal(key.check.begin(), key.check.end(), bytes(stored));
}

bool check_is_sound(std::string_view stored) {
  if (stored.size() != kRar5CheckBytes + kRar5CheckSumBytes) return false;
  std::array<unsigned char, EVP_MAX_MD_SIZE> sum{};
  unsigned int len = 0;
  if (EVP_Digest(stored.data(), kRar5CheckBytes, sum.data(), &len, EVP_sha256(), nullptr) != 1)
    return false;
  return std::equal(sum.begin(), sum.begin() + kRar5CheckSumBytes,
                    bytes(stored.substr(kRar5CheckBytes)));
}
}  // namespace ksmg::archive::detail::rar

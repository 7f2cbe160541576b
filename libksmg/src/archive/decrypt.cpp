// decrypt.cpp — owns detail::aes_cbc_decrypt (decrypt.hpp): the one AES-CBC of the 7z and RAR
// decryptions, through OpenSSL's EVP interface.
#include "archive/decrypt.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <memory>

namespace ksmg::archive::detail {

namespace {

constexpr std::size_t kAesBlock = 16;
// AES-CBC is fed at most this much per OpenSSL call (its lengths are int).
constexpr std::size_t kCipherChunk = std::size_t{1} << 30;

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* c) const noexcept { EVP_CIPHER_CTX_free(c); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;

}  // namespace

bool aes_cbc_decrypt(std::string_view key, std::string_view iv, std::string_view in,
                     std::string& out) {
  if (in.size() % kAesBlock != 0 || iv.size() != kAesBlock) return false;
  const EVP_CIPHER* cipher = key.size() == 16   ? EVP_aes_128_cbc()
                             : key.size() == 32 ? EVP_aes_256_cbc()
                                                : nullptr;
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  if (cipher == nullptr || !ctx ||
      EVP_DecryptInit_ex(ctx.get(), cipher, nullptr, bytes(key), bytes(iv)) != 1 ||
      EVP_CIPHER_CTX_set_padding(ctx.get(), 0) != 1)
    return false;
  const std::size_t at = out.size();
  out.resize(at + in.size());
  auto* o = reinterpret_cast<unsigned char*>(out.data() + at);
  for (std::size_t done = 0; done < in.size();) {
    const std::size_t n = std::min(kCipherChunk, in.size() - done);
    int written = 0;
    if (EVP_DecryptUpdate(ctx.get(), o + done, &written, bytes(in) + done, static_cast<int>(n)) !=
            1 ||
        static_cast<std::size_t>(written) != n)
      return false;
    done += n;
  }
  int tail = 0;
  return EVP_DecryptFinal_ex(ctx.get(), o + in.size(), &tail) == 1 && tail == 0;
}

}  // namespace ksmg::archive::detail

// rar_crypt.cpp — owns detail::decrypt_rar (decrypt.hpp): a RAR 4 or RAR 5 archive's encrypted
// headers and file data undone with one password, written out as a plain RAR for libarchive.
// Which format it is comes from the first signature in the input (a self-extracting archive
// keeps its program in front of it); the two rewrites live in rar4_crypt.cpp and rar5_crypt.cpp.
#include "archive/rar_crypt.hpp"

#include <optional>

#include "archive/decrypt.hpp"
#include "archive/rar5_blocks.hpp"
#include "archive/rar_keys.hpp"

namespace ksmg::archive::detail {

namespace rar {

Decrypted Outcome::finish(std::string copy) const {
  if (opened > 0) return {Decryption::opened, std::move(copy)};
  return {refused > 0 ? Decryption::wrong_password : Decryption::unsupported, {}};
}

Decrypted Outcome::stopped(Step step) {
  switch (step) {
    case Step::wrong_password:
      return {Decryption::wrong_password, {}};
    case Step::out_of_time:
      return {Decryption::out_of_time, {}};
    default:
      return {Decryption::unsupported, {}};
  }
}

}  // namespace rar

Decrypted decrypt_rar(std::string_view data, std::string_view candidate, Budget& budget) {
  // A candidate that is not UTF-8 is no password anyone typed into RAR.
  const std::optional<rar::Password> password = rar::rar_password(candidate);
  if (!password) return {Decryption::wrong_password, {}};
  static constexpr std::string_view kRar4Signature{"Rar!\x1A\x07\x00", 7};
  const std::size_t v4 = data.find(kRar4Signature);
  const std::size_t v5 = data.find(rar5::kSignature);
  if (v5 != std::string_view::npos && (v4 == std::string_view::npos || v5 < v4))
    return rar::decrypt_rar5(data, v5, *password, budget);
  if (v4 != std::string_view::npos) return rar::decrypt_rar4(data, v4, *password, budget);
  return {};
}

}  // namespace ksmg::archive::detail

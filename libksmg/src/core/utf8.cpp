// utf8.cpp — owns is_valid_utf8 (public in ksmg/mime.hpp), the UTF-8 check every decoder runs
// on its output or input.
// The sequence rules it applies are utf8_sequence_length in utf8.hpp, shared with the lossy
// UTF-8 decoder.
#include "core/utf8.hpp"

#include <cstdint>
#include <cstring>

#include "ksmg/mime.hpp"

namespace ksmg::mime {

bool is_valid_utf8(std::string_view s) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const unsigned char* const end = p + s.size();
  while (p < end) {
    // Mail text is overwhelmingly ASCII: skip 8-byte ASCII words first and walk only multi-byte
    // sequences one at a time.
    while (end - p >= 8) {
      std::uint64_t w;
      std::memcpy(&w, p, 8);
      if ((w & 0x8080808080808080ull) != 0) break;
      p += 8;
    }
    if (p >= end) break;
    if (*p < 0x80) {
      ++p;
      continue;
    }
    const std::size_t n = core::utf8_sequence_length(p, end);
    if (n == 0) return false;
    p += n;
  }
  return true;
}

}  // namespace ksmg::mime

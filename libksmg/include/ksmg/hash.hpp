// ksmg/hash.hpp — content digests used to name and deduplicate objects.
#pragma once

#include <string>
#include <string_view>

namespace ksmg {

// SHA-256 of the bytes, as 64 lower-case hex digits.
[[nodiscard]] std::string sha256_hex(std::string_view bytes);

}  // namespace ksmg

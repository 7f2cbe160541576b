// crc32.hpp — (internal) the CRC-32 of zip, gzip, 7z, RAR and yEnc (ISO-HDLC) of a byte view,
// through zlib: the one spelling every reader that checks or writes such a sum uses.
#pragma once

#include <zlib.h>

#include <cstdint>
#include <string_view>

namespace ksmg::core {

// crc32_z takes a size_t length, so no input is too long for one call.
inline std::uint32_t crc32_of(std::string_view d) noexcept {
  return static_cast<std::uint32_t>(crc32_z(0, reinterpret_cast<const Bytef*>(d.data()), d.size()));
}

}  // namespace ksmg::core

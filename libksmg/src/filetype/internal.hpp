// filetype/internal.hpp — the stages of true-type detection, shared between the files of the
// filetype module: each reads a byte view and fills a TrueType when it can tell, else says no.
#pragma once

#include <cstdint>
#include <string_view>

#include "ksmg/filetype.hpp"

namespace ksmg::filetype::detail {

// Little-endian reads; the caller has checked the bounds.
inline std::uint16_t le16(std::string_view d, std::size_t at) noexcept {
  return static_cast<std::uint16_t>(static_cast<unsigned char>(d[at]) |
                                    static_cast<unsigned char>(d[at + 1]) << 8);
}
inline std::uint32_t le32(std::string_view d, std::size_t at) noexcept {
  return static_cast<std::uint32_t>(le16(d, at)) | static_cast<std::uint32_t>(le16(d, at + 2))
                                                       << 16;
}

// The magic number of a container the archive module opens (or of wasm) at its fixed offset.
bool classify_magic(std::string_view data, TrueType& out);
// Text (ASCII, UTF-8, 8-bit, UTF-16 with BOM): fills out and returns true; false for binary.
// The text formats recognised by how the data opens (RTF, mail, HTML, scripts, ...) come before
// classify_marker, which comes before the words found anywhere in a window.
bool classify_text(std::string_view data, TrueType& out);
// A format recognised by a marker that need not open the data: a PDF header anywhere in the
// first kilobyte, a DMG trailer. Never before a format identified at offset 0.
bool classify_marker(std::string_view data, TrueType& out);
// OLE2 / Compound File Binary: data starts with the CFB signature.
void classify_cfb(std::string_view data, TrueType& out);
// ZIP and what is built on it (OOXML, ODF, EPUB, JAR, APK): data starts with "PK\3\4".
void classify_zip(std::string_view data, TrueType& out);

}  // namespace ksmg::filetype::detail

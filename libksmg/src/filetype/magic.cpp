// magic.cpp — owns the magic numbers at fixed offsets of the containers the archive module opens
// (archives, compressed streams, TNEF) and of wasm: checked before the text classifier and before
// any marker that may sit anywhere in a prefix (a PDF header within the first kilobyte, HTML tags
// in a text window), so that a container never stays closed because such a marker was planted
// in its first member or in a stored block. libmagic orders its tests by strength the same way,
// but it is only asked about data our own stages cannot name; the few magics here are the ones
// whose precedence matters, named as libmagic names them.
#include <array>
#include <string_view>

#include "filetype/internal.hpp"

namespace ksmg::filetype::detail {

namespace {

using namespace std::string_view_literals;

// `bytes` at offset `at`, and `also` at offset `also_at` when `also` is not empty: a short or
// textual magic ("BZh") is confirmed by a second one so that text that happens to start the
// same way stays text.
struct Magic {
  std::size_t at;
  std::string_view bytes;
  std::string_view mime;
  std::size_t also_at = 0;
  std::string_view also = {};
};

// The most specific first (a Debian package is an ar archive with a known first member).
constexpr std::array<Magic, 28> kMagics{{
    {0, "7z\xBC\xAF\x27\x1C"sv, "application/x-7z-compressed"},
    {0, "Rar!\x1A\x07"sv, "application/x-rar"},
    {0, "\x1F\x8B\x08"sv, "application/gzip"},
    {0, "BZh"sv, "application/x-bzip2", 4, "1AY&SY"sv},
    {0, "BZh"sv, "application/x-bzip2", 4, "\x17rE8P\x90"sv},  // an empty stream
    {0,
     "\xFD"
     "7zXZ\x00"sv,
     "application/x-xz"},
    {0, "LZIP\x01"sv, "application/x-lzip"},
    {0, "\x28\xB5\x2F\xFD"sv, "application/zstd"},
    {0, "\x04\x22\x4D\x18"sv, "application/x-lz4"},
    {0, "\x02\x21\x4C\x18"sv, "application/x-lz4"},  // the legacy frame
    {0, "\x1F\x9D"sv, "application/x-compress"},
    {257, "ustar"sv, "application/x-tar"},
    {0, "\xC7\x71"sv, "application/x-cpio"},  // binary cpio, both byte orders
    {0, "\x71\xC7"sv, "application/x-cpio"},
    {0, "!<arch>\ndebian-binary"sv, "application/vnd.debian.binary-package"},
    {0, "!<arch>\n"sv, "application/x-archive"},
    {0, "MSCF\x00\x00\x00\x00"sv, "application/vnd.ms-cab-compressed"},
    {0, "\x60\xEA"sv, "application/x-arj"},
    {7, "**ACE**"sv, "application/x-ace-compressed"},
    {0, "\xED\xAB\xEE\xDB"sv, "application/x-rpm"},
    {32769, "CD001"sv, "application/x-iso9660-image"},
    {0, "\x78\x9F\x3E\x22"sv, "application/vnd.ms-tnef"},
    {0,
     "\x00"
     "asm"sv,
     "application/wasm"},
    // LHA: the method name at offset 2 of the first header.
    {2, "-lh"sv, "application/x-lzh-compressed", 6, "-"sv},
    {2, "-lz"sv, "application/x-lzh-compressed", 6, "-"sv},
    // ASCII cpio (odc, newc, crc): the header's first number, zero-padded, follows the magic.
    {0, "070707"sv, "application/x-cpio", 6, "0"sv},
    {0, "070701"sv, "application/x-cpio", 6, "0"sv},
    {0, "070702"sv, "application/x-cpio", 6, "0"sv},
}};

// Every object is tried against every magic: the first byte rules out nearly all of them
// before a comparison is called.
bool at(std::string_view d, std::size_t offset, std::string_view bytes) noexcept {
  return d.size() > offset && d.size() - offset >= bytes.size() && d[offset] == bytes.front() &&
         d.compare(offset, bytes.size(), bytes) == 0;
}

}  // namespace

bool classify_magic(std::string_view data, TrueType& out) {
  for (const Magic& m : kMagics) {
    if (!at(data, m.at, m.bytes) || (!m.also.empty() && !at(data, m.also_at, m.also))) continue;
    out.mime_type = m.mime;
    out.category = category_of(m.mime);
    out.source = Source::signature;
    return true;
  }
  return false;
}

}  // namespace ksmg::filetype::detail

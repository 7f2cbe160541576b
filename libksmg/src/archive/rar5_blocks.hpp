// rar5_blocks.hpp — the block layout of RAR 5 archives (internal), for the two readers that walk
// it: the libarchive reader, which must find the files whose data is encrypted (libarchive 3.6
// does not flag them), and the decryption (decrypt.hpp), which rewrites the blocks it decrypts.
//
// RAR 5.0 technote: after the 8-byte signature come blocks of CRC32, vint header size, vint
// type, vint flags, [vint extra area size], [vint data size], the type's own fields and the extra
// area (records of vint size, vint type, fields) that ends the header; the data area follows.
// The CRC32 covers the header from its size field to its end. Every read here is checked against
// the view it is given; a header that does not fit or contradicts itself is not parsed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ksmg::archive::detail::rar5 {

inline constexpr std::string_view kSignature{"Rar!\x1A\x07\x01\x00", 8};
// RAR writes no larger header (its size field is at most 3 vint bytes) and its reader refuses
// one; so do the readers here.
inline constexpr std::size_t kMaxHeaderBytes = std::size_t{2} << 20;

// Block types.
inline constexpr std::uint64_t kMainBlock = 1;
inline constexpr std::uint64_t kFileBlock = 2;
inline constexpr std::uint64_t kServiceBlock = 3;
inline constexpr std::uint64_t kEncryptionBlock = 4;  // every header after it is encrypted
inline constexpr std::uint64_t kEndBlock = 5;
// Header flags.
inline constexpr std::uint64_t kHasExtra = 0x0001;
inline constexpr std::uint64_t kHasData = 0x0002;
inline constexpr std::uint64_t kSplitBefore = 0x0008;  // data continued from the previous volume
inline constexpr std::uint64_t kSplitAfter = 0x0010;   // data continued in the next volume
// Extra record types of file and service headers.
inline constexpr std::uint64_t kCryptRecord = 0x01;
inline constexpr std::uint64_t kHashRecord = 0x02;

// A vint at `pos` (advanced past it); false when it runs past the end or past 64 bits.
bool read_vint(std::string_view d, std::size_t& pos, std::uint64_t& v) noexcept;
// Appends v as a vint (the shortest form).
void append_vint(std::string& out, std::uint64_t v);

// A block header; offsets index the view it was parsed from.
struct Header {
  std::uint32_t stored_crc = 0;
  std::size_t size_field = 0;  // the header-size vint, where what the CRC covers begins
  std::size_t fields = 0;      // the type's own fields, after the data-size vint
  std::size_t extra = 0;       // the extra area: [extra, end)
  std::size_t end = 0;         // one past the header; its data area starts here
  std::uint64_t type = 0;
  std::uint64_t flags = 0;
  std::uint64_t data_size = 0;  // not checked against the input: the caller knows where it is
};

// The header whose CRC32 starts at `pos`; nullopt when it runs past the end of `d`, is larger
// than kMaxHeaderBytes or its fields overrun it.
[[nodiscard]] std::optional<Header> parse_header(std::string_view d, std::size_t pos) noexcept;
// The CRC32 of what a header's stored CRC covers.
[[nodiscard]] std::uint32_t header_crc(std::string_view d, const Header& h) noexcept;

// One record of an extra area: [begin, end), its fields from `fields`.
struct Record {
  std::uint64_t type = 0;
  std::size_t begin = 0;
  std::size_t fields = 0;
  std::size_t end = 0;
};
// The record at `pos` of an extra area that ends at `end` (pos advanced past it); false when
// none fits.
bool next_record(std::string_view d, std::size_t& pos, std::size_t end, Record& r) noexcept;

// Per file header of the archive in `d`, in order: whether its data is encrypted (it carries a
// file encryption record). Stops at an archive encryption header (whose headers only a password
// reads), at the end block and at the first damage. Linear in the input.
[[nodiscard]] std::vector<bool> encrypted_files(std::string_view d);

}  // namespace ksmg::archive::detail::rar5

// ksmg/limits.hpp — every limit a scan enforces, in one place.
//
// A limit never aborts a scan: the object that crosses it is marked (see Limit) and
// scanning goes on with what was within bounds; the policy decides what the mark means.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace ksmg {

struct ScanLimits {
  // Bytes of one message that are parsed; the rest is not looked at (message_size).
  std::size_t max_message_bytes = 64u << 20;
  // One header field, from its name to the end of its last folded line (header_line_length).
  std::size_t max_header_line_bytes = 64u << 10;
  // Header fields kept for one entity (header_fields); further fields are skipped.
  std::size_t max_header_fields = 1000;
  // Header fields kept for the whole message (header_fields).
  std::size_t max_total_header_fields = 50000;
  // Parameters parsed from one Content-Type or Content-Disposition (content_params).
  std::size_t max_content_params = 256;
  // Nesting of multiparts and embedded messages; deeper containers stay opaque leaves (mime_depth).
  std::size_t max_mime_depth = 64;
  // Entities in one message, containers included (part_count).
  std::size_t max_parts = 10000;
  // Output of decoding one part (transfer decoding, charset, HTML to text) (decoded_size).
  std::size_t max_decoded_bytes = 128u << 20;

  // Object tree (archives, compound objects, encoded embedded messages). Unpacked sizes are
  // counted in bytes actually produced, never taken from a header.
  //
  // Containers inside containers: an attachment is at depth 0, its members at 1 (archive_depth).
  std::size_t max_archive_depth = 8;
  // Members taken out of all containers of one message together (archive_members).
  std::size_t max_archive_members = 10000;
  // Bytes unpacked from all containers of one message together; bounds the memory a message
  // can make the scan hold (unpacked_size).
  std::size_t max_unpacked_bytes = 256u << 20;
  // Bytes kept of one member; the rest is not read (member_size).
  std::size_t max_member_bytes = 64u << 20;
  // Bytes one member may unpack to, as a multiple of its whole container's size, once it is
  // past compression_ratio_floor_bytes; a member beyond it is a bomb, and once a message has
  // shown one, its other containers stay closed (compression_ratio).
  std::size_t max_compression_ratio = 250;
  std::size_t compression_ratio_floor_bytes = 1u << 20;
  // Thread CPU time spent unpacking the containers of one message (unpack_time).
  std::size_t max_unpack_cpu_ms = 3000;
  // Passwords found in the message's own text that are tried on one encrypted archive, the
  // likeliest first (a word after "password:" before a quoted string before any short token);
  // an archive none of them opens while more were found is password_candidates. Each try is
  // one more reading of the archive, within max_unpack_cpu_ms.
  std::size_t max_password_candidates = 32;

  // Anti-virus (libclamav), per object handed to it: bytes it reads in all, counting what it
  // unpacks itself (av_scan_size); bytes of any one file it looks at (av_scan_size); containers
  // it opens one inside another (av_recursion); files it takes out (av_files).
  std::size_t max_av_scan_bytes = 100u << 20;
  std::size_t max_av_file_bytes = 50u << 20;
  std::size_t max_av_recursion = 8;
  std::size_t max_av_files = 1000;
  // libclamav's own clock for one object; checked inside its loops, not a hard bound (av_time).
  std::size_t max_av_object_ms = 10000;
  // Thread CPU time for the anti-virus scan of one message. When it runs out, the files inside
  // the object in hand and the objects after it are not scanned (av_time).
  std::size_t max_av_message_cpu_ms = 20000;

  // DNS, per message, every module's lookups together (sender authentication, DNS lists): the
  // queries sent (dns_lookups); SPF alone may take 1 + 10 terms + 10 names for each of them
  // (RFC 7208 4.6.4), DKIM keys, DMARC and the lists come on top.
  std::size_t max_dns_lookups = 256;
  // Wall time from the message's first query; the lookups still to ask then answer as timed
  // out (dns_time). RFC 7208 4.6.4 asks SPF to allow at least 20 seconds.
  std::size_t max_dns_ms = 20000;
};

// Which limit was crossed; a bit set, so one object can carry several.
enum class Limit : std::uint32_t {
  message_size = 1u << 0,
  header_line_length = 1u << 1,
  header_fields = 1u << 2,
  content_params = 1u << 3,
  mime_depth = 1u << 4,
  part_count = 1u << 5,
  decoded_size = 1u << 6,
  archive_depth = 1u << 7,
  archive_members = 1u << 8,
  unpacked_size = 1u << 9,
  member_size = 1u << 10,
  compression_ratio = 1u << 11,
  unpack_time = 1u << 12,
  av_scan_size = 1u << 13,
  av_recursion = 1u << 14,
  av_files = 1u << 15,
  av_time = 1u << 16,
  password_candidates = 1u << 17,
  dns_lookups = 1u << 18,
  dns_time = 1u << 19,
};

class LimitSet {
 public:
  constexpr void add(Limit l) noexcept { bits_ |= static_cast<std::uint32_t>(l); }
  constexpr void add(LimitSet o) noexcept { bits_ |= o.bits_; }
  [[nodiscard]] constexpr bool has(Limit l) const noexcept {
    return (bits_ & static_cast<std::uint32_t>(l)) != 0;
  }
  [[nodiscard]] constexpr bool empty() const noexcept { return bits_ == 0; }
  [[nodiscard]] constexpr std::uint32_t bits() const noexcept { return bits_; }

 private:
  std::uint32_t bits_ = 0;
};

inline constexpr Limit kAllLimits[] = {
    Limit::message_size,    Limit::header_line_length,
    Limit::header_fields,   Limit::content_params,
    Limit::mime_depth,      Limit::part_count,
    Limit::decoded_size,    Limit::archive_depth,
    Limit::archive_members, Limit::unpacked_size,
    Limit::member_size,     Limit::compression_ratio,
    Limit::unpack_time,     Limit::av_scan_size,
    Limit::av_recursion,    Limit::av_files,
    Limit::av_time,         Limit::password_candidates,
    Limit::dns_lookups,     Limit::dns_time,
};

// Position of a limit in kAllLimits (its bit number), for tables indexed by limit.
constexpr std::size_t index_of(Limit l) noexcept {
  return static_cast<std::size_t>(std::countr_zero(static_cast<std::uint32_t>(l)));
}

// Stable snake_case name, used in JSON and logs.
std::string_view to_string(Limit l) noexcept;
// The limit named by to_string(), or nullopt.
[[nodiscard]] std::optional<Limit> limit_from_string(std::string_view s) noexcept;

}  // namespace ksmg

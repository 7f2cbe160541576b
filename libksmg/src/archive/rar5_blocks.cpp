// rar5_blocks.cpp — owns the RAR 5 block walk (rar5_blocks.hpp): vints, block headers, extra
// records, and which file headers carry encrypted data.
#include "archive/rar5_blocks.hpp"

#include "core/crc32.hpp"

namespace ksmg::archive::detail::rar5 {

bool read_vint(std::string_view d, std::size_t& pos, std::uint64_t& v) noexcept {
  v = 0;
  for (unsigned shift = 0; shift < 64 && pos < d.size(); shift += 7) {
    const auto b = static_cast<unsigned char>(d[pos++]);
    v |= static_cast<std::uint64_t>(b & 0x7F) << shift;
    if ((b & 0x80) == 0) return true;
  }
  return false;
}

void append_vint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7F) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
}

std::optional<Header> parse_header(std::string_view d, std::size_t pos) noexcept {
  if (pos > d.size() || d.size() - pos < 4) return std::nullopt;
  Header h;
  for (unsigned i = 0; i < 4; ++i)
    h.stored_crc |= static_cast<std::uint32_t>(static_cast<unsigned char>(d[pos + i])) << (8 * i);
  h.size_field = pos + 4;
  std::size_t p = h.size_field;
  std::uint64_t size = 0;
  if (!read_vint(d, p, size) || size == 0 || size > kMaxHeaderBytes || size > d.size() - p)
    return std::nullopt;
  h.end = p + static_cast<std::size_t>(size);
  const std::string_view header = d.substr(0, h.end);
  std::uint64_t extra = 0;
  if (!read_vint(header, p, h.type) || !read_vint(header, p, h.flags)) return std::nullopt;
  if ((h.flags & kHasExtra) != 0 && !read_vint(header, p, extra)) return std::nullopt;
  if ((h.flags & kHasData) != 0 && !read_vint(header, p, h.data_size)) return std::nullopt;
  if (extra > h.end - p) return std::nullopt;
  h.fields = p;
  h.extra = h.end - static_cast<std::size_t>(extra);
  return h;
}

std::uint32_t header_crc(std::string_view d, const Header& h) noexcept {
  return core::crc32_of(d.substr(h.size_field, h.end - h.size_field));
}

bool next_record(std::string_view d, std::size_t& pos, std::size_t end, Record& r) noexcept {
  if (end > d.size() || pos >= end) return false;
  const std::string_view area = d.substr(0, end);
  std::size_t p = pos;
  std::uint64_t size = 0;
  if (!read_vint(area, p, size) || size == 0 || size > end - p) return false;
  r.begin = pos;
  r.end = p + static_cast<std::size_t>(size);
  if (!read_vint(area.substr(0, r.end), p, r.type)) return false;
  r.fields = p;
  pos = r.end;
  return true;
}

std::vector<bool> encrypted_files(std::string_view d) {
  std::vector<bool> files;
  const std::size_t sig = d.find(kSignature);
  if (sig == std::string_view::npos) return files;
  std::size_t pos = sig + kSignature.size();
  while (pos < d.size()) {
    const std::optional<Header> h = parse_header(d, pos);
    if (!h || h->type == kEncryptionBlock || h->type == kEndBlock) break;
    if (h->type == kFileBlock) {
      bool encrypted = false;
      std::size_t q = h->extra;
      Record r;
      while (!encrypted && next_record(d, q, h->end, r)) encrypted = r.type == kCryptRecord;
      files.push_back(encrypted);
    }
    if (h->data_size > d.size() - h->end) break;
    pos = h->end + static_cast<std::size_t>(h->data_size);
  }
  return files;
}

}  // namespace ksmg::archive::detail::rar5

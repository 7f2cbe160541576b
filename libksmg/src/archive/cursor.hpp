// cursor.hpp — the bounds-checked little-endian reader the compound-object parsers (TNEF, OLE1
// objects of RTF) walk their hostile input with (internal). A failed read leaves the cursor
// where it was and says so; nothing reads past the end.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ksmg::archive::detail {

class Cursor {
 public:
  explicit Cursor(std::string_view s) : s_(s) {}
  [[nodiscard]] std::size_t left() const noexcept { return s_.size() - pos_; }
  [[nodiscard]] std::size_t pos() const noexcept { return pos_; }

  bool u8(std::uint8_t& v) noexcept {
    if (left() < 1) return false;
    v = static_cast<std::uint8_t>(byte(pos_++));
    return true;
  }
  bool u16(std::uint16_t& v) noexcept {
    if (left() < 2) return false;
    v = static_cast<std::uint16_t>(byte(pos_) | (byte(pos_ + 1) << 8));
    pos_ += 2;
    return true;
  }
  bool u32(std::uint32_t& v) noexcept {
    if (left() < 4) return false;
    v = static_cast<std::uint32_t>(byte(pos_)) | (static_cast<std::uint32_t>(byte(pos_ + 1)) << 8) |
        (static_cast<std::uint32_t>(byte(pos_ + 2)) << 16) |
        (static_cast<std::uint32_t>(byte(pos_ + 3)) << 24);
    pos_ += 4;
    return true;
  }
  bool take(std::size_t n, std::string_view& out) noexcept {
    if (left() < n) return false;
    out = s_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  // Up to n bytes: what is there when a declared size runs past the end.
  std::string_view take_some(std::size_t n) noexcept {
    const std::string_view out = s_.substr(pos_, std::min(n, left()));
    pos_ += out.size();
    return out;
  }
  bool skip(std::size_t n) noexcept {
    if (left() < n) return false;
    pos_ += n;
    return true;
  }
  // Up to the next NUL, which is consumed; false when there is none.
  bool cstring(std::string_view& out) noexcept {
    const std::size_t end = s_.find('\0', pos_);
    if (end == std::string_view::npos) return false;
    out = s_.substr(pos_, end - pos_);
    pos_ = end + 1;
    return true;
  }

 private:
  [[nodiscard]] unsigned byte(std::size_t i) const noexcept {
    return static_cast<unsigned char>(s_[i]);
  }
  std::string_view s_;
  std::size_t pos_ = 0;
};

}  // namespace ksmg::archive::detail

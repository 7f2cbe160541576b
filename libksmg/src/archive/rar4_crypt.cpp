// rar4_crypt.cpp — owns the RAR 2.9-4.x half of decrypt_rar (rar_crypt.hpp): an archive's
// encrypted headers and file data decrypted with one password into a plain RAR 4 copy.
//
// RAR 4.x technote: after the 7-byte marker, blocks of CRC16 (the low half of the CRC32 of the
// rest of the header), type, flags, size, [4-byte added size when flag 0x8000]; a file header
// (0x74) has its packed size there, then the unpacked size, host, file CRC32, time, version,
// method, name size, attributes, [high sizes], name, [8-byte salt when flag 0x400], [times].
// Encrypted file data (flag 0x04) is AES-128-CBC with the key and IV that the password and the
// file's salt give, padded to 16 bytes. When the main header has flag 0x80 (-hp), every later
// block is an 8-byte salt and then the header AES-128-CBC encrypted, padded to 16 bytes.
// Encryption of file versions before 2.9 (RAR 1.5 and 2.0 ciphers) is not AES: unsupported.
//
// How a wrong password is told apart: encrypted headers by their CRC (all of them: a CRC16 alone
// lets one wrong password in 65536 through one header; and a copy must hold a decrypted file to
// count as opened); stored file data by its CRC32, computed here; compressed file data by the
// CRC32 libarchive checks after decompressing the copy (a wrong password makes that reading
// corrupted, and the password loop goes on to the next candidate).

#include <optional>
#include <string>

#include "archive/rar_crypt.hpp"
#include "archive/rar_keys.hpp"
#include "core/crc32.hpp"

namespace ksmg::archive::detail::rar {

namespace {

constexpr std::size_t kMarkerBytes = 7;
constexpr std::size_t kBaseHeaderBytes = 7;   // CRC, type, flags, size
constexpr std::size_t kFileHeaderBytes = 32;  // up to the attributes
constexpr std::size_t kHighSizeBytes = 8;     // high halves of the packed and unpacked sizes
constexpr unsigned kMainHeader = 0x73;
constexpr unsigned kFileHeader = 0x74;
constexpr unsigned kSubHeader = 0x7A;  // newer service block, laid out like a file header
constexpr unsigned kEndHeader = 0x7B;
constexpr unsigned kHeadersEncrypted = 0x0080;  // main header flag
constexpr unsigned kLongBlock = 0x8000;
constexpr unsigned kFileSplit = 0x0003;  // continued from or in another volume
constexpr unsigned kFileEncrypted = 0x0004;
constexpr unsigned kFileLarge = 0x0100;
constexpr unsigned kFileSalt = 0x0400;
constexpr unsigned kStored = 0x30;
constexpr unsigned kFirstAesVersion = 29;

unsigned u16(std::string_view d, std::size_t at) noexcept {
  return static_cast<unsigned char>(d[at]) |
         static_cast<unsigned>(static_cast<unsigned char>(d[at + 1])) << 8;
}
std::uint32_t u32(std::string_view d, std::size_t at) noexcept {
  return static_cast<std::uint32_t>(u16(d, at)) | static_cast<std::uint32_t>(u16(d, at + 2)) << 16;
}
void put16(std::string& d, std::size_t at, unsigned v) {
  d[at] = static_cast<char>(v & 0xFF);
  d[at + 1] = static_cast<char>((v >> 8) & 0xFF);
}
void put32(std::string& d, std::size_t at, std::uint32_t v) {
  put16(d, at, v & 0xFFFF);
  put16(d, at + 2, v >> 16);
}

// The CRC16 a header stores: the low half of the CRC32 of all but the CRC itself.
unsigned header_crc(std::string_view header) noexcept {
  return core::crc32_of(header.substr(2)) & 0xFFFF;
}

// `changed` written with the CRC of its new bytes, and whatever damage the original's stored
// CRC showed carried over, so that libarchive reports the copy as it would the original.
void seal(std::string& changed, std::string_view original) {
  const unsigned damage = u16(original, 0) ^ header_crc(original);
  put16(changed, 0, header_crc(changed) ^ damage);
}

class Rewrite {
 public:
  Rewrite(std::string_view data, std::size_t signature, const Password& password, Budget& budget)
      : data_(data), signature_(signature), password_(password), budget_(budget) {}

  Decrypted run() {
    std::size_t pos = signature_ + kMarkerBytes;
    out_.reserve(data_.size());
    out_.append(data_.substr(0, pos));
    if (data_.size() - pos < kBaseHeaderBytes) return Outcome::stopped(Step::unsupported);
    const std::string_view main = data_.substr(pos);
    const unsigned main_size = u16(main, 5);
    if (static_cast<unsigned char>(main[2]) != kMainHeader || main_size < kBaseHeaderBytes ||
        main_size > main.size())
      return Outcome::stopped(Step::unsupported);
    headers_encrypted_ = (u16(main, 3) & kHeadersEncrypted) != 0;
    std::string plain_main(main.substr(0, main_size));
    put16(plain_main, 3, u16(main, 3) & ~kHeadersEncrypted);
    seal(plain_main, main.substr(0, main_size));
    out_ += plain_main;
    pos += main_size;
    return copy_blocks(*this, data_, pos, out_, outcome_, budget_);
  }

  // The block at `pos`, written to the copy unless it is a service or old-style block (dropped);
  // pos moves past it unless it ends the copy.
  Step block(std::size_t& pos) {
    std::size_t data_begin = 0;
    Step step = headers_encrypted_ ? read_encrypted(pos, data_begin) : read_plain(pos, data_begin);
    std::uint64_t data_size = 0;
    if (step != Step::go_on) return step;
    if (!block_data_size(data_size) || data_size > data_.size() - data_begin) return Step::end_copy;
    const std::string_view area = data_.substr(data_begin, static_cast<std::size_t>(data_size));
    if (ended()) out_.append(header_);
    if (static_cast<unsigned char>(header_[2]) == kFileHeader) step = rewrite_file(area);
    if (step == Step::go_on) pos = data_begin + area.size();
    return step;
  }

  [[nodiscard]] bool ended() const noexcept {
    return static_cast<unsigned char>(header_[2]) == kEndHeader;
  }

 private:
  Step read_plain(std::size_t pos, std::size_t& data_begin) {
    if (data_.size() - pos < kBaseHeaderBytes) return Step::end_copy;
    const unsigned size = u16(data_, pos + 5);
    if (size < kBaseHeaderBytes || size > data_.size() - pos) return Step::end_copy;
    header_ = data_.substr(pos, size);
    data_begin = pos + size;
    return Step::go_on;
  }

  // A salt, then the header encrypted: its first block holds the size, which says how many
  // blocks follow. Every header must be sound: its CRC is all that tells a wrong password here.
  // A header cut short is a wrong password too until one header decrypted soundly.
  Step read_encrypted(std::size_t pos, std::size_t& data_begin) {
    const Step cut = headers_verified_ ? Step::end_copy : Step::wrong_password;
    if (data_.size() - pos < kRar4SaltBytes + kAesBlockBytes) return cut;
    const Rar4Key* key = nullptr;
    if (const Step s = derive(data_.substr(pos, kRar4SaltBytes), key); s != Step::go_on) return s;
    const std::size_t at = pos + kRar4SaltBytes;
    plain_.clear();
    if (!decrypt(*key, data_.substr(at, kAesBlockBytes), plain_)) return Step::unsupported;
    const unsigned size = u16(plain_, 5);
    if (size < kBaseHeaderBytes) return Step::wrong_password;
    const std::size_t padded = (size + kAesBlockBytes - 1) / kAesBlockBytes * kAesBlockBytes;
    if (padded > data_.size() - at) return cut;
    plain_.clear();
    if (!decrypt(*key, data_.substr(at, padded), plain_)) return Step::unsupported;
    header_ = std::string_view(plain_).substr(0, size);
    if (u16(header_, 0) != header_crc(header_)) return Step::wrong_password;
    headers_verified_ = true;
    data_begin = at + padded;
    return Step::go_on;
  }

  // The size of the data area after header_; false when the header is too short for its type.
  bool block_data_size(std::uint64_t& size) const noexcept {
    const auto type = static_cast<unsigned char>(header_[2]);
    const unsigned flags = u16(header_, 3);
    size = 0;
    if (type == kFileHeader || type == kSubHeader) {
      if (header_.size() < kFileHeaderBytes) return false;
      size = u32(header_, 7);
      if ((flags & kFileLarge) != 0) {
        if (header_.size() < kFileHeaderBytes + kHighSizeBytes) return false;
        size |= static_cast<std::uint64_t>(u32(header_, kFileHeaderBytes)) << 32;
      }
    } else if ((flags & kLongBlock) != 0) {
      if (header_.size() < kBaseHeaderBytes + 4) return false;
      size = u32(header_, kBaseHeaderBytes);
    }
    return true;
  }

  Step derive(std::string_view salt, const Rar4Key*& key) {
    return step_of(keys_.get(
        salt, [&](Rar4Key& k) { return derive_rar4(password_, salt, budget_, k); }, key));
  }

  static bool decrypt(const Rar4Key& key, std::string_view in, std::string& out) {
    return aes_cbc_decrypt(
        std::string_view(reinterpret_cast<const char*>(key.key.data()), key.key.size()),
        std::string_view(reinterpret_cast<const char*>(key.iv.data()), key.iv.size()), in, out);
  }

  Step rewrite_file(std::string_view area) {
    const unsigned flags = u16(header_, 3);
    if ((flags & kFileEncrypted) == 0) {
      if (headers_encrypted_) ++outcome_.opened;  // its header, at least, was encrypted
      out_.append(header_);
      out_.append(area);
      return Step::go_on;
    }
    const bool large = (flags & kFileLarge) != 0;
    const std::size_t name_at = kFileHeaderBytes + (large ? kHighSizeBytes : 0);
    const std::size_t name_end = name_at + u16(header_, 26);
    const std::size_t salt_bytes = (flags & kFileSalt) != 0 ? kRar4SaltBytes : 0;
    // (block_data_size made sure the fixed fields and high sizes are there.)
    if ((flags & kFileSplit) != 0 || static_cast<unsigned char>(header_[24]) < kFirstAesVersion ||
        name_end + salt_bytes > header_.size() || area.size() % kAesBlockBytes != 0)
      return Step::unsupported;
    const Rar4Key* key = nullptr;
    if (const Step s = derive(header_.substr(name_end, salt_bytes), key); s != Step::go_on)
      return s;
    std::string plain;
    if (!decrypt(*key, area, plain)) return Step::unsupported;
    std::uint64_t packed = plain.size();
    if (static_cast<unsigned char>(header_[25]) == kStored) {
      const std::uint64_t unpacked =
          u32(header_, 11) | (large ? static_cast<std::uint64_t>(u32(header_, 36)) << 32 : 0);
      if (unpacked > plain.size()) return Step::unsupported;
      if (core::crc32_of(std::string_view(plain).substr(0, static_cast<std::size_t>(unpacked))) !=
          u32(header_, 16)) {
        ++outcome_.refused;
        out_.append(header_);
        out_.append(area);
        return Step::go_on;
      }
      packed = unpacked;
    }
    std::string head(header_.substr(0, name_end));
    head.append(header_.substr(name_end + salt_bytes));
    put16(head, 3, flags & ~(kFileEncrypted | kFileSalt));
    put16(head, 5, static_cast<unsigned>(head.size()));
    put32(head, 7, static_cast<std::uint32_t>(packed));
    if (large) put32(head, kFileHeaderBytes, static_cast<std::uint32_t>(packed >> 32));
    seal(head, header_);
    out_ += head;
    out_.append(plain, 0, static_cast<std::size_t>(packed));
    ++outcome_.opened;
    return Step::go_on;
  }

  std::string_view data_;
  std::size_t signature_;
  const Password& password_;
  Budget& budget_;
  std::string out_;
  Outcome outcome_;
  KeyCache<Rar4Key> keys_;
  bool headers_encrypted_ = false;
  bool headers_verified_ = false;  // an encrypted header decrypted soundly
  std::string plain_;              // the current header, decrypted
  std::string_view header_;        // the current header: in the input or in plain_
};

}  // namespace

Decrypted decrypt_rar4(std::string_view data, std::size_t signature, const Password& password,
                       Budget& budget) {
  return Rewrite(data, signature, password, budget).run();
}

}  // namespace ksmg::archive::detail::rar

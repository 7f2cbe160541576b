// rar5_crypt.cpp — owns the RAR 5 half of decrypt_rar (rar_crypt.hpp): an archive's encrypted
// headers and file data decrypted with one password into a plain RAR 5 copy.
//
// RAR 5.0 technote: an archive encryption header (type 4: version, flags, log2 of the PBKDF2
// iterations, salt, optional password check) makes every later header a 16-byte IV followed by
// the header AES-256-CBC encrypted, padded to 16 bytes. A file's data is encrypted when its
// header carries a file encryption record (version, flags, log2 count, salt, IV, optional
// password check); its data area is the ciphertext, padded to 16 bytes.
//
// How a wrong password is told apart: by the password check value where the archive has one
// (RAR writes it since 5.0: 64 bits, so a wrong password never passes), else by the CRC32 of the
// first encrypted header, else (file data without a check) by the checksums libarchive verifies
// on the copy: they stay, and a wrong password makes its reading corrupted. Where the record
// says "use MAC", the stored CRC32 and BLAKE2sp are keyed with the password and libarchive
// would reject them, so they are dropped from the copy; that is sound only with a check value,
// so a file that asks for MAC checksums without a usable check makes the archive unsupported.
//
// libarchive 3.6 reads a file's packed data to the end of its data area, padding included, and
// takes the padding for another compressed block (a checksum error); so the copy's data area
// ends where the stored data (its unpacked size) or the compressed stream (its block marked
// last) ends.

#include <algorithm>
#include <array>
#include <optional>
#include <string>

#include "archive/rar5_blocks.hpp"
#include "archive/rar_crypt.hpp"
#include "archive/rar_keys.hpp"
#include "core/crc32.hpp"

namespace ksmg::archive::detail::rar {

namespace {

using rar5::Header;
using rar5::Record;

// Flags of the encryption header and of the file encryption record.
constexpr std::uint64_t kCheckPresent = 0x0001;
constexpr std::uint64_t kUseMac = 0x0002;
// File header flags.
constexpr std::uint64_t kFileHasTime = 0x0002;
constexpr std::uint64_t kFileHasCrc = 0x0004;
constexpr std::uint64_t kFileSizeUnknown = 0x0008;
// The compression method of a stored file (compression information bits 7 to 9).
constexpr std::uint64_t kStored = 0;
// A compressed block's flag byte: the block is the file's last.
constexpr unsigned kLastBlock = 0x40;
// The only encryption version RAR 5 has (AES-256).
constexpr std::uint64_t kCryptVersion = 0;

// An archive encryption header's or a file encryption record's fields.
struct Crypt {
  unsigned log2_count = 0;
  std::string_view salt;
  std::string_view iv;     // file records only
  std::string_view check;  // the 12 stored bytes; empty when absent or its checksum is wrong
  bool mac = false;
};

// The fields at [pos, end) of `d`; nullopt when they do not fit or name an encryption or work
// factor RAR does not have.
std::optional<Crypt> parse_crypt(std::string_view d, std::size_t pos, std::size_t end,
                                 bool with_iv) {
  const std::string_view f = d.substr(0, end);
  std::uint64_t version = 0, flags = 0;
  if (!rar5::read_vint(f, pos, version) || !rar5::read_vint(f, pos, flags) ||
      version != kCryptVersion)
    return std::nullopt;
  const bool has_check = (flags & kCheckPresent) != 0;
  const std::size_t need = 1 + kRar5SaltBytes + (with_iv ? kAesBlockBytes : 0) +
                           (has_check ? kRar5CheckBytes + kRar5CheckSumBytes : 0);
  if (pos > f.size() || f.size() - pos < need) return std::nullopt;
  Crypt c;
  c.log2_count = static_cast<unsigned char>(f[pos++]);
  if (c.log2_count > kMaxKdfLog2) return std::nullopt;
  c.salt = f.substr(pos, kRar5SaltBytes);
  pos += kRar5SaltBytes;
  if (with_iv) {
    c.iv = f.substr(pos, kAesBlockBytes);
    pos += kAesBlockBytes;
  }
  if (has_check) {
    const std::string_view stored = f.substr(pos, kRar5CheckBytes + kRar5CheckSumBytes);
    if (check_is_sound(stored)) c.check = stored;
  }
  c.mac = (flags & kUseMac) != 0;
  return c;
}

// The fields of a file header the rewrite changes.
struct FileFields {
  std::uint64_t flags = 0;
  std::uint64_t unpacked = 0;
  std::uint64_t method = 0;
  std::size_t after_flags = 0;  // the unpacked size
  std::size_t crc = 0;          // the data CRC32, or where it would be
  std::size_t after_crc = 0;    // the compression information
};

std::optional<FileFields> parse_file_fields(std::string_view d, const Header& h) {
  const std::string_view f = d.substr(0, h.extra);
  std::size_t pos = h.fields;
  FileFields ff;
  std::uint64_t attributes = 0, compression = 0, host = 0, name_size = 0;
  if (!rar5::read_vint(f, pos, ff.flags)) return std::nullopt;
  ff.after_flags = pos;
  if (!rar5::read_vint(f, pos, ff.unpacked) || !rar5::read_vint(f, pos, attributes))
    return std::nullopt;
  if ((ff.flags & kFileHasTime) != 0) pos += 4;
  ff.crc = pos;
  if ((ff.flags & kFileHasCrc) != 0) pos += 4;
  ff.after_crc = pos;
  if (pos > f.size() || !rar5::read_vint(f, pos, compression) || !rar5::read_vint(f, pos, host) ||
      !rar5::read_vint(f, pos, name_size) || name_size > f.size() - pos)
    return std::nullopt;
  ff.method = (compression >> 7) & 7;
  return ff;
}

// Where a RAR 5 compressed stream ends: after its block marked last. Each block is a flag byte
// (bits 3-4: bytes of the size field less one; 0x40: last block), a checksum byte (0x5A XOR the
// flag and size bytes), the size field and that many bytes. The whole input when no consistent
// chain of blocks ends inside it (a wrong password: libarchive reports the damage).
std::size_t compressed_end(std::string_view p) noexcept {
  std::size_t pos = 0;
  while (p.size() - pos >= 3) {
    const unsigned flags = static_cast<unsigned char>(p[pos]);
    const std::size_t size_bytes = ((flags >> 3) & 7) + 1;
    if (size_bytes > 3 || p.size() - pos < 2 + size_bytes) break;
    unsigned check = 0x5A ^ flags;
    std::size_t size = 0;
    for (std::size_t i = 0; i < size_bytes; ++i) {
      const unsigned b = static_cast<unsigned char>(p[pos + 2 + i]);
      check ^= b;
      size |= static_cast<std::size_t>(b) << (8 * i);
    }
    if (check != static_cast<unsigned char>(p[pos + 1]) || size > p.size() - pos - 2 - size_bytes)
      break;
    pos += 2 + size_bytes + size;
    if ((flags & kLastBlock) != 0) return pos;
  }
  return p.size();
}

class Rewrite {
 public:
  Rewrite(std::string_view data, std::size_t signature, const Password& password, Budget& budget)
      : data_(data), signature_(signature), password_(password), budget_(budget) {}

  Decrypted run() {
    const std::size_t pos = signature_ + rar5::kSignature.size();
    out_.reserve(data_.size());
    out_.append(data_.substr(0, pos));
    return copy_blocks(*this, data_, pos, out_, outcome_, budget_);
  }

  // The block at `pos`, written to the copy; pos moves past it unless it ends the copy.
  Step block(std::size_t& pos) {
    std::size_t data_begin = 0;
    Step step = header_key_ ? read_encrypted(pos, data_begin) : read_plain(pos, data_begin);
    if (step != Step::go_on) return step;
    if (header_.data_size > data_.size() - data_begin) return Step::end_copy;
    const std::string_view area =
        data_.substr(data_begin, static_cast<std::size_t>(header_.data_size));
    switch (header_.type) {
      case rar5::kEncryptionBlock:
        step = start_header_encryption();
        break;
      case rar5::kFileBlock:
        step = rewrite_file(area);
        break;
      case rar5::kServiceBlock:
        break;
      default:  // the main and end headers, and any RAR may add
        out_.append(header_bytes());
        out_.append(area);
        break;
    }
    if (step == Step::go_on) pos = data_begin + area.size();
    return step;
  }

  [[nodiscard]] bool ended() const noexcept { return header_.type == rar5::kEndBlock; }

 private:
  // The header bytes as written in the copy when unchanged.
  [[nodiscard]] std::string_view header_bytes() const noexcept {
    return view_.substr(header_start_, header_.end - header_start_);
  }

  Step read_plain(std::size_t pos, std::size_t& data_begin) {
    const std::optional<Header> h = rar5::parse_header(data_, pos);
    if (!h) return Step::end_copy;
    view_ = data_;
    header_start_ = pos;
    header_ = *h;
    data_begin = h->end;
    return Step::go_on;
  }

  // An IV, then the header encrypted: its first block holds the CRC32 and the size field, which
  // says how many blocks follow.
  Step read_encrypted(std::size_t pos, std::size_t& data_begin) {
    if (data_.size() - pos < 2 * kAesBlockBytes) return bad_header();
    const std::string_view iv = data_.substr(pos, kAesBlockBytes);
    const std::string_view key(reinterpret_cast<const char*>(header_key_->data()),
                               header_key_->size());
    plain_.clear();
    if (!aes_cbc_decrypt(key, iv, data_.substr(pos + kAesBlockBytes, kAesBlockBytes), plain_))
      return Step::unsupported;
    std::size_t p = 4;
    std::uint64_t size = 0;
    if (!rar5::read_vint(plain_, p, size) || size == 0 || size > rar5::kMaxHeaderBytes)
      return bad_header();
    const std::size_t total = p + static_cast<std::size_t>(size);
    const std::size_t padded = (total + kAesBlockBytes - 1) / kAesBlockBytes * kAesBlockBytes;
    if (padded > data_.size() - pos - kAesBlockBytes) return bad_header();
    plain_.clear();
    if (!aes_cbc_decrypt(key, iv, data_.substr(pos + kAesBlockBytes, padded), plain_))
      return Step::unsupported;
    view_ = std::string_view(plain_).substr(0, total);
    header_start_ = 0;
    const std::optional<Header> h = rar5::parse_header(view_, 0);
    if (!h || h->end != total || rar5::header_crc(view_, *h) != h->stored_crc) return bad_header();
    header_ = *h;
    headers_verified_ = true;
    data_begin = pos + kAesBlockBytes + padded;
    return Step::go_on;
  }

  // An encrypted header that is cut or does not decrypt to a sound one: the password is wrong
  // unless its check value said otherwise or a header already decrypted soundly (then it is
  // damage, or a cut).
  Step bad_header() const noexcept {
    return headers_verified_ ? Step::end_copy : Step::wrong_password;
  }

  Step start_header_encryption() {
    if (header_key_) return Step::end_copy;  // a second one: not an archive RAR writes
    const std::optional<Crypt> c = parse_crypt(view_, header_.fields, header_.end, false);
    if (!c) return Step::unsupported;
    const Rar5Key* key = nullptr;
    if (const Step s = derive(*c, key); s != Step::go_on) return s;
    if (!c->check.empty()) {
      if (!check_matches(*key, c->check)) return Step::wrong_password;
      headers_verified_ = true;
    }
    header_key_ = key->key;
    return Step::go_on;
  }

  Step derive(const Crypt& c, const Rar5Key*& key) {
    std::string id(c.salt);
    id += static_cast<char>(c.log2_count);
    return step_of(keys_.get(
        id, [&](Rar5Key& k) { return derive_rar5(password_, c.salt, c.log2_count, budget_, k); },
        key));
  }

  Step rewrite_file(std::string_view area) {
    std::optional<Record> crypt;
    {
      std::size_t q = header_.extra;
      Record r;
      while (!crypt && rar5::next_record(view_, q, header_.end, r))
        if (r.type == rar5::kCryptRecord) crypt = r;
    }
    if (!crypt) {
      if (header_key_) ++outcome_.opened;  // its header, at least, was encrypted
      out_.append(header_bytes());
      out_.append(area);
      return Step::go_on;
    }
    if ((header_.flags & (rar5::kSplitBefore | rar5::kSplitAfter)) != 0) return Step::unsupported;
    const std::optional<Crypt> c = parse_crypt(view_, crypt->fields, crypt->end, true);
    const std::optional<FileFields> fields = parse_file_fields(view_, header_);
    if (!c || !fields || (c->mac && c->check.empty()) || area.size() % kAesBlockBytes != 0)
      return Step::unsupported;
    const Rar5Key* key = nullptr;
    if (const Step s = derive(*c, key); s != Step::go_on) return s;
    if (!c->check.empty() && !check_matches(*key, c->check)) {
      ++outcome_.refused;
      out_.append(header_bytes());
      out_.append(area);
      return Step::go_on;
    }
    std::string plain;
    const std::string_view aes_key(reinterpret_cast<const char*>(key->key.data()), key->key.size());
    if (!aes_cbc_decrypt(aes_key, c->iv, area, plain)) return Step::unsupported;
    std::size_t packed = plain.size();
    if (fields->method != kStored)
      packed = compressed_end(plain);
    else if ((fields->flags & kFileSizeUnknown) == 0 && fields->unpacked <= plain.size())
      packed = static_cast<std::size_t>(fields->unpacked);
    write_file_header(*c, *fields, packed);
    out_.append(plain, 0, packed);
    ++outcome_.opened;
    return Step::go_on;
  }

  // The header as it is, less the encryption record (and, with MAC checksums, the CRC32 and the
  // hash record), with the data size of the plain data. A stored CRC that did not match keeps
  // not matching: the copy shows the damage libarchive would have seen.
  void write_file_header(const Crypt& c, const FileFields& f, std::size_t packed) {
    std::string extra;
    {
      std::size_t q = header_.extra;
      Record r;
      while (rar5::next_record(view_, q, header_.end, r))
        if (r.type != rar5::kCryptRecord && !(c.mac && r.type == rar5::kHashRecord))
          extra.append(view_.substr(r.begin, r.end - r.begin));
    }
    std::string body;
    rar5::append_vint(body, header_.type);
    const std::uint64_t flags =
        (header_.flags & ~rar5::kHasExtra) | (extra.empty() ? 0 : rar5::kHasExtra) | rar5::kHasData;
    rar5::append_vint(body, flags);
    if (!extra.empty()) rar5::append_vint(body, extra.size());
    rar5::append_vint(body, packed);
    if (c.mac) {
      rar5::append_vint(body, f.flags & ~kFileHasCrc);
      body.append(view_.substr(f.after_flags, f.crc - f.after_flags));
      body.append(view_.substr(f.after_crc, header_.extra - f.after_crc));
    } else {
      body.append(view_.substr(header_.fields, header_.extra - header_.fields));
    }
    body += extra;
    std::string head;
    rar5::append_vint(head, body.size());
    head += body;
    const std::uint32_t damage = header_.stored_crc ^ rar5::header_crc(view_, header_);
    const std::uint32_t crc = core::crc32_of(head) ^ damage;
    for (unsigned i = 0; i < 4; ++i) out_ += static_cast<char>(crc >> (8 * i));
    out_ += head;
  }

  std::string_view data_;
  std::size_t signature_;
  const Password& password_;
  Budget& budget_;
  std::string out_;
  Outcome outcome_;
  KeyCache<Rar5Key> keys_;
  std::optional<std::array<unsigned char, 32>> header_key_;
  bool headers_verified_ = false;  // a check value or a sound encrypted header vouched for it
  std::string plain_;              // the current header, decrypted
  std::string_view view_;          // what header_ indexes: the input or plain_
  std::size_t header_start_ = 0;
  Header header_;
};

}  // namespace

Decrypted decrypt_rar5(std::string_view data, std::size_t signature, const Password& password,
                       Budget& budget) {
  return Rewrite(data, signature, password, budget).run();
}

}  // namespace ksmg::archive::detail::rar

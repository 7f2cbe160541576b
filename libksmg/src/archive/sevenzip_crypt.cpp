// sevenzip_crypt.cpp — owns detail::decrypt_7z (decrypt.hpp): a 7z archive's 7zAES coders
// undone with one password, written out as a plain 7z for libarchive.
//
// 7-Zip encrypts a folder (a chain of coders over packed streams) by putting a 7zAES coder
// between each of its packed streams and the coder that reads it; with -mhe=on the header
// itself is stored that way, as an "encoded header" whose one folder decodes to the plain
// header. The copy is made in three steps, none of which decompresses member data:
//   1. the header, decoded here when it is encoded (7zAES, then LZMA, LZMA2 or Copy: the chains
//      7-Zip writes for a header) and checked against its CRC;
//   2. in the plain header's main streams, every packed stream read by a 7zAES coder is
//      decrypted and the coder is taken out of its folder (bonds, packed-stream indices and
//      unpack sizes renumbered), as if the folder had been written without a password;
//   3. the packed streams and the new header are written after a new signature header.
// libarchive then reads the copy with all of its decoders and checks each member's CRC.
//
// 7z stores no password check. A wrong password is told by what the coder after 7zAES must
// see at the start of its stream (a decoding of the first KiBs for LZMA, LZMA2 and Deflate, the
// signatures of BZip2 and PPMd) or, when 7zAES feeds Copy, by the members' CRCs themselves. A
// wrong password that passes a check meets libarchive's CRC check of every member, which the
// reader records as corrupted; so an encrypted folder with a member that libarchive would not
// check (no CRC, as libarchive reads SubStreamsInfo) is not rewritten at all.
//
// The layout follows 7-Zip's 7zFormat.txt as libarchive 3.6.2 reads it (it reads the copy):
// what it does not read (kAdditionalStreamsInfo, external folder lists, SFX stubs) makes the
// archive unsupported. Nothing recurses; every count is capped before anything is sized by it.
#include <lzma.h>
#include <openssl/evp.h>
#include <unicode/ustring.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <bitset>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "archive/cursor.hpp"
#include "archive/decrypt.hpp"
#include "core/crc32.hpp"

namespace ksmg::archive::detail {

namespace {

constexpr std::string_view kSignature{"7z\xBC\xAF\x27\x1C", 6};
constexpr std::size_t kSignatureHeaderBytes = 32;

// Property ids of the header (7zFormat.txt).
enum : std::uint8_t {
  kEnd = 0x00,
  kHeader = 0x01,
  kArchiveProperties = 0x02,
  kAdditionalStreamsInfo = 0x03,
  kMainStreamsInfo = 0x04,
  kPackInfo = 0x06,
  kUnpackInfo = 0x07,
  kSubStreamsInfo = 0x08,
  kSize = 0x09,
  kCrc = 0x0A,
  kFolder = 0x0B,
  kCodersUnpackSize = 0x0C,
  kNumUnpackStream = 0x0D,
  kEncodedHeader = 0x17,
};

// Method ids, their bytes read big-endian as libarchive does.
constexpr std::uint64_t kCopy = 0x00;
constexpr std::uint64_t kLzma = 0x030101;
constexpr std::uint64_t kLzma2 = 0x21;
constexpr std::uint64_t kPpmd = 0x030401;
constexpr std::uint64_t kDeflate = 0x040108;
constexpr std::uint64_t kBzip2 = 0x040202;
constexpr std::uint64_t kAes = 0x06F10701;
constexpr std::string_view kCopyId{"\x00", 1};

// The next header as stored, and the plain header an encoded one decodes to. 7-Zip writes
// some 100 bytes per member, so this holds 100 000s of members, far past max_archive_members.
constexpr std::uint64_t kMaxHeaderBytes = 16u << 20;
// Folders (one per member in a non-solid archive), packed streams, and members (substreams)
// of all folders: past any archive the member limits let a message open.
constexpr std::uint64_t kMaxFolders = 1u << 16;
constexpr std::uint64_t kMaxPackStreams = 1u << 18;
constexpr std::uint64_t kMaxUnpackStreams = 1u << 20;
// Coders of one folder and streams of one folder's coders (7-Zip's own reader allows 64
// streams; it writes at most 8 coders: BCJ2, three compressors and one 7zAES per packed stream).
constexpr std::uint64_t kMaxCoders = 32;
constexpr std::size_t kMaxFolderStreams = 64;
// Coders and their streams in all folders together: what a header of kMaxHeaderBytes could
// declare would otherwise take some 60 times its size in memory.
constexpr std::uint64_t kMaxCodersInAll = 1u << 18;
constexpr std::uint64_t kMaxStreamsInAll = 1u << 19;
// A coder's properties (LZMA: 5 bytes, PPMd: 5, 7zAES: at most 34).
constexpr std::uint64_t kMaxPropertiesBytes = 1024;
// 7zAES key derivation: 2^NumCyclesPower SHA-256 rounds. 7-Zip refuses more than 2^24 (it
// writes 2^19); 0x3F is its marker for a key that is the salt and password as they are.
constexpr unsigned kMaxCyclesPower = 24;
constexpr unsigned kRawKeyCycles = 0x3F;
// Distinct keys (NumCyclesPower and salt) in one archive: 7-Zip derives one for the whole
// archive, header included; a header naming thousands would make each folder a derivation.
constexpr std::size_t kMaxKeys = 16;
// Rounds hashed between two looks at the Budget's clock, and the bytes of rounds hashed in one
// call (the per-call overhead of EVP_DigestUpdate would otherwise double the cost of a try).
constexpr std::uint64_t kRoundsBetweenClockChecks = 4096;
constexpr std::size_t kRoundBatchBytes = 4096;
// A password candidate longer than this is not tried (nobody types it; it would only make each
// of the 2^19 rounds longer).
constexpr std::size_t kMaxPasswordBytes = 1024;
// The start of a decrypted stream that is decoded to test the password: random bytes fail as
// LZMA within the first KiB of output (measured: 3000 of 3000 tries), as LZMA2 at once.
constexpr std::size_t kProbeInputBytes = 64u << 10;
constexpr std::size_t kProbeOutputBytes = 64u << 10;
constexpr std::size_t kAesBlock = 16;
constexpr std::size_t kKeyBytes = 32;

// ---------------------------------------------------------------------------------------------
// The header as parsed: only the parts that the rewrite changes are kept apart; the rest is
// carried as byte ranges of the original.

struct Digest {
  bool defined = false;
  std::uint32_t value = 0;
};

struct Coder {
  std::uint64_t method = 0;
  std::string_view id;     // as stored, written back as it was
  std::string_view props;  // empty when the coder has none
  std::uint64_t ins = 1;
  std::uint64_t outs = 1;
};

struct Bond {
  std::uint64_t in = 0;   // the in-stream fed ...
  std::uint64_t out = 0;  // ... by this out-stream
};

struct Folder {
  std::vector<Coder> coders;
  std::vector<Bond> bonds;
  std::vector<std::uint64_t> packed;        // in-stream of each packed stream, in pack order
  std::vector<std::uint64_t> unpack_sizes;  // one per out-stream
  Digest crc;                               // of the folder's output
  std::uint64_t first_pack = 0;             // index of its first packed stream
  std::uint64_t unpack_streams = 1;         // members it holds (SubStreamsInfo)
  std::size_t first_substream = 0;          // index of its first member in Streams::substreams
};

struct Substream {
  std::uint64_t size = 0;
  Digest crc;  // as libarchive will check it
};

struct Streams {
  bool has_pack_info = false;
  bool has_unpack_info = false;
  std::uint64_t pack_pos = 0;
  std::vector<std::uint64_t> pack_sizes;
  std::vector<Folder> folders;
  std::string_view substreams_block;  // kSubStreamsInfo ... kEnd, copied as it is
  std::vector<Substream> substreams;
};

// ---------------------------------------------------------------------------------------------
// Reading the header. Each function returns false on anything malformed or past a limit.

// 7z's NUMBER: the count of leading one bits of the first byte is the count of bytes that
// follow (little-endian); the first byte's remaining bits are the value's high part.
bool number(Cursor& c, std::uint64_t& v) {
  std::uint8_t first = 0;
  if (!c.u8(first)) return false;
  v = 0;
  unsigned mask = 0x80;
  for (unsigned i = 0; i < 8; ++i, mask >>= 1) {
    if ((first & mask) == 0) {
      v |= static_cast<std::uint64_t>(first & (mask - 1)) << (8 * i);
      return true;
    }
    std::uint8_t b = 0;
    if (!c.u8(b)) return false;
    v |= static_cast<std::uint64_t>(b) << (8 * i);
  }
  return true;
}

bool count(Cursor& c, std::uint64_t max, std::uint64_t& v) { return number(c, v) && v <= max; }

bool expect(Cursor& c, std::uint8_t id) {
  std::uint8_t b = 0;
  return c.u8(b) && b == id;
}

// n bits, most significant first.
bool bits(Cursor& c, std::size_t n, std::vector<bool>& out) {
  std::string_view bytes;
  if (!c.take((n + 7) / 8, bytes)) return false;
  out.assign(n, false);
  for (std::size_t i = 0; i < n; ++i)
    out[i] = (static_cast<unsigned char>(bytes[i / 8]) & (0x80u >> (i % 8))) != 0;
  return true;
}

bool digests(Cursor& c, std::size_t n, std::vector<Digest>& out) {
  std::uint8_t all_defined = 0;
  std::vector<bool> defined;
  if (!c.u8(all_defined)) return false;
  if (all_defined == 0) {
    if (!bits(c, n, defined)) return false;
  } else {
    defined.assign(n, true);
  }
  out.assign(n, Digest{});
  for (std::size_t i = 0; i < n; ++i) {
    if (!defined[i]) continue;
    out[i].defined = true;
    if (!c.u32(out[i].value)) return false;
  }
  return true;
}

bool read_pack_info(Cursor& c, Streams& s) {
  std::uint64_t n = 0;
  if (!number(c, s.pack_pos) || !count(c, kMaxPackStreams, n) || n == 0 || !expect(c, kSize))
    return false;
  s.pack_sizes.resize(n);
  for (std::uint64_t& size : s.pack_sizes)
    if (!number(c, size)) return false;
  std::uint8_t id = 0;
  if (!c.u8(id)) return false;
  if (id == kCrc) {  // CRCs of the packed streams: libarchive ignores them, the copy drops them
    std::vector<Digest> unused;
    if (!digests(c, n, unused) || !c.u8(id)) return false;
  }
  s.has_pack_info = true;
  return id == kEnd;
}

std::uint64_t total_outs(const Folder& f) {
  std::uint64_t n = 0;
  for (const Coder& k : f.coders) n += k.outs;
  return n;
}

// What the folders read so far hold, against kMaxCodersInAll and kMaxStreamsInAll.
struct Totals {
  std::uint64_t coders = 0;
  std::uint64_t streams = 0;
};

bool read_folder(Cursor& c, Folder& f, Totals& totals) {
  std::uint64_t n = 0;
  if (!count(c, kMaxCoders, n) || n == 0) return false;
  totals.coders += n;
  if (totals.coders > kMaxCodersInAll) return false;
  f.coders.resize(n);
  std::uint64_t ins = 0;
  std::uint64_t outs = 0;
  for (Coder& k : f.coders) {
    std::uint8_t flags = 0;
    // 0x80: alternative methods, 0x40: reserved; neither is written by 7-Zip nor read here.
    if (!c.u8(flags) || (flags & 0xC0) != 0 || (flags & 0x0F) > 8 || !c.take(flags & 0x0F, k.id))
      return false;
    for (const char b : k.id) k.method = k.method << 8 | static_cast<unsigned char>(b);
    if ((flags & 0x10) != 0 &&
        (!count(c, kMaxFolderStreams, k.ins) || !count(c, kMaxFolderStreams, k.outs)))
      return false;
    std::uint64_t props = 0;
    if ((flags & 0x20) != 0 && (!count(c, kMaxPropertiesBytes, props) || !c.take(props, k.props)))
      return false;
    ins += k.ins;
    outs += k.outs;
    if (ins > kMaxFolderStreams || outs > kMaxFolderStreams) return false;
  }
  totals.streams += ins + outs;
  if (outs == 0 || ins + 1 < outs || totals.streams > kMaxStreamsInAll) return false;
  std::bitset<kMaxFolderStreams> bound_in;
  std::bitset<kMaxFolderStreams> bound_out;
  f.bonds.resize(outs - 1);
  for (Bond& b : f.bonds) {
    if (!count(c, ins - 1, b.in) || !count(c, outs - 1, b.out) || bound_in[b.in] ||
        bound_out[b.out])
      return false;
    bound_in[b.in] = bound_out[b.out] = true;
  }
  const std::uint64_t packed = ins - f.bonds.size();
  if (packed == 0) return false;
  if (packed == 1) {
    for (std::uint64_t i = 0; i < ins; ++i)
      if (!bound_in[i]) f.packed.push_back(i);
  } else {
    for (std::uint64_t p = 0; p < packed; ++p) {
      std::uint64_t in = 0;
      if (!count(c, ins - 1, in) || bound_in[in]) return false;
      bound_in[in] = true;  // each packed stream feeds its own in-stream
      f.packed.push_back(in);
    }
  }
  return true;
}

bool read_coders_info(Cursor& c, Streams& s) {
  std::uint64_t n = 0;
  std::uint8_t external = 0;
  if (!expect(c, kFolder) || !count(c, kMaxFolders, n) || !c.u8(external) || external != 0)
    return false;
  s.folders.resize(n);
  std::uint64_t next_pack = 0;
  Totals totals;
  for (Folder& f : s.folders) {
    if (!read_folder(c, f, totals)) return false;
    f.first_pack = next_pack;
    next_pack += f.packed.size();
    if (next_pack > s.pack_sizes.size()) return false;
  }
  if (!expect(c, kCodersUnpackSize)) return false;
  for (Folder& f : s.folders) {
    f.unpack_sizes.resize(total_outs(f));
    for (std::uint64_t& size : f.unpack_sizes)
      if (!number(c, size)) return false;
  }
  std::uint8_t id = 0;
  if (!c.u8(id)) return false;
  if (id == kCrc) {
    std::vector<Digest> crcs;
    if (!digests(c, s.folders.size(), crcs) || !c.u8(id)) return false;
    for (std::size_t i = 0; i < crcs.size(); ++i) s.folders[i].crc = crcs[i];
  }
  s.has_unpack_info = true;
  return id == kEnd;
}

// The out-stream no bond consumes: the folder's output.
std::uint64_t final_out(const Folder& f) {
  std::bitset<kMaxFolderStreams> bound;
  for (const Bond& b : f.bonds) bound[b.out] = true;
  std::uint64_t out = 0;
  while (out + 1 < f.unpack_sizes.size() && bound[out]) ++out;
  return out;
}

std::uint64_t folder_size(const Folder& f) { return f.unpack_sizes[final_out(f)]; }

// SubStreamsInfo the way libarchive reads it: a member's CRC is checked only when the block
// has a kCRC part, which then also carries the folder's CRC to a folder's only member.
bool read_substreams(Cursor& c, Streams& s) {
  std::uint8_t id = 0;
  if (!c.u8(id)) return false;
  std::uint64_t members = s.folders.size();
  if (id == kNumUnpackStream) {
    members = 0;
    for (Folder& f : s.folders) {
      if (!count(c, kMaxUnpackStreams, f.unpack_streams)) return false;
      members += f.unpack_streams;
      if (members > kMaxUnpackStreams) return false;
    }
    if (!c.u8(id)) return false;
  }
  s.substreams.resize(members);
  std::size_t next = 0;
  for (Folder& f : s.folders) {
    f.first_substream = next;
    if (f.unpack_streams == 0) continue;
    if (id != kSize && f.unpack_streams > 1) return false;
    std::uint64_t sum = 0;
    for (std::uint64_t i = 1; i < f.unpack_streams; ++i) {
      std::uint64_t& size = s.substreams[next++].size;
      if (!number(c, size) || size > UINT64_MAX - sum) return false;
      sum += size;
    }
    if (sum > folder_size(f)) return false;
    s.substreams[next++].size = folder_size(f) - sum;
  }
  if (id == kSize && !c.u8(id)) return false;
  if (id == kCrc) {
    std::size_t listed = 0;
    for (const Folder& f : s.folders)
      if (f.unpack_streams != 1 || !f.crc.defined) listed += f.unpack_streams;
    std::vector<Digest> crcs;
    if (listed == 0 || !digests(c, listed, crcs) || !c.u8(id)) return false;
    std::size_t d = 0;
    for (const Folder& f : s.folders) {
      if (f.unpack_streams == 1 && f.crc.defined) {
        s.substreams[f.first_substream].crc = f.crc;
        continue;
      }
      for (std::uint64_t i = 0; i < f.unpack_streams; ++i)
        s.substreams[f.first_substream + i].crc = crcs[d++];
    }
  }
  return id == kEnd;
}

// StreamsInfo, after its property id; `whole` is the buffer c reads.
bool read_streams(Cursor& c, std::string_view whole, Streams& s) {
  std::uint8_t id = 0;
  if (!c.u8(id)) return false;
  if (id == kPackInfo && (!read_pack_info(c, s) || !c.u8(id))) return false;
  if (id == kUnpackInfo && (!read_coders_info(c, s) || !c.u8(id))) return false;
  if (id == kSubStreamsInfo) {
    const std::size_t start = c.pos() - 1;
    if (!read_substreams(c, s)) return false;
    s.substreams_block = whole.substr(start, c.pos() - start);
    if (!c.u8(id)) return false;
  } else {
    // Without the block every folder holds one member, and libarchive checks no CRC.
    s.substreams.resize(s.folders.size());
    for (std::size_t i = 0; i < s.folders.size(); ++i) {
      s.folders[i].first_substream = i;
      s.substreams[i].size = folder_size(s.folders[i]);
    }
  }
  return id == kEnd;
}

// ---------------------------------------------------------------------------------------------
// Writing the header of the copy.

void put_number(std::string& o, std::uint64_t v) {
  unsigned extra = 0;  // bytes after the first one
  while (extra < 8 && v >= std::uint64_t{1} << (7 * (extra + 1))) ++extra;
  const auto high_bits = static_cast<unsigned>(0xFF00u >> extra) & 0xFFu;
  const std::uint64_t top = extra < 8 ? v >> (8 * extra) : 0;
  o += static_cast<char>(high_bits | static_cast<unsigned>(top));
  for (unsigned i = 0; i < extra; ++i) o += static_cast<char>((v >> (8 * i)) & 0xFF);
}

void put_u32(std::string& o, std::uint32_t v) {
  for (unsigned i = 0; i < 4; ++i) o += static_cast<char>((v >> (8 * i)) & 0xFF);
}

void put_u64(std::string& o, std::uint64_t v) {
  for (unsigned i = 0; i < 8; ++i) o += static_cast<char>((v >> (8 * i)) & 0xFF);
}

void put_folder(std::string& o, const Folder& f) {
  put_number(o, f.coders.size());
  for (const Coder& k : f.coders) {
    const bool complex = k.ins != 1 || k.outs != 1;
    o += static_cast<char>(k.id.size() | (complex ? 0x10 : 0) | (k.props.empty() ? 0 : 0x20));
    o += k.id;
    if (complex) {
      put_number(o, k.ins);
      put_number(o, k.outs);
    }
    if (!k.props.empty()) {
      put_number(o, k.props.size());
      o += k.props;
    }
  }
  for (const Bond& b : f.bonds) {
    put_number(o, b.in);
    put_number(o, b.out);
  }
  if (f.packed.size() > 1)
    for (const std::uint64_t in : f.packed) put_number(o, in);
}

void put_streams(std::string& o, const Streams& s) {
  if (s.has_pack_info) {
    o += static_cast<char>(kPackInfo);
    put_number(o, 0);  // the packed streams follow the signature header directly
    put_number(o, s.pack_sizes.size());
    o += static_cast<char>(kSize);
    for (const std::uint64_t size : s.pack_sizes) put_number(o, size);
    o += static_cast<char>(kEnd);
  }
  if (s.has_unpack_info) {
    o += static_cast<char>(kUnpackInfo);
    o += static_cast<char>(kFolder);
    put_number(o, s.folders.size());
    o += '\0';  // not external
    for (const Folder& f : s.folders) put_folder(o, f);
    o += static_cast<char>(kCodersUnpackSize);
    for (const Folder& f : s.folders)
      for (const std::uint64_t size : f.unpack_sizes) put_number(o, size);
    const bool any_crc = std::any_of(s.folders.begin(), s.folders.end(),
                                     [](const Folder& f) { return f.crc.defined; });
    if (any_crc) {
      o += static_cast<char>(kCrc);
      o += '\0';  // not all defined: a bit per folder follows
      for (std::size_t i = 0; i < s.folders.size(); i += 8) {
        unsigned byte = 0;
        for (std::size_t j = i; j < std::min(i + 8, s.folders.size()); ++j)
          if (s.folders[j].crc.defined) byte |= 0x80u >> (j - i);
        o += static_cast<char>(byte);
      }
      for (const Folder& f : s.folders)
        if (f.crc.defined) put_u32(o, f.crc.value);
    }
    o += static_cast<char>(kEnd);
  }
  o += s.substreams_block;
  o += static_cast<char>(kEnd);
}

// ---------------------------------------------------------------------------------------------
// Cryptography (OpenSSL EVP) and checksums (zlib).

using core::crc32_of;

struct AesParams {
  unsigned cycles = 0;
  std::string_view salt;
  std::array<unsigned char, kAesBlock> iv{};  // zero-padded
};

// 7zAES properties: byte 0 = NumCyclesPower | salt-present << 7 | iv-present << 6; when either
// is present byte 1 adds (salt size - 1) << 4 | (iv size - 1); then the salt and the IV.
bool read_aes_params(std::string_view props, AesParams& p) {
  if (props.empty()) return true;  // 7-Zip reads none as one round, no salt, zero IV
  const auto b0 = static_cast<unsigned char>(props[0]);
  p.cycles = b0 & 0x3Fu;
  if ((b0 & 0xC0u) == 0) return props.size() == 1;
  if (props.size() < 2) return false;
  const auto b1 = static_cast<unsigned char>(props[1]);
  const std::size_t salt = ((b0 >> 7) & 1u) + (b1 >> 4);
  const std::size_t iv = ((b0 >> 6) & 1u) + (b1 & 0x0Fu);
  if (props.size() != 2 + salt + iv) return false;
  p.salt = props.substr(2, salt);
  std::copy_n(props.begin() + 2 + static_cast<std::ptrdiff_t>(salt), iv, p.iv.begin());
  return true;
}

using Key = std::array<unsigned char, kKeyBytes>;

struct MdFree {
  void operator()(EVP_MD_CTX* c) const noexcept { EVP_MD_CTX_free(c); }
};

// SHA-256 over 2^cycles rounds of (salt, password, round number as 8 bytes little-endian).
Decryption derive_key(unsigned cycles, std::string_view salt, std::string_view password,
                      Budget& budget, Key& key) {
  key.fill(0);
  if (cycles == kRawKeyCycles) {
    const std::string raw = std::string(salt) + std::string(password);
    std::copy_n(raw.begin(), std::min(raw.size(), key.size()), key.begin());
    return Decryption::opened;
  }
  const std::unique_ptr<EVP_MD_CTX, MdFree> md(EVP_MD_CTX_new());
  if (!md || EVP_DigestInit_ex(md.get(), EVP_sha256(), nullptr) != 1)
    return Decryption::unsupported;
  // Rounds are hashed a batch at a time: the batch holds copies of one round's input, whose
  // counters are rewritten before each call.
  const std::size_t round_bytes = salt.size() + password.size() + 8;
  const std::size_t per_batch = std::max<std::size_t>(1, kRoundBatchBytes / round_bytes);
  std::string batch;
  batch.reserve(per_batch * round_bytes);
  for (std::size_t i = 0; i < per_batch; ++i) {
    batch += salt;
    batch += password;
    batch.append(8, '\0');
  }
  const std::uint64_t rounds = std::uint64_t{1} << cycles;
  std::uint64_t since_clock = 0;
  for (std::uint64_t r = 0; r < rounds;) {
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(per_batch, rounds - r));
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint64_t counter = r + i;
      char* at = batch.data() + i * round_bytes + round_bytes - 8;
      for (unsigned b = 0; b < 8; ++b) at[b] = static_cast<char>((counter >> (8 * b)) & 0xFF);
    }
    if (EVP_DigestUpdate(md.get(), batch.data(), n * round_bytes) != 1)
      return Decryption::unsupported;
    r += n;
    since_clock += n;
    if (since_clock >= kRoundsBetweenClockChecks) {
      since_clock = 0;
      if (budget.out_of_time()) return Decryption::out_of_time;
    }
  }
  unsigned len = 0;
  if (EVP_DigestFinal_ex(md.get(), key.data(), &len) != 1 || len != key.size())
    return Decryption::unsupported;
  return Decryption::opened;
}

template <std::size_t N>
std::string_view as_chars(const std::array<unsigned char, N>& a) noexcept {
  return {reinterpret_cast<const char*>(a.data()), N};
}

// AES-256-CBC of `in` (whole blocks) into `out`.
bool aes_decrypt(const Key& key, const AesParams& p, std::string_view in, std::string& out) {
  out.clear();
  return aes_cbc_decrypt(as_chars(key), as_chars(p.iv), in, out);
}

// The password as 7-Zip hashes it: UTF-16LE, invalid UTF-8 as U+FFFD.
bool utf16le(std::string_view utf8, std::string& out) {
  if (utf8.size() > kMaxPasswordBytes) return false;
  std::vector<UChar> units(utf8.size() + 1);
  std::int32_t len = 0;
  UErrorCode err = U_ZERO_ERROR;
  u_strFromUTF8WithSub(units.data(), static_cast<std::int32_t>(units.size()), &len, utf8.data(),
                       static_cast<std::int32_t>(utf8.size()), 0xFFFD, nullptr, &err);
  if (U_FAILURE(err) || len < 0) return false;
  out.clear();
  for (std::int32_t i = 0; i < len; ++i) {
    out += static_cast<char>(units[static_cast<std::size_t>(i)] & 0xFF);
    out += static_cast<char>(units[static_cast<std::size_t>(i)] >> 8);
  }
  return true;
}

// Keys by (NumCyclesPower, salt): 7-Zip uses one for all the folders of an archive, so the
// key derivation, the cost of a try, runs once per archive and password.
class Keys {
 public:
  Keys(std::string password, Budget& budget) : password_(std::move(password)), budget_(budget) {
    entries_.reserve(kMaxKeys);  // the keys handed out stay where they are
  }

  Decryption get(const AesParams& p, const Key*& key) {
    for (const Entry& e : entries_)
      if (e.cycles == p.cycles && e.salt == p.salt) {
        key = &e.key;
        return Decryption::opened;
      }
    if ((p.cycles > kMaxCyclesPower && p.cycles != kRawKeyCycles) || entries_.size() >= kMaxKeys)
      return Decryption::unsupported;
    Entry e{p.cycles, std::string(p.salt), {}};
    const Decryption d = derive_key(p.cycles, p.salt, password_, budget_, e.key);
    if (d != Decryption::opened) return d;
    entries_.push_back(std::move(e));
    key = &entries_.back().key;
    return Decryption::opened;
  }

 private:
  struct Entry {
    unsigned cycles;
    std::string salt;
    Key key;
  };
  std::string password_;
  Budget& budget_;
  std::vector<Entry> entries_;
};

// ---------------------------------------------------------------------------------------------
// Decoding (liblzma, zlib): the encoded header, and the start of a decrypted stream.

enum class Decode : std::uint8_t { ok, bad_data, bad_properties };

// Raw LZMA or LZMA2 from `in` until `out` holds `want` bytes. `whole`: in is the whole stream,
// so running out of it first is damage; else in is a prefix and running out ends the test.
Decode lzma_decode(std::uint64_t method, std::string_view props, std::string_view in, bool whole,
                   std::size_t want, std::string& out) {
  std::array<lzma_filter, 2> filters{
      {{method == kLzma ? LZMA_FILTER_LZMA1 : LZMA_FILTER_LZMA2, nullptr},
       {LZMA_VLI_UNKNOWN, nullptr}}};
  if (lzma_properties_decode(&filters[0], nullptr,
                             reinterpret_cast<const std::uint8_t*>(props.data()),
                             props.size()) != LZMA_OK)
    return Decode::bad_properties;
  // A dictionary larger than the output is never used; the stored size could ask for 4 GiB.
  auto* opts = static_cast<lzma_options_lzma*>(filters[0].options);
  const std::uint32_t room =
      static_cast<std::uint32_t>(std::max<std::size_t>(want, LZMA_DICT_SIZE_MIN));
  opts->dict_size = std::min(opts->dict_size, room);
  lzma_stream strm = LZMA_STREAM_INIT;
  const lzma_ret init = lzma_raw_decoder(&strm, filters.data());
  std::free(filters[0].options);  // liblzma allocated it with malloc
  if (init != LZMA_OK) {
    lzma_end(&strm);
    return Decode::bad_properties;
  }
  out.resize(want);
  strm.next_in = reinterpret_cast<const std::uint8_t*>(in.data());
  strm.avail_in = in.size();
  strm.next_out = reinterpret_cast<std::uint8_t*>(out.data());
  strm.avail_out = want;
  Decode result = Decode::ok;
  while (strm.avail_out > 0) {
    const lzma_ret r = lzma_code(&strm, LZMA_RUN);
    if ((r != LZMA_OK && r != LZMA_STREAM_END) || (r == LZMA_STREAM_END && strm.avail_out > 0)) {
      result = Decode::bad_data;
      break;
    }
    if (strm.avail_in == 0 && strm.avail_out > 0) {
      if (whole) result = Decode::bad_data;
      break;
    }
  }
  lzma_end(&strm);
  return result;
}

// Raw Deflate, as lzma_decode.
Decode inflate_start(std::string_view in, bool whole, std::size_t want) {
  z_stream z{};
  if (inflateInit2(&z, -15) != Z_OK) return Decode::bad_properties;
  std::string out(want, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(want);
  Decode result = Decode::ok;
  while (z.avail_out > 0) {
    const int r = inflate(&z, Z_NO_FLUSH);
    if (r == Z_STREAM_END && z.avail_out > 0) {
      result = Decode::bad_data;
      break;
    }
    if (r == Z_BUF_ERROR || (r == Z_OK && z.avail_in == 0)) {
      if (whole) result = Decode::bad_data;
      break;
    }
    if (r != Z_OK && r != Z_STREAM_END) {
      result = Decode::bad_data;
      break;
    }
  }
  inflateEnd(&z);
  return result;
}

// ---------------------------------------------------------------------------------------------
// The folders.

std::uint64_t first_in(const Folder& f, std::size_t coder) {
  std::uint64_t n = 0;
  for (std::size_t k = 0; k < coder; ++k) n += f.coders[k].ins;
  return n;
}

std::uint64_t first_out(const Folder& f, std::size_t coder) {
  std::uint64_t n = 0;
  for (std::size_t k = 0; k < coder; ++k) n += f.coders[k].outs;
  return n;
}

std::size_t coder_of_in(const Folder& f, std::uint64_t in) {
  std::size_t k = 0;
  for (std::uint64_t first = 0; k < f.coders.size(); ++k) {
    if (in < first + f.coders[k].ins) break;
    first += f.coders[k].ins;
  }
  return k;
}

bool has_aes(const Folder& f) {
  return std::any_of(f.coders.begin(), f.coders.end(),
                     [](const Coder& k) { return k.method == kAes; });
}

// One 7zAES coder of a folder as 7-Zip writes it: one in-stream, read from a packed stream, and
// one out-stream; `pack` is the position of that packed stream in the folder's pack order.
bool aes_layout(const Folder& f, std::size_t coder, std::size_t& pack) {
  const Coder& k = f.coders[coder];
  if (k.ins != 1 || k.outs != 1) return false;
  const auto it = std::find(f.packed.begin(), f.packed.end(), first_in(f, coder));
  if (it == f.packed.end()) return false;
  pack = static_cast<std::size_t>(it - f.packed.begin());
  return true;
}

// Takes 7zAES coder `coder` out of the folder, its packed stream now read by the in-stream its
// output fed. When its output is the folder's own, it becomes a Copy coder instead.
void remove_aes(Folder& f, std::size_t coder, std::size_t pack) {
  const std::uint64_t in = first_in(f, coder);
  const std::uint64_t out = first_out(f, coder);
  const auto bond =
      std::find_if(f.bonds.begin(), f.bonds.end(), [&](const Bond& b) { return b.out == out; });
  if (bond == f.bonds.end()) {
    f.coders[coder] = Coder{kCopy, kCopyId, {}, 1, 1};
    return;
  }
  f.packed[pack] = bond->in;
  f.bonds.erase(bond);
  f.coders.erase(f.coders.begin() + static_cast<std::ptrdiff_t>(coder));
  f.unpack_sizes.erase(f.unpack_sizes.begin() + static_cast<std::ptrdiff_t>(out));
  for (Bond& b : f.bonds) {
    if (b.in > in) --b.in;
    if (b.out > out) --b.out;
  }
  for (std::uint64_t& p : f.packed)
    if (p > in) --p;
}

// What the coder that reads a decrypted stream says of its start: bad_data is a wrong password.
// `consumer` reads it; `plain` is the start (all of it when whole).
Decode check_start(const Folder& f, std::size_t consumer, std::string_view plain, bool whole) {
  const Coder& k = f.coders[consumer];
  if (k.ins != 1 || k.outs != 1) return Decode::ok;  // BCJ2 and the like: libarchive's CRCs
  const std::uint64_t size = f.unpack_sizes[first_out(f, consumer)];
  const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(size, kProbeOutputBytes));
  switch (k.method) {
    case kLzma:
    case kLzma2: {
      std::string unused;
      return lzma_decode(k.method, k.props, plain, whole, want, unused);
    }
    case kDeflate:
      return inflate_start(plain, whole, want);
    case kBzip2:  // "BZh", the block size, then a block's or the end's signature
      if (plain.size() < 10) return whole ? Decode::bad_data : Decode::ok;
      return plain.starts_with("BZh") && plain[3] >= '1' && plain[3] <= '9' &&
                     (plain.substr(4, 6) == "\x31\x41\x59\x26\x53\x59" ||
                      plain.substr(4, 6) == "\x17\x72\x45\x38\x50\x90")
                 ? Decode::ok
                 : Decode::bad_data;
    case kPpmd:  // its range decoder starts with a zero byte, then a code below 2^32 - 1
      if (plain.size() < 5) return whole && size > 0 ? Decode::bad_data : Decode::ok;
      return plain[0] == 0 && plain.substr(1, 4) != "\xFF\xFF\xFF\xFF" ? Decode::ok
                                                                       : Decode::bad_data;
    default:
      return Decode::ok;
  }
}

// The members of a folder whose output is `plain` itself, against their CRCs.
bool members_match(const Streams& s, const Folder& f, std::string_view plain) {
  std::uint64_t at = 0;
  for (std::uint64_t i = 0; i < f.unpack_streams; ++i) {
    const Substream& m = s.substreams[f.first_substream + i];
    if (m.size > plain.size() - at || crc32_of(plain.substr(at, m.size)) != m.crc.value)
      return false;
    at += m.size;
  }
  return true;
}

// Where each packed stream lies in the archive.
bool locate_packs(std::string_view data, std::uint64_t header_offset, const Streams& s,
                  std::vector<std::string_view>& packs) {
  std::uint64_t at = s.pack_pos;
  for (const std::uint64_t size : s.pack_sizes) {
    if (at > header_offset || size > header_offset - at) return false;
    packs.push_back(data.substr(kSignatureHeaderBytes + at, size));
    at += size;
  }
  return true;
}

Decrypted fail(Decryption d) { return {d, {}}; }

// Decrypts the packed streams of folder `index` read by 7zAES and takes the coders out, after
// the start of each has passed check_start; packs[] (views into the input or into `owned`)
// then hold the streams the rewritten folder reads.
Decryption open_folder(Streams& s, std::size_t index, Keys& keys,
                       std::vector<std::string_view>& packs, std::deque<std::string>& owned) {
  Folder& f = s.folders[index];
  for (std::size_t coder = 0; coder < f.coders.size();) {
    if (f.coders[coder].method != kAes) {
      ++coder;
      continue;
    }
    std::size_t pack = 0;
    AesParams p;
    if (!aes_layout(f, coder, pack) || !read_aes_params(f.coders[coder].props, p))
      return Decryption::unsupported;
    const Key* key = nullptr;
    if (const Decryption d = keys.get(p, key); d != Decryption::opened) return d;
    const std::string_view cipher = packs[f.first_pack + pack];
    const std::uint64_t plain_size = f.unpack_sizes[first_out(f, coder)];
    if (cipher.size() % kAesBlock != 0 || plain_size > cipher.size())
      return Decryption::unsupported;
    // The start first: a wrong password is usually told without decrypting the rest.
    const auto bond = std::find_if(f.bonds.begin(), f.bonds.end(),
                                   [&](const Bond& b) { return b.out == first_out(f, coder); });
    std::string plain;
    const std::size_t start = std::min<std::size_t>(cipher.size(), kProbeInputBytes);
    if (bond != f.bonds.end()) {
      if (!aes_decrypt(*key, p, cipher.substr(0, start), plain)) return Decryption::unsupported;
      const bool whole = plain_size <= start;
      const std::string_view head =
          std::string_view(plain).substr(0, whole ? static_cast<std::size_t>(plain_size) : start);
      switch (check_start(f, coder_of_in(f, bond->in), head, whole)) {
        case Decode::ok:
          break;
        case Decode::bad_data:
          return Decryption::wrong_password;
        case Decode::bad_properties:
          return Decryption::unsupported;
      }
    }
    if (!aes_decrypt(*key, p, cipher, plain)) return Decryption::unsupported;
    plain.resize(static_cast<std::size_t>(plain_size));
    owned.push_back(std::move(plain));
    packs[f.first_pack + pack] = owned.back();
    s.pack_sizes[f.first_pack + pack] = plain_size;
    remove_aes(f, coder, pack);
  }
  // 7zAES fed Copy (or was the folder's only coder): the members are the plaintext, and their
  // CRCs are the check.
  if (f.coders.size() == 1 && f.coders[0].method == kCopy && f.packed.size() == 1 &&
      !members_match(s, f, packs[f.first_pack]))
    return Decryption::wrong_password;
  return Decryption::opened;
}

// Every member of an encrypted folder has a CRC that libarchive checks.
bool members_checked(const Streams& s, const Folder& f) {
  for (std::uint64_t i = 0; i < f.unpack_streams; ++i)
    if (!s.substreams[f.first_substream + i].crc.defined) return false;
  return true;
}

// An encoded header: StreamsInfo of one folder whose output is the plain header.
Decryption decode_header(std::string_view data, std::uint64_t header_offset,
                         std::string_view encoded, Keys& keys, std::string& plain,
                         bool& encrypted) {
  Cursor c(encoded);
  Streams s;
  std::vector<std::string_view> packs;
  if (!read_streams(c, encoded, s) || c.left() != 0 || s.folders.size() != 1 ||
      !locate_packs(data, header_offset, s, packs))
    return Decryption::unsupported;
  Folder& f = s.folders[0];
  encrypted = has_aes(f);
  std::deque<std::string> owned;
  // The header's own folder is checked by its CRC below, not by members.
  f.unpack_streams = 0;
  if (const Decryption d = open_folder(s, 0, keys, packs, owned); d != Decryption::opened) return d;
  const Decryption damaged = encrypted ? Decryption::wrong_password : Decryption::unsupported;
  if (f.coders.size() != 1 || f.packed.size() != 1 || folder_size(f) > kMaxHeaderBytes)
    return Decryption::unsupported;
  const Coder& k = f.coders[0];
  const std::string_view in = packs[f.first_pack];
  const auto size = static_cast<std::size_t>(folder_size(f));
  switch (k.method) {
    case kCopy:
      if (in.size() < size) return damaged;
      plain.assign(in.substr(0, size));
      break;
    case kLzma:
    case kLzma2:
      switch (lzma_decode(k.method, k.props, in, true, size, plain)) {
        case Decode::ok:
          break;
        case Decode::bad_data:
          return damaged;
        case Decode::bad_properties:
          return Decryption::unsupported;
      }
      break;
    default:
      return Decryption::unsupported;
  }
  if (f.crc.defined && crc32_of(plain) != f.crc.value) return damaged;
  return Decryption::opened;
}

}  // namespace

Decrypted decrypt_7z(std::string_view data, std::string_view password, Budget& budget) {
  // The signature header: signature, version, CRC of the 20 bytes that follow, next header
  // offset (from the end of this header), size and CRC.
  if (data.size() < kSignatureHeaderBytes || !data.starts_with(kSignature))
    return fail(Decryption::unsupported);
  Cursor sig(data.substr(8, 24));
  std::uint32_t start_crc = 0;
  std::uint32_t offset_lo = 0, offset_hi = 0, size_lo = 0, size_hi = 0, next_crc = 0;
  if (!sig.u32(start_crc) || !sig.u32(offset_lo) || !sig.u32(offset_hi) || !sig.u32(size_lo) ||
      !sig.u32(size_hi) || !sig.u32(next_crc) || crc32_of(data.substr(12, 20)) != start_crc)
    return fail(Decryption::unsupported);
  const std::uint64_t offset = std::uint64_t{offset_hi} << 32 | offset_lo;
  const std::uint64_t size = std::uint64_t{size_hi} << 32 | size_lo;
  const std::uint64_t room = data.size() - kSignatureHeaderBytes;
  if (size == 0 || size > kMaxHeaderBytes || offset > room || size > room - offset)
    return fail(Decryption::unsupported);
  const std::string_view next =
      data.substr(kSignatureHeaderBytes + static_cast<std::size_t>(offset), size);
  if (crc32_of(next) != next_crc) return fail(Decryption::unsupported);

  std::string password_utf16;
  if (!utf16le(password, password_utf16)) return fail(Decryption::wrong_password);
  Keys keys(std::move(password_utf16), budget);

  std::string decoded;
  std::string_view header = next;
  bool header_encrypted = false;
  if (static_cast<unsigned char>(next[0]) == kEncodedHeader) {
    const Decryption d =
        decode_header(data, offset, next.substr(1), keys, decoded, header_encrypted);
    if (d != Decryption::opened) return fail(d);
    header = decoded;
  }
  const Decryption damaged =
      header_encrypted ? Decryption::wrong_password : Decryption::unsupported;

  // The plain header: [archive properties] [main streams] [files ...] kEnd.
  Cursor c(header);
  std::uint8_t id = 0;
  if (!expect(c, kHeader) || !c.u8(id)) return fail(damaged);
  std::string_view properties;
  if (id == kArchiveProperties) {
    const std::size_t start = c.pos() - 1;
    for (;;) {
      std::uint64_t n = 0;
      if (!c.u8(id)) return fail(damaged);
      if (id == kEnd) break;
      if (!number(c, n) || n > c.left() || !c.skip(static_cast<std::size_t>(n)))
        return fail(damaged);
    }
    properties = header.substr(start, c.pos() - start);
    if (!c.u8(id)) return fail(damaged);
  }
  if (id == kAdditionalStreamsInfo) return fail(Decryption::unsupported);
  Streams s;
  const bool has_streams = id == kMainStreamsInfo;
  std::vector<std::string_view> packs;
  if (has_streams && (!read_streams(c, header, s) || !locate_packs(data, offset, s, packs)))
    return fail(damaged);
  const std::string_view rest = header.substr(has_streams ? c.pos() : c.pos() - 1);

  bool any_aes = false;
  for (const Folder& f : s.folders) {
    if (!has_aes(f)) continue;
    any_aes = true;
    if (!members_checked(s, f)) return fail(Decryption::unsupported);
  }
  if (!any_aes && !header_encrypted) return fail(Decryption::unsupported);

  std::deque<std::string> owned;  // decrypted streams, which packs[] views
  for (std::size_t i = 0; i < s.folders.size(); ++i) {
    if (!has_aes(s.folders[i])) continue;
    if (budget.out_of_time()) return fail(Decryption::out_of_time);
    if (const Decryption d = open_folder(s, i, keys, packs, owned); d != Decryption::opened)
      return fail(d);
  }

  // The copy: signature header, the packed streams one after the other, the new header.
  std::string new_header(1, static_cast<char>(kHeader));
  new_header += properties;
  if (has_streams) {
    new_header += static_cast<char>(kMainStreamsInfo);
    put_streams(new_header, s);
  }
  new_header += rest;
  std::uint64_t packed_bytes = 0;
  for (const std::string_view p : packs) packed_bytes += p.size();
  Decrypted out{Decryption::opened, {}};
  std::string& a = out.archive;
  a.reserve(kSignatureHeaderBytes + packed_bytes + new_header.size());
  a.assign(data.substr(0, 8));  // signature and version
  std::string start_header;
  put_u64(start_header, packed_bytes);
  put_u64(start_header, new_header.size());
  put_u32(start_header, crc32_of(new_header));
  put_u32(a, crc32_of(start_header));
  a += start_header;
  for (const std::string_view p : packs) a += p;
  a += new_header;
  return out;
}

}  // namespace ksmg::archive::detail

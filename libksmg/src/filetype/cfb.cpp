// cfb.cpp — owns the OLE2 / Compound File Binary reader behind true-type detection: header,
// FAT (with DIFAT), directory, and the first bytes of a stream, every read bounds-checked and
// every sector chain cut at the number of sectors the FAT can hold, so loops end. It tells
// .doc / .xls / .ppt / .msi / .msg / encrypted OOXML apart and sees VBA storages and the
// encryption markers of Word and Excel; libmagic reads a prefix and then often says only
// "x-ole-storage".
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/ascii.hpp"
#include "filetype/internal.hpp"

namespace ksmg::filetype::detail {

using core::iequals;

namespace {

constexpr std::uint32_t kEndOfChain = 0xFFFFFFFEu;
constexpr std::uint32_t kMaxRegSect = 0xFFFFFFFAu;
constexpr std::size_t kHeaderSize = 512;
constexpr std::size_t kDirEntrySize = 128;
// Caps that keep hostile files cheap: directory entries read, and stream bytes read per stream.
constexpr std::size_t kMaxDirEntries = 1 << 16;
constexpr std::size_t kStreamPrefix = 4096;
// Workbook globals and PowerPoint document streams are searched further for macro markers.
constexpr std::size_t kMacroSearchBytes = 1u << 20;
constexpr std::size_t kMaxBiffRecords = 1u << 16;

// {000C1084-0000-0000-C000-000000000046} (MSI), and its siblings MSP (...1086) and MST (...1082),
// as stored on disk (first three fields little-endian).
constexpr std::array<unsigned char, 16> kMsiClsid{0x84, 0x10, 0x0C, 0x00, 0x00, 0x00, 0x00, 0x00,
                                                  0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46};

struct DirEntry {
  std::string name;       // UTF-16 name narrowed: ASCII kept, anything else as '?'
  std::uint8_t type = 0;  // 1 storage, 2 stream, 5 root
  std::uint32_t start = 0;
  std::uint32_t size = 0;
  bool msi_encoded = false;  // first character in the MSI table-name range (U+3800..U+48FF)
};

class Cfb {
 public:
  explicit Cfb(std::string_view d) : d_(d) {}

  // False when the header is not one a reader could use.
  bool load() {
    if (d_.size() < kHeaderSize) return truncated_ = true, false;
    if (le16(d_, 0x1C) != 0xFFFE) return false;  // byte order mark
    const std::uint16_t shift = le16(d_, 0x1E);
    if (shift != 9 && shift != 12) return false;
    ss_ = std::size_t{1} << shift;
    if (le16(d_, 0x20) != 6) return false;  // mini sector shift is always 6
    mini_cutoff_ = le32(d_, 0x38);
    n_sectors_ = d_.size() > ss_ ? (d_.size() - ss_ + ss_ - 1) / ss_ : 0;
    load_fat();
    load_directory();
    load_minifat();
    return true;
  }

  [[nodiscard]] bool truncated() const noexcept { return truncated_; }
  [[nodiscard]] const std::vector<DirEntry>& entries() const noexcept { return entries_; }
  [[nodiscard]] std::string_view root_clsid() const noexcept { return root_clsid_; }

  // Up to kStreamPrefix bytes from the start of a stream, from the mini stream when small.
  [[nodiscard]] std::string stream_prefix(const DirEntry& e, std::size_t max = kStreamPrefix) {
    std::string out;
    const std::size_t want = std::min<std::size_t>(e.size, max);
    if (e.size >= mini_cutoff_) {
      std::uint32_t s = e.start;
      for (std::size_t steps = 0; out.size() < want && s <= kMaxRegSect && steps <= fat_.size();
           ++steps) {
        const std::string_view sec = sector(s);
        if (sec.empty()) break;
        out.append(sec.substr(0, want - out.size()));
        s = next(s);
      }
      return out;
    }
    // Mini stream: 64-byte sectors inside the root entry's chain.
    std::uint32_t m = e.start;
    for (std::size_t steps = 0;
         out.size() < want && m < minifat_.size() && steps <= minifat_.size(); ++steps) {
      const std::size_t off = std::size_t{m} * 64;
      const std::size_t idx = off / ss_;
      if (idx >= ministream_.size()) break;
      const std::string_view sec = sector(ministream_[idx]);
      const std::size_t in = off % ss_;
      if (in >= sec.size()) break;
      out.append(sec.substr(in, std::min<std::size_t>(64, want - out.size())));
      m = minifat_[m];
    }
    return out;
  }

 private:
  // Sector n, possibly short if the data ends inside it; empty (and truncated) if absent.
  std::string_view sector(std::uint32_t n) {
    if (n > kMaxRegSect || n >= n_sectors_) {
      truncated_ = true;
      return {};
    }
    return d_.substr((std::size_t{n} + 1) * ss_, ss_);
  }
  std::uint32_t next(std::uint32_t s) {
    if (s >= fat_.size()) {
      truncated_ = true;
      return kEndOfChain;
    }
    return fat_[s];
  }
  // A chain as a list of sectors; at most fat_.size() steps, so a loop ends.
  std::vector<std::uint32_t> chain(std::uint32_t s, std::size_t max_len) {
    std::vector<std::uint32_t> out;
    while (s <= kMaxRegSect && out.size() < max_len && out.size() <= fat_.size()) {
      out.push_back(s);
      s = next(s);
    }
    return out;
  }

  void load_fat() {
    const std::uint32_t declared = le32(d_, 0x2C);
    // No more FAT sectors than sectors in the file.
    const std::size_t n_fat = std::min<std::size_t>(declared, n_sectors_);
    std::vector<std::uint32_t> fat_sectors;
    for (std::size_t i = 0; i < 109 && fat_sectors.size() < n_fat; ++i) {
      const std::uint32_t s = le32(d_, 0x4C + 4 * i);
      if (s > kMaxRegSect) break;
      fat_sectors.push_back(s);
    }
    std::uint32_t difat = le32(d_, 0x44);
    const std::size_t per = ss_ / 4 - 1;
    for (std::size_t steps = 0;
         fat_sectors.size() < n_fat && difat <= kMaxRegSect && steps < n_sectors_; ++steps) {
      const std::string_view sec = sector(difat);
      if (sec.size() < ss_) break;
      for (std::size_t i = 0; i < per && fat_sectors.size() < n_fat; ++i) {
        const std::uint32_t s = le32(sec, 4 * i);
        if (s > kMaxRegSect) break;
        fat_sectors.push_back(s);
      }
      difat = le32(sec, 4 * per);
    }
    fat_.reserve(fat_sectors.size() * (ss_ / 4));
    for (std::uint32_t s : fat_sectors) {
      const std::string_view sec = sector(s);
      if (sec.size() < ss_) break;
      for (std::size_t i = 0; i < ss_ / 4; ++i) fat_.push_back(le32(sec, 4 * i));
    }
  }

  void load_directory() {
    for (std::uint32_t s : chain(le32(d_, 0x30), n_sectors_)) {
      const std::string_view sec = sector(s);
      for (std::size_t off = 0; off + kDirEntrySize <= sec.size(); off += kDirEntrySize) {
        if (entries_.size() >= kMaxDirEntries) return;
        const std::string_view raw = sec.substr(off, kDirEntrySize);
        DirEntry e;
        e.type = static_cast<std::uint8_t>(raw[0x42]);
        if (e.type == 0) continue;  // unused slot
        const std::size_t name_bytes = std::min<std::size_t>(le16(raw, 0x40), 64);
        for (std::size_t i = 0; i + 1 < name_bytes; i += 2) {
          const std::uint16_t cu = le16(raw, i);
          if (cu == 0) break;
          if (i == 0 && cu >= 0x3800 && cu <= 0x48FF) e.msi_encoded = true;
          e.name += cu < 0x80 ? static_cast<char>(cu) : '?';
        }
        e.start = le32(raw, 0x74);
        e.size = le32(raw, 0x78);
        if (e.type == 5 && root_clsid_.empty()) {
          root_clsid_ = raw.substr(0x50, 16);
          ministream_ = chain(e.start, n_sectors_);
        }
        entries_.push_back(std::move(e));
      }
    }
  }

  void load_minifat() {
    const std::size_t count = std::min<std::size_t>(le32(d_, 0x40), n_sectors_);
    for (std::uint32_t s : chain(le32(d_, 0x3C), count)) {
      const std::string_view sec = sector(s);
      for (std::size_t i = 0; i + 4 <= sec.size(); i += 4) minifat_.push_back(le32(sec, i));
    }
  }

  std::string_view d_;
  std::size_t ss_ = 512;
  std::size_t n_sectors_ = 0;
  std::uint32_t mini_cutoff_ = 4096;
  bool truncated_ = false;
  std::vector<std::uint32_t> fat_;
  std::vector<std::uint32_t> minifat_;
  std::vector<std::uint32_t> ministream_;
  std::vector<DirEntry> entries_;
  std::string_view root_clsid_;
};

// What the globals substream of a BIFF8 Workbook stream says: a FILEPASS record (0x002F,
// encryption) before the first BOUNDSHEET, and BOUNDSHEET records (0x0085) whose sheet type is
// 1, an Excel 4.0 macro sheet (XLM macros: no VBA storage at all).
struct XlsGlobals {
  bool filepass = false;
  bool macro_sheet = false;
};
XlsGlobals xls_globals(std::string_view w) noexcept {
  XlsGlobals g;
  std::size_t at = 0;
  bool sheets_seen = false;
  for (std::size_t n = 0; n < kMaxBiffRecords && at + 4 <= w.size(); ++n) {
    const std::uint16_t type = le16(w, at);
    const std::size_t len = le16(w, at + 2);
    if (type == 0x002F && !sheets_seen) g.filepass = true;
    if (type == 0x0085) {
      sheets_seen = true;
      // lbPlyPos (4), hsState (1), dt (1): the sheet type.
      if (len >= 6 && at + 4 + 6 <= w.size() && static_cast<unsigned char>(w[at + 4 + 5]) == 1)
        g.macro_sheet = true;
    }
    if (type == 0x000A) break;  // EOF of the globals substream
    at += 4 + len;
  }
  return g;
}

// PowerPoint keeps its VBA project inside the "PowerPoint Document" stream, not as a storage:
// a VBAInfoContainer (version 0xF, instance 1, type 0x03FF, 20 bytes) holding a VBAInfoAtom
// (type 0x0400, 12 bytes) whose fHasMacros is 1. [MS-PPT] 2.4.9 / 2.4.10.
bool ppt_has_vba(std::string_view doc) noexcept {
  static constexpr std::string_view kInfo(
      "\x1F\x00\xFF\x03\x14\x00\x00\x00\x02\x00\x00\x04\x0C\x00\x00\x00", 16);
  for (std::size_t at = doc.find(kInfo); at != std::string_view::npos;
       at = doc.find(kInfo, at + 1)) {
    if (at + 16 + 8 <= doc.size() && le32(doc, at + 16 + 4) == 1) return true;
  }
  return false;
}

// PIDSI_APPNAME (0x12) of a SummaryInformation property set stream, e.g. "Microsoft Excel";
// empty when absent or unreadable. Stays readable when an OOXML package is encrypted.
std::string_view app_name(std::string_view p) noexcept {
  if (p.size() < 48 || le16(p, 0) != 0xFFFE || le32(p, 24) == 0) return {};
  const std::size_t section = le32(p, 44);
  if (section > p.size() || p.size() - section < 8) return {};
  const std::string_view sec = p.substr(section);
  const std::size_t count = std::min<std::size_t>(le32(sec, 4), (sec.size() - 8) / 8);
  for (std::size_t i = 0; i < count; ++i) {
    if (le32(sec, 8 + 8 * i) != 0x12) continue;
    const std::size_t at = le32(sec, 12 + 8 * i);
    if (at > sec.size() || sec.size() - at < 8 || le32(sec, at) != 0x1E) return {};  // VT_LPSTR
    std::string_view v =
        sec.substr(at + 8, std::min<std::size_t>(le32(sec, at + 4), sec.size() - at - 8));
    return v.substr(0, v.find('\0'));
  }
  return {};
}

std::string_view mime_of_app(std::string_view app) noexcept {
  if (app.find("Excel") != std::string_view::npos) return "application/vnd.ms-excel";
  if (app.find("Word") != std::string_view::npos) return "application/msword";
  if (app.find("PowerPoint") != std::string_view::npos) return "application/vnd.ms-powerpoint";
  return {};
}

}  // namespace

void classify_cfb(std::string_view data, TrueType& t) {
  t.source = Source::cfb;
  t.mime_type = "application/x-ole-storage";
  t.category = Category::other;
  Cfb cfb(data);
  if (!cfb.load()) {
    t.truncated = cfb.truncated();
    return;
  }
  t.truncated = cfb.truncated();

  const DirEntry* word = nullptr;
  const DirEntry* book = nullptr;
  const DirEntry* ppt_doc = nullptr;
  bool ppt = false, encrypted_package = false, encrypted_summary = false, outlook = false;
  bool visio = false, macros = false;
  std::size_t msi_names = 0;
  const DirEntry* summary = nullptr;
  for (const DirEntry& e : cfb.entries()) {
    const std::string_view n = e.name;
    if (e.type == 2 && iequals(n, "WordDocument")) word = &e;
    if (e.type == 2 && (iequals(n, "Workbook") || iequals(n, "Book"))) book = &e;
    if (iequals(n, "PowerPoint Document")) {
      ppt = true;
      if (e.type == 2) ppt_doc = &e;
    }
    if (iequals(n, "EncryptedPackage")) encrypted_package = true;
    if (iequals(n, "EncryptedSummary")) encrypted_summary = true;
    if (iequals(n, "__properties_version1.0") || n.starts_with("__substg1.0_")) outlook = true;
    if (iequals(n, "VisioDocument")) visio = true;
    if (e.type == 1 &&
        (iequals(n, "Macros") || iequals(n, "_VBA_PROJECT_CUR") || iequals(n, "VBA")))
      macros = true;
    if (e.msi_encoded) ++msi_names;
    if (e.type == 2 && n == "\x05SummaryInformation") summary = &e;
  }
  const bool msi =
      cfb.root_clsid() ==
          std::string_view(reinterpret_cast<const char*>(kMsiClsid.data()), kMsiClsid.size()) ||
      (msi_names >= 3 && word == nullptr && book == nullptr && !ppt);

  XlsGlobals xls;
  if (book != nullptr) {
    xls = xls_globals(cfb.stream_prefix(*book, kMacroSearchBytes));
    macros = macros || xls.macro_sheet;
  }
  if (ppt_doc != nullptr && !macros && !encrypted_summary)
    macros = ppt_has_vba(cfb.stream_prefix(*ppt_doc, kMacroSearchBytes));
  Category office = macros ? Category::office_document_with_macros : Category::office_document;
  t.has_macros = macros;
  if (encrypted_package) {
    // Agile/standard encryption of an OOXML document: the package is ciphertext, but the
    // summary properties usually stay clear and name the application (as libmagic reports it).
    const std::string props = summary != nullptr ? cfb.stream_prefix(*summary) : std::string();
    const std::string_view app = mime_of_app(app_name(props));
    t.mime_type = app.empty() ? std::string_view("application/encrypted") : app;
    t.category = Category::office_document;
    t.encrypted = true;
  } else if (msi) {
    t.mime_type = "application/x-msi";
    t.category = Category::executable;
  } else if (word != nullptr) {
    t.mime_type = "application/msword";
    t.category = office;
    // FIB: fEncrypted is bit 8 of the flags word at offset 0x0A.
    const std::string fib = cfb.stream_prefix(*word);
    t.encrypted = fib.size() >= 12 && (le16(fib, 0x0A) & 0x0100) != 0;
  } else if (book != nullptr) {
    t.mime_type = "application/vnd.ms-excel";
    t.category = office;
    t.encrypted = xls.filepass;
  } else if (ppt) {
    t.mime_type = "application/vnd.ms-powerpoint";
    t.category = office;
    t.encrypted = encrypted_summary;
  } else if (outlook) {
    t.mime_type = "application/vnd.ms-outlook";
    t.category = Category::office_document;
  } else if (visio) {
    t.mime_type = "application/vnd.visio";
    t.category = office;
  } else if (macros) {
    t.category = Category::office_document_with_macros;
  }
  t.truncated = cfb.truncated();
}

}  // namespace ksmg::filetype::detail

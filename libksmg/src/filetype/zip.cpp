// zip.cpp — owns the ZIP reader behind true-type detection: entry names from the central
// directory (or, when that is missing or cut, from the local headers), the stored "mimetype" of
// ODF/EPUB, and a bounded inflate of OOXML's [Content_Types].xml. libmagic names .docm/.xlsm
// plain docx/xlsx; the content types (macroEnabled, vbaProject) tell the truth. Also owns
// zip_layout: whether the central directory and the local headers tell the same entries.
#include "filetype/zip.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "filetype/internal.hpp"

namespace ksmg::filetype::detail {

namespace {

constexpr std::size_t kMaxEntries = 10000;            // names looked at
constexpr std::size_t kMaxContentTypes = 256 * 1024;  // inflated [Content_Types].xml bytes
constexpr std::size_t kEocdSize = 22;

struct Entry {
  std::string_view name;
  std::uint16_t flags = 0;
  std::uint16_t method = 0;
  std::uint32_t compressed = 0;
  std::uint32_t local_offset = 0;
};

// Where zip readers look for the end of central directory record: backwards over the comment's
// maximum length (where the format puts it, and all libarchive's seekable reader searches), or
// anywhere before that (7-Zip and others search further when data follows the archive).
enum class EocdSearch : std::uint8_t { comment_range, whole_input };

std::size_t find_eocd(std::string_view d, EocdSearch search = EocdSearch::comment_range) noexcept {
  if (d.size() < kEocdSize) return std::string_view::npos;
  const std::size_t lowest = search == EocdSearch::whole_input || d.size() <= kEocdSize + 0xFFFF
                                 ? 0
                                 : d.size() - kEocdSize - 0xFFFF;
  for (std::size_t i = d.size() - kEocdSize + 1; i-- > lowest;)
    if (d.compare(i, 4, "PK\x05\x06") == 0) return i;
  return std::string_view::npos;
}

// Entries from the central directory ending in the end record at `eocd`; false when it is
// absent or inconsistent. `complete`, when given, says whether exactly the number of entries
// the end record announces were read and they end where the end record begins.
bool central_directory(std::string_view d, std::size_t eocd, std::vector<Entry>& out,
                       bool* complete = nullptr) {
  if (complete != nullptr) *complete = false;
  if (eocd == std::string_view::npos) return false;
  const std::size_t count = le16(d, eocd + 10);
  const std::size_t cd_offset = le32(d, eocd + 16);
  if (cd_offset >= eocd) return false;  // also covers ZIP64's 0xFFFFFFFF
  std::size_t at = cd_offset;
  for (std::size_t n = 0; n < count && out.size() < kMaxEntries; ++n) {
    if (at + 46 > eocd || d.compare(at, 4, "PK\x01\x02") != 0) break;
    Entry e;
    e.flags = le16(d, at + 8);
    e.method = le16(d, at + 10);
    e.compressed = le32(d, at + 20);
    const std::size_t name_len = le16(d, at + 28);
    const std::size_t extra_len = le16(d, at + 30);
    const std::size_t comment_len = le16(d, at + 32);
    e.local_offset = le32(d, at + 42);
    if (at + 46 + name_len > eocd) break;
    e.name = d.substr(at + 46, name_len);
    out.push_back(e);
    at += 46 + name_len + extra_len + comment_len;
  }
  if (complete != nullptr) *complete = out.size() == count && at == eocd;
  return !out.empty();
}

// Entries from the local headers, for a truncated zip or one without a central directory.
// Stops at the first entry whose size is only in a trailing data descriptor.
void local_headers(std::string_view d, std::vector<Entry>& out) {
  std::size_t at = 0;
  while (out.size() < kMaxEntries && at + 30 <= d.size() && d.compare(at, 4, "PK\x03\x04") == 0) {
    Entry e;
    e.flags = le16(d, at + 6);
    e.method = le16(d, at + 8);
    e.compressed = le32(d, at + 18);
    const std::size_t name_len = le16(d, at + 26);
    const std::size_t extra_len = le16(d, at + 28);
    if (at + 30 + name_len > d.size()) break;
    e.name = d.substr(at + 30, name_len);
    e.local_offset = static_cast<std::uint32_t>(at);
    out.push_back(e);
    if ((e.flags & 0x0008) != 0) break;
    at += 30 + name_len + extra_len + std::size_t{e.compressed};
  }
}

// The bytes of an entry (stored or deflated), at most `limit` of them; empty when unreadable.
std::string entry_data(std::string_view d, const Entry& e, std::size_t limit) {
  const std::size_t at = e.local_offset;
  if (at + 30 > d.size() || d.compare(at, 4, "PK\x03\x04") != 0) return {};
  const std::size_t begin = at + 30 + le16(d, at + 26) + le16(d, at + 28);
  if (begin > d.size()) return {};
  const std::string_view body = d.substr(begin, e.compressed);  // cut at the end of the data
  if (e.method == 0) return std::string(body.substr(0, limit));
  if (e.method != 8) return {};
  std::string out(limit, '\0');
  z_stream z{};
  if (inflateInit2(&z, -MAX_WBITS) != Z_OK) return {};
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(body.data()));
  z.avail_in = static_cast<uInt>(body.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  inflate(&z, Z_FINISH);  // stops at the end of the stream, of the input or of the output buffer
  out.resize(out.size() - z.avail_out);
  inflateEnd(&z);
  return out;
}

bool ends_with(std::string_view s, std::string_view p) noexcept {
  return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}

// OOXML main part content type (from [Content_Types].xml) → MIME type.
struct OoxmlType {
  std::string_view marker;  // substring of the Override ContentType
  std::string_view mime;
};
constexpr OoxmlType kOoxml[] = {
    {"ms-word.document.macroEnabled.main", "application/vnd.ms-word.document.macroEnabled.12"},
    {"ms-word.template.macroEnabledTemplate.main",
     "application/vnd.ms-word.template.macroEnabled.12"},
    {"ms-excel.sheet.macroEnabled.main", "application/vnd.ms-excel.sheet.macroEnabled.12"},
    {"ms-excel.template.macroEnabled.main", "application/vnd.ms-excel.template.macroEnabled.12"},
    {"ms-excel.addin.macroEnabled.main", "application/vnd.ms-excel.addin.macroEnabled.12"},
    {"ms-excel.sheet.binary.macroEnabled.main",
     "application/vnd.ms-excel.sheet.binary.macroEnabled.12"},
    {"ms-powerpoint.presentation.macroEnabled.main",
     "application/vnd.ms-powerpoint.presentation.macroEnabled.12"},
    {"ms-powerpoint.slideshow.macroEnabled.main",
     "application/vnd.ms-powerpoint.slideshow.macroEnabled.12"},
    {"ms-powerpoint.template.macroEnabled.main",
     "application/vnd.ms-powerpoint.template.macroEnabled.12"},
    {"wordprocessingml.document.main",
     "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
    {"wordprocessingml.template.main",
     "application/vnd.openxmlformats-officedocument.wordprocessingml.template"},
    {"spreadsheetml.sheet.main",
     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
    {"spreadsheetml.template.main",
     "application/vnd.openxmlformats-officedocument.spreadsheetml.template"},
    {"presentationml.presentation.main",
     "application/vnd.openxmlformats-officedocument.presentationml.presentation"},
    {"presentationml.slideshow.main",
     "application/vnd.openxmlformats-officedocument.presentationml.slideshow"},
    {"presentationml.template.main",
     "application/vnd.openxmlformats-officedocument.presentationml.template"},
};

void set(TrueType& t, std::string_view mime, Category c) {
  t.mime_type = mime;
  t.category = c;
}

// Bytes of the data descriptor that follows the data of an entry with flag bit 3: CRC and two
// 32-bit sizes, with or without the optional "PK\7\8" signature (ZIP64 descriptors, with 64-bit
// sizes, read as a disagreement: the caller then reads both views).
std::size_t descriptor_size(std::string_view d, std::size_t at) noexcept {
  return d.compare(at, 4, "PK\x07\x08") == 0 ? 16 : 12;
}

// True when the local headers, walked from the start with the sizes the central directory
// gives, are exactly the entries the central directory lists, back to back, ending where the
// directory begins.
bool local_headers_match(std::string_view d, std::vector<Entry> entries, std::size_t cd_offset) {
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return a.local_offset < b.local_offset; });
  std::size_t at = 0;
  for (const Entry& e : entries) {
    if (e.local_offset != at || at + 30 > d.size() || d.compare(at, 4, "PK\x03\x04") != 0)
      return false;
    const std::size_t name_len = le16(d, at + 26);
    const std::size_t end = at + 30 + name_len + le16(d, at + 28) + std::size_t{e.compressed};
    if (end > d.size() || d.substr(at + 30, name_len) != e.name) return false;
    at = (e.flags & 0x0008) != 0 ? end + descriptor_size(d, end) : end;
  }
  return at == cd_offset;
}

}  // namespace

ZipLayout zip_layout(std::string_view d) {
  ZipLayout layout;
  const std::size_t eocd = find_eocd(d, EocdSearch::whole_input);
  if (eocd == std::string_view::npos) return layout;
  std::vector<Entry> entries;
  bool complete = false;
  const bool listed = central_directory(d, eocd, entries, &complete);
  // An empty archive is an end record alone.
  if (!listed && !(le16(d, eocd + 10) == 0 && le32(d, eocd + 16) == eocd)) return layout;
  layout.directory_found = true;
  layout.directory_end = std::min(d.size(), eocd + kEocdSize + le16(d, eocd + 20));
  layout.agrees = complete && layout.directory_end == d.size() &&
                  local_headers_match(d, std::move(entries), le32(d, eocd + 16));
  return layout;
}

void classify_zip(std::string_view d, TrueType& t) {
  t.source = Source::zip;
  set(t, "application/zip", Category::archive);
  std::vector<Entry> entries;
  if (!central_directory(d, find_eocd(d), entries)) {
    t.truncated = true;
    local_headers(d, entries);
  }

  const Entry* content_types = nullptr;
  const Entry* mimetype = nullptr;
  bool vba = false, word = false, xl = false, ppt = false, manifest = false, classes = false;
  bool apk = false, odf_basic = false;
  for (const Entry& e : entries) {
    const std::string_view n = e.name;
    if ((e.flags & 0x0001) != 0) t.encrypted = true;
    if (n == "[Content_Types].xml")
      content_types = &e;
    else if (n == "mimetype")
      mimetype = &e;
    else if (ends_with(n, "vbaProject.bin") || n.starts_with("xl/macrosheets/"))
      vba = true;  // VBA, or Excel 4.0 (XLM) macro sheets
    else if (n == "word/document.xml")
      word = true;
    else if (n == "xl/workbook.xml" || n == "xl/workbook.bin")
      xl = true;
    else if (n == "ppt/presentation.xml")
      ppt = true;
    else if (n == "META-INF/MANIFEST.MF")
      manifest = true;
    else if (ends_with(n, ".class"))
      classes = true;
    else if (n == "AndroidManifest.xml" || n == "classes.dex")
      apk = true;
    else if (n.starts_with("Basic/") && n != "Basic/" && !ends_with(n, "script-lc.xml") &&
             !ends_with(n, "script-lb.xml"))
      odf_basic = true;  // a Basic library module: LibreOffice macros
  }

  if (content_types != nullptr || word || xl || ppt) {
    const std::string ct =
        content_types != nullptr ? entry_data(d, *content_types, kMaxContentTypes) : std::string();
    std::string_view mime;
    for (const OoxmlType& o : kOoxml)
      if (ct.find(o.marker) != std::string::npos) {
        mime = o.mime;
        break;
      }
    // Content types unreadable (encrypted entry, cut data): fall back on the part names.
    if (mime.empty()) {
      if (word)
        mime = kOoxml[9].mime;
      else if (xl)
        mime = kOoxml[11].mime;
      else if (ppt)
        mime = kOoxml[13].mime;
    }
    if (!mime.empty()) {
      // "macroEnabled" in a content type only says the format may hold macros (every .xlsb
      // says so); the VBA project or a macro sheet says it does.
      const bool macros = vba || ct.find("vbaProject") != std::string::npos ||
                          ct.find("macrosheet") != std::string::npos;
      set(t, mime, macros ? Category::office_document_with_macros : Category::office_document);
      t.has_macros = macros;
      return;
    }
  }
  if (mimetype != nullptr) {
    const std::string m = entry_data(d, *mimetype, 128);
    const bool printable = !m.empty() && std::all_of(m.begin(), m.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '/' || c == '.' || c == '-' ||
             c == '+';
    });
    if (printable && m.starts_with("application/")) {
      const bool odf = m.starts_with("application/vnd.oasis.opendocument.");
      t.has_macros = odf && odf_basic;
      set(t, m,
          odf ? (t.has_macros ? Category::office_document_with_macros : Category::office_document)
              : Category::other);
      return;
    }
  }
  if (apk) return set(t, "application/vnd.android.package-archive", Category::executable);
  if (manifest || classes) return set(t, "application/java-archive", Category::executable);
}

}  // namespace ksmg::filetype::detail

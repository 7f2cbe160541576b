// libarchive_reader.cpp — owns archive::unpack_archive: archives and compressed streams taken
// apart with libarchive, from memory, under the message's Budget.
//
// Every size is counted in bytes libarchive actually produced; sizes from headers only size a
// reservation, capped by the limits. Limits that a compressed stream could make expensive to
// recover from (a skip inside tar.gz or a solid 7z decompresses everything it skips) stop the
// whole container; only where a skip is known to be cheap (seekable zip, uncompressed tar...)
// does reading go on with the next member.
//
// Two readings are made where one is not enough: a zip whose central directory and local
// headers disagree is read both ways (the members of the second reading that the first did not
// give are added), and an encrypted container is read again with each password the message
// offers until one opens it (7z and RAR through a decrypted copy, decrypt.hpp).
#include <archive.h>
#include <archive_entry.h>
#include <locale.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "archive/decrypt.hpp"
#include "archive/members.hpp"
#include "archive/rar5_blocks.hpp"
#include "core/utf8.hpp"
#include "filetype/zip.hpp"
#include "ksmg/archive.hpp"
#include "ksmg/mime.hpp"

namespace ksmg::archive {

namespace {

// Bytes asked of archive_read_data at a time: large enough that the per-call overhead vanishes
// next to decompression, small enough that a limit is noticed within a block.
constexpr std::size_t kBlock = 64u << 10;
using detail::kMaxMemberNameBytes;
// Header reads that may fail (ARCHIVE_RETRY / ARCHIVE_FAILED) in a row before the container is
// given up: a reader that keeps failing without advancing must not loop.
constexpr int kMaxHeaderFailures = 16;
// More bytes other than zero than any empty container of a format read here holds (an empty
// zip is 22 bytes, an empty 7z 32, an empty RAR5 about 50, an empty tar only zeros): a container
// of this much that gives no entry at all hides what it holds from libarchive.
constexpr std::size_t kEmptyContainerBytes = 256;

// ---------------------------------------------------------------------------------------------
// What libarchive is allowed to read.
//
// SECURITY: never archive_read_support_format_all / archive_read_support_filter_all.
// format_all includes `mtree`, whose entries name files on the local disk that libarchive then
// opens (a hostile attachment could make us read /etc/shadow); filter_all registers lrzip,
// lzop and grzip, which libarchive only supports by running an external program, and would do
// the same for any filter below whose library libarchive was built without. So formats and
// filters are listed one by one, and a filter whose registration returns ARCHIVE_WARN ("using
// external program") is never registered on a real reader: which filters are in-library is
// probed once, on a scratch archive object (unpack_archive_in_library_filters below).
using SupportFn = int (*)(struct archive*);

struct Support {
  SupportFn fn;
  int code;  // ARCHIVE_FILTER_*
};

constexpr std::array<SupportFn, 13> kFormats{
    archive_read_support_format_7zip,    archive_read_support_format_ar,
    archive_read_support_format_cab,     archive_read_support_format_cpio,
    archive_read_support_format_iso9660, archive_read_support_format_lha,
    archive_read_support_format_rar,     archive_read_support_format_rar5,
    archive_read_support_format_tar,     archive_read_support_format_xar,
    archive_read_support_format_zip,  // both the seekable (central directory) and streaming reader
    archive_read_support_format_warc,
    archive_read_support_format_raw,  // last resort: a bare compressed stream as one member
};

constexpr std::array<Support, 10> kFilters{{
    {archive_read_support_filter_gzip, ARCHIVE_FILTER_GZIP},
    {archive_read_support_filter_bzip2, ARCHIVE_FILTER_BZIP2},
    {archive_read_support_filter_xz, ARCHIVE_FILTER_XZ},
    {archive_read_support_filter_lzma, ARCHIVE_FILTER_LZMA},
    {archive_read_support_filter_lzip, ARCHIVE_FILTER_LZIP},
    {archive_read_support_filter_zstd, ARCHIVE_FILTER_ZSTD},
    {archive_read_support_filter_lz4, ARCHIVE_FILTER_LZ4},
    {archive_read_support_filter_compress, ARCHIVE_FILTER_COMPRESS},
    {archive_read_support_filter_uu, ARCHIVE_FILTER_UU},
    {archive_read_support_filter_rpm, ARCHIVE_FILTER_RPM},
}};

// Rock Ridge is turned off in the ISO 9660 reader: libarchive up to 3.8 loops forever, growing
// memory without bound, on a Rock Ridge continuation entry (CE) that points back into itself
// (tests/data test_read_format_iso_rockridge_ce_loop.iso.Z; fixed upstream in libarchive PR
// #3021), and no budget can interrupt a call into libarchive. Without it, names come from
// Joliet (long Unicode names, what Windows tools write) or plain ISO 9660, symlinks read as
// empty files and zisofs members as their compressed bytes.
int set_iso9660_options(struct archive* a) noexcept {
  return archive_read_set_format_option(a, "iso9660", "rockridge", nullptr);
}

// Known and not avoidable from here: libarchive before 3.7.5 reads freed memory in its RAR5
// reader when a window buffer is reallocated under data it still points to (tests/data
// test_read_format_rar5_data_ready_pointer_leak.rar; fixed in libarchive PR #2265). RAR5 is too
// common in mail to leave out; the release build survives the sample, ASan reports it. The cure
// for this class of bug is to unpack in a process of its own (a follow-up), not a format list.
//
// The XAR reader before libarchive 3.7.4 loops forever (no memory growth, no callback) on a
// file that carries two link attributes (test_read_format_xar_doublelink.xar, 388 bytes;
// upstream PRs #2123 and #2150). XAR (macOS .pkg/.xip) is rare in mail; a scanner thread
// that never returns is not an option, so it is left out on those versions.
constexpr int kXarSafeVersion = 3007004;

// Which entries of kFormats / kFilters registered with ARCHIVE_OK on a scratch reader.
struct Registrable {
  std::array<bool, kFormats.size()> format{};
  std::array<bool, kFilters.size()> filter{};
};

Registrable probe_registrable() noexcept {
  Registrable r;
  struct archive* a = archive_read_new();
  if (a == nullptr) return r;
  for (std::size_t i = 0; i < kFormats.size(); ++i) r.format[i] = kFormats[i](a) == ARCHIVE_OK;
  for (std::size_t i = 0; i < kFormats.size(); ++i) {
    // The ISO reader only where its Rock Ridge parsing can be turned off.
    if (kFormats[i] == archive_read_support_format_iso9660 && r.format[i])
      r.format[i] = set_iso9660_options(a) == ARCHIVE_OK;
    if (kFormats[i] == archive_read_support_format_xar)
      r.format[i] = r.format[i] && archive_version_number() >= kXarSafeVersion;
  }
  for (std::size_t i = 0; i < kFilters.size(); ++i) r.filter[i] = kFilters[i].fn(a) == ARCHIVE_OK;
  archive_read_free(a);
  return r;
}

const Registrable& registrable() noexcept {
  static const Registrable r = probe_registrable();
  return r;
}

// ---------------------------------------------------------------------------------------------
// Names.
//
// Contents.format = base name of archive_format(), then "+<filter>" for each filter from the
// one the format reads (archive_filter_code(a, 0)) outwards, "none" left out:
//   ZIP "zip", 7ZIP "7z", RAR "rar", RAR_V5 "rar5", TAR "tar", CPIO "cpio", ISO9660 "iso9660",
//   CAB "cab", LHA "lha", AR "ar", XAR "xar", WARC "warc";
//   filters GZIP "gzip", BZIP2 "bzip2", XZ "xz", LZMA "lzma", LZIP "lzip", ZSTD "zstd",
//   LZ4 "lz4", COMPRESS "compress", UU "uu", RPM "rpm".
// e.g. "tar+gzip" (.tgz), "cpio+xz+rpm" (an RPM package), "tar+gzip+uu".
// RAW (a bare stream) is named by its filters alone: "gzip", "xz", "gzip+uu"; a raw stream with
// no compression filter is not a container at all (format "", no members).
std::string_view format_base_name(int code) noexcept {
  switch (code & ARCHIVE_FORMAT_BASE_MASK) {
    case ARCHIVE_FORMAT_ZIP:
      return "zip";
    case ARCHIVE_FORMAT_7ZIP:
      return "7z";
    case ARCHIVE_FORMAT_RAR:
      return "rar";
    case ARCHIVE_FORMAT_RAR_V5:
      return "rar5";
    case ARCHIVE_FORMAT_TAR:
      return "tar";
    case ARCHIVE_FORMAT_CPIO:
      return "cpio";
    case ARCHIVE_FORMAT_ISO9660:
      return "iso9660";
    case ARCHIVE_FORMAT_CAB:
      return "cab";
    case ARCHIVE_FORMAT_LHA:
      return "lha";
    case ARCHIVE_FORMAT_AR:
      return "ar";
    case ARCHIVE_FORMAT_XAR:
      return "xar";
    case ARCHIVE_FORMAT_WARC:
      return "warc";
    default:
      return "";
  }
}

std::string_view filter_name(int code) noexcept {
  switch (code) {
    case ARCHIVE_FILTER_GZIP:
      return "gzip";
    case ARCHIVE_FILTER_BZIP2:
      return "bzip2";
    case ARCHIVE_FILTER_XZ:
      return "xz";
    case ARCHIVE_FILTER_LZMA:
      return "lzma";
    case ARCHIVE_FILTER_LZIP:
      return "lzip";
    case ARCHIVE_FILTER_ZSTD:
      return "zstd";
    case ARCHIVE_FILTER_LZ4:
      return "lz4";
    case ARCHIVE_FILTER_COMPRESS:
      return "compress";
    case ARCHIVE_FILTER_UU:
      return "uu";
    case ARCHIVE_FILTER_RPM:
      return "rpm";
    default:
      return "";
  }
}

bool is_compression(int filter_code) noexcept {
  switch (filter_code) {
    case ARCHIVE_FILTER_GZIP:
    case ARCHIVE_FILTER_BZIP2:
    case ARCHIVE_FILTER_XZ:
    case ARCHIVE_FILTER_LZMA:
    case ARCHIVE_FILTER_LZIP:
    case ARCHIVE_FILTER_ZSTD:
    case ARCHIVE_FILTER_LZ4:
    case ARCHIVE_FILTER_COMPRESS:
      return true;
    default:
      return false;
  }
}

// Appends bytes as UTF-8, invalid sequences replaced by U+FFFD; false once the cap is hit.
bool append_lossy_utf8(core::Utf8Out& out, std::string_view raw) {
  const auto* p = reinterpret_cast<const unsigned char*>(raw.data());
  const unsigned char* const end = p + raw.size();
  while (p < end) {
    const unsigned char* run = p;
    while (p < end && *p < 0x80) ++p;
    std::size_t sub = 1;
    std::size_t n = 0;
    while (p < end && (*p < 0x80 || (n = core::utf8_sequence_length(p, end, sub)) != 0))
      p += *p < 0x80 ? 1 : n;
    if (p > run &&
        !out.utf8({reinterpret_cast<const char*>(run), static_cast<std::size_t>(p - run)}))
      return false;
    if (p < end) {
      if (!out.replacement()) return false;
      p += sub;
    }
  }
  return true;
}

// libarchive (3.6.2) tells a name that does not convert from an out-of-memory failure by errno
// alone, without clearing it first, and ends the whole process on ENOMEM (__archive_errx "No
// memory", exit(1)). A hostile size that made an earlier allocation fail leaves ENOMEM behind:
// fuzz_archive's tests/data/fuzz/fuzz_archive/4d4df3b1* asks for 0x180000000000000 bytes in one
// RAR5 entry, and the next entry's name, invalid UTF-8, then ended the fuzzer. So errno is
// cleared before each call that converts a name.
void clear_stale_errno() noexcept { errno = 0; }

// The entry's path as UTF-8: libarchive's UTF-8 form when it can convert the stored name, else
// the stored bytes (lossy), else the wide form; capped at kMaxMemberNameBytes.
std::string entry_name(struct archive_entry* e) {
  clear_stale_errno();
  std::string name;
  core::Utf8Out out(name, kMaxMemberNameBytes);
  if (const char* u = archive_entry_pathname_utf8(e); u != nullptr) {
    append_lossy_utf8(out, u);
  } else if (const char* m = archive_entry_pathname(e); m != nullptr) {
    append_lossy_utf8(out, m);
  } else if (const wchar_t* w = archive_entry_pathname_w(e); w != nullptr) {
    for (; *w != 0; ++w)
      if (!out.code_point(static_cast<char32_t>(*w))) break;
  }
  return name;
}

// RFC 1952 FNAME of a gzip stream (ISO 8859-1 by the RFC, often UTF-8 in practice: kept as
// UTF-8 when it is valid, else read as Latin-1); "" when absent or cut off.
std::string gzip_stored_name(std::string_view d) {
  if (d.size() < 10 || static_cast<unsigned char>(d[0]) != 0x1F ||
      static_cast<unsigned char>(d[1]) != 0x8B)
    return {};
  const auto flags = static_cast<unsigned char>(d[3]);
  std::size_t pos = 10;
  if ((flags & 0x04) != 0) {  // FEXTRA
    if (d.size() < pos + 2) return {};
    pos += 2 + (static_cast<unsigned char>(d[pos]) | static_cast<unsigned char>(d[pos + 1]) << 8);
  }
  if ((flags & 0x08) == 0 || pos >= d.size()) return {};  // no FNAME
  const std::size_t nul = d.find('\0', pos);
  if (nul == std::string_view::npos) return {};
  const std::string_view raw = d.substr(pos, nul - pos);
  std::string name;
  core::Utf8Out out(name, kMaxMemberNameBytes);
  if (mime::is_valid_utf8(raw)) {
    out.utf8(raw);
  } else {
    for (const char c : raw)
      if (!out.code_point(static_cast<unsigned char>(c))) break;
  }
  return name;
}

// ---------------------------------------------------------------------------------------------
// The input, served from memory. The seek callback is what lets libarchive pick its seekable
// zip reader (central directory first, local headers by offset): it reads what the central
// directory lists, so data hidden between members or a forged local header does not fool it,
// and skipping a member costs nothing.
struct Source {
  const char* data = nullptr;
  std::int64_t size = 0;
  std::int64_t pos = 0;
  bool seeked = false;  // set by every seek; the seekable zip reader seeks, the streaming one never
};

la_ssize_t read_cb(struct archive*, void* ud, const void** buf) {
  auto* s = static_cast<Source*>(ud);
  *buf = s->data + s->pos;
  const std::int64_t n = s->size - s->pos;
  s->pos = s->size;
  return static_cast<la_ssize_t>(n);
}

la_int64_t skip_cb(struct archive*, void* ud, la_int64_t request) {
  auto* s = static_cast<Source*>(ud);
  const std::int64_t n = std::clamp<std::int64_t>(request, 0, s->size - s->pos);
  s->pos += n;
  return n;
}

la_int64_t seek_cb(struct archive*, void* ud, la_int64_t offset, int whence) {
  auto* s = static_cast<Source*>(ud);
  std::int64_t base = 0;
  switch (whence) {
    case SEEK_SET:
      base = 0;
      break;
    case SEEK_CUR:
      base = s->pos;
      break;
    case SEEK_END:
      base = s->size;
      break;
    default:
      return ARCHIVE_FATAL;
  }
  // Offsets come from the archive (hostile): no overflow, no position outside the input.
  if (offset < -base || offset > s->size - base) return ARCHIVE_FATAL;
  s->pos = base + offset;
  s->seeked = true;
  return s->pos;
}

struct ArchiveFree {
  void operator()(struct archive* a) const noexcept { archive_read_free(a); }
};
using ArchivePtr = std::unique_ptr<struct archive, ArchiveFree>;

bool says_encrypted(const char* msg) noexcept {
  if (msg == nullptr) return false;
  std::string_view m = msg;
  static constexpr std::array<std::string_view, 4> kWords{"encrypt", "passphrase", "password",
                                                          "decrypt"};
  for (std::size_t i = 0; i < m.size(); ++i)
    for (const std::string_view w : kWords)
      if (m.size() - i >= w.size()) {
        bool eq = true;
        for (std::size_t k = 0; k < w.size() && eq; ++k) {
          const char c = m[i + k];
          eq = (c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c) == w[k];
        }
        if (eq) return true;
      }
  return false;
}

// A libarchive failure: encrypted when its message says so, else corrupted (first error kept).
void note_failure(struct archive* a, Contents& out, Member* m = nullptr) {
  const char* msg = archive_error_string(a);
  // Some readers fail on an encrypted directory without a message (zip with an encrypted
  // central directory) after having said that the archive holds encrypted entries.
  if (says_encrypted(msg) || (msg == nullptr && archive_read_has_encrypted_entries(a) > 0)) {
    out.encrypted = true;
    if (m != nullptr) m->encrypted = true;
    return;
  }
  out.corrupted = true;
  if (m != nullptr) m->corrupted = true;
  if (out.error.empty()) out.error = msg != nullptr ? msg : "libarchive error";
}

// libarchive converts names between the stored charset (UTF-16 in LHA, UTF-8 in RAR5 and
// flagged zips...) and the current locale's; under the "C" locale of a server that never called
// setlocale, every non-ASCII name fails to convert and some readers (LHA) then give up on the
// entry. The calling thread reads in C.UTF-8 while it unpacks (uselocale is per thread; the
// previous locale is restored).
class Utf8Locale {
 public:
  Utf8Locale() noexcept {
    static const locale_t utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(0));
    if (utf8 != static_cast<locale_t>(0)) old_ = uselocale(utf8);
  }
  ~Utf8Locale() {
    if (old_ != static_cast<locale_t>(0)) uselocale(old_);
  }
  Utf8Locale(const Utf8Locale&) = delete;
  Utf8Locale& operator=(const Utf8Locale&) = delete;

 private:
  locale_t old_ = static_cast<locale_t>(0);
};

// Bytes other than zero in d, counted up to `enough`.
std::size_t nonzero_bytes(std::string_view d, std::size_t enough) noexcept {
  std::size_t n = 0;
  for (const char c : d)
    if (c != 0 && ++n >= enough) break;
  return n;
}

// How libarchive is set up for one reading.
enum class Mode : std::uint8_t {
  all,            // every format of kFormats; a zip by its central directory when it has one
  raw_only,       // the input as one compressed stream (see unpack_archive)
  zip_streaming,  // a zip by its local headers, from the start, as a streaming reader would
};

class Reader {
 public:
  // passphrase: tried on encrypted entries (nullptr: they are flagged, not read).
  Reader(std::string_view data, Budget& budget, Mode mode = Mode::all,
         const char* passphrase = nullptr)
      : data_(data), budget_(budget), mode_(mode), passphrase_(passphrase) {
    const ScanLimits& l = budget.limits();
    ratio_cap_ = data.size() != 0 && l.max_compression_ratio > SIZE_MAX / data.size()
                     ? SIZE_MAX
                     : l.max_compression_ratio * data.size();
  }

  // A compressed stream that libarchive read as a tar without a single entry: its first 1024
  // bytes are zeros, which the tar reader takes for an end-of-archive mark, and whatever
  // follows them would go unseen (prepend 1 KiB of zeros to a program and gzip it).
  [[nodiscard]] bool hides_a_stream() const noexcept {
    return empty_tar_candidate_ && entries_ == 0 && !out_.corrupted && !out_.encrypted &&
           out_.limits.empty();
  }

  Contents run() {
    const Utf8Locale locale;
    try {
      read_all();
    } catch (const std::exception&) {  // only allocation failures can get here
      out_.corrupted = true;
      if (out_.error.empty()) out_.error = "out of memory";
    }
    return std::move(out_);
  }

 private:
  enum class Next : std::uint8_t { go_on, stop };

  void read_all() {
    ArchivePtr holder(archive_read_new());
    struct archive* a = holder.get();
    if (a == nullptr) return;
    const Registrable& reg = registrable();
    if (mode_ == Mode::raw_only) {
      archive_read_support_format_raw(a);
    } else if (mode_ == Mode::zip_streaming) {
      archive_read_support_format_zip_streamable(a);
    } else {
      for (std::size_t i = 0; i < kFormats.size(); ++i)
        if (reg.format[i]) kFormats[i](a);
    }
    for (std::size_t i = 0; i < kFilters.size(); ++i)
      if (reg.filter[i]) kFilters[i].fn(a);
    if (set_iso9660_options(a) != ARCHIVE_OK && archive_errno(a) != 0) archive_clear_error(a);

    src_.data = data_.data();
    src_.size = static_cast<std::int64_t>(data_.size());
    archive_read_set_callback_data(a, &src_);
    archive_read_set_read_callback(a, read_cb);
    archive_read_set_skip_callback(a, skip_cb);
    if (mode_ != Mode::zip_streaming) archive_read_set_seek_callback(a, seek_cb);
    if (passphrase_ != nullptr && archive_read_add_passphrase(a, passphrase_) != ARCHIVE_OK) return;
    if (archive_read_open1(a) < ARCHIVE_WARN) {
      // No format bid at all ("Unrecognized archive format"), or a filter that could not
      // start: either way nothing here is a container libarchive reads.
      if (says_encrypted(archive_error_string(a))) out_.encrypted = true;
      return;
    }
    src_.seeked = false;  // the zip seekable bidder seeks while bidding, win or lose

    int failures = 0;
    bool first = true;
    for (;;) {
      if (budget_.out_of_time()) {
        out_.limits.add(Limit::unpack_time);
        break;
      }
      struct archive_entry* e = nullptr;
      clear_stale_errno();
      const int r = archive_read_next_header(a, &e);
      if (first) {
        first = false;
        if (!name_format(a)) return;  // a bare stream that is not compressed: not a container
      }
      if (r == ARCHIVE_EOF) {
        note_silent_stop(a);
        break;
      }
      if (r == ARCHIVE_RETRY || r == ARCHIVE_FAILED) {
        if (r == ARCHIVE_FAILED) note_failure(a, out_);
        if (++failures > kMaxHeaderFailures || !cheap_skip_) break;
        continue;
      }
      if (r < ARCHIVE_WARN) {  // FATAL
        note_failure(a, out_);
        break;
      }
      failures = 0;
      if (entry(a, e) == Next::stop) break;
    }
    // With a passphrase, an entry it did not decrypt has said so (note_failure).
    if (passphrase_ == nullptr && archive_read_has_encrypted_entries(a) > 0) out_.encrypted = true;
  }

  // libarchive ended without an error. It may still have stopped short of what the container
  // holds: no entry at all from more bytes than an empty container has, or (where the format's
  // read position says how far it read: tar, cpio and ar) data after the end mark. Such a
  // container is corrupted, so that it also goes to a scanner that parses it its own way. Only
  // where no filter sits between the input and the format are the input's bytes the format's
  // (a compressed tar that gives no entry is hides_a_stream's case).
  void note_silent_stop(struct archive* a) {
    if (raw_ || out_.corrupted || out_.encrypted || archive_filter_count(a) != 1) return;
    if (entries_ == 0 && nonzero_bytes(data_, kEmptyContainerBytes) >= kEmptyContainerBytes) {
      out_.corrupted = true;
      out_.error = "no entry found in the container";
      return;
    }
    switch (archive_format(a) & ARCHIVE_FORMAT_BASE_MASK) {
      case ARCHIVE_FORMAT_TAR:
      case ARCHIVE_FORMAT_CPIO:
      case ARCHIVE_FORMAT_AR:
        break;
      default:
        return;
    }
    const std::int64_t read = archive_filter_bytes(a, 0);
    if (read >= 0 && static_cast<std::uint64_t>(read) < data_.size() &&
        nonzero_bytes(data_.substr(static_cast<std::size_t>(read)), 1) != 0) {
      out_.corrupted = true;
      out_.error = "data after the end of the archive";
    }
  }

  // Sets out_.format after the first header read; false when the input is not a container.
  bool name_format(struct archive* a) {
    const int fmt = archive_format(a);
    const int nfilters = archive_filter_count(a);
    const bool raw = (fmt & ARCHIVE_FORMAT_BASE_MASK) == ARCHIVE_FORMAT_RAW;
    bool compressed = false;
    std::string name(format_base_name(fmt));
    for (int i = 0; i < nfilters; ++i) {
      const int code = archive_filter_code(a, i);
      const std::string_view f = filter_name(code);
      if (f.empty()) continue;
      compressed = compressed || is_compression(code);
      if (!name.empty()) name += '+';
      name += f;
    }
    empty_tar_candidate_ = compressed && (fmt & ARCHIVE_FORMAT_BASE_MASK) == ARCHIVE_FORMAT_TAR;
    if (raw) {
      if (!compressed) return false;
      raw_ = true;
      if (nfilters == 2 && archive_filter_code(a, 0) == ARCHIVE_FILTER_GZIP)
        raw_name_ = gzip_stored_name(data_);
    } else if (format_base_name(fmt).empty()) {
      name.clear();  // filters around a format we do not name (none expected): not named
    }
    out_.format = std::move(name);
    if ((fmt & ARCHIVE_FORMAT_BASE_MASK) == ARCHIVE_FORMAT_RAR_V5) {
      // libarchive 3.6 does not flag RAR5 entries whose data is encrypted (it only knows an
      // encrypted archive header): it would read their ciphertext as compressed data and fail.
      rar5_encrypted_ = detail::rar5::encrypted_files(data_);
      for (const bool enc : rar5_encrypted_) out_.encrypted = out_.encrypted || enc;
    }
    // Skipping the rest of an entry is cheap where libarchive only moves the read position:
    // the seekable zip reader (which seeks to the central directory on the first header read)
    // jumps to the next local header; uncompressed tar, cpio, ar, iso9660, xar, lha and warc
    // consume bytes of known length. Everywhere else (any compression filter, 7z, rar, cab,
    // streaming zip) a skip may decompress everything it skips.
    if ((fmt & ARCHIVE_FORMAT_BASE_MASK) == ARCHIVE_FORMAT_ZIP) {
      cheap_skip_ = src_.seeked;
    } else if (nfilters == 1) {
      switch (fmt & ARCHIVE_FORMAT_BASE_MASK) {
        case ARCHIVE_FORMAT_TAR:
        case ARCHIVE_FORMAT_CPIO:
        case ARCHIVE_FORMAT_AR:
        case ARCHIVE_FORMAT_ISO9660:
        case ARCHIVE_FORMAT_XAR:
        case ARCHIVE_FORMAT_LHA:
        case ARCHIVE_FORMAT_WARC:
          cheap_skip_ = true;
          break;
        default:
          break;
      }
    }
    return true;
  }

  // One entry whose header was read.
  Next entry(struct archive* a, struct archive_entry* e) {
    // A type libarchive could not tell (0: e.g. a RAR entry from an unknown host OS) is read
    // as a file: an odd mode must not hide data.
    const unsigned type = archive_entry_filetype(e);
    const bool regular = type == AE_IFREG || type == 0;
    const bool size_set = archive_entry_size_is_set(e) != 0;
    const std::int64_t size = size_set ? archive_entry_size(e) : 0;
    const std::size_t index = entries_++;
    // Hard links without data of their own name another member's bytes.
    const bool link_only = archive_entry_hardlink(e) != nullptr && size <= 0;
    if (!regular || link_only) return size > 0 ? drain(a) : Next::go_on;

    if (!budget_.take_member()) {
      out_.limits.add(Limit::archive_members);
      return Next::stop;
    }
    Member& m = out_.members.emplace_back();
    m.name = raw_ ? raw_name_ : entry_name(e);
    if (size > 0) m.declared_size = static_cast<std::uint64_t>(size);
    // libarchive decrypts only zip entries (ZipCrypto, WinZip AES), with the passphrase given;
    // RAR5 data it does not even know to be encrypted.
    const bool rar5_encrypted = index < rar5_encrypted_.size() && rar5_encrypted_[index];
    if (rar5_encrypted || (archive_entry_is_encrypted(e) != 0 && passphrase_ == nullptr)) {
      m.encrypted = true;
      out_.encrypted = true;
      return Next::go_on;  // its data is not read; skipping it decrypts nothing
    }
    const Next next = read_member(a, m);
    // A lying declared size (or a cut) may have reserved far more than was read.
    if (m.data.capacity() - m.data.size() > kBlock && m.data.capacity() > 2 * m.data.size())
      m.data.shrink_to_fit();
    return next;
  }

  Next read_member(struct archive* a, Member& m) {
    const ScanLimits& l = budget_.limits();
    const std::size_t cap = l.max_member_bytes;
    // Reserve what the header claims, never beyond what the limits would let through.
    const std::size_t left = l.max_unpacked_bytes > budget_.bytes_used()
                                 ? l.max_unpacked_bytes - budget_.bytes_used()
                                 : 0;
    const std::size_t ratio_room = std::max(ratio_cap_, l.compression_ratio_floor_bytes);
    const std::size_t want_reserve = static_cast<std::size_t>(
        std::min<std::uint64_t>(m.declared_size, std::min({cap, left, ratio_room})));
    if (want_reserve > 0) m.data.reserve(want_reserve);
    char* buf = block();

    for (;;) {
      if (budget_.out_of_time()) return stop_with(m, Limit::unpack_time);
      const std::size_t room = cap - m.data.size();        // data never grows past cap
      const std::size_t ask = std::min(kBlock, room + 1);  // one byte past cap tells it is over
      const la_ssize_t n = archive_read_data(a, buf, ask);
      if (n == 0) return ended(m);
      if (n < 0) {
        note_failure(a, out_, &m);
        if (n < ARCHIVE_FAILED) return Next::stop;  // FATAL
        return cheap_skip_ ? Next::go_on : Next::stop;
      }
      auto got = static_cast<std::size_t>(n);
      const bool over = got > room;
      if (over) got = room;
      const std::size_t granted = budget_.take_bytes(got);
      m.data.append(buf, granted);
      if (granted < got) return stop_with(m, Limit::unpacked_size);
      if (over) {
        m.limits.add(Limit::member_size);
        if (cheap_skip_) return Next::go_on;
        out_.limits.add(Limit::member_size);
        return Next::stop;
      }
      if (m.data.size() > l.compression_ratio_floor_bytes && m.data.size() > ratio_cap_)
        return stop_with(m, Limit::compression_ratio);
    }
  }

  // The end of a member's data. libarchive's RAR5 reader (3.6) ends a member without an error,
  // short or even empty, when the archive ends within a few bytes after its data (it cannot read
  // ahead): a member shorter than its header declares is cut, whatever libarchive says.
  Next ended(Member& m) {
    if (m.data.size() < m.declared_size) {
      m.corrupted = true;
      out_.corrupted = true;
      if (out_.error.empty()) out_.error = "a member ends before the size its header declares";
    }
    return Next::go_on;
  }

  Next stop_with(Member& m, Limit lim) {
    m.limits.add(lim);
    out_.limits.add(lim);
    return Next::stop;
  }

  // Data of an entry that is not a member (a directory or device with a size, a link): left to
  // libarchive's skip where that is cheap, else read and dropped under the time and ratio
  // limits, since the skip of a compressed stream would decompress it all out of our control.
  Next drain(struct archive* a) {
    if (cheap_skip_) return Next::go_on;
    const ScanLimits& l = budget_.limits();
    char* buf = block();
    std::size_t total = 0;
    for (;;) {
      if (budget_.out_of_time()) {
        out_.limits.add(Limit::unpack_time);
        return Next::stop;
      }
      const la_ssize_t n = archive_read_data(a, buf, kBlock);
      if (n == 0) return Next::go_on;
      if (n < 0) {
        // ARCHIVE_FAILED: libarchive will not read this entry's data (a RAR5 directory with
        // data); nor can its skip decompress it then. Only FATAL says the container is broken.
        if (n >= ARCHIVE_FAILED) return Next::go_on;
        note_failure(a, out_);
        return Next::stop;
      }
      total += static_cast<std::size_t>(n);
      if (total > l.compression_ratio_floor_bytes && total > ratio_cap_) {
        out_.limits.add(Limit::compression_ratio);
        return Next::stop;
      }
    }
  }

  // The read buffer, allocated once per container, not zeroed.
  char* block() {
    if (!block_) block_ = std::make_unique_for_overwrite<char[]>(kBlock);
    return block_.get();
  }

  std::string_view data_;
  Budget& budget_;
  Source src_;
  Contents out_;
  std::size_t ratio_cap_ = 0;
  bool cheap_skip_ = false;
  Mode mode_ = Mode::all;
  const char* passphrase_ = nullptr;
  bool raw_ = false;
  bool empty_tar_candidate_ = false;
  std::string raw_name_;
  std::size_t entries_ = 0;           // headers read so far (all types)
  std::vector<bool> rar5_encrypted_;  // per RAR5 file header: data encrypted
  std::unique_ptr<char[]> block_;
};

// The members of `other` that `c` does not have (same name and same bytes) are added to it,
// with the limits `other` met; true when it added any.
bool add_missing_members(Contents& c, Contents&& other) {
  const std::size_t before = c.members.size();
  for (Member& m : other.members) {
    const bool known =
        std::any_of(c.members.begin(), c.members.begin() + before, [&](const Member& k) {
          return k.name == m.name && k.data == m.data && k.encrypted == m.encrypted;
        });
    if (!known) c.members.push_back(std::move(m));
  }
  c.encrypted = c.encrypted || other.encrypted;
  c.limits.add(other.limits);
  return c.members.size() != before;
}

// One reading of the container, with at most one passphrase.
//
// A zip is read by its central directory, up to its end record wherever that is, and, when the
// local headers tell another story (zip_layout), also by them from the start: mail clients and
// unpackers disagree on which to believe, so whatever either shows is scanned. Readings that
// give different members make the zip corrupted, so that it also goes to a scanner with a zip
// parser of its own.
Contents read_once(std::string_view data, Budget& budget, const char* passphrase) {
  std::string_view directory_view = data;
  bool both_views = false;
  if (data.starts_with("PK\x03\x04")) {
    const filetype::detail::ZipLayout layout = filetype::detail::zip_layout(data);
    // Without a directory the first reading is already the local headers' one.
    both_views = layout.directory_found && !layout.agrees;
    if (layout.directory_found) directory_view = data.substr(0, layout.directory_end);
  }
  Reader reader(directory_view, budget, Mode::all, passphrase);
  Contents c = reader.run();
  // Read again as a bare stream, one member (the first pass took no member and no byte).
  if (reader.hides_a_stream()) return Reader(data, budget, Mode::raw_only).run();
  if (both_views &&
      add_missing_members(c, Reader(data, budget, Mode::zip_streaming, passphrase).run())) {
    c.corrupted = true;
    if (c.error.empty()) c.error = "central directory and local headers list different members";
  }
  return c;
}

// The members of a reading that are corrupted, and those that are not encrypted.
std::size_t corrupted_members(const Contents& c) noexcept {
  return static_cast<std::size_t>(std::count_if(c.members.begin(), c.members.end(),
                                                [](const Member& m) { return m.corrupted; }));
}
std::size_t readable_members(const Contents& c) noexcept {
  return static_cast<std::size_t>(std::count_if(c.members.begin(), c.members.end(),
                                                [](const Member& m) { return !m.encrypted; }));
}

// A reading with a password shows no damage that the reading without one did not: a wrong
// ZipCrypto password passes its one-byte check once in 256 tries, then fails the CRC; a wrong
// RAR 4 password for compressed data leaves libarchive a garbled stream. Where the container is
// damaged anyway (a solid RAR 4 that libarchive 3.6 stops reading after its first file), the
// damaged members are compared too.
bool no_new_damage(const Contents& with, const Contents& without) noexcept {
  return !with.corrupted ||
         (without.corrupted && corrupted_members(with) <= corrupted_members(without));
}

// A reading with a password opened the container: nothing in it is still encrypted, and no new
// damage.
bool opened(const Contents& with, const Contents& without) noexcept {
  return !with.encrypted && no_new_damage(with, without);
}

// A reading of a decrypted copy that did not open the container but decrypted more of it than
// `readable` members, without new damage: its entries are under more than one password, and
// this one opened some of them.
bool opened_more(const Contents& with, const Contents& without, std::size_t readable) noexcept {
  return no_new_damage(with, without) && readable_members(with) > readable;
}

// The decryption that makes a plain copy of an encrypted container of `format`, if any.
using Decryptor = detail::Decrypted (*)(std::string_view, std::string_view, Budget&);
Decryptor decryptor_of(std::string_view format) noexcept {
  if (format == "7z") return detail::decrypt_7z;
  if (format == "rar" || format == "rar5") return detail::decrypt_rar;
  return nullptr;
}

}  // namespace

Contents unpack_archive(std::string_view data, Budget& budget, PasswordSource* passwords) {
  (void)budget.out_of_time();  // starts the clock, so that trial copies share it
  const Budget before = budget;
  Contents c = read_once(data, budget, nullptr);
  // libarchive decrypts zips itself; 7z and RAR are decrypted into a plain copy that it reads.
  const bool zip = c.format == "zip";
  const Decryptor decrypt = decryptor_of(c.format);
  if (!c.encrypted || passwords == nullptr || (!zip && decrypt == nullptr) ||
      c.limits.has(Limit::unpack_time))
    return c;
  const std::vector<std::string>& candidates = passwords->candidates();
  const std::size_t tries = std::min(candidates.size(), budget.limits().max_password_candidates);
  // 7z and RAR: a candidate that opened some entries only (the others are under another
  // password) leaves its copy for the next candidates to decrypt further. As with a zip whose
  // entries need two passwords, the container is kept only once nothing in it is encrypted.
  std::string partial;            // that copy; empty while no candidate made one
  std::string partial_opened_by;  // the candidates that made it, one per line
  std::size_t readable = readable_members(c);
  for (std::size_t k = 0; k < tries; ++k) {
    Budget trial = before;
    Contents t;
    detail::Decrypted d;
    if (zip) {
      t = read_once(data, trial, candidates[k].c_str());
    } else {
      d = decrypt(partial.empty() ? data : std::string_view(partial), candidates[k], trial);
      if (d.status == detail::Decryption::unsupported) return c;
      if (d.status == detail::Decryption::out_of_time) {
        c.limits.add(Limit::unpack_time);
        return c;
      }
      if (d.status == detail::Decryption::wrong_password) continue;
      t = read_once(d.archive, trial, nullptr);
    }
    if (opened(t, c)) {
      t.password = partial_opened_by + candidates[k];
      budget = trial;
      return t;
    }
    if (t.limits.has(Limit::unpack_time)) {
      c.limits.add(Limit::unpack_time);
      return c;
    }
    if (!zip && opened_more(t, c, readable)) {
      readable = readable_members(t);
      partial = std::move(d.archive);
      partial_opened_by += candidates[k] + '\n';
    }
  }
  if (candidates.size() > tries) c.limits.add(Limit::password_candidates);
  return c;
}

}  // namespace ksmg::archive

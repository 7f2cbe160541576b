// detector.cpp — owns the dispatch of true-type detection (containers, magic numbers, text,
// markers, libmagic), the markers found anywhere in a prefix or trailer (PDF, DMG), the
// per-thread libmagic handle, and the MIME type → Category table.
#include <magic.h>

#include <array>
#include <utility>

#include "filetype/internal.hpp"

namespace ksmg::filetype {

namespace {

// One magic_t per thread, opened and loaded on first use and closed at thread exit: magic_load
// parses the whole compiled database (milliseconds), so it must never happen per call, and a
// magic_t is not safe to share between threads.
class MagicHandle {
 public:
  MagicHandle() {
    cookie_ = magic_open(MAGIC_MIME_TYPE | MAGIC_ERROR);
    if (cookie_ == nullptr) {
      status_ = MagicStatus::open_failed;
      return;
    }
    if (magic_load(cookie_, nullptr) != 0) {
      status_ = MagicStatus::load_failed;
      magic_close(cookie_);
      cookie_ = nullptr;
    }
  }
  MagicHandle(const MagicHandle&) = delete;
  MagicHandle& operator=(const MagicHandle&) = delete;
  ~MagicHandle() {
    if (cookie_ != nullptr) magic_close(cookie_);
  }

  [[nodiscard]] MagicStatus status() const noexcept { return status_; }
  // "" when the handle is unusable or libmagic gave no answer.
  [[nodiscard]] std::string mime(std::string_view data) const {
    if (cookie_ == nullptr) return {};
    const char* r = magic_buffer(cookie_, data.data(), data.size());
    return r != nullptr ? std::string(r) : std::string();
  }

 private:
  magic_t cookie_ = nullptr;
  MagicStatus status_ = MagicStatus::ok;
};

MagicHandle& thread_magic() {
  thread_local MagicHandle handle;
  return handle;
}

bool starts_with(std::string_view d, std::string_view p) noexcept {
  return d.substr(0, p.size()) == p;
}

void set(TrueType& t, std::string_view mime, Category c, Source s) {
  t.mime_type = mime;
  t.category = c;
  t.source = s;
}

}  // namespace

namespace detail {

bool classify_marker(std::string_view d, TrueType& t) {
  // PDF may carry binary bytes right after its header; the spec allows junk before "%PDF-".
  if (d.substr(0, 1024).find("%PDF-") != std::string_view::npos) {
    set(t, "application/pdf", Category::pdf, Source::signature);
    // /Encrypt in the trailer dictionary; look only at the tail to stay cheap.
    const std::string_view tail = d.size() > 4096 ? d.substr(d.size() - 4096) : d;
    t.encrypted = tail.find("/Encrypt") != std::string_view::npos;
    return true;
  }
  // Apple disk image: a "koly" trailer in the last 512 bytes; libmagic sees only the zlib stream.
  if (d.size() >= 512 && starts_with(d.substr(d.size() - 512), "koly")) {
    set(t, "application/x-apple-diskimage", Category::archive, Source::signature);
    return true;
  }
  return false;
}

}  // namespace detail

std::string_view to_string(Category c) noexcept {
  switch (c) {
    case Category::executable:
      return "executable";
    case Category::script:
      return "script";
    case Category::office_document:
      return "office_document";
    case Category::office_document_with_macros:
      return "office_document_with_macros";
    case Category::archive:
      return "archive";
    case Category::pdf:
      return "pdf";
    case Category::image:
      return "image";
    case Category::audio_video:
      return "audio_video";
    case Category::text:
      return "text";
    case Category::html:
      return "html";
    case Category::calendar:
      return "calendar";
    case Category::other:
      return "other";
  }
  return "other";
}

std::optional<Category> category_from_string(std::string_view s) noexcept {
  for (const Category c : kAllCategories)
    if (to_string(c) == s) return c;
  return std::nullopt;
}

std::string_view to_string(Source s) noexcept {
  switch (s) {
    case Source::empty:
      return "empty";
    case Source::text:
      return "text";
    case Source::signature:
      return "signature";
    case Source::cfb:
      return "cfb";
    case Source::zip:
      return "zip";
    case Source::libmagic:
      return "libmagic";
    case Source::unavailable:
      return "unavailable";
  }
  return "empty";
}

std::string_view to_string(MagicStatus s) noexcept {
  switch (s) {
    case MagicStatus::ok:
      return "ok";
    case MagicStatus::open_failed:
      return "open_failed";
    case MagicStatus::load_failed:
      return "load_failed";
  }
  return "ok";
}

Category category_of(std::string_view m) noexcept {
  // Exact names first: libmagic's own spellings and the usual mail-client ones.
  static constexpr std::array<std::pair<std::string_view, Category>, 66> kExact{{
      {"application/pdf", Category::pdf},
      {"application/x-dosexec", Category::executable},
      {"application/vnd.microsoft.portable-executable", Category::executable},
      {"application/x-executable", Category::executable},
      {"application/x-sharedlib", Category::executable},
      {"application/x-pie-executable", Category::executable},
      {"application/x-mach-binary", Category::executable},
      {"application/x-java-applet", Category::executable},
      {"application/java-archive", Category::executable},
      {"application/x-msi", Category::executable},
      {"application/x-ms-shortcut", Category::executable},
      {"application/wasm", Category::executable},
      {"application/vnd.android.package-archive", Category::executable},
      {"application/x-shockwave-flash", Category::executable},
      {"application/x-object", Category::executable},
      {"application/javascript", Category::script},
      {"text/javascript", Category::script},
      {"text/x-shellscript", Category::script},
      {"text/x-msdos-batch", Category::script},
      {"text/x-ms-regedit", Category::script},
      {"text/x-perl", Category::script},
      {"text/x-script.python", Category::script},
      {"text/x-vbscript", Category::script},
      {"text/x-powershell", Category::script},
      {"text/x-php", Category::script},
      {"application/msword", Category::office_document},
      {"application/vnd.ms-excel", Category::office_document},
      {"application/vnd.ms-powerpoint", Category::office_document},
      {"application/vnd.ms-outlook", Category::office_document},
      {"application/rtf", Category::office_document},
      {"text/rtf", Category::office_document},
      {"application/x-sylk", Category::office_document},
      {"application/encrypted", Category::office_document},
      {"application/zip", Category::archive},
      {"application/x-7z-compressed", Category::archive},
      {"application/x-rar", Category::archive},
      {"application/vnd.rar", Category::archive},
      {"application/gzip", Category::archive},
      {"application/x-gzip", Category::archive},
      {"application/x-bzip2", Category::archive},
      {"application/x-xz", Category::archive},
      {"application/x-lzip", Category::archive},
      {"application/x-lz4", Category::archive},
      {"application/zstd", Category::archive},
      {"application/x-compress", Category::archive},
      {"application/x-tar", Category::archive},
      {"application/x-archive", Category::archive},
      {"application/x-cpio", Category::archive},
      {"application/vnd.ms-cab-compressed", Category::archive},
      {"application/x-arj", Category::archive},
      {"application/x-ace-compressed", Category::archive},
      {"application/x-lzh-compressed", Category::archive},
      {"application/x-iso9660-image", Category::archive},
      {"application/x-apple-diskimage", Category::archive},
      {"application/vnd.debian.binary-package", Category::archive},
      {"application/x-rpm", Category::archive},
      {"application/zlib", Category::archive},
      {"application/x-ole-storage", Category::other},
      {"text/html", Category::html},
      {"application/xhtml+xml", Category::html},
      {"text/calendar", Category::calendar},
      {"message/rfc822", Category::text},
      {"application/mbox", Category::text},
      {"application/postscript", Category::other},
      {"application/vnd.ms-htmlhelp", Category::other},
      {"image/svg+xml", Category::image},
  }};
  for (const auto& [name, cat] : kExact)
    if (name == m) return cat;
  if (m.find("macroEnabled") != std::string_view::npos)
    return Category::office_document_with_macros;
  if (starts_with(m, "application/vnd.openxmlformats-officedocument.") ||
      starts_with(m, "application/vnd.oasis.opendocument.") ||
      starts_with(m, "application/vnd.ms-word") || starts_with(m, "application/vnd.ms-excel") ||
      starts_with(m, "application/vnd.ms-powerpoint"))
    return Category::office_document;
  if (starts_with(m, "image/")) return Category::image;
  if (starts_with(m, "audio/") || starts_with(m, "video/")) return Category::audio_video;
  if (starts_with(m, "text/")) return Category::text;
  return Category::other;
}

TrueType Detector::detect(std::span<const std::byte> data) const {
  return detect(std::string_view(reinterpret_cast<const char*>(data.data()), data.size()));
}

TrueType Detector::detect(std::string_view d) const {
  TrueType t;
  if (d.empty()) {
    set(t, "application/x-empty", Category::other, Source::empty);
    return t;
  }
  if (starts_with(d, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1")) {
    detail::classify_cfb(d, t);
    return t;
  }
  if (starts_with(d, "PK\x03\x04")) {
    detail::classify_zip(d, t);
    return t;
  }
  // Magic numbers at fixed offsets first, markers found anywhere in a prefix last (the text
  // classifier checks them after the text formats that open the data).
  if (detail::classify_magic(d, t)) return t;
  if (detail::classify_text(d, t)) return t;
  if (detail::classify_marker(d, t)) return t;

  MagicHandle& magic = thread_magic();
  std::string mime = magic.mime(d.substr(0, kMagicBytesMax));
  if (mime.empty()) {
    set(t, "application/octet-stream", Category::other,
        magic.status() == MagicStatus::ok ? Source::libmagic : Source::unavailable);
    return t;
  }
  t.category = category_of(mime);
  t.mime_type = std::move(mime);
  t.source = Source::libmagic;
  return t;
}

MagicStatus Detector::magic_status() { return thread_magic().status(); }

std::string Detector::libmagic_mime(std::string_view data) {
  return thread_magic().mime(data.substr(0, kMagicBytesMax));
}

}  // namespace ksmg::filetype

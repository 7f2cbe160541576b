// ksmg/filetype.hpp — the true type of an object (MIME leaf, archive member) from its bytes alone,
// regardless of its name or declared Content-Type.
//
// Text is classified by the library itself (libmagic is slow on text); OLE2/CFB and ZIP containers
// are looked into by bounded readers of our own (to tell .doc from .xls, .docm from .docx, to see
// encryption); everything else binary goes to libmagic, one handle per thread, loaded once.
// Hostile input never throws and never crashes: what cannot be read becomes a less precise type.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace ksmg::filetype {

enum class Category : std::uint8_t {
  executable,  // PE, ELF, Mach-O, Java class/jar, wasm, MSI, Android apk, shortcuts
  script,      // JS, VBS, PowerShell, shell, batch, .reg files
  office_document,
  office_document_with_macros,
  archive,  // zip, 7z, rar, tar, compressed streams, disk images
  pdf,
  image,
  audio_video,
  text,
  html,
  calendar,
  other,
};
inline constexpr Category kAllCategories[] = {
    Category::executable,
    Category::script,
    Category::office_document,
    Category::office_document_with_macros,
    Category::archive,
    Category::pdf,
    Category::image,
    Category::audio_video,
    Category::text,
    Category::html,
    Category::calendar,
    Category::other,
};
std::string_view to_string(Category c) noexcept;
// The category named by to_string(), or nullopt.
[[nodiscard]] std::optional<Category> category_from_string(std::string_view s) noexcept;

// Which stage decided: useful to see what was cheap and what was not.
enum class Source : std::uint8_t {
  empty,        // no bytes
  text,         // our text classifier
  signature,    // our own magic-number check (PDF, DMG, wasm, ...)
  cfb,          // our OLE2/CFB directory reader
  zip,          // our ZIP central-directory reader
  libmagic,     // libmagic's answer
  unavailable,  // libmagic could not be loaded on this thread; the type is a fallback
};
std::string_view to_string(Source s) noexcept;

struct TrueType {
  std::string mime_type = "application/octet-stream";
  Category category = Category::other;
  Source source = Source::empty;
  bool encrypted = false;   // known to be encrypted (OOXML EncryptedPackage, xls FILEPASS, zip)
  bool has_macros = false;  // VBA/Basic project seen in an Office document
  bool truncated = false;   // the container's structures point past the end of the data
};

enum class MagicStatus : std::uint8_t {
  ok,
  open_failed,  // magic_open returned null
  load_failed,  // magic_load could not read the compiled database
};
std::string_view to_string(MagicStatus s) noexcept;

// Stateless and cheap to construct; any number of threads may call one Detector concurrently.
// libmagic state lives in a thread_local handle created on a thread's first binary lookup.
class Detector {
 public:
  // Bytes handed to libmagic at most (ISO 9660 needs ~32 KB, tar 512 bytes).
  static constexpr std::size_t kMagicBytesMax = 256 * 1024;

  [[nodiscard]] TrueType detect(std::span<const std::byte> data) const;
  [[nodiscard]] TrueType detect(std::string_view data) const;

  // Status of this thread's libmagic handle (loads it if not yet loaded).
  [[nodiscard]] static MagicStatus magic_status();
  // libmagic alone, on the same bytes (the peer in benchmarks and tests); "" when unavailable.
  [[nodiscard]] static std::string libmagic_mime(std::string_view data);
};

// True when data opens with a mail header block: field lines ("name: value") and their folded
// continuations, at least one field, up to a blank line or the first line that is not a field
// (where clients start the body when the blank line is missing); a bare CR ends a line too.
// This is how a mail client reads a file as a message, whatever bytes its fields or body
// carry; the message/rfc822 true type asks for more (fields that every mail has).
[[nodiscard]] bool opens_with_header_block(std::string_view data) noexcept;

// The category of a MIME type as libmagic or a mail client would name it.
[[nodiscard]] Category category_of(std::string_view mime_type) noexcept;

}  // namespace ksmg::filetype

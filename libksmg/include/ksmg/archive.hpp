// ksmg/archive.hpp — taking containers apart: archives (libarchive), TNEF, objects embedded in
// RTF, files inline in HTML, and what a PDF carries (flags only), all under one shared budget.
//
// Every reader here treats its input as hostile: sizes in headers are never trusted, only the
// bytes actually produced are counted, and a broken or encrypted container yields what could be
// read plus a status, never an exception. The object tree (ksmg/objects.hpp) drives these
// readers; they are public so that a caller can unpack one file without building a tree.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ksmg/filetype.hpp"
#include "ksmg/limits.hpp"

namespace ksmg::archive {

// What one message may spend on unpacking, shared by every container of that message.
// Not thread-safe: one message is unpacked on one thread. A copy is a trial: a reading that may
// be thrown away runs on a copy, which replaces the original when the reading is kept (the CPU
// clock, once started, is shared: time spent on a discarded reading stays spent).
class Budget {
 public:
  explicit Budget(const ScanLimits& limits);

  [[nodiscard]] const ScanLimits& limits() const noexcept { return limits_; }

  // Takes up to `wanted` bytes from the message-wide unpacked allowance; returns how many
  // may be produced (less than wanted once the allowance runs out).
  [[nodiscard]] std::size_t take_bytes(std::size_t wanted) noexcept;
  // Takes one member from the message-wide member allowance; false when none is left.
  [[nodiscard]] bool take_member() noexcept;
  // True once the thread has spent max_unpack_cpu_ms of CPU time since the first call (so a
  // message without containers never reads the clock). Cheap enough to call per block: the
  // clock is read at most every few calls.
  [[nodiscard]] bool out_of_time() noexcept;

  [[nodiscard]] std::size_t bytes_used() const noexcept { return bytes_used_; }
  [[nodiscard]] std::size_t members_used() const noexcept { return members_used_; }

 private:
  ScanLimits limits_;
  std::size_t bytes_used_ = 0;
  std::size_t members_used_ = 0;
  std::int64_t cpu_start_ns_ = 0;
  unsigned clock_skips_ = 0;
  bool timed_out_ = false;
};

// One member taken out of a container.
struct Member {
  std::string name;  // path inside the container as stored, as UTF-8 (invalid bytes replaced);
                     // "" when the container gives none
  std::string data;  // the bytes actually read; shorter than the member when a limit cut it
  std::uint64_t declared_size = 0;  // size the container's header claims; 0 when unknown
  bool encrypted = false;           // data could not be read without a password
  bool corrupted = false;           // reading the data failed part way (data holds what was read)
  LimitSet limits;                  // member_size, compression_ratio, unpacked_size, unpack_time
};

// What a reader produced from one container.
struct Contents {
  std::string format;  // short stable name: "zip", "7z", "rar", "rar5", "tar", "gzip", "tnef",
                       // "rtf", ...; "" when the bytes are not a container this reader knows
  std::vector<Member> members;  // in container order; directories and empty names of links
                                // are not members
  bool encrypted = false;       // some member, or the directory itself, is encrypted
  bool corrupted = false;       // the container is broken; members read before the break are kept
  LimitSet limits;              // archive_members, unpacked_size, unpack_time, password_candidates
  std::string error;            // the reader's message when corrupted, for logs
  std::string password;  // the candidate that opened an encrypted container; "" when none did;
                         // one per line when its entries took several (7z, RAR)
};

// Where a reader gets passwords for an encrypted container: candidates found in the text of the
// message that carries it (ordered likeliest first). Asked only once a container turns out
// encrypted, so a message without one never pays for gathering them.
class PasswordSource {
 public:
  virtual ~PasswordSource() = default;
  [[nodiscard]] virtual const std::vector<std::string>& candidates() = 0;
};

// Password candidates written in text of a message (UTF-8: a body, the subject, a file name),
// likeliest first: what follows a password keyword ("password: X", "pw X", "пароль X", in the
// languages mail is written in), then quoted strings, then every other short token; each once,
// at most max_count. Linear in the texts.
[[nodiscard]] std::vector<std::string> password_candidates(const std::vector<std::string>& texts,
                                                           std::size_t max_count);

// How a container of a given true type is taken apart.
enum class Container : std::uint8_t {
  none,     // not a container (or an Office document: its macros come from filetype)
  archive,  // libarchive: zip, 7z, rar, tar, cpio, iso, cab, lha, ar, xar, and gz/bz2/xz/...
  tnef,     // application/vnd.ms-tnef (winmail.dat)
  rtf,      // text/rtf: \objdata of embedded objects
  html,     // text/html: files inline as base64 data: URLs
};
std::string_view to_string(Container c) noexcept;
[[nodiscard]] Container container_of(const filetype::TrueType& type) noexcept;

// Reads an archive or compressed stream with libarchive. A single compressed stream (.gz,
// .bz2, .xz, ...) gives one member named after the stream's stored name, or "".
// A zip whose central directory and local headers disagree gives the members of both readings.
// An encrypted container is read again with each of up to max_password_candidates candidates
// of `passwords` until one opens it: ZipCrypto and WinZip AES zips, 7z (7zAES, headers
// included), RAR 4 and RAR 5 (file data and headers). 7z and RAR entries under different
// passwords open when every password is among the candidates; a container that stays partly
// encrypted is returned as read without a password.
[[nodiscard]] Contents unpack_archive(std::string_view data, Budget& budget,
                                      PasswordSource* passwords = nullptr);
// Attachments of a TNEF stream (attachment file names as the sender's client stored them).
[[nodiscard]] Contents unpack_tnef(std::string_view data, Budget& budget);
// Objects embedded in an RTF document (\object ... \objdata hex), as their OLE1 native data
// when it holds a file (Package), else the raw object data.
[[nodiscard]] Contents unpack_rtf(std::string_view data, Budget& budget);
// Files inline in an HTML document as base64 "data:" URLs, named "".
[[nodiscard]] Contents unpack_html_data(std::string_view html, Budget& budget);
// Dispatches on container_of(type); Container::none gives an empty Contents.
[[nodiscard]] Contents unpack(std::string_view data, const filetype::TrueType& type, Budget& budget,
                              PasswordSource* passwords = nullptr);

// What a PDF carries that a gateway acts on; names are matched after #xx name escapes are undone.
struct PdfFeatures {
  bool javascript = false;      // /JavaScript or /JS
  bool open_action = false;     // /OpenAction or /AA (actions run on open or on events)
  bool launch = false;          // /Launch (runs a program)
  bool embedded_files = false;  // /EmbeddedFile or /EmbeddedFiles
  bool encrypted = false;       // /Encrypt in a trailer
  bool truncated = false;       // no %%EOF found
};
[[nodiscard]] PdfFeatures inspect_pdf(std::string_view data) noexcept;

}  // namespace ksmg::archive

// ksmg/antivirus.hpp — the anti-virus module: a ClamAV database compiled by libclamav, and the
// scan of every object of a message's tree against it.
//
//   std::string error;
//   auto db = ksmg::av::Database::load({.database_dir = "/var/lib/clamav"}, limits, error);
//   ksmg::av::Result r = db->scan(tree);     // any thread; the database is read-only
//   r.module.status, r.module.findings ...
//
// Production databases come from Debian's clamav-freshclam, which keeps /var/lib/clamav
// current; the engine notices new files (changed_on_disk()) and a new Database is loaded off
// the hot path and swapped in (EngineHolder::reload_antivirus()).
//
// What libclamav sees: every object of the tree, already decoded (libclamav's own MAIL parser is
// off: the tree has taken the message apart), each distinct content once per message. Archives
// the tree unpacked completely are scanned as raw bytes with libclamav's archive parsers off,
// because their members are objects of their own; anything the tree could not open (formats
// libarchive does not know, encrypted, damaged or cut by a limit) gets libclamav's parsers.
// So a RAR, which Debian's libclamav cannot open, is still scanned member by member.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ksmg/limits.hpp"
#include "ksmg/objects.hpp"
#include "ksmg/verdict.hpp"

namespace ksmg::av {

// The [antivirus] section of the configuration. libclamav's size, depth, count and time limits
// are in ScanLimits (max_av_*).
struct Settings {
  // .cvd/.cld (freshclam) and the text formats (.hdb .hsb .ndb .ldb .yara ...).
  std::string database_dir = "/var/lib/clamav";
  // Where libclamav unpacks inner files during a scan. "" picks /dev/shm when it is writable,
  // else $TMPDIR, else /tmp: on tmpfs a scan call costs about a tenth of what it costs on disk.
  std::string temp_dir;
  // Office documents with VBA or Excel 4 macros are "probably infected" (else the content
  // filter may still act on the object flag "macros").
  bool alert_macros = true;
  // Executables with broken headers are "probably infected" (ClamAV's Heuristics.Broken.*).
  bool alert_broken_executables = true;
  // libclamav's HTML normalizer on the message's own HTML text (not on attached .html files,
  // which always get it). Off by default: it is about two thirds of the anti-virus CPU time on
  // ordinary mail, scripts in a message's text do not run in mail clients, and its links are
  // the anti-phishing module's. The raw HTML and the files in its data: URLs are still scanned.
  bool parse_body_html = false;
  // Let libclamav skip contents it has already found clean (its own cache, per database). Only
  // scans with all of libclamav's parsers on share it: its key is the content alone, so a clean
  // from a narrower scan (archive parsers or the HTML normalizer off) must not answer them.
  bool clean_cache = true;
  // How often a running server looks at database_dir for new files (0: never; reload on demand).
  std::uint32_t reload_check_seconds = 60;

  bool operator==(const Settings&) const = default;
};

// Which database is loaded, for logs and the X-KSMG-AntiVirus field.
struct DatabaseInfo {
  std::string directory;
  std::string engine_version;  // libclamav's, e.g. "1.4.6"
  std::uint32_t version = 0;   // highest .cvd/.cld version; 0 for text databases only
  std::int64_t time = 0;       // build time of that version (Unix seconds), else newest file mtime
  std::uint64_t signatures = 0;
  std::vector<std::string> files;  // database file names, sorted

  // "ClamAV 1.4.6; db 27450 2026-11-21; 8712345 signatures"
  [[nodiscard]] std::string describe() const;
};

// The anti-virus verdict of one message, with the limits libclamav or the time budget hit.
struct Result {
  verdict::ModuleResult module;     // module.limits: what the tree's and libclamav's limits cut
  std::size_t objects_scanned = 0;  // calls into libclamav
  std::size_t bytes_scanned = 0;    // bytes handed to libclamav
};

// Names, sizes and modification times of the database files in `dir`: equal fingerprints, same
// databases (what the engine's watcher compares).
[[nodiscard]] std::string database_fingerprint(const std::string& dir);

class Database {
 public:
  // Loads every database file of settings.database_dir and compiles the engine. Null with
  // `error` set when the directory holds no database or a file does not load.
  [[nodiscard]] static std::shared_ptr<const Database> load(const Settings& settings,
                                                            const ScanLimits& limits,
                                                            std::string& error);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  [[nodiscard]] const DatabaseInfo& info() const noexcept;
  [[nodiscard]] const Settings& settings() const noexcept;
  // database_fingerprint() of the files this database was loaded from.
  [[nodiscard]] const std::string& fingerprint() const noexcept;
  // True when database files were added, removed or rewritten since this database was loaded.
  [[nodiscard]] bool changed_on_disk() const;

  // True when a database loaded with these settings and limits would be this one (nothing
  // changed on disk): a configuration reload then keeps it instead of loading it again.
  [[nodiscard]] bool same_as(const Settings& settings, const ScanLimits& limits) const;

  // Scans the objects of `tree` within limits.max_av_message_cpu_ms of thread CPU time.
  [[nodiscard]] Result scan(const objects::ObjectTree& tree) const;

  struct Compiled;  // internal

 private:
  explicit Database(std::unique_ptr<Compiled> c);
  std::unique_ptr<Compiled> c_;
};

}  // namespace ksmg::av

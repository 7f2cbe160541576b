// compiled.hpp — the inside of av::Database: the libclamav engine, the scan options for the two
// ways an object is handed over, and what the database files looked like when loaded.
#pragma once

#include <clamav.h>

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_set>
#include <vector>

#include "ksmg/antivirus.hpp"

namespace ksmg::av::detail {

// A database file as it was on disk: a change of any of these means new signatures.
struct FileStamp {
  std::string name;
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
};

// The database files of `dir` (by the extensions libclamav loads), sorted by name.
[[nodiscard]] std::vector<FileStamp> database_files(const std::string& dir);

// libclamav's clean cache is keyed by content alone, whatever the scan options: a "clean" from a
// scan with some parsers off (a zip with its archive parser off, HTML without the normalizer)
// would answer a later full scan of the same bytes, which would have found what is inside
// (tested: AntivirusCleanCache). A scan with this option is neither added to the cache nor
// answered from it (libclamav 1.x skips the cache while it collects metadata), so only full
// scans share it; they may answer narrower ones, as a full scan sees all a narrower one sees.
// Outside it: containers the tree opened itself, and the message's own HTML without the normalizer.
inline constexpr unsigned kOutsideCleanCache = CL_SCAN_GENERAL_COLLECT_METADATA;

// The clean results of the scans kept outside libclamav's cache, by content and the way it was
// handed over (the key of Database::scan), so that content which comes back (the same logo in
// every newsletter, the same zip to every recipient) is not handed to libclamav again. A key
// answers only its own mode, so a narrow "clean" never answers a full scan. Bounded: when full,
// it starts afresh. One per loaded database, so new signatures start with none.
class NarrowCleanCache {
 public:
  static constexpr std::size_t kMaxEntries = 1u << 16;

  [[nodiscard]] bool contains(const std::string& key) const {
    const std::lock_guard lock(mu_);
    return keys_.contains(key);
  }
  void add(const std::string& key) {
    const std::lock_guard lock(mu_);
    if (keys_.size() >= kMaxEntries) keys_.clear();
    keys_.insert(key);
  }

 private:
  mutable std::mutex mu_;
  std::unordered_set<std::string> keys_;
};

// The scan state one libclamav call reaches through its context pointer.
struct CallContext {
  std::int64_t deadline_ns = 0;  // thread CPU time at which the message's budget is spent
  bool out_of_time = false;      // set when an inner file was skipped for the budget
};

}  // namespace ksmg::av::detail

namespace ksmg::av {

struct Database::Compiled {
  Settings settings;
  ScanLimits limits;
  DatabaseInfo info;
  std::string fingerprint;  // database_fingerprint() of the files loaded
  cl_engine* engine = nullptr;
  // Objects the tree could not take apart: libclamav's parsers, except MAIL (the tree has
  // parsed the message).
  cl_scan_options full{};
  // Containers the tree unpacked completely: their members are objects of their own, so the
  // archive parsers stay off and only the raw bytes are matched, outside the clean cache.
  cl_scan_options raw{};
  // What the scans outside libclamav's cache found clean (when settings.clean_cache).
  mutable detail::NarrowCleanCache narrow_clean;

  ~Compiled() {
    if (engine != nullptr) cl_engine_free(engine);
  }
};

}  // namespace ksmg::av

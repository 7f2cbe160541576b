// database.cpp — owns loading a ClamAV database into a libclamav engine (limits, temp directory,
// heuristics, scan options), what it reports about itself, and noticing new database files.
// libclamav's process-wide set-up (cl_init, its log callback into ksmg::log) happens here once.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <mutex>
#include <string_view>

#include "av/compiled.hpp"
#include "core/cpu_clock.hpp"
#include "ksmg/log.hpp"

namespace ksmg::av {

namespace {

// What libclamav loads from a directory (its CLI_DBEXT list), so that freshclam's own state
// files and half-written downloads under other names do not count as a change.
constexpr std::array<std::string_view, 36> kDatabaseExtensions{
    ".db",  ".hdb", ".hdu", ".hsb", ".hsu",  ".mdb",  ".mdu", ".msb",  ".msu",
    ".ndb", ".ndu", ".ldb", ".ldu", ".sdb",  ".zmd",  ".rmd", ".pdb",  ".gdb",
    ".wdb", ".cbc", ".ftm", ".cfg", ".cvd",  ".cld",  ".cud", ".cdb",  ".cat",
    ".crb", ".idb", ".ioc", ".yar", ".yara", ".pwdb", ".ign", ".ign2", ".imp"};

bool is_database_file(std::string_view name) {
  const std::size_t dot = name.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return false;
  const std::string_view ext = name.substr(dot);
  return std::find(kDatabaseExtensions.begin(), kDatabaseExtensions.end(), ext) !=
         kDatabaseExtensions.end();
}

void to_ksmg_log(enum cl_msg severity, const char* /*fullmsg*/, const char* msg,
                 void* /*context*/) {
  const log::Level level = severity == CL_MSG_ERROR  ? log::Level::error
                           : severity == CL_MSG_WARN ? log::Level::warning
                                                     : log::Level::debug;
  if (!log::enabled(level) || msg == nullptr) return;
  std::string_view text(msg);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  log::write(level, "av", text);
}

// libclamav calls this before every file it scans, inner files included: the only place
// where a scan that is over its budget can be stopped short.
cl_error_t before_each_file(int /*fd*/, const char* /*type*/, void* context) {
  auto* call = static_cast<detail::CallContext*>(context);
  if (call == nullptr || call->deadline_ns == 0) return CL_CLEAN;
  if (ksmg::detail::thread_cpu_ns() < call->deadline_ns) return CL_CLEAN;
  call->out_of_time = true;
  return CL_BREAK;
}

bool init_libclamav(std::string& error) {
  static std::once_flag once;
  static cl_error_t rc = CL_SUCCESS;
  std::call_once(once, [] {
    cl_set_clcb_msg(to_ksmg_log);
    rc = cl_init(CL_INIT_DEFAULT);
  });
  if (rc != CL_SUCCESS) error = std::string("libclamav: cl_init: ") + cl_strerror(rc);
  return rc == CL_SUCCESS;
}

std::string pick_temp_dir(const std::string& configured) {
  if (!configured.empty()) return configured;
  if (access("/dev/shm", W_OK | X_OK) == 0) return "/dev/shm";
  if (const char* t = std::getenv("TMPDIR"); t != nullptr && *t != '\0') return t;
  return "/tmp";
}

std::string date_of(std::int64_t unix_seconds) {
  const auto t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  if (gmtime_r(&t, &tm) == nullptr) return "?";
  char buf[32];
  const std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return std::string(buf, n);
}

}  // namespace

namespace detail {

std::vector<FileStamp> database_files(const std::string& dir) {
  std::vector<FileStamp> files;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (!is_database_file(name)) continue;
    struct stat st {};
    if (stat(entry.path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    files.push_back(
        {name, static_cast<std::uint64_t>(st.st_size),
         static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec});
  }
  std::sort(files.begin(), files.end(),
            [](const FileStamp& a, const FileStamp& b) { return a.name < b.name; });
  return files;
}

}  // namespace detail

namespace {

std::string fingerprint_of(const std::vector<detail::FileStamp>& files) {
  std::string s;
  for (const detail::FileStamp& f : files)
    s += f.name + '/' + std::to_string(f.size) + '/' + std::to_string(f.mtime_ns) + '\n';
  return s;
}

}  // namespace

std::string database_fingerprint(const std::string& dir) {
  return fingerprint_of(detail::database_files(dir));
}

std::string DatabaseInfo::describe() const {
  std::string s = "ClamAV " + engine_version + "; db ";
  s += version != 0 ? std::to_string(version) + ' ' : std::string("local ");
  s += date_of(time) + "; " + std::to_string(signatures) + " signatures";
  return s;
}

Database::Database(std::unique_ptr<Compiled> c) : c_(std::move(c)) {}
Database::~Database() = default;

const DatabaseInfo& Database::info() const noexcept { return c_->info; }
const Settings& Database::settings() const noexcept { return c_->settings; }

const std::string& Database::fingerprint() const noexcept { return c_->fingerprint; }

bool Database::changed_on_disk() const {
  return database_fingerprint(c_->settings.database_dir) != c_->fingerprint;
}

bool Database::same_as(const Settings& settings, const ScanLimits& limits) const {
  const ScanLimits& mine = c_->limits;
  return settings == c_->settings && limits.max_av_scan_bytes == mine.max_av_scan_bytes &&
         limits.max_av_file_bytes == mine.max_av_file_bytes &&
         limits.max_av_recursion == mine.max_av_recursion &&
         limits.max_av_files == mine.max_av_files &&
         limits.max_av_object_ms == mine.max_av_object_ms &&
         limits.max_av_message_cpu_ms == mine.max_av_message_cpu_ms && !changed_on_disk();
}

std::shared_ptr<const Database> Database::load(const Settings& settings, const ScanLimits& limits,
                                               std::string& error) {
  if (!init_libclamav(error)) return nullptr;
  auto c = std::make_unique<Compiled>();
  c->settings = settings;
  c->limits = limits;
  const std::vector<detail::FileStamp> files = detail::database_files(settings.database_dir);
  c->fingerprint = fingerprint_of(files);
  if (files.empty()) {
    std::error_code ec;
    error = std::filesystem::is_directory(settings.database_dir, ec)
                ? "no ClamAV database in " + settings.database_dir +
                      " (Debian's clamav-freshclam keeps /var/lib/clamav current)"
                : "no such database directory: " + settings.database_dir;
    return nullptr;
  }
  c->engine = cl_engine_new();
  if (c->engine == nullptr) {
    error = "libclamav: cannot create an engine";
    return nullptr;
  }
  const std::string temp_dir = pick_temp_dir(settings.temp_dir);
  auto fail = [&](std::string_view what, cl_error_t rc) {
    error = "libclamav: " + std::string(what) + ": " + cl_strerror(rc);
    return nullptr;
  };
  struct NumSetting {
    cl_engine_field field;
    std::size_t value;
  };
  const NumSetting numbers[] = {
      {CL_ENGINE_MAX_SCANSIZE, limits.max_av_scan_bytes},
      {CL_ENGINE_MAX_FILESIZE, limits.max_av_file_bytes},
      {CL_ENGINE_MAX_RECURSION, limits.max_av_recursion},
      {CL_ENGINE_MAX_FILES, limits.max_av_files},
      {CL_ENGINE_MAX_SCANTIME, limits.max_av_object_ms},
      {CL_ENGINE_DISABLE_CACHE, settings.clean_cache ? 0u : 1u},
  };
  for (const NumSetting& n : numbers)
    if (const cl_error_t rc =
            cl_engine_set_num(c->engine, n.field, static_cast<long long>(n.value));
        rc != CL_SUCCESS)
      return fail("setting a limit", rc);
  if (const cl_error_t rc = cl_engine_set_str(c->engine, CL_ENGINE_TMPDIR, temp_dir.c_str());
      rc != CL_SUCCESS)
    return fail("temp directory " + temp_dir, rc);
  cl_engine_set_clcb_pre_scan(c->engine, before_each_file);

  unsigned int signatures = 0;
  if (const cl_error_t rc =
          cl_load(settings.database_dir.c_str(), c->engine, &signatures, CL_DB_STDOPT);
      rc != CL_SUCCESS)
    return fail("loading " + settings.database_dir, rc);
  if (const cl_error_t rc = cl_engine_compile(c->engine); rc != CL_SUCCESS)
    return fail("compiling " + settings.database_dir, rc);

  DatabaseInfo& info = c->info;
  info.directory = settings.database_dir;
  info.engine_version = cl_retver();
  info.signatures = signatures;
  int err = 0;
  info.version =
      static_cast<std::uint32_t>(cl_engine_get_num(c->engine, CL_ENGINE_DB_VERSION, &err));
  info.time = static_cast<std::int64_t>(cl_engine_get_num(c->engine, CL_ENGINE_DB_TIME, &err));
  for (const detail::FileStamp& f : files) {
    info.files.push_back(f.name);
    if (info.version == 0) info.time = std::max(info.time, f.mtime_ns / 1'000'000'000);
  }

  // MAIL stays off in both: the tree has parsed the message, and libclamav's own mail parser
  // is the slowest part of it (measured in the issue: 9.6 MB/s).
  cl_scan_options full{};
  full.general = CL_SCAN_GENERAL_HEURISTICS;
  full.parse = ~0u & ~static_cast<unsigned>(CL_SCAN_PARSE_MAIL);
  full.heuristic = CL_SCAN_HEURISTIC_ENCRYPTED_ARCHIVE | CL_SCAN_HEURISTIC_ENCRYPTED_DOC |
                   CL_SCAN_HEURISTIC_EXCEEDS_MAX;
  if (settings.alert_macros) full.heuristic |= CL_SCAN_HEURISTIC_MACROS;
  if (settings.alert_broken_executables) full.heuristic |= CL_SCAN_HEURISTIC_BROKEN;
  c->full = full;
  c->raw = full;
  c->raw.parse &= ~static_cast<unsigned>(CL_SCAN_PARSE_ARCHIVE);
  c->raw.general |= detail::kOutsideCleanCache;
  log::write(log::Level::info, "av", "loaded " + info.describe() + " from " + info.directory);
  return std::shared_ptr<const Database>(new Database(std::move(c)));
}

}  // namespace ksmg::av

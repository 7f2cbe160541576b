// local_files.cpp — owns maildir delivery and the backup folder (local_files.hpp).
#include "local_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "ksmg/hash.hpp"

namespace ksmg::frontend {

namespace {

namespace fs = std::filesystem;

bool make_dirs(const fs::path& dir, std::string& error) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    error = "cannot create " + dir.string() + ": " + ec.message();
    return false;
  }
  return true;
}

bool write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

bool sync_dir(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok;
}

// Writes the pieces to `tmp`, syncs, renames to `final_path` and syncs its folder.
bool write_durably(const fs::path& tmp, const fs::path& final_path,
                   std::initializer_list<std::string_view> pieces, std::string& error) {
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    error = "cannot create " + tmp.string() + ": " + std::strerror(errno);
    return false;
  }
  bool ok = true;
  for (const std::string_view p : pieces) ok = ok && write_all(fd, p);
  ok = ok && ::fsync(fd) == 0;
  const int saved = errno;
  ok = ::close(fd) == 0 && ok;
  if (ok && ::rename(tmp.c_str(), final_path.c_str()) == 0 && sync_dir(final_path.parent_path()))
    return true;
  error = "cannot write " + final_path.string() + ": " + std::strerror(ok ? errno : saved);
  ::unlink(tmp.c_str());
  return false;
}

// The machine's name as a maildir file name may carry it ('/' and ':' replaced), read once:
// not a system call per delivery.
const std::string& host_for_names() {
  static const std::string name = [] {
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) != 0 || host[0] == '\0')
      return std::string("localhost");
    std::string out(host);
    for (char& c : out)
      if (c == '/' || c == ':') c = '_';
    return out;
  }();
  return name;
}

// time.M<microseconds>P<pid>Q<counter>.<host>: unique per process and delivery (the maildir
// convention), so concurrent deliveries never collide.
std::string unique_name() {
  static std::atomic<unsigned long> counter{0};
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(now).count();
  return std::to_string(us / 1000000) + ".M" + std::to_string(us % 1000000) + "P" +
         std::to_string(::getpid()) + "Q" + std::to_string(++counter) + "." + host_for_names();
}

}  // namespace

bool deliver_to_maildir(const std::string& dir, std::string_view prefix, std::string_view message,
                        std::string& name, std::string& error) {
  const fs::path root(dir);
  for (const char* sub : {"tmp", "new", "cur"})
    if (!make_dirs(root / sub, error)) return false;
  name = unique_name();
  return write_durably(root / "tmp" / name, root / "new" / name, {prefix, message}, error);
}

bool write_backup(const std::string& dir, std::string_view message, std::string_view metadata,
                  std::string& digest, std::string& error) {
  const fs::path root(dir);
  if (!make_dirs(root, error)) return false;
  digest = sha256_hex(message);
  const fs::path eml = root / (digest + ".eml");
  const std::string tmp_name = ".tmp-" + unique_name();
  std::error_code ec;
  if (!fs::exists(eml, ec) && !write_durably(root / tmp_name, eml, {message}, error)) return false;
  return write_durably(root / (tmp_name + ".json"), root / (digest + ".json"), {metadata}, error);
}

bool keep_original(const std::string& dir, std::string_view message, const BackupRecord& record,
                   std::string& digest, std::string& error) {
  const nlohmann::json meta{{"id", record.id},         {"received", rfc5322_date()},
                            {"client", record.client}, {"helo", record.helo},
                            {"sender", record.sender}, {"recipients", record.recipients},
                            {"action", record.action}, {"reason", record.reason}};
  // Envelope strings are the sender's bytes: invalid UTF-8 is replaced, never a throw.
  return write_backup(dir, message,
                      meta.dump(2, ' ', true, nlohmann::json::error_handler_t::replace), digest,
                      error);
}

std::string rfc5322_date() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S %z", &tm);
  return buf;
}

}  // namespace ksmg::frontend

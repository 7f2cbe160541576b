// scan_command.cpp — `ksmg scan`: the whole pipeline (object tree, scanning modules, policy,
// verdict) over files, directories and mbox files, as JSON or one line per message.
//
//   ksmg scan [--config FILE] [--av-db DIR] [--json] [--threads N] [--progress] [--file]
//             [--verbose] PATH...
//
// Without --config the built-in defaults are used (policy::Config{}). --av-db scans with the
// ClamAV database in DIR instead of the configured one (and with the anti-virus module on).
// --verbose passes the library's warnings and notes (libclamav's among them) to stderr. A file that
// is not a mail message is scanned as one attachment named after the file (--file: every input is).
// Messages are scanned on N threads (default: one per core), one Scanner per thread and one shared
// Engine; output comes strictly in input order, so it is the same whatever N.
//
// The JSON shape is a contract: one document per message per line,
//   {"file", "message" (index in an mbox, null for a single-message file),
//    "scanned_as": "message"|"file", "action", "reason" (null when none),
//    "decided_by": {"module","status"}|null, "extras": {non-default extras},
//    one key per module that ran: {"status", "findings": [{"where","what","detail"}], "info"},
//    "headers": {X-KSMG-* name: value}, "objects", "flags", "limits_exceeded", "defects"}
// (frontend::report_json() plus "file" and "message")
// and {"file", "error"} for a file that cannot be read (plus "message" for a message whose scan
// failed).
//
// Exit status, like clamscan: 2 when anything went wrong (an unreadable file, a configuration
// error, a database that does not load, a module that reported "error"), else 1
// when the policy acted on at least one message (its verdict has decided_by), else 0.
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

#include "commands.hpp"
#include "engine_loader.hpp"
#include "input_kind.hpp"
#include "inputs.hpp"
#include "json_names.hpp"
#include "report_json.hpp"
#include "ksmg/engine.hpp"
#include "ksmg/log.hpp"
#include "ksmg/mbox.hpp"
#include "ksmg/policy.hpp"
#include "ksmg/verdict.hpp"
#include "options.hpp"

namespace ksmg::cli {

using frontend::names;
using frontend::utf8_or_replaced;
namespace {

using json = nlohmann::ordered_json;

constexpr const char* kUsage =
    "usage: ksmg scan [--config FILE] [--av-db DIR] [--json] [--threads N] [--progress] [--file] "
    "[--verbose] PATH...\n";

struct Options {
  std::string config;  // "" = built-in defaults
  std::string av_db;   // "" = the configured database directory
  bool as_json = false;
  bool verbose = false;
  bool progress = false;
  bool force_file = false;
  unsigned threads = 0;  // 0 = one per core
  std::vector<std::string> files;
};

// Result of parsing the arguments: run, or exit with `exit_code`.
struct ParsedArgs {
  Options options;
  std::optional<int> exit_code;
};

void say(const std::string& text) { std::fputs(text.c_str(), stderr); }

ParsedArgs parse_args(std::span<const std::string_view> args) {
  ParsedArgs r;
  Options& o = r.options;
  bool only_paths = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    if (only_paths || !a.starts_with("-") || a == "-") {
      o.files.emplace_back(a);
      continue;
    }
    if (a == "--") {
      only_paths = true;
      continue;
    }
    if (a == "--json") {
      o.as_json = true;
      continue;
    }
    if (a == "--progress") {
      o.progress = true;
      continue;
    }
    if (a == "--file") {
      o.force_file = true;
      continue;
    }
    if (a == "-v" || a == "--verbose") {
      o.verbose = true;
      continue;
    }
    if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      r.exit_code = 0;
      return r;
    }
    // Options with a value: "--opt value" or "--opt=value".
    auto [name, value, has_value] = ksmg::frontend::split_option(a);
    if (name != "--config" && name != "--av-db" && name != "--threads") {
      say("ksmg scan: unknown option '" + std::string(a) + "'\n" + kUsage);
      r.exit_code = 2;
      return r;
    }
    if (!has_value) {
      if (i + 1 >= args.size()) {
        say("ksmg scan: " + std::string(name) + " needs a value\n");
        r.exit_code = 2;
        return r;
      }
      value = args[++i];
    }
    if (name == "--config") {
      o.config = value;
    } else if (name == "--av-db") {
      if (value.empty()) {
        say("ksmg scan: --av-db needs a directory\n");
        r.exit_code = 2;
        return r;
      }
      o.av_db = value;
    } else {
      unsigned n = 0;
      const auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (value.empty() || ec != std::errc{} || ptr != value.data() + value.size() || n == 0 ||
          n > 1024) {
        say("ksmg scan: --threads wants an integer from 1 to 1024\n");
        r.exit_code = 2;
        return r;
      }
      o.threads = n;
    }
  }
  if (o.files.empty()) {
    say(std::string("ksmg scan: no input paths\n") + kUsage);
    r.exit_code = 2;
  }
  return r;
}

// One unit of work: a message of a file, a whole file scanned as an attachment, or a file that
// could not be read.
struct Job {
  std::uint64_t seq = 0;
  std::string path;
  std::shared_ptr<const std::string> data;  // keeps the bytes `raw` points into alive
  std::string_view raw;
  std::optional<std::size_t> index;  // message number in an mbox
  bool as_file = false;
  std::string error;  // not empty: unreadable, nothing to scan
};

// What one job produced, ready to print.
struct Outcome {
  std::string out;  // for stdout
  std::string err;  // for stderr
  bool error = false;
  bool acted = false;
  bool is_message = false;  // counts in the progress line
  std::uint64_t bytes = 0;
};

// Text fit for a terminal: valid UTF-8, control characters shown as \xNN (attacker-chosen names
// must not move the cursor or clear the screen).
std::string printable(std::string_view s) {
  const std::string u = utf8_or_replaced(s);
  std::string out;
  out.reserve(u.size());
  for (const char c : u) {
    const auto b = static_cast<unsigned char>(c);
    if (b < 0x20 || b == 0x7F) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[b >> 4];
      out += kHex[b & 0xF];
    } else {
      out += c;
    }
  }
  return out;
}

std::string extras_text(const verdict::Extras& e) {
  std::string s;
  auto add = [&s](std::string_view w) {
    s += "  +";
    s += w;
  };
  if (e.backup) add("backup");
  if (e.quarantine) add("quarantine");
  if (e.add_warning) add("warning");
  if (e.remove_attachments) add("remove_attachments");
  if (e.notify_sender) add("notify_sender");
  if (e.notify_recipients) add("notify_recipients");
  if (e.notify_admin) add("notify_admin");
  if (!e.subject_tag.empty()) add("tag " + printable(e.subject_tag));
  return s;
}

json index_json(const std::optional<std::size_t>& index) {
  return index ? json(*index) : json(nullptr);
}

std::string dump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace) + '\n';
}

std::string label(const Job& job) {
  std::string s = printable(job.path);
  if (job.index) s += " #" + std::to_string(*job.index);
  return s;
}

bool any_module_error(const verdict::Verdict& v) {
  return std::any_of(v.modules.begin(), v.modules.end(), [](const verdict::ModuleResult& r) {
    return r.status == verdict::Status::error;
  });
}

std::string report_json(const Job& job, const ScanReport& r) {
  return dump(frontend::report_json(
      r, json{{"file", utf8_or_replaced(job.path)}, {"message", index_json(job.index)}}));
}

std::string report_text(const Job& job, const ScanReport& r) {
  const verdict::Verdict& v = r.verdict;
  std::string s = label(job) + ": ";
  if (!v.decided_by) {
    s += std::string(verdict::to_string(v.action)) + " (clean)";
  } else {
    std::string action(verdict::to_string(v.action));
    std::transform(action.begin(), action.end(), action.begin(),
                   [](char c) { return static_cast<char>(c - 'a' + 'A'); });
    s += action + ' ';
    if (!v.reason.empty())
      s += printable(v.reason);
    else
      s += std::string(verdict::to_string(v.decided_by->first)) + ": " +
           std::string(verdict::to_string(v.decided_by->second));
  }
  s += extras_text(v.extras);
  s += '\n';
  for (const verdict::ModuleResult& m : v.modules) {
    if (m.status == verdict::Status::clean && m.findings.empty()) continue;
    const std::string module(verdict::to_string(m.module));
    if (m.findings.empty()) {
      s += "  " + module + ": " + std::string(verdict::to_string(m.status));
      if (!m.info.empty()) s += " (" + printable(m.info) + ")";
      s += '\n';
      continue;
    }
    for (const verdict::Finding& f : m.findings) {
      s += "  " + module + ": " + printable(f.what);
      if (!f.where.empty()) s += " in " + printable(f.where);
      if (!f.detail.empty()) s += " - " + printable(f.detail);
      s += '\n';
    }
  }
  return s;
}

// Scans one job with this thread's scanner. Never throws.
Outcome run_job(const Options& o, const Engine& engine, Scanner& scanner, const Job& job) {
  Outcome out;
  if (!job.error.empty()) {
    out.error = true;
    if (o.as_json)
      out.out = dump(json{{"file", utf8_or_replaced(job.path)}, {"error", job.error}});
    else
      out.err = "ksmg scan: " + printable(job.path) + ": " + job.error + '\n';
    return out;
  }
  out.is_message = true;
  out.bytes = job.raw.size();
  try {
    const ScanReport r = job.as_file ? scanner.scan_file(engine, base_name(job.path), job.raw)
                                     : scanner.scan_message(engine, job.raw);
    out.error = any_module_error(r.verdict);
    out.acted = r.verdict.decided_by.has_value();
    out.out = o.as_json ? report_json(job, r) : report_text(job, r);
  } catch (const std::exception& e) {
    // The library is built not to throw on hostile input; what is left is resource exhaustion.
    out.error = true;
    const std::string why = std::string("scan failed: ") + e.what();
    if (o.as_json)
      out.out = dump(json{{"file", utf8_or_replaced(job.path)},
                          {"message", index_json(job.index)},
                          {"error", why}});
    else
      out.err = "ksmg scan: " + label(job) + ": " + why + '\n';
  }
  return out;
}

// The progress line on stderr, redrawn at most every 0.5 s; always ended by a newline.
class Progress {
 public:
  Progress(bool enabled, bool stdout_is_tty)
      : enabled_(enabled), stdout_is_tty_(stdout_is_tty), start_(Clock::now()), last_(start_) {}

  void count(const Outcome& o) {
    if (!o.is_message) return;
    ++messages_;
    bytes_ += o.bytes;
    if (!enabled_) return;
    const auto now = Clock::now();
    if (now - last_ < std::chrono::milliseconds(500)) return;
    draw(now);
  }
  // Before other output: the line is wiped when it shares the terminal with what follows.
  void before_stdout() {
    if (shown_ && stdout_is_tty_) wipe();
  }
  void before_stderr() {
    if (shown_) wipe();
  }
  void finish() {
    if (!enabled_) return;
    draw(Clock::now());
    std::fputc('\n', stderr);
    std::fflush(stderr);
  }

 private:
  using Clock = std::chrono::steady_clock;

  void draw(Clock::time_point now) {
    const double secs = std::chrono::duration<double>(now - start_).count();
    const double mb = static_cast<double>(bytes_) / 1e6;
    char line[160];
    const int n =
        std::snprintf(line, sizeof line, "\r scanned %llu messages, %.1f MB, %.1f MB/s",
                      static_cast<unsigned long long>(messages_), mb, secs > 0 ? mb / secs : 0.0);
    std::fputs(line, stderr);
    std::fflush(stderr);
    width_ = n > 1 ? static_cast<std::size_t>(n - 1) : 0;
    shown_ = true;
    last_ = now;
  }
  void wipe() {
    std::fputc('\r', stderr);
    for (std::size_t i = 0; i < width_; ++i) std::fputc(' ', stderr);
    std::fputc('\r', stderr);
    std::fflush(stderr);
    shown_ = false;
  }

  bool enabled_;
  bool stdout_is_tty_;
  Clock::time_point start_;
  Clock::time_point last_;  // last drawn (or the start: nothing shows in the first 0.5 s)
  bool shown_ = false;
  std::size_t width_ = 0;
  std::uint64_t messages_ = 0;
  std::uint64_t bytes_ = 0;
};

// Jobs go in in input order, are scanned by the workers in any order, and come out in input
// order: whichever worker finishes the next job to print prints it and every finished job
// after it. At most `max_in_flight` jobs are read and not yet printed, so memory stays bounded
// however large the input.
class Pipeline {
 public:
  Pipeline(const Options& o, std::shared_ptr<const Engine> engine, unsigned threads,
           Progress& progress)
      : options_(o),
        engine_(std::move(engine)),
        progress_(progress),
        max_in_flight_(std::max<std::size_t>(16, std::size_t{4} * threads)) {
    workers_.reserve(threads);
    for (unsigned i = 0; i < threads; ++i) workers_.emplace_back([this] { work(); });
  }

  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;
  // Normally finish() has joined the workers; this only matters when reading failed by an
  // exception, so that the threads are not left running.
  ~Pipeline() {
    if (!workers_.empty() && workers_.front().joinable()) finish();
  }

  void submit(Job job) {
    std::unique_lock lk(m_);
    space_.wait(lk, [this] { return submitted_ - printed_ < max_in_flight_; });
    job.seq = submitted_++;
    queue_.push_back(std::move(job));
    work_.notify_one();
  }

  // Waits for every job to be printed; returns the exit code.
  int finish() {
    {
      std::lock_guard lk(m_);
      closed_ = true;
    }
    work_.notify_all();
    for (std::thread& t : workers_) t.join();
    std::fflush(stdout);
    return any_error_ ? 2 : any_acted_ ? 1 : 0;
  }

 private:
  void work() {
    Scanner scanner;
    for (;;) {
      Job job;
      {
        std::unique_lock lk(m_);
        work_.wait(lk, [this] { return closed_ || !queue_.empty(); });
        if (queue_.empty()) return;
        job = std::move(queue_.front());
        queue_.pop_front();
      }
      Outcome out = run_job(options_, *engine_, scanner, job);
      const std::uint64_t seq = job.seq;
      job = Job{};  // let go of the file's bytes before waiting for our turn
      done(seq, std::move(out));
    }
  }

  void done(std::uint64_t seq, Outcome out) {
    std::unique_lock lk(m_);
    finished_.emplace(seq, std::move(out));
    if (printing_) return;  // the thread printing will come to it
    printing_ = true;
    for (auto it = finished_.find(printed_); it != finished_.end(); it = finished_.find(printed_)) {
      Outcome o = std::move(it->second);
      finished_.erase(it);
      lk.unlock();
      emit(o);
      lk.lock();
      ++printed_;
      space_.notify_one();
    }
    printing_ = false;
  }

  // Only one thread at a time gets here (printing_), so the progress state needs no lock.
  void emit(const Outcome& o) {
    if (!o.out.empty()) {
      progress_.before_stdout();
      std::fwrite(o.out.data(), 1, o.out.size(), stdout);
    }
    if (!o.err.empty()) {
      std::fflush(stdout);
      progress_.before_stderr();
      std::fputs(o.err.c_str(), stderr);
    }
    any_error_ = any_error_ || o.error;
    any_acted_ = any_acted_ || o.acted;
    progress_.count(o);
  }

  const Options& options_;
  std::shared_ptr<const Engine> engine_;
  Progress& progress_;
  const std::size_t max_in_flight_;

  std::mutex m_;
  std::condition_variable work_;
  std::condition_variable space_;
  std::deque<Job> queue_;
  bool closed_ = false;
  std::uint64_t submitted_ = 0;
  std::uint64_t printed_ = 0;
  std::map<std::uint64_t, Outcome> finished_;
  bool printing_ = false;
  bool any_error_ = false;  // written by the printing thread only; read after the joins
  bool any_acted_ = false;
  std::vector<std::thread> workers_;
};

std::shared_ptr<const Engine> load_engine(const Options& o) {
  policy::ConfigError err;
  std::shared_ptr<const Engine> engine = frontend::load_engine(o.config, o.av_db, err);
  if (!engine) say("ksmg scan: " + err.to_string() + '\n');
  return engine;
}

}  // namespace

int scan_command(std::span<const std::string_view> args) {
  const ParsedArgs parsed = parse_args(args);
  if (parsed.exit_code) return *parsed.exit_code;
  const Options& o = parsed.options;

  if (o.verbose) log::set_threshold(log::Level::info);
  const std::shared_ptr<const Engine> engine = load_engine(o);
  if (!engine) return 2;

  const unsigned threads =
      o.threads != 0 ? o.threads : std::max(1u, std::thread::hardware_concurrency());
  Progress progress(o.progress || ::isatty(STDERR_FILENO) == 1, ::isatty(STDOUT_FILENO) == 1);
  Pipeline pipeline(o, engine, threads, progress);

  frontend::for_each_input(o.files, [&](frontend::InputFile& f) {
    Job job;
    job.path = f.path;
    if (!f.readable) {
      job.error = f.error.empty() ? "cannot read" : f.error;
      pipeline.submit(std::move(job));
      return;
    }
    auto data = std::make_shared<const std::string>(std::move(f.data));
    if (o.force_file || !is_mail(*data)) {
      job.data = data;
      job.raw = *data;
      job.as_file = true;
      pipeline.submit(std::move(job));
      return;
    }
    const bool mbox = mbox::looks_like_mbox(*data);
    std::size_t index = 0;
    for (const std::string_view raw : frontend::messages_in(*data)) {
      Job m;
      m.path = f.path;
      m.data = data;
      m.raw = raw;
      if (mbox) m.index = index++;
      pipeline.submit(std::move(m));
    }
  });
  const int rc = pipeline.finish();
  progress.finish();
  return rc;
}

}  // namespace ksmg::cli

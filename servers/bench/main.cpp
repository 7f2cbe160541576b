// ksmg-bench — owns the corpus throughput tool: loads messages (files, directories, mbox) into
// memory, runs one pipeline stage over them repeatedly on N threads and prints one JSON object.
//
//   ksmg-bench --stage parse|objects|scan [--config FILE] [--av-db DIR] [--threads N]
//              [--seconds S] [--iterations N] PATH...
//
// Stage "parse": Message::parse + Message::decode of every leaf, i.e. what every scan pays before
// any module runs. Stage "objects": Message::parse + ObjectTree::of_message (decode, true type,
// SHA-256, unpacking of archives and compound objects), what the scanning modules start from.
// Stage "scan": the whole pipeline, Scanner::scan_message (object tree, every module built,
// policy, verdict, X-KSMG headers) with one Scanner per thread and one Engine compiled from
// --config (default: the built-in configuration) and --av-db (default: the configured ClamAV
// database), i.e. what a gateway pays per message.
// Loading is not timed. Threads share one atomic index over (pass, message), so a slow message
// never leaves the other threads idle and every thread sees the same mix.
#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

#include "engine_loader.hpp"
#include "inputs.hpp"
#include "ksmg/engine.hpp"
#include "ksmg/mime.hpp"
#include "ksmg/objects.hpp"
#include "options.hpp"

namespace {

constexpr std::string_view kUsage =
    "usage: ksmg-bench --stage parse|objects|scan [--config FILE] [--av-db DIR] [--threads N]\n"
    "                  [--seconds S] [--iterations N] PATH...\n"
    "\n"
    "  --stage parse    parse each message and transfer-decode every leaf part\n"
    "  --stage objects  parse each message and build its object tree (types, hashes, archives)\n"
    "  --stage scan     the whole scan of each message: object tree, modules, policy, verdict\n"
    "  --config FILE    configuration for --stage scan (default: the built-in one)\n"
    "  --av-db DIR      ClamAV database for --stage scan instead of the configured one\n"
    "  --threads N      worker threads (default 1)\n"
    "  --seconds S      minimum wall time; the corpus is repeated until reached (default 3;\n"
    "                   0 when only --iterations is given)\n"
    "  --iterations N   minimum number of passes over the corpus (default 1)\n"
    "  PATH...          message files, directories (recursive) and mbox files\n"
    "\n"
    "Prints one JSON object: messages, bytes, seconds, msgs_per_s, mb_per_s (MB = 10^6 bytes);\n"
    "decoded_bytes: bytes decoded (parse) or of all objects (objects); for scan, acted_on\n"
    "instead: the number of messages the policy acted on (verdict decided by a module).\n"
    "Bytes are message bytes: a leading mbox \"From \" line is not counted (an MTA strips it).\n";

struct Options {
  std::string stage = "parse";
  std::string config;  // --stage scan: "" = built-in configuration
  std::string av_db;   // --stage scan: "" = the configured database directory
  unsigned threads = 1;
  double seconds = 3.0;
  std::uint64_t iterations = 1;
  std::vector<std::string> paths;
};

struct Corpus {
  std::deque<std::string> files;  // owns the bytes; deque keeps element addresses stable
  std::vector<std::string_view> messages;
  std::vector<std::uint64_t> message_bytes;  // without the mbox "From " line
  std::uint64_t total_bytes = 0;
};

struct WorkerResult {
  std::uint64_t messages = 0;
  std::uint64_t bytes = 0;
  std::uint64_t decoded_bytes = 0;  // also keeps the decode from being optimised away
};

[[noreturn]] void usage_error(std::string_view why) {
  std::fprintf(stderr, "ksmg-bench: %.*s\n\n%.*s", static_cast<int>(why.size()), why.data(),
               static_cast<int>(kUsage.size()), kUsage.data());
  std::exit(2);
}

template <typename T>
bool parse_number(std::string_view s, T& out) {
  if (s.empty()) return false;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && ptr == s.data() + s.size();
}

Options parse_args(int argc, char** argv) {
  Options o;
  bool seconds_given = false;
  bool iterations_given = false;
  bool only_paths = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (only_paths || arg.empty() || arg[0] != '-' || arg == "-") {
      o.paths.emplace_back(arg);
      continue;
    }
    if (arg == "--") {
      only_paths = true;
      continue;
    }
    if (arg == "-h" || arg == "--help") {
      std::fwrite(kUsage.data(), 1, kUsage.size(), stdout);
      std::exit(0);
    }
    // Options with a value: "--opt value" or "--opt=value".
    auto [name, value, has_value] = ksmg::frontend::split_option(arg);
    if (name != "--stage" && name != "--threads" && name != "--seconds" && name != "--iterations" &&
        name != "--config" && name != "--av-db") {
      usage_error("unknown option " + std::string(arg));
    }
    if (!has_value) {
      if (i + 1 >= argc) usage_error(std::string(name) + " needs a value");
      value = argv[++i];
    }
    if (name == "--stage") {
      o.stage = value;
    } else if (name == "--config") {
      o.config = value;
    } else if (name == "--av-db") {
      o.av_db = value;
    } else if (name == "--threads") {
      if (!parse_number(value, o.threads) || o.threads == 0 || o.threads > 1024) {
        usage_error("--threads wants an integer from 1 to 1024");
      }
    } else if (name == "--seconds") {
      if (!parse_number(value, o.seconds) || !(o.seconds >= 0) || o.seconds > 1e6) {
        usage_error("--seconds wants a non-negative number");
      }
      seconds_given = true;
    } else {
      if (!parse_number(value, o.iterations) || o.iterations == 0) {
        usage_error("--iterations wants a positive integer");
      }
      iterations_given = true;
    }
  }
  if (o.stage != "parse" && o.stage != "objects" && o.stage != "scan")
    usage_error("unknown stage '" + o.stage + "' (known: parse, objects, scan)");
  if ((!o.config.empty() || !o.av_db.empty()) && o.stage != "scan")
    usage_error("--config and --av-db are for --stage scan");
  if (o.paths.empty()) usage_error("no input paths");
  // --iterations alone asks for exactly that many passes, not "that many and at least 3 s".
  if (iterations_given && !seconds_given) o.seconds = 0;
  return o;
}

// Bytes an MTA would hand over: everything after a leading mbox "From " line.
std::uint64_t message_bytes(std::string_view m) {
  if (m.starts_with("From ")) {
    const auto nl = m.find('\n');
    return nl == std::string_view::npos ? 0 : m.size() - (nl + 1);
  }
  return m.size();
}

bool load(const std::vector<std::string>& paths, Corpus& c) {
  bool all_readable = true;
  ksmg::frontend::for_each_input(paths, [&](ksmg::frontend::InputFile& f) {
    if (!f.readable) {
      std::fprintf(stderr, "ksmg-bench: %s: %s\n", f.path.c_str(), f.error.c_str());
      all_readable = false;
      return;
    }
    const std::string& data = c.files.emplace_back(std::move(f.data));
    for (std::string_view m : ksmg::frontend::messages_in(data)) {
      const std::uint64_t n = message_bytes(m);
      c.messages.push_back(m);
      c.message_bytes.push_back(n);
      c.total_bytes += n;
    }
  });
  return all_readable;
}

// The "parse" stage on one message. Returns the decoded byte count so the work is observable.
std::uint64_t parse_stage(std::string_view raw) {
  const ksmg::mime::Message msg = ksmg::mime::Message::parse(raw);
  std::uint64_t decoded = 0;
  for (const ksmg::mime::Part& part : msg.parts()) {
    if (part.is_leaf()) decoded += msg.decode(part).data.size();
  }
  return decoded;
}

// The "objects" stage on one message. Returns the bytes of all objects (decoded leaves and
// unpacked members).
std::uint64_t objects_stage(std::string_view raw) {
  const ksmg::mime::Message msg = ksmg::mime::Message::parse(raw);
  const ksmg::objects::ObjectTree tree = ksmg::objects::ObjectTree::of_message(msg);
  std::uint64_t bytes = 0;
  for (const ksmg::objects::Object& o : tree.objects()) bytes += o.size();
  return bytes;
}

// The engine of the "scan" stage, compiled before the clock starts.
const ksmg::Engine* g_engine = nullptr;

// The "scan" stage on one message: what a gateway does with it. Returns 1 when the policy acted
// on it (so the verdict is observable), else 0.
std::uint64_t scan_stage(std::string_view raw) {
  thread_local ksmg::Scanner scanner;  // one per worker thread, kept across messages
  const ksmg::ScanReport r = scanner.scan_message(*g_engine, raw);
  return r.verdict.decided_by ? 1 : 0;
}

struct Shared {
  const Corpus* corpus = nullptr;
  std::uint64_t (*stage)(std::string_view) = parse_stage;
  std::uint64_t min_passes = 1;
  std::chrono::steady_clock::time_point deadline;
  std::atomic<std::uint64_t> next{0};
  // Work index at which everybody stops. Only decided at a pass boundary, so the measured mix is
  // whole passes over the corpus (up to the few messages other threads had already taken).
  std::atomic<std::uint64_t> stop_at{std::numeric_limits<std::uint64_t>::max()};
};

void worker(Shared& s, WorkerResult& r) {
  const std::uint64_t n = s.corpus->messages.size();
  for (;;) {
    const std::uint64_t idx = s.next.fetch_add(1, std::memory_order_relaxed);
    if (idx >= s.stop_at.load(std::memory_order_relaxed)) return;
    const std::uint64_t pass = idx / n;
    const std::uint64_t i = idx % n;
    if (i == 0 && pass >= s.min_passes && std::chrono::steady_clock::now() >= s.deadline) {
      s.stop_at.store(idx, std::memory_order_relaxed);
      return;
    }
    r.decoded_bytes += s.stage(s.corpus->messages[i]);
    r.bytes += s.corpus->message_bytes[i];
    ++r.messages;
  }
}

}  // namespace

int main(int argc, char** argv) {
  const Options opt = parse_args(argc, argv);

  Corpus corpus;
  const bool all_readable = load(opt.paths, corpus);
  if (corpus.messages.empty()) {
    std::fprintf(stderr, "ksmg-bench: no messages found in the given paths\n");
    return 1;
  }

  std::shared_ptr<const ksmg::Engine> engine;
  if (opt.stage == "scan") {
    ksmg::policy::ConfigError err;
    engine = ksmg::frontend::load_engine(opt.config, opt.av_db, err);
    if (!engine) {
      std::fprintf(stderr, "ksmg-bench: %s\n", err.to_string().c_str());
      return 2;
    }
    g_engine = engine.get();
  }

  Shared shared;
  shared.corpus = &corpus;
  shared.min_passes = opt.iterations;
  if (opt.stage == "objects") shared.stage = objects_stage;
  if (opt.stage == "scan") shared.stage = scan_stage;
  std::vector<WorkerResult> results(opt.threads);
  std::vector<std::thread> threads;
  threads.reserve(opt.threads);

  const auto start = std::chrono::steady_clock::now();
  shared.deadline = start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                std::chrono::duration<double>(opt.seconds));
  for (unsigned t = 0; t < opt.threads; ++t) {
    threads.emplace_back(worker, std::ref(shared), std::ref(results[t]));
  }
  for (std::thread& t : threads) t.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  WorkerResult total;
  for (const WorkerResult& r : results) {
    total.messages += r.messages;
    total.bytes += r.bytes;
    total.decoded_bytes += r.decoded_bytes;
  }
  const double secs = seconds > 0 ? seconds : 1e-9;
  std::printf(
      "{\"stage\":\"%s\",\"threads\":%u,\"corpus_messages\":%zu,\"corpus_bytes\":%llu,"
      "\"passes\":%.2f,\"messages\":%llu,\"bytes\":%llu,\"%s\":%llu,"
      "\"seconds\":%.3f,\"msgs_per_s\":%.1f,\"mb_per_s\":%.2f}\n",
      opt.stage.c_str(), opt.threads, corpus.messages.size(),
      static_cast<unsigned long long>(corpus.total_bytes),
      static_cast<double>(total.messages) / static_cast<double>(corpus.messages.size()),
      static_cast<unsigned long long>(total.messages), static_cast<unsigned long long>(total.bytes),
      opt.stage == "scan" ? "acted_on" : "decoded_bytes",
      static_cast<unsigned long long>(total.decoded_bytes), seconds,
      static_cast<double>(total.messages) / secs, static_cast<double>(total.bytes) / secs / 1e6);
  // Unreadable inputs were reported on stderr; the numbers above are still valid for the rest.
  return all_readable ? 0 : 1;
}

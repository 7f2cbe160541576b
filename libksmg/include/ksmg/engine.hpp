// ksmg/engine.hpp — one call to scan a message: the Engine (everything compiled from a
// configuration), the per-thread Scanner, and the EngineHolder that reloads without stopping.
//
//   ksmg::policy::ConfigError err;
//   auto engine = ksmg::Engine::load("/etc/ksmg/ksmg.toml", err);   // null: err says where
//   ksmg::Scanner scanner;                                          // one per thread
//   ksmg::ScanReport r = scanner.scan_message(*engine, raw_bytes, {.sender = "a@example.org"});
//   r.verdict.action, r.verdict.reason, r.headers ...
//
// An Engine is immutable and shared by every thread as std::shared_ptr<const Engine>. A reload
// compiles a new one off the hot path and swaps it in (EngineHolder); scans in flight finish on
// the engine they started with, and a configuration that does not compile never replaces the
// working one. Modules arrive issue by issue: a module that is not built yet reports nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ksmg/config_error.hpp"
#include "ksmg/defects.hpp"
#include "ksmg/flags.hpp"
#include "ksmg/limits.hpp"
#include "ksmg/verdict.hpp"

// What an engine is built from and holds: callers that scan need not see them. Including
// ksmg/policy.hpp (the configuration), ksmg/antivirus.hpp or ksmg/content_filter.hpp shows them.
namespace ksmg::av {
class Database;
}
namespace ksmg::match {
class ContentFilter;
}
namespace ksmg::policy {
struct Config;
}

namespace ksmg {

// What the front-end knows about a message beyond its bytes.
struct Envelope {
  std::string sender;  // MAIL FROM address; "" lets the From header stand for it
  std::vector<std::string> recipients;
  std::string client_address;
  std::string helo;  // the name the client gave in HELO/EHLO ("" when unknown)
};

class Engine {
 public:
  // Loads the anti-virus database and the dictionaries the configuration names and compiles
  // every rule. Null with err set (file, line and key of the configuration or dictionary at
  // fault) when anything fails. With `previous`, what it loaded that the new configuration
  // would load unchanged (the anti-virus database, unless its files changed) is shared.
  [[nodiscard]] static std::shared_ptr<const Engine> compile(policy::Config config,
                                                             policy::ConfigError& err,
                                                             const Engine* previous = nullptr);
  // load_config() then compile(). caller_sections: the sections of the file the caller reads
  // itself (policy::CallerSections), e.g. {"relay", "milter"} for the file ksmg-relay and
  // ksmg-milter read; any other section the library does not know is an error.
  [[nodiscard]] static std::shared_ptr<const Engine> load(
      const std::string& config_path, policy::ConfigError& err,
      std::span<const std::string_view> caller_sections = {});
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  [[nodiscard]] const policy::Config& config() const noexcept;
  [[nodiscard]] const match::ContentFilter& content_filter() const noexcept;
  // Null when [modules] antivirus is off.
  [[nodiscard]] const av::Database* antivirus() const noexcept;
  // This engine with another anti-virus database (a new generation; the rest is shared).
  [[nodiscard]] std::shared_ptr<const Engine> with_antivirus(
      std::shared_ptr<const av::Database> database) const;
  // Increases with every engine compiled in this process (logs, X-KSMG headers, tests).
  [[nodiscard]] std::uint64_t generation() const noexcept;
  // True when the sender's domain (or a parent domain of it) is none of [organization] domains.
  [[nodiscard]] bool from_outside(std::string_view sender_address) const;

  struct Compiled;  // internal

 private:
  explicit Engine(std::unique_ptr<Compiled> c);
  std::unique_ptr<Compiled> c_;
};

struct ScanReport {
  verdict::Verdict verdict;
  // The X-KSMG-* fields to add to the message (verdict::x_headers()).
  std::vector<std::pair<std::string, std::string>> headers;
  bool scanned_as_message = true;  // false: the input was scanned as one attachment
  std::size_t objects = 0;         // objects in the message's tree
  objects::FlagSet flags;          // union over the objects
  LimitSet limits;                 // limits crossed anywhere in the message
  DefectSet defects;  // what is malformed in the message: its MIME structure and encodings
  std::uint64_t engine_generation = 0;
};

// Per-thread scanning state; cheap to keep, not to be shared between threads at once. It works
// with any engine, so a thread keeps its Scanner across reloads.
class Scanner {
 public:
  Scanner();
  ~Scanner();
  Scanner(Scanner&&) noexcept;
  Scanner& operator=(Scanner&&) noexcept;
  Scanner(const Scanner&) = delete;
  Scanner& operator=(const Scanner&) = delete;

  // A mail message (RFC 5322 bytes; an mbox "From " line first is skipped).
  [[nodiscard]] ScanReport scan_message(const Engine& engine, std::string_view raw,
                                        const Envelope& envelope = {});
  // A file that is not a mail message, scanned as one attachment called `name`.
  [[nodiscard]] ScanReport scan_file(const Engine& engine, std::string_view name,
                                     std::string_view bytes);

 private:
  struct State;
  std::unique_ptr<State> s_;
};

// The engine in service, swapped atomically on reload.
class EngineHolder {
 public:
  explicit EngineHolder(std::shared_ptr<const Engine> engine);
  ~EngineHolder();
  // Watchers hold on to it (DatabaseWatcher): it stays where it was made.
  EngineHolder(const EngineHolder&) = delete;
  EngineHolder& operator=(const EngineHolder&) = delete;

  [[nodiscard]] std::shared_ptr<const Engine> get() const noexcept;
  // Compiles the configuration at `config_path`; on success the new engine replaces the old one
  // and true is returned. On failure the engine in service stays and err says why.
  bool reload(const std::string& config_path, policy::ConfigError& err,
              std::span<const std::string_view> caller_sections = {});
  // The same with a configuration already read (a front-end that applied its overrides).
  bool reload(policy::Config config, policy::ConfigError& err);
  // Loads the anti-virus database again (new signatures); on success the engine in service is
  // replaced by one with the new database. On failure it stays and `error` says why. False
  // with an empty error when the anti-virus module is off.
  bool reload_antivirus(std::string& error);
  void replace(std::shared_ptr<const Engine> engine);

 private:
  struct State;
  std::unique_ptr<State> s_;
};

// Watches the anti-virus database directory of the engine in service (every
// [antivirus] reload_check_seconds) and reloads the database when its files change. A set of
// files that fails to load is not tried again until it changes again; the old database stays.
class DatabaseWatcher {
 public:
  explicit DatabaseWatcher(EngineHolder& holder);
  ~DatabaseWatcher();  // stops the watching thread
  DatabaseWatcher(const DatabaseWatcher&) = delete;
  DatabaseWatcher& operator=(const DatabaseWatcher&) = delete;

  // Looks now (also what the thread does on each tick); true when a new database went in.
  bool check_now();

 private:
  struct State;
  std::unique_ptr<State> s_;
};

}  // namespace ksmg

// engine.cpp — owns the Engine (the configuration compiled: dictionaries loaded, content filter
// built), the per-thread Scanner that runs one message through parse, object tree, the modules
// and the verdict, and the EngineHolder that swaps engines on reload.
#include "ksmg/engine.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/ascii.hpp"
#include "ksmg/antivirus.hpp"
#include "ksmg/content_filter.hpp"
#include "ksmg/log.hpp"
#include "ksmg/mime.hpp"
#include "ksmg/objects.hpp"
#include "ksmg/policy.hpp"

namespace ksmg {

namespace {

std::uint64_t next_generation() {
  static std::atomic<std::uint64_t> generation{0};
  return generation.fetch_add(1, std::memory_order_relaxed) + 1;
}

// The domain of an address: after the last '@', lower case, without a trailing dot and the
// angle brackets or whitespace an SMTP front-end may pass on.
std::string domain_of(std::string_view address) {
  while (!address.empty() && (address.back() == '>' || core::is_lwsp(address.back())))
    address.remove_suffix(1);
  const std::size_t at = address.rfind('@');
  if (at == std::string_view::npos) return {};
  std::string d = core::to_lower(address.substr(at + 1));
  while (!d.empty() && d.back() == '.') d.pop_back();
  return d;
}

}  // namespace

struct Engine::Compiled {
  policy::Config config;
  std::shared_ptr<const av::Database> antivirus;  // null when the module is off
  std::shared_ptr<const match::ContentFilter> content_filter;
  std::uint64_t generation = next_generation();
};

Engine::Engine(std::unique_ptr<Compiled> c) : c_(std::move(c)) {}
Engine::~Engine() = default;

const policy::Config& Engine::config() const noexcept { return c_->config; }
const match::ContentFilter& Engine::content_filter() const noexcept { return *c_->content_filter; }
const av::Database* Engine::antivirus() const noexcept { return c_->antivirus.get(); }

std::shared_ptr<const Engine> Engine::with_antivirus(
    std::shared_ptr<const av::Database> database) const {
  auto c = std::make_unique<Compiled>();
  c->config = c_->config;
  c->antivirus = std::move(database);
  c->content_filter = c_->content_filter;
  return std::shared_ptr<const Engine>(new Engine(std::move(c)));
}
std::uint64_t Engine::generation() const noexcept { return c_->generation; }

bool Engine::from_outside(std::string_view sender_address) const {
  const std::string domain = domain_of(sender_address);
  if (domain.empty()) return true;  // the null sender (bounces) and garbage are not ours
  for (const std::string& own : c_->config.organization_domains) {
    if (domain == own) return false;
    if (domain.size() > own.size() && domain.ends_with(own) &&
        domain[domain.size() - own.size() - 1] == '.')
      return false;
  }
  return true;
}

std::shared_ptr<const Engine> Engine::compile(policy::Config config, policy::ConfigError& err,
                                              const Engine* previous) {
  auto c = std::make_unique<Compiled>();
  match::FilterRules rules;
  for (std::size_t i = 0; i < config.dictionaries.size(); ++i) {
    const policy::DictionaryRef& ref = config.dictionaries[i];
    match::FilterDictionary fd;
    fd.places = ref.places;
    match::Error e;
    if (!match::load_dictionary(ref.file, ref.name, fd.dictionary, e)) {
      // A file that cannot be read is the configuration's fault: point at its entry there.
      if (e.line == 0)
        err = policy::ConfigError{config.file, ref.line, 0,
                                  "dictionary[" + std::to_string(i) + "].file", e.to_string()};
      else
        err = policy::ConfigError{e.file, e.line, 0, "dictionary '" + ref.name + "'", e.message};
      return nullptr;
    }
    rules.dictionaries.push_back(std::move(fd));
  }
  rules.expressions = config.expressions;
  rules.conditions = config.conditions;
  rules.triggered = config.actions.get(verdict::Module::content_filter, verdict::Status::triggered);
  match::CompileOptions options;
  options.cache_dir = config.cache_dir;
  match::RulesError e;
  c->content_filter = match::ContentFilter::compile(std::move(rules), config.file, options, e);
  if (c->content_filter == nullptr) {
    err = policy::ConfigError{e.file, e.line, e.column, e.rule, e.message};
    return nullptr;
  }
  // The database last: it takes longest to load, and a mistake in the rules is found first.
  if (config.modules.antivirus) {
    const av::Database* old = previous != nullptr ? previous->antivirus() : nullptr;
    if (old != nullptr && old->same_as(config.antivirus, config.limits)) {
      c->antivirus = previous->c_->antivirus;
    } else {
      std::string error;
      c->antivirus = av::Database::load(config.antivirus, config.limits, error);
      if (c->antivirus == nullptr) {
        err = policy::ConfigError{config.file, 0, 0, "antivirus.database_dir", error};
        return nullptr;
      }
    }
  }
  c->config = std::move(config);
  return std::shared_ptr<const Engine>(new Engine(std::move(c)));
}

std::shared_ptr<const Engine> Engine::load(const std::string& config_path, policy::ConfigError& err,
                                           policy::CallerSections caller_sections) {
  policy::Config config;
  if (!policy::load_config(config_path, config, err, caller_sections)) return nullptr;
  return compile(std::move(config), err);
}

struct Scanner::State {
  match::ContentScratch content;
};

Scanner::Scanner() : s_(std::make_unique<State>()) {}
Scanner::~Scanner() = default;
Scanner::Scanner(Scanner&&) noexcept = default;
Scanner& Scanner::operator=(Scanner&&) noexcept = default;

namespace {

// The modules that run, in order, then the verdict and its headers. A module switched off in
// the configuration does not run and reports nothing: its "not scanned" would otherwise draw
// that status's action (a warning on every message) for what the administrator chose.
ScanReport finish(const Engine& engine, const mime::Message* message,
                  const objects::ObjectTree& tree, const match::MessageContext& context,
                  match::ContentScratch& content) {
  const policy::Config& cfg = engine.config();
  std::vector<verdict::ModuleResult> results;
  LimitSet av_limits;
  if (const av::Database* av = engine.antivirus(); av != nullptr) {
    av::Result a = av->scan(tree);
    av_limits = a.module.limits;
    results.push_back(std::move(a.module));
  }
  if (cfg.modules.content_filter)
    results.push_back(engine.content_filter().scan(message, tree, context, cfg.limits, content));
  ScanReport r;
  r.verdict = verdict::aggregate(std::move(results), cfg.actions);
  r.headers = verdict::x_headers(r.verdict);
  r.objects = tree.objects().size();
  r.flags = tree.all_flags();
  r.limits = tree.all_limits();
  r.limits.add(av_limits);
  r.engine_generation = engine.generation();
  if (message != nullptr) r.defects = message->all_defects();
  r.defects.add(tree.decode_defects());
  return r;
}

}  // namespace

ScanReport Scanner::scan_message(const Engine& engine, std::string_view raw,
                                 const Envelope& envelope) {
  const mime::Message message = mime::Message::parse(raw, engine.config().limits);
  const objects::ObjectTree tree = objects::ObjectTree::of_message(message);
  match::MessageContext context;
  if (!envelope.sender.empty()) {
    context.from_outside = engine.from_outside(envelope.sender);
  } else {
    // Every mailbox of every From field must be inside: a forged message does not become
    // inside by adding an inside address to an outside one.
    const std::vector<mime::Address> from = message.addresses("From");
    context.from_outside =
        from.empty() || std::any_of(from.begin(), from.end(), [&](const mime::Address& a) {
          return engine.from_outside(a.address);
        });
  }
  return finish(engine, &message, tree, context, s_->content);
}

ScanReport Scanner::scan_file(const Engine& engine, std::string_view name, std::string_view bytes) {
  const objects::ObjectTree tree =
      objects::ObjectTree::of_file(name, bytes, engine.config().limits);
  ScanReport r = finish(engine, nullptr, tree, match::MessageContext{}, s_->content);
  r.scanned_as_message = false;
  return r;
}

struct EngineHolder::State {
  explicit State(std::shared_ptr<const Engine> in_service) : engine(std::move(in_service)) {}
  std::atomic<std::shared_ptr<const Engine>> engine;
  std::mutex reload_mutex;  // one reload at a time, so that none undoes another
};

EngineHolder::EngineHolder(std::shared_ptr<const Engine> engine)
    : s_(std::make_unique<State>(std::move(engine))) {}
EngineHolder::~EngineHolder() = default;

std::shared_ptr<const Engine> EngineHolder::get() const noexcept {
  return s_->engine.load(std::memory_order_acquire);
}

bool EngineHolder::reload(const std::string& config_path, policy::ConfigError& err,
                          policy::CallerSections caller_sections) {
  policy::Config config;
  return policy::load_config(config_path, config, err, caller_sections) &&
         reload(std::move(config), err);
}

bool EngineHolder::reload(policy::Config config, policy::ConfigError& err) {
  const std::lock_guard lock(s_->reload_mutex);
  std::shared_ptr<const Engine> fresh = Engine::compile(std::move(config), err, get().get());
  if (fresh == nullptr) return false;
  s_->engine.store(std::move(fresh), std::memory_order_release);
  return true;
}

bool EngineHolder::reload_antivirus(std::string& error) {
  const std::lock_guard lock(s_->reload_mutex);
  const std::shared_ptr<const Engine> current = get();
  error.clear();
  if (current->antivirus() == nullptr) return false;
  const policy::Config& cfg = current->config();
  std::shared_ptr<const av::Database> db = av::Database::load(cfg.antivirus, cfg.limits, error);
  if (db == nullptr) return false;
  s_->engine.store(current->with_antivirus(std::move(db)), std::memory_order_release);
  return true;
}

void EngineHolder::replace(std::shared_ptr<const Engine> engine) {
  const std::lock_guard lock(s_->reload_mutex);
  s_->engine.store(std::move(engine), std::memory_order_release);
}

struct DatabaseWatcher::State {
  explicit State(EngineHolder& watched) : holder(watched) {}

  bool check_now();
  void run();

  EngineHolder& holder;
  std::mutex mutex;
  std::condition_variable wake;
  bool stop = false;
  std::string failed;  // database_fingerprint() of the last set of files that failed to load
  std::thread thread;  // runs run(); started once the rest of the State is built
};

DatabaseWatcher::DatabaseWatcher(EngineHolder& holder) : s_(std::make_unique<State>(holder)) {
  s_->thread = std::thread([state = s_.get()] { state->run(); });
}

DatabaseWatcher::~DatabaseWatcher() {
  {
    const std::lock_guard lock(s_->mutex);
    s_->stop = true;
  }
  s_->wake.notify_all();
  s_->thread.join();
}

bool DatabaseWatcher::check_now() { return s_->check_now(); }

bool DatabaseWatcher::State::check_now() {
  const std::shared_ptr<const Engine> engine = holder.get();
  const av::Database* db = engine->antivirus();
  if (db == nullptr) return false;
  // One look at the directory: compared with what is loaded, then with what failed last.
  const std::string now = av::database_fingerprint(db->settings().database_dir);
  if (now == db->fingerprint()) return false;
  {
    const std::lock_guard lock(mutex);
    if (now == failed) return false;
  }
  std::string error;
  if (holder.reload_antivirus(error)) {
    log::write(log::Level::info, "av",
               "new database: " + holder.get()->antivirus()->info().describe());
    return true;
  }
  if (!error.empty()) {
    log::write(log::Level::error, "av",
               "new database files do not load, keeping the old: " + error);
    const std::lock_guard lock(mutex);
    failed = now;
  }
  return false;
}

void DatabaseWatcher::State::run() {
  std::unique_lock lock(mutex);
  while (!stop) {
    const std::uint32_t seconds = [this] {
      // Held only while its settings are read (a reload may swap it meanwhile), not during the
      // wait, which would keep a replaced database in memory.
      const std::shared_ptr<const Engine> engine = holder.get();
      const av::Database* db = engine->antivirus();
      return db != nullptr ? db->settings().reload_check_seconds : 0u;
    }();
    if (seconds == 0)
      wake.wait_for(lock, std::chrono::seconds(1));  // the engine may change; look again
    else
      wake.wait_for(lock, std::chrono::seconds(seconds));
    if (stop) break;
    if (seconds == 0) continue;
    lock.unlock();
    check_now();
    lock.lock();
  }
}

}  // namespace ksmg

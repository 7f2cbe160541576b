// main.cpp — ksmg-relay: the standalone SMTP gateway. Reads the configuration (the library's
// sections and [relay]), applies the command line's overrides, starts the scanning threads and
// the listeners, and runs until SIGTERM/SIGINT (graceful stop); SIGHUP reloads the
// configuration, dictionaries and signatures without dropping a session.
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "engine_loader.hpp"
#include "ksmg/engine.hpp"
#include "ksmg/log.hpp"
#include "options.hpp"
#include "relay_config.hpp"
#include "scan_pool.hpp"
#include "server.hpp"
#include "session.hpp"
#include "signals.hpp"

namespace {

using namespace ksmg;
using namespace ksmg::relay;

constexpr const char* kUsage =
    "usage: ksmg-relay [--config FILE] [--listen ADDR:PORT]... [--next-hop HOST:PORT|maildir:DIR]\n"
    "                  [--av-db DIR] [--data-dir DIR] [--hostname NAME] [--verbose] [--check]\n"
    "\n"
    "Without --config the built-in configuration is used: listen on 127.0.0.1:2525, trust\n"
    "loopback clients, deliver every message into DATA_DIR/maildir. --next-hop sends every\n"
    "message there (the transport map is ignored); --check validates and exits.\n"
    "Signals: SIGHUP reloads, SIGTERM/SIGINT stop gracefully.\n";

struct Options {
  std::string config;
  std::vector<std::string> listen;
  std::string next_hop;
  std::string av_db;
  std::string data_dir;
  std::string hostname;
  bool verbose = false;
  bool check = false;
};

std::optional<Options> parse_options(int argc, char** argv) {
  Options o;
  frontend::OptionTable table;
  table.value("--config", o.config)
      .values("--listen", o.listen)
      .value("--next-hop", o.next_hop)
      .value("--av-db", o.av_db)
      .value("--data-dir", o.data_dir)
      .value("--hostname", o.hostname)
      .flag("--verbose", o.verbose)
      .flag("--check", o.check);
  std::string bad;
  if (!table.parse(argc, argv, bad)) {
    std::cerr << "ksmg-relay: bad argument " << bad << "\n" << kUsage;
    return std::nullopt;
  }
  return o;
}

// The [relay] settings from the file (or built in), with the command line's overrides.
bool read_settings(const Options& o, RelaySettings& out, std::string& error) {
  policy::ConfigError err;
  if (!o.config.empty() && !load_relay_settings(o.config, out, err)) {
    error = err.to_string();
    return false;
  }
  if (!o.listen.empty()) {
    out.listen.clear();
    for (const std::string& l : o.listen) {
      const auto a = parse_listen_address(l);
      if (!a) {
        error = "--listen " + l + ": expected ADDR:PORT such as 127.0.0.1:2525 or [::1]:2525";
        return false;
      }
      out.listen.push_back(*a);
    }
  }
  if (!o.next_hop.empty()) {
    const auto route = Route::parse(o.next_hop);
    if (!route) {
      error = "--next-hop " + o.next_hop + ": expected HOST:PORT or maildir:DIR";
      return false;
    }
    out.routing.transport.clear();
    out.routing.default_route = *route;
  }
  if (!o.data_dir.empty()) out.data_dir = o.data_dir;
  if (!o.hostname.empty()) out.hostname = o.hostname;
  complete_settings(out);
  return true;
}

std::shared_ptr<const Snapshot> load_snapshot(const Options& o, std::string& error) {
  RelaySettings settings;
  if (!read_settings(o, settings, error)) return nullptr;
  return make_snapshot(std::move(settings), error);
}

}  // namespace

int main(int argc, char** argv) {
  const std::optional<Options> options = parse_options(argc, argv);
  if (!options) return 2;
  const Options& o = *options;
  log::set_threshold(o.verbose ? log::Level::debug : log::Level::info);

  policy::ConfigError err;
  std::shared_ptr<const Engine> engine = frontend::load_engine(o.config, o.av_db, err);
  if (!engine) {
    std::cerr << "ksmg-relay: " << err.to_string() << "\n";
    return 2;
  }
  std::string error;
  std::shared_ptr<const Snapshot> snapshot = load_snapshot(o, error);
  if (!snapshot) {
    std::cerr << "ksmg-relay: " << error << "\n";
    return 2;
  }
  if (o.check) {
    std::cout << "ksmg-relay: configuration ok\n";
    return 0;
  }

  EngineHolder engines(std::move(engine));
  DatabaseWatcher watcher(engines);
  frontend::ScanPool scanner(snapshot->settings.scan_threads);
  asio::io_context io(1);
  Server server(io, engines, scanner, snapshot);
  if (!server.listen(error)) {
    std::cerr << "ksmg-relay: " << error << "\n";
    return 2;
  }
  server.start();
  log::write(log::Level::info, "relay",
             "ready: " + std::to_string(scanner.threads()) + " scanning threads, engine " +
                 std::to_string(engines.get()->generation()));

  frontend::run_until_stopped(
      io, [&] { server.stop(); },
      [&] {
        frontend::reload_engine_logged(engines, o.config, o.av_db, "relay");
        std::string reload_error;
        if (auto fresh = load_snapshot(o, reload_error))
          server.replace_snapshot(std::move(fresh));
        else
          log::write(log::Level::error, "relay",
                     "reload of [relay] failed, the settings in service stay: " + reload_error);
      });
  log::write(log::Level::info, "relay", "stopped");
  return 0;
}

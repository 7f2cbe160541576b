// main.cpp — ksmg-milter: libksmg inside Postfix or Sendmail over the milter protocol. Reads the
// configuration (the library's sections and [milter]), applies the command line's overrides,
// starts the scanning threads and the listeners, and runs until SIGTERM/SIGINT (graceful stop);
// SIGHUP reloads the configuration, dictionaries and signatures without dropping a connection.
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "engine_loader.hpp"
#include "ksmg/engine.hpp"
#include "ksmg/log.hpp"
#include "milter_config.hpp"
#include "milter_server.hpp"
#include "options.hpp"
#include "scan_pool.hpp"
#include "signals.hpp"

namespace {

using namespace ksmg;
using namespace ksmg::milter;

constexpr const char* kUsage =
    "usage: ksmg-milter [--config FILE] [--listen SOCKET]... [--av-db DIR] [--data-dir DIR]\n"
    "                   [--verbose] [--check]\n"
    "\n"
    "SOCKET: inet:PORT@ADDRESS, inet6:PORT@ADDRESS or unix:/path (default inet:8895@127.0.0.1).\n"
    "Postfix: smtpd_milters = inet:127.0.0.1:8895 and milter_protocol = 6 (README.md).\n"
    "--check validates the configuration and exits.\n"
    "Signals: SIGHUP reloads, SIGTERM/SIGINT stop gracefully.\n";

struct Options {
  std::string config;
  std::vector<std::string> listen;
  std::string av_db;
  std::string data_dir;
  bool verbose = false;
  bool check = false;
};

std::optional<Options> parse_options(int argc, char** argv) {
  Options o;
  frontend::OptionTable table;
  table.value("--config", o.config)
      .values("--listen", o.listen)
      .value("--av-db", o.av_db)
      .value("--data-dir", o.data_dir)
      .flag("--verbose", o.verbose)
      .flag("--check", o.check);
  std::string bad;
  if (!table.parse(argc, argv, bad)) {
    std::cerr << "ksmg-milter: bad argument " << bad << "\n" << kUsage;
    return std::nullopt;
  }
  return o;
}

// The [milter] settings from the file (or built in), with the command line's overrides.
std::shared_ptr<const MilterSettings> load_settings(const Options& o, std::string& error) {
  auto settings = std::make_shared<MilterSettings>();
  policy::ConfigError err;
  if (!o.config.empty() && !load_milter_settings(o.config, *settings, err)) {
    error = err.to_string();
    return nullptr;
  }
  if (!o.listen.empty()) {
    settings->listen.clear();
    for (const std::string& l : o.listen) {
      const auto spec = parse_socket_spec(l);
      if (!spec) {
        error = "--listen " + l + ": expected inet:PORT@ADDRESS, inet6:PORT@ADDRESS or unix:/path";
        return nullptr;
      }
      settings->listen.push_back(*spec);
    }
  }
  if (!o.data_dir.empty()) settings->data_dir = o.data_dir;
  complete_settings(*settings);
  return settings;
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
    std::cerr << "ksmg-milter: " << err.to_string() << "\n";
    return 2;
  }
  std::string error;
  std::shared_ptr<const MilterSettings> settings = load_settings(o, error);
  if (!settings) {
    std::cerr << "ksmg-milter: " << error << "\n";
    return 2;
  }
  if (o.check) {
    std::cout << "ksmg-milter: configuration ok\n";
    return 0;
  }

  EngineHolder engines(std::move(engine));
  DatabaseWatcher watcher(engines);
  frontend::ScanPool scanner(settings->scan_threads);
  asio::io_context io(1);
  MilterServer server(io, engines, scanner, settings);
  if (!server.listen(error)) {
    std::cerr << "ksmg-milter: " << error << "\n";
    return 2;
  }
  server.start();
  log::write(log::Level::info, "milter",
             "ready: " + std::to_string(scanner.threads()) + " scanning threads, engine " +
                 std::to_string(engines.get()->generation()));

  frontend::run_until_stopped(
      io, [&] { server.stop(); },
      [&] {
        frontend::reload_engine_logged(engines, o.config, o.av_db, "milter");
        std::string reload_error;
        if (auto fresh = load_settings(o, reload_error))
          server.replace_settings(std::move(fresh));
        else
          log::write(log::Level::error, "milter",
                     "reload of [milter] failed, the settings in service stay: " + reload_error);
      });
  log::write(log::Level::info, "milter", "stopped");
  return 0;
}

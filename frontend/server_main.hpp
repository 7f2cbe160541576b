// server_main.hpp — a server program's life (ksmg-relay, ksmg-milter) from its command line to
// its exit: the engine and the program's settings loaded (--check stops there), the database
// watcher, the scanning threads and the listeners started, "ready"; then each SIGHUP reloads the
// engine and then the settings (a failure of either keeps what is in service), SIGTERM/SIGINT
// stop gracefully, and "stopped" is the last word.
#pragma once

#include <concepts>
#include <cstddef>
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine_loader.hpp"
#include "ksmg/engine.hpp"
#include "ksmg/log.hpp"
#include "options.hpp"
#include "scan_pool.hpp"
#include "signals.hpp"

namespace ksmg::frontend {

// The options every server takes; a program adds its own to table()'s.
struct ServerOptions {
  std::string config;
  std::vector<std::string> listen;
  std::string av_db;
  std::string data_dir;
  bool verbose = false;
  bool check = false;

  [[nodiscard]] OptionTable table() {
    OptionTable t;
    t.value("--config", config)
        .values("--listen", listen)
        .value("--av-db", av_db)
        .value("--data-dir", data_dir)
        .flag("--verbose", verbose)
        .flag("--check", check);
    return t;
  }
};

// False after "ksmg-NAME: bad argument ARG" and the usage on stderr.
[[nodiscard]] inline bool parse_command_line(const OptionTable& table, int argc, char** argv,
                                             std::string_view name, std::string_view usage) {
  std::string bad;
  if (table.parse(argc, argv, bad)) return true;
  std::cerr << "ksmg-" << name << ": bad argument " << bad << "\n" << usage;
  return false;
}

// What run_server() needs of a server class: how many scanning threads its settings ask for, a
// constructor over the engine, the scanning threads and the settings, and listen() that binds
// (false with an error); Settings, start(), stop() and replace_settings() come with
// server_skeleton.hpp.
template <typename S>
concept FrontendServer = requires(S server, asio::io_context& io, EngineHolder& engines,
                                  ScanPool& scanner,
                                  std::shared_ptr<const typename S::Settings> settings,
                                  std::string& error) {
  { S::scan_threads(*settings) } -> std::convertible_to<std::size_t>;
  S(io, engines, scanner, settings);
  { server.listen(error) } -> std::same_as<bool>;
  server.start();
  server.stop();
  server.replace_settings(settings);
};

template <FrontendServer S>
using LoadSettings = std::function<std::shared_ptr<const typename S::Settings>(std::string& error)>;

// The program ksmg-NAME (NAME is also its log component and its configuration section [NAME])
// after its command line: load_settings reads its settings, at start and at each SIGHUP.
// Returns the exit status: 0 after a graceful stop or a passed --check, 2 when the configuration
// or a listen address is refused.
template <FrontendServer S>
int run_server(std::string_view name, const ServerOptions& options,
               const LoadSettings<S>& load_settings) {
  const std::string program = "ksmg-" + std::string(name);
  log::set_threshold(options.verbose ? log::Level::debug : log::Level::info);

  policy::ConfigError err;
  std::shared_ptr<const Engine> engine = load_engine(options.config, options.av_db, err);
  if (!engine) {
    std::cerr << program << ": " << err.to_string() << "\n";
    return 2;
  }
  std::string error;
  std::shared_ptr<const typename S::Settings> settings = load_settings(error);
  if (!settings) {
    std::cerr << program << ": " << error << "\n";
    return 2;
  }
  if (options.check) {
    std::cout << program << ": configuration ok\n";
    return 0;
  }

  EngineHolder engines(std::move(engine));
  DatabaseWatcher watcher(engines);
  ScanPool scanner(S::scan_threads(*settings));
  asio::io_context io(1);
  S server(io, engines, scanner, std::move(settings));
  if (!server.listen(error)) {
    std::cerr << program << ": " << error << "\n";
    return 2;
  }
  server.start();
  log::write(log::Level::info, name,
             "ready: " + std::to_string(scanner.threads()) + " scanning threads, engine " +
                 std::to_string(engines.get()->generation()));

  run_until_stopped(
      io, [&] { server.stop(); },
      [&] {
        reload_engine_logged(engines, options.config, options.av_db, name);
        std::string reload_error;
        if (auto fresh = load_settings(reload_error))
          server.replace_settings(std::move(fresh));
        else
          log::write(log::Level::error, name,
                     "reload of [" + std::string(name) +
                         "] failed, the settings in service stay: " + reload_error);
      });
  log::write(log::Level::info, name, "stopped");
  return 0;
}

}  // namespace ksmg::frontend

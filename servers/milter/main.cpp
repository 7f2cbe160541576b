// main.cpp — ksmg-milter: libksmg inside Postfix or Sendmail over the milter protocol. Reads the
// configuration (the library's sections and [milter]), applies the command line's overrides,
// starts the scanning threads and the listeners, and runs until SIGTERM/SIGINT (graceful stop);
// SIGHUP reloads the configuration, dictionaries and signatures without dropping a connection.
#include <memory>
#include <string>

#include "milter_config.hpp"
#include "milter_server.hpp"
#include "server_main.hpp"

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

// The [milter] settings from the file (or built in), with the command line's overrides.
std::shared_ptr<const MilterSettings> load_settings(const frontend::ServerOptions& o,
                                                    std::string& error) {
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
  frontend::ServerOptions o;
  if (!frontend::parse_command_line(o.table(), argc, argv, "milter", kUsage)) return 2;
  return frontend::run_server<MilterServer>(
      "milter", o, [&o](std::string& error) { return load_settings(o, error); });
}

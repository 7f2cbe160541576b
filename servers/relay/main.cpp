// main.cpp — ksmg-relay: the standalone SMTP gateway. Reads the configuration (the library's
// sections and [relay]), applies the command line's overrides, starts the scanning threads and
// the listeners, and runs until SIGTERM/SIGINT (graceful stop); SIGHUP reloads the
// configuration, dictionaries and signatures without dropping a session.
#include <memory>
#include <string>

#include "relay_config.hpp"
#include "server.hpp"
#include "server_main.hpp"
#include "session.hpp"

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
  frontend::ServerOptions server;
  std::string next_hop;
  std::string hostname;
};

// The [relay] settings from the file (or built in), with the command line's overrides.
bool read_settings(const Options& o, RelaySettings& out, std::string& error) {
  policy::ConfigError err;
  if (!o.server.config.empty() && !load_relay_settings(o.server.config, out, err)) {
    error = err.to_string();
    return false;
  }
  if (!o.server.listen.empty()) {
    out.listen.clear();
    for (const std::string& l : o.server.listen) {
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
  if (!o.server.data_dir.empty()) out.data_dir = o.server.data_dir;
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
  Options o;
  frontend::OptionTable table = o.server.table();
  table.value("--next-hop", o.next_hop).value("--hostname", o.hostname);
  if (!frontend::parse_command_line(table, argc, argv, "relay", kUsage)) return 2;
  return frontend::run_server<Server>("relay", o.server,
                                      [&o](std::string& error) { return load_snapshot(o, error); });
}

// relay_config.hpp — the relay's own settings: the [relay] section of the configuration file
// (listening addresses, session limits and timeouts, relay domains, trusted networks, the
// transport map, TLS), read with the same strictness as the library's sections (unknown keys and
// wrong types are errors with file, line and key), plus the built-in defaults used without a
// file: loopback only, delivery into a maildir under data_dir.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ksmg/policy.hpp"
#include "routing.hpp"
#include "tls.hpp"

namespace ksmg::relay {

struct ListenAddress {
  std::string host;  // numeric IPv4 or IPv6 (brackets removed)
  std::uint16_t port = 0;
};

// 127.0.0.0/8 and ::1: the trusted networks when the file names none.
[[nodiscard]] std::vector<Network> loopback_networks();

struct RelaySettings {
  RelaySettings() { routing.trusted_networks = loopback_networks(); }

  std::vector<ListenAddress> listen{{"127.0.0.1", 2525}};
  std::string hostname;  // in the greeting, EHLO and Received; "" = the machine's name
  std::string data_dir = "/var/lib/ksmg-relay";  // the self-signed certificate, the maildir
  std::string backup_dir;        // originals the policy keeps (backup = true); "" = data_dir/backup
  std::size_t scan_threads = 0;  // 0 = one per core

  // Session limits (named as in the reference gateway's SMTP settings).
  std::size_t max_message_bytes = std::size_t{64} << 20;  // advertised as SIZE; 552 beyond
  std::size_t max_recipients = 1000;                      // per transaction; 452 4.5.3 beyond
  std::size_t max_line_bytes = 4096;                      // one command line; 500 5.5.2 beyond
  std::size_t max_connections = 1000;                     // in total; 421 4.7.0 beyond
  std::size_t max_connections_per_client = 50;            // per client IP; 421 4.7.0 beyond
  std::size_t max_errors = 20;  // bad commands in one session before 421 and close
  // Bytes of messages all sessions together hold in memory (being received, scanned or
  // relayed); beyond it DATA gets 452 4.3.1 and the client retries later.
  std::size_t max_inflight_bytes = std::size_t{1} << 30;
  std::chrono::seconds idle_timeout{300};  // waiting for any byte from the client
  std::chrono::seconds data_timeout{600};  // the whole DATA transfer (slow drip)
  std::chrono::seconds next_hop_connect_timeout{30};
  std::chrono::seconds next_hop_timeout{300};  // each reply of a next hop
  std::chrono::seconds shutdown_grace{30};     // sessions in a transaction get this long

  RoutingTable routing;
  TlsSettings tls;
};

// Reads [relay] of the file at `path` (other sections are the library's; they are checked by
// policy::load_config). Relative paths are resolved against the file's folder. False with err.
[[nodiscard]] bool load_relay_settings(const std::string& path, RelaySettings& out,
                                       policy::ConfigError& err);
// The same from text (tests); file_name names it in errors and anchors relative paths.
[[nodiscard]] bool parse_relay_settings(std::string_view text, std::string_view file_name,
                                        RelaySettings& out, policy::ConfigError& err);

// Fills what neither the file nor the command line said, once both are read: with no transport
// at all every message goes into data_dir/maildir; backup_dir and the TLS data_dir default to
// folders of data_dir.
void complete_settings(RelaySettings& settings);

// "127.0.0.1:2525", "[::1]:2525"; nullopt when it is not a numeric address and port.
[[nodiscard]] std::optional<ListenAddress> parse_listen_address(std::string_view text);

}  // namespace ksmg::relay

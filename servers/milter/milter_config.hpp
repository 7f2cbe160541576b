// milter_config.hpp — ksmg-milter's own settings: the [milter] section of the configuration
// file (sockets, connection and message limits, timeouts, what a failure or an oversized message
// is answered with), read as strictly as the library's sections, and the built-in defaults used
// without a file (inet:8895@127.0.0.1).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ksmg/policy.hpp"

namespace ksmg::milter {

// Where the milter listens, in Sendmail's notation (also what Postfix's smtpd_milters takes,
// there written inet:HOST:PORT): "inet:PORT@HOST", "inet6:PORT@HOST", "unix:/path"
// ("local:/path" is the same). Postfix's "inet:HOST:PORT" is accepted too.
struct SocketSpec {
  enum class Kind : std::uint8_t { inet, unix_path };
  Kind kind = Kind::inet;
  std::string host;  // numeric address (inet)
  std::uint16_t port = 0;
  std::string path;                             // unix
  [[nodiscard]] std::string to_string() const;  // Sendmail's notation
};
[[nodiscard]] std::optional<SocketSpec> parse_socket_spec(std::string_view text);

// What the MTA is told when no verdict could be reached.
enum class FallbackAction : std::uint8_t { accept, tempfail, reject };
[[nodiscard]] std::optional<FallbackAction> fallback_from_string(std::string_view s) noexcept;
[[nodiscard]] std::string_view to_string(FallbackAction a) noexcept;

struct MilterSettings {
  std::vector<SocketSpec> listen{SocketSpec{SocketSpec::Kind::inet, "127.0.0.1", 8895, ""}};
  std::uint32_t unix_socket_mode = 0660;  // the MTA's user must be able to connect
  std::string data_dir = "/var/lib/ksmg-milter";
  std::string backup_dir;        // originals the policy keeps; "" = data_dir/backup
  std::size_t scan_threads = 0;  // 0 = one per core

  std::size_t max_connections = 1000;  // MTA connections at once; beyond: closed at once
  // One packet's data. Postfix and Sendmail send body chunks of 64 KB; a header may be up to
  // Postfix's header_size_limit (100 KB). A bigger packet ends the connection.
  std::size_t max_packet_bytes = std::size_t{1} << 20;
  std::size_t max_message_bytes = std::size_t{64} << 20;  // beyond: oversize_action
  std::size_t max_recipients = 10000;  // kept for the scan; the rest are counted, not kept
  // Bytes of messages all connections hold in memory; a message that would pass it is answered
  // tempfail (451 4.3.1) at its end.
  std::size_t max_inflight_bytes = std::size_t{1} << 30;
  std::chrono::seconds idle_timeout{1800};  // waiting for the MTA's next packet
  std::chrono::seconds shutdown_grace{30};  // connections in a message get this long

  FallbackAction scan_failure_action = FallbackAction::tempfail;  // the scan itself failed
  FallbackAction oversize_action = FallbackAction::reject;        // 552 5.3.4 by default
};

// Reads [milter] of the file at `path` (relative paths against the file's folder). False with err.
[[nodiscard]] bool load_milter_settings(const std::string& path, MilterSettings& out,
                                        policy::ConfigError& err);
// The same from text (tests); file_name names it in errors and anchors relative paths.
[[nodiscard]] bool parse_milter_settings(std::string_view text, std::string_view file_name,
                                         MilterSettings& out, policy::ConfigError& err);

// backup_dir defaults to data_dir/backup once the file and the command line are read.
void complete_settings(MilterSettings& settings);

}  // namespace ksmg::milter

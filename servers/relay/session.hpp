// session.hpp — one client's SMTP session on the relay (RFC 5321 server side): greeting,
// EHLO with the extensions the relay offers, STARTTLS, the transaction with its recipients
// relayed one by one to their next hop (so a next hop's per-recipient answer goes back as is),
// DATA read and scanned on the scan pool, and the verdict applied before the client hears the
// final reply: the message is delivered, rejected, deferred or discarded, never lost.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "ksmg/engine.hpp"
#include "relay_config.hpp"
#include "scan_pool.hpp"
#include "stream.hpp"

namespace ksmg::relay {

// What sessions share: the settings and TLS contexts in force when the session began (a reload
// makes a new Snapshot for the sessions that come after it).
struct Snapshot {
  RelaySettings settings;
  std::string hostname;                            // settings.hostname, or the machine's name
  std::unique_ptr<asio::ssl::context> server_tls;  // null when level none
  std::unique_ptr<asio::ssl::context> client_tls;  // unverified next hops
  std::unique_ptr<asio::ssl::context> client_tls_verified;  // require-verify next hops
};

// Builds a Snapshot (TLS contexts included); null with `error` when a TLS file does not load.
[[nodiscard]] std::shared_ptr<const Snapshot> make_snapshot(RelaySettings settings,
                                                            std::string& error);

class Session {
 public:
  Session(std::shared_ptr<Stream> stream, std::shared_ptr<const Snapshot> snapshot,
          frontend::SessionServices& services, std::string client_ip, std::uint64_t id);
  ~Session();

  Task<void> run();
  // Graceful shutdown: an idle session says 421 now; one in a transaction finishes it first.
  void request_stop();
  // Shutdown grace is over.
  void abort() noexcept;

  struct Transaction;  // internal
  struct State;        // internal

 private:
  std::unique_ptr<State> s_;
};

}  // namespace ksmg::relay

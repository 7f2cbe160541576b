// server.hpp — the relay's listening side: acceptors on every configured address, the
// connection limits (in total and per client IP: 421 beyond them), the sessions in flight, and
// the graceful stop (no new connections, idle sessions told 421 at once, sessions in a
// transaction finish it, then anything left after the grace period is closed).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "session.hpp"

namespace ksmg::relay {

class Server {
 public:
  Server(asio::io_context& io, EngineHolder& engines, frontend::ScanPool& scanner,
         std::shared_ptr<const Snapshot> snapshot);
  ~Server();

  // Binds every listen address; false with `error` (address in use, no permission).
  bool listen(std::string& error);
  void start();
  // New sessions get this snapshot (reload); sessions in flight keep theirs.
  void replace_snapshot(std::shared_ptr<const Snapshot> snapshot);
  void stop();

  [[nodiscard]] std::size_t sessions() const noexcept { return sessions_.size(); }

 private:
  Task<void> accept_loop(tcp::acceptor& acceptor);
  Task<void> serve(tcp::socket socket);

  asio::io_context& io_;
  SessionServices services_;
  std::shared_ptr<const Snapshot> snapshot_;
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors_;
  std::unordered_map<std::uint64_t, Session*> sessions_;
  std::map<std::string, std::size_t> per_client_;
  std::uint64_t next_id_ = 0;
  bool stopping_ = false;
  std::unique_ptr<asio::steady_timer> grace_;
};

}  // namespace ksmg::relay

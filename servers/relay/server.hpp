// server.hpp — the relay's listening side: acceptors on every configured address, the
// connection limits (in total and per client IP: 421 beyond them), the sessions in flight, and
// the graceful stop (no new connections, idle sessions told 421 at once, sessions in a
// transaction finish it, then anything left after the grace period is closed).
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <string>

#include "server_skeleton.hpp"
#include "session.hpp"

namespace ksmg::relay {

class Server final : public frontend::ServerSkeleton<tcp, Session, Snapshot> {
 public:
  // The scanning threads frontend::run_server() starts for these settings.
  [[nodiscard]] static std::size_t scan_threads(const Snapshot& s) noexcept {
    return s.settings.scan_threads;
  }
  Server(asio::io_context& io, EngineHolder& engines, frontend::ScanPool& scanner,
         std::shared_ptr<const Snapshot> snapshot);
  // Binds every listen address; false with `error` (address in use, no permission).
  bool listen(std::string& error);

 private:
  Task<void> serve(tcp::socket socket) override;
  [[nodiscard]] std::chrono::seconds shutdown_grace() const override {
    return settings()->settings.shutdown_grace;
  }

  frontend::SessionServices services_;
  std::map<std::string, std::size_t> per_client_;
};

}  // namespace ksmg::relay

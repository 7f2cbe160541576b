// milter_server.hpp — ksmg-milter's listening side: an acceptor per configured socket (inet,
// inet6, unix), the connection limit (beyond it a connection is closed at once and the MTA
// applies its milter_default_action), the sessions in flight, and the graceful stop (no new
// connections, sessions between messages end at once, those in a message finish it, anything
// left after the grace period is closed). A unix socket file is ours: made with the configured
// mode, removed at stop.
#pragma once

#include <asio/generic/stream_protocol.hpp>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "milter_session.hpp"
#include "server_skeleton.hpp"

namespace ksmg::milter {

class MilterServer final : public frontend::ServerSkeleton<asio::generic::stream_protocol,
                                                           MilterSession, MilterSettings> {
 public:
  // The scanning threads frontend::run_server() starts for these settings.
  [[nodiscard]] static std::size_t scan_threads(const MilterSettings& s) noexcept {
    return s.scan_threads;
  }
  MilterServer(asio::io_context& io, EngineHolder& engines, frontend::ScanPool& scanner,
               std::shared_ptr<const MilterSettings> settings);
  ~MilterServer() override;

  // Binds every socket; false with `error` (address in use, no permission, a path in the way
  // that is not a socket).
  bool listen(std::string& error);

 private:
  Task<void> serve(Socket socket) override;
  [[nodiscard]] std::chrono::seconds shutdown_grace() const override {
    return settings()->shutdown_grace;
  }

  frontend::SessionServices services_;
  std::vector<std::string> socket_files_;  // removed at stop
};

}  // namespace ksmg::milter

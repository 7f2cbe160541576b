// milter_server.hpp — ksmg-milter's listening side: an acceptor per configured socket (inet,
// inet6, unix), the connection limit (beyond it a connection is closed at once and the MTA
// applies its milter_default_action), the sessions in flight, and the graceful stop (no new
// connections, sessions between messages end at once, those in a message finish it, anything
// left after the grace period is closed). A unix socket file is ours: made with the configured
// mode, removed at stop.
#pragma once

#include <asio/generic/stream_protocol.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "milter_session.hpp"

namespace ksmg::milter {

class MilterServer {
 public:
  MilterServer(asio::io_context& io, EngineHolder& engines, frontend::ScanPool& scanner,
               std::shared_ptr<const MilterSettings> settings);
  ~MilterServer();

  // Binds every socket; false with `error` (address in use, no permission, a path in the way
  // that is not a socket).
  bool listen(std::string& error);
  void start();
  // New connections get these settings (reload); sessions in flight keep theirs.
  void replace_settings(std::shared_ptr<const MilterSettings> settings);
  void stop();

 private:
  using Acceptor = asio::basic_socket_acceptor<asio::generic::stream_protocol>;
  Task<void> accept_loop(Acceptor& acceptor);
  Task<void> serve(Socket socket);

  asio::io_context& io_;
  MilterServices services_;
  std::shared_ptr<const MilterSettings> settings_;
  std::vector<std::unique_ptr<Acceptor>> acceptors_;
  std::vector<std::string> socket_files_;  // removed at stop
  std::unordered_map<std::uint64_t, MilterSession*> sessions_;
  std::uint64_t next_id_ = 0;
  bool stopping_ = false;
  std::unique_ptr<asio::steady_timer> grace_;
};

}  // namespace ksmg::milter

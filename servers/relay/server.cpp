// server.cpp — owns the relay's listen addresses, its connection limits and refusals
// (server.hpp); accepting and the graceful stop are the shared frontend::ServerSkeleton's.
#include "server.hpp"

#include "ksmg/log.hpp"

namespace ksmg::relay {

namespace {

// How long a refused client gets to read its 421.
constexpr std::chrono::seconds kRefusalTimeout{10};

std::string address_of(const tcp::socket& socket) {
  std::error_code ec;
  const tcp::endpoint peer = socket.remote_endpoint(ec);
  if (ec) return "unknown";
  asio::ip::address a = peer.address();
  if (a.is_v6() && a.to_v6().is_v4_mapped())
    a = asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6());
  return a.to_string();
}

}  // namespace

Server::Server(asio::io_context& io, EngineHolder& engines, frontend::ScanPool& scanner,
               std::shared_ptr<const Snapshot> snapshot)
    : ServerSkeleton(io, {"relay", "sessions", "session"}, std::move(snapshot)),
      services_{engines, scanner} {}

bool Server::listen(std::string& error) {
  for (const ListenAddress& l : settings()->settings.listen) {
    std::error_code ec;
    const asio::ip::address address = asio::ip::make_address(l.host, ec);
    if (ec) {
      error = "bad listen address " + l.host;
      return false;
    }
    const std::string where =
        (address.is_v6() ? "[" + l.host + "]" : l.host) + ":" + std::to_string(l.port);
    if (!listen_on(tcp::endpoint(address, l.port), where, error)) return false;
  }
  return true;
}

Task<void> Server::serve(tcp::socket socket) {
  const std::shared_ptr<const Snapshot> snap = settings();
  const RelaySettings& cfg = snap->settings;
  std::string ip = address_of(socket);
  std::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  auto stream = std::make_shared<Stream>(std::move(socket));
  stream->start_watchdog();

  std::string refusal;
  if (stopping())
    refusal = "421 4.3.2 " + snap->hostname + " Service shutting down\r\n";
  else if (sessions_in_flight() >= cfg.max_connections)
    refusal = "421 4.7.0 " + snap->hostname + " Error: too many connections\r\n";
  else if (per_client_[ip] >= cfg.max_connections_per_client)
    refusal = "421 4.7.0 " + snap->hostname + " Error: too many connections from " + ip + "\r\n";
  if (!refusal.empty()) {
    if (per_client_[ip] == 0) per_client_.erase(ip);
    stream->set_timeout(kRefusalTimeout);
    co_await stream->write(refusal);
    stream->close();
    co_return;
  }

  const std::uint64_t id = next_id();
  ++per_client_[ip];
  Session session(stream, snap, services_, ip, id);
  co_await run_session(session, id);
  if (--per_client_[ip] == 0) per_client_.erase(ip);
}

}  // namespace ksmg::relay

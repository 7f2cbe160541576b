// server.cpp — owns accepting connections, their limits and the graceful stop (server.hpp).
#include "server.hpp"

#include "ksmg/log.hpp"

namespace ksmg::relay {

namespace {

// A failed accept (out of file descriptors) is retried after this pause instead of spinning.
constexpr std::chrono::milliseconds kAcceptBackoff{100};
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
    : io_(io), services_{engines, scanner}, snapshot_(std::move(snapshot)) {}

Server::~Server() = default;

bool Server::listen(std::string& error) {
  for (const ListenAddress& l : snapshot_->settings.listen) {
    std::error_code ec;
    const asio::ip::address address = asio::ip::make_address(l.host, ec);
    if (ec) {
      error = "bad listen address " + l.host;
      return false;
    }
    const tcp::endpoint endpoint(address, l.port);
    auto acceptor = std::make_unique<tcp::acceptor>(io_);
    const std::string where =
        (address.is_v6() ? "[" + l.host + "]" : l.host) + ":" + std::to_string(l.port);
    acceptor->open(endpoint.protocol(), ec);
    if (!ec) acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor->bind(endpoint, ec);
    if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      error = "cannot listen on " + where + ": " + ec.message();
      return false;
    }
    log::write(log::Level::info, "relay", "listening on " + where);
    acceptors_.push_back(std::move(acceptor));
  }
  return true;
}

void Server::start() {
  for (auto& a : acceptors_) asio::co_spawn(io_, accept_loop(*a), asio::detached);
}

void Server::replace_snapshot(std::shared_ptr<const Snapshot> snapshot) {
  snapshot_ = std::move(snapshot);
}

Task<void> Server::accept_loop(tcp::acceptor& acceptor) {
  asio::steady_timer backoff(io_);
  while (!stopping_) {
    auto [ec, socket] = co_await acceptor.async_accept(kNoThrow);
    if (stopping_) break;
    if (ec) {
      log::write(log::Level::warning, "relay", "accept failed: " + ec.message());
      backoff.expires_after(kAcceptBackoff);
      co_await backoff.async_wait(kNoThrow);
      continue;
    }
    asio::co_spawn(io_, serve(std::move(socket)), asio::detached);
  }
}

Task<void> Server::serve(tcp::socket socket) {
  const std::shared_ptr<const Snapshot> snap = snapshot_;
  const RelaySettings& cfg = snap->settings;
  std::string ip = address_of(socket);
  std::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  auto stream = std::make_shared<Stream>(std::move(socket));
  stream->start_watchdog();

  std::string refusal;
  if (stopping_)
    refusal = "421 4.3.2 " + snap->hostname + " Service shutting down\r\n";
  else if (sessions_.size() >= cfg.max_connections)
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

  const std::uint64_t id = ++next_id_;
  ++per_client_[ip];
  Session session(stream, snap, services_, ip, id);
  sessions_.emplace(id, &session);
  try {
    co_await session.run();
  } catch (const std::exception& e) {
    // Out of memory in one session: that client loses its session (4xx on its side), not the
    // relay.
    log::write(log::Level::error, "relay",
               "session=" + std::to_string(id) + " ended by an error: " + e.what());
    stream->close();
  }
  sessions_.erase(id);
  if (--per_client_[ip] == 0) per_client_.erase(ip);
  if (stopping_ && sessions_.empty() && grace_) grace_->cancel();
}

void Server::stop() {
  if (stopping_) return;
  stopping_ = true;
  for (auto& a : acceptors_) {
    std::error_code ignored;
    a->close(ignored);
  }
  log::write(log::Level::info, "relay",
             "stopping: " + std::to_string(sessions_.size()) + " sessions to finish");
  for (auto& [id, session] : sessions_) session->request_stop();
  if (sessions_.empty()) return;
  grace_ = std::make_unique<asio::steady_timer>(io_, snapshot_->settings.shutdown_grace);
  grace_->async_wait([this](std::error_code ec) {
    if (ec) return;
    log::write(log::Level::warning, "relay",
               "shutdown grace over: closing " + std::to_string(sessions_.size()) + " sessions");
    for (auto& [id, session] : sessions_) session->abort();
  });
}

}  // namespace ksmg::relay

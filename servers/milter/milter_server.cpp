// milter_server.cpp — owns accepting MTA connections, their limit and the graceful stop
// (milter_server.hpp).
#include "milter_server.hpp"

#include <sys/stat.h>

#include <asio/local/stream_protocol.hpp>
#include <filesystem>

#include "ksmg/log.hpp"

namespace ksmg::milter {

namespace {

using frontend::kNoThrow;

// A failed accept (out of file descriptors) is retried after this pause instead of spinning.
constexpr std::chrono::milliseconds kAcceptBackoff{100};

// A socket file left by a milter that died is replaced; anything else in the way is an error.
bool clear_socket_path(const std::string& path, std::string& error) {
  std::error_code ec;
  const auto status = std::filesystem::symlink_status(path, ec);
  if (ec || status.type() == std::filesystem::file_type::not_found) return true;
  if (status.type() != std::filesystem::file_type::socket) {
    error = path + " exists and is not a socket";
    return false;
  }
  std::filesystem::remove(path, ec);
  if (ec) {
    error = "cannot remove the old socket " + path + ": " + ec.message();
    return false;
  }
  return true;
}

}  // namespace

MilterServer::MilterServer(asio::io_context& io, EngineHolder& engines, frontend::ScanPool& scanner,
                           std::shared_ptr<const MilterSettings> settings)
    : io_(io), services_{engines, scanner}, settings_(std::move(settings)) {}

MilterServer::~MilterServer() {
  for (const std::string& path : socket_files_) {
    std::error_code ignored;
    std::filesystem::remove(path, ignored);
  }
}

bool MilterServer::listen(std::string& error) {
  for (const SocketSpec& spec : settings_->listen) {
    std::error_code ec;
    asio::generic::stream_protocol::endpoint endpoint;
    if (spec.kind == SocketSpec::Kind::unix_path) {
      if (!clear_socket_path(spec.path, error)) return false;
      endpoint = asio::local::stream_protocol::endpoint(spec.path);
    } else {
      const asio::ip::address address = asio::ip::make_address(spec.host, ec);
      if (ec) {
        error = "bad listen address " + spec.host;
        return false;
      }
      endpoint = asio::ip::tcp::endpoint(address, spec.port);
    }
    auto acceptor = std::make_unique<Acceptor>(io_);
    acceptor->open(endpoint.protocol(), ec);
    if (!ec && spec.kind == SocketSpec::Kind::inet)
      acceptor->set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor->bind(endpoint, ec);
    if (!ec && spec.kind == SocketSpec::Kind::unix_path) {
      socket_files_.push_back(spec.path);
      if (::chmod(spec.path.c_str(), static_cast<mode_t>(settings_->unix_socket_mode)) != 0)
        ec = std::error_code(errno, std::generic_category());
    }
    if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      error = "cannot listen on " + spec.to_string() + ": " + ec.message();
      return false;
    }
    log::write(log::Level::info, "milter", "listening on " + spec.to_string());
    acceptors_.push_back(std::move(acceptor));
  }
  return true;
}

void MilterServer::start() {
  for (auto& a : acceptors_) asio::co_spawn(io_, accept_loop(*a), asio::detached);
}

void MilterServer::replace_settings(std::shared_ptr<const MilterSettings> settings) {
  settings_ = std::move(settings);
}

Task<void> MilterServer::accept_loop(Acceptor& acceptor) {
  asio::steady_timer backoff(io_);
  while (!stopping_) {
    auto [ec, socket] = co_await acceptor.async_accept(kNoThrow);
    if (stopping_) break;
    if (ec) {
      log::write(log::Level::warning, "milter", "accept failed: " + ec.message());
      backoff.expires_after(kAcceptBackoff);
      co_await backoff.async_wait(kNoThrow);
      continue;
    }
    asio::co_spawn(io_, serve(std::move(socket)), asio::detached);
  }
}

Task<void> MilterServer::serve(Socket socket) {
  if (stopping_ || sessions_.size() >= settings_->max_connections) {
    // The milter protocol has no greeting to refuse with: the MTA sees the connection close
    // and applies its milter_default_action.
    if (!stopping_)
      log::write(log::Level::warning, "milter",
                 "max_connections (" + std::to_string(settings_->max_connections) +
                     ") reached: connection refused");
    std::error_code ignored;
    socket.close(ignored);
    co_return;
  }
  std::error_code ec;
  const int family = socket.local_endpoint(ec).protocol().family();
  if (!ec && (family == AF_INET || family == AF_INET6)) {
    // Replies are small and each one is awaited by the MTA: Nagle would only delay them.
    socket.set_option(asio::ip::tcp::no_delay(true), ec);
  }
  const std::uint64_t id = ++next_id_;
  MilterSession session(std::move(socket), settings_, services_, id);
  sessions_.emplace(id, &session);
  try {
    co_await session.run();
  } catch (const std::exception& e) {
    // Out of memory in one session: that MTA connection ends (its default action applies),
    // not the milter.
    log::write(log::Level::error, "milter",
               "conn=" + std::to_string(id) + " ended by an error: " + e.what());
    session.abort();
  }
  sessions_.erase(id);
  if (stopping_ && sessions_.empty() && grace_) grace_->cancel();
}

void MilterServer::stop() {
  if (stopping_) return;
  stopping_ = true;
  for (auto& a : acceptors_) {
    std::error_code ignored;
    a->close(ignored);
  }
  log::write(log::Level::info, "milter",
             "stopping: " + std::to_string(sessions_.size()) + " connections to finish");
  for (auto& [id, session] : sessions_) session->request_stop();
  if (sessions_.empty()) return;
  grace_ = std::make_unique<asio::steady_timer>(io_, settings_->shutdown_grace);
  grace_->async_wait([this](std::error_code ec) {
    if (ec) return;
    log::write(log::Level::warning, "milter",
               "shutdown grace over: closing " + std::to_string(sessions_.size()) + " connections");
    for (auto& [id, session] : sessions_) session->abort();
  });
}

}  // namespace ksmg::milter

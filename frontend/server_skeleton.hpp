// server_skeleton.hpp — what the relay's and the milter's servers share: the settings in service
// (a reload replaces them for new connections; sessions in flight keep theirs), the acceptors,
// the accept loop, the sessions in flight, and the graceful stop: no new connections, every
// session asked to stop (it knows whether it may end now or must finish what it is in), and
// those left after the grace period aborted. Whether a connection is refused (limits, shutdown)
// and how is each server's own business, in its serve().
#pragma once

#include <sys/socket.h>

#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "async.hpp"
#include "ksmg/log.hpp"

namespace ksmg::frontend {

// How a server's log lines name things: its component ("relay"), its sessions in counts
// ("sessions", "connections") and one of them by id ("session" in session=7).
struct ServerNames {
  std::string_view component;
  std::string_view sessions;
  std::string_view id_key;
};

// Protocol: tcp, or generic::stream_protocol (inet and unix sockets). Session: run(),
// request_stop() (graceful) and abort() (the grace is over, or run() failed).
template <typename Protocol, typename Session, typename ServerSettings>
class ServerSkeleton {
 public:
  using Settings = ServerSettings;
  using Socket = typename Protocol::socket;

  ServerSkeleton(const ServerSkeleton&) = delete;
  ServerSkeleton& operator=(const ServerSkeleton&) = delete;

  // Accepts on every socket listen_on() opened.
  void start() {
    for (auto& a : acceptors_) asio::co_spawn(io_, accept_loop(*a), asio::detached);
  }

  // New connections get these settings (reload); sessions in flight keep theirs.
  void replace_settings(std::shared_ptr<const Settings> settings) {
    settings_ = std::move(settings);
  }

  // The graceful stop; the server's io_context runs out of work once the last session ends.
  void stop() {
    if (stopping_) return;
    stopping_ = true;
    for (auto& a : acceptors_) {
      std::error_code ignored;
      a->close(ignored);
    }
    log::write(log::Level::info, names_.component,
               "stopping: " + std::to_string(sessions_.size()) + " " +
                   std::string(names_.sessions) + " to finish");
    for (auto& [id, session] : sessions_) session->request_stop();
    if (sessions_.empty()) return;
    grace_ = std::make_unique<asio::steady_timer>(io_, shutdown_grace());
    grace_->async_wait([this](std::error_code ec) {
      if (ec) return;
      log::write(log::Level::warning, names_.component,
                 "shutdown grace over: closing " + std::to_string(sessions_.size()) + " " +
                     std::string(names_.sessions));
      for (auto& [id, session] : sessions_) session->abort();
    });
  }

 protected:
  ServerSkeleton(asio::io_context& io, ServerNames names, std::shared_ptr<const Settings> settings)
      : io_(io), names_(names), settings_(std::move(settings)) {}
  virtual ~ServerSkeleton() = default;

  // What the server does with each accepted connection: refuse it, or run a session in it.
  virtual Task<void> serve(Socket socket) = 0;
  // How long the settings in service let sessions finish after stop().
  [[nodiscard]] virtual std::chrono::seconds shutdown_grace() const = 0;

  [[nodiscard]] const std::shared_ptr<const Settings>& settings() const noexcept {
    return settings_;
  }

  // Opens, binds and listens on `endpoint`, called `where` in the log and in `error`.
  // `after_bind` runs between bind and listen, before any peer can connect (the milter gives a
  // unix socket its mode there).
  bool listen_on(const typename Protocol::endpoint& endpoint, const std::string& where,
                 std::string& error, const std::function<std::error_code()>& after_bind = {}) {
    auto acceptor = std::make_unique<Acceptor>(io_);
    std::error_code ec;
    acceptor->open(endpoint.protocol(), ec);
    // A restarted server must not wait for its old TCP connections; unix sockets have no such.
    if (!ec && endpoint.protocol().family() != AF_UNIX)
      acceptor->set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor->bind(endpoint, ec);
    if (!ec && after_bind) ec = after_bind();
    if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      error = "cannot listen on " + where + ": " + ec.message();
      return false;
    }
    log::write(log::Level::info, names_.component, "listening on " + where);
    acceptors_.push_back(std::move(acceptor));
    return true;
  }

  [[nodiscard]] bool stopping() const noexcept { return stopping_; }
  [[nodiscard]] std::size_t sessions_in_flight() const noexcept { return sessions_.size(); }
  [[nodiscard]] std::uint64_t next_id() noexcept { return ++next_id_; }

  // Runs `session` to its end, in reach of stop() meanwhile. An exception (out of memory) ends
  // that session, not the server.
  Task<void> run_session(Session& session, std::uint64_t id) {
    sessions_.emplace(id, &session);
    try {
      co_await session.run();
    } catch (const std::exception& e) {
      log::write(log::Level::error, names_.component,
                 std::string(names_.id_key) + "=" + std::to_string(id) +
                     " ended by an error: " + e.what());
      session.abort();
    }
    sessions_.erase(id);
    if (stopping_ && sessions_.empty() && grace_) grace_->cancel();
  }

 private:
  using Acceptor = asio::basic_socket_acceptor<Protocol>;

  // A failed accept (out of file descriptors) is retried after this pause instead of spinning.
  static constexpr std::chrono::milliseconds kAcceptBackoff{100};

  Task<void> accept_loop(Acceptor& acceptor) {
    asio::steady_timer backoff(io_);
    while (!stopping_) {
      auto [ec, socket] = co_await acceptor.async_accept(kNoThrow);
      if (stopping_) break;
      if (ec) {
        log::write(log::Level::warning, names_.component, "accept failed: " + ec.message());
        backoff.expires_after(kAcceptBackoff);
        co_await backoff.async_wait(kNoThrow);
        continue;
      }
      asio::co_spawn(io_, serve(std::move(socket)), asio::detached);
    }
  }

  asio::io_context& io_;
  ServerNames names_;
  std::shared_ptr<const Settings> settings_;
  std::vector<std::unique_ptr<Acceptor>> acceptors_;
  std::unordered_map<std::uint64_t, Session*> sessions_;
  std::uint64_t next_id_ = 0;
  bool stopping_ = false;
  std::unique_ptr<asio::steady_timer> grace_;
};

}  // namespace ksmg::frontend

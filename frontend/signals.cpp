// signals.cpp — owns the servers' signal handling (signals.hpp).
#include "signals.hpp"

#include <asio/signal_set.hpp>
#include <csignal>

namespace ksmg::frontend {

void run_until_stopped(asio::io_context& io, const std::function<void()>& stop,
                       const std::function<void()>& reload) {
  std::signal(SIGPIPE, SIG_IGN);
  asio::signal_set stop_signals(io, SIGTERM, SIGINT);
  asio::signal_set reload_signal(io, SIGHUP);
  stop_signals.async_wait([&](std::error_code ec, int) {
    if (ec) return;
    stop();
    reload_signal.cancel();  // nothing is left to wait for once the sessions are done
  });
  std::function<void()> wait_reload = [&] {
    reload_signal.async_wait([&](std::error_code ec, int) {
      if (ec) return;
      reload();
      wait_reload();
    });
  };
  wait_reload();
  io.run();
}

}  // namespace ksmg::frontend

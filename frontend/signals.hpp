// signals.hpp — how a server (relay, milter) lives under its service manager: SIGTERM and SIGINT
// stop it gracefully, SIGHUP reloads it, and SIGPIPE never kills it.
#pragma once

#include <asio/io_context.hpp>
#include <functional>

namespace ksmg::frontend {

// Runs `io` until the work is done: the first SIGTERM/SIGINT calls stop() (the server stops
// accepting and lets its sessions finish, after which run() returns); each SIGHUP calls
// reload(). Call after the server has started.
void run_until_stopped(asio::io_context& io, const std::function<void()>& stop,
                       const std::function<void()>& reload);

}  // namespace ksmg::frontend

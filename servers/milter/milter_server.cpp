// milter_server.cpp — owns the milter's sockets and its connection limit (milter_server.hpp);
// accepting and the graceful stop are the shared frontend::ServerSkeleton's.
#include "milter_server.hpp"

#include <sys/stat.h>

#include <asio/local/stream_protocol.hpp>
#include <filesystem>

#include "ksmg/log.hpp"

namespace ksmg::milter {

namespace {

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
    : ServerSkeleton(io, {"milter", "connections", "conn"}, std::move(settings)),
      services_{engines, scanner} {}

MilterServer::~MilterServer() {
  for (const std::string& path : socket_files_) {
    std::error_code ignored;
    std::filesystem::remove(path, ignored);
  }
}

bool MilterServer::listen(std::string& error) {
  for (const SocketSpec& spec : settings()->listen) {
    asio::generic::stream_protocol::endpoint endpoint;
    if (spec.kind == SocketSpec::Kind::unix_path) {
      if (!clear_socket_path(spec.path, error)) return false;
      endpoint = asio::local::stream_protocol::endpoint(spec.path);
    } else {
      std::error_code ec;
      const asio::ip::address address = asio::ip::make_address(spec.host, ec);
      if (ec) {
        error = "bad listen address " + spec.host;
        return false;
      }
      endpoint = asio::ip::tcp::endpoint(address, spec.port);
    }
    // A unix socket file is ours from its bind on, and gets its mode before anyone can connect.
    const auto claim_socket_file = [&]() -> std::error_code {
      if (spec.kind != SocketSpec::Kind::unix_path) return {};
      socket_files_.push_back(spec.path);
      if (::chmod(spec.path.c_str(), static_cast<mode_t>(settings()->unix_socket_mode)) != 0)
        return {errno, std::generic_category()};
      return {};
    };
    if (!listen_on(endpoint, spec.to_string(), error, claim_socket_file)) return false;
  }
  return true;
}

Task<void> MilterServer::serve(Socket socket) {
  if (stopping() || sessions_in_flight() >= settings()->max_connections) {
    // The milter protocol has no greeting to refuse with: the MTA sees the connection close
    // and applies its milter_default_action.
    if (!stopping())
      log::write(log::Level::warning, "milter",
                 "max_connections (" + std::to_string(settings()->max_connections) +
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
  const std::uint64_t id = next_id();
  MilterSession session(std::move(socket), settings(), services_, id);
  co_await run_session(session, id);
}

}  // namespace ksmg::milter

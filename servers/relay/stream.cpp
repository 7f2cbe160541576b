// stream.cpp — owns the relay's connection I/O on top of the servers' BufferedSocket
// (stream.hpp): lines and the TLS upgrade.
#include "stream.hpp"

#include "tls.hpp"

namespace ksmg::relay {

namespace {

constexpr std::size_t kReadChunk = 16 * 1024;

}  // namespace

// The second expiry closes: the session's 421 after a timeout gets a deadline of its own.
Stream::Stream(tcp::socket socket)
    : BufferedSocket(std::move(socket), kReadChunk, frontend::PastDeadline::cancel_then_close) {}

Task<std::size_t> Stream::read_some(char* data, std::size_t size) {
  if (!tls_) co_return co_await BufferedSocket::read_some(data, size);
  const auto [ec, n] = co_await tls_->async_read_some(asio::buffer(data, size), kNoThrow);
  co_return ec ? 0 : n;
}

Task<bool> Stream::write_all(std::string_view bytes) {
  if (!tls_) co_return co_await BufferedSocket::write_all(bytes);
  const auto [ec, n] = co_await asio::async_write(*tls_, asio::buffer(bytes), kNoThrow);
  co_return !ec && n == bytes.size();
}

bool Stream::discard_buffered() noexcept {
  const std::size_t had = buffered().size();
  consume(had);
  return had != 0;
}

Task<Stream::Read> Stream::read_line(std::size_t max_bytes, std::string& line) {
  bool dropping = false;  // inside a line already known to be too long
  for (;;) {
    const std::string_view in = buffered();
    const auto lf = in.find('\n');
    if (lf != std::string_view::npos) {
      std::string_view text = in.substr(0, lf);
      if (text.ends_with('\r')) text.remove_suffix(1);
      const bool too_long = dropping || text.size() > max_bytes;
      if (!too_long) line.assign(text);
      consume(lf + 1);
      co_return too_long ? Read::too_long : Read::ok;
    }
    if (in.size() > max_bytes) {
      dropping = true;
      consume(in.size());
    }
    if (!co_await fill()) co_return Read::closed;
  }
}

Task<bool> Stream::start_tls_server(asio::ssl::context& context) {
  tls_ = std::make_unique<asio::ssl::stream<tcp::socket&>>(socket(), context);
  const auto [ec] = co_await tls_->async_handshake(asio::ssl::stream_base::server, kNoThrow);
  if (ec) tls_error_ = ec.message();
  co_return !ec && !timed_out();
}

Task<bool> Stream::start_tls_client(asio::ssl::context& context, const std::string& host,
                                    bool verify) {
  tls_ = std::make_unique<asio::ssl::stream<tcp::socket&>>(socket(), context);
  if (!prepare_client_stream(tls_->native_handle(), host, verify)) {
    tls_error_ = "cannot set the server name " + host;
    co_return false;
  }
  const auto [ec] = co_await tls_->async_handshake(asio::ssl::stream_base::client, kNoThrow);
  if (ec) tls_error_ = ec.message();
  co_return !ec && !timed_out();
}

}  // namespace ksmg::relay

// stream.cpp — owns the relay's connection I/O (stream.hpp): buffering, lines, TLS upgrade and
// the deadline watchdog.
#include "stream.hpp"

#include <algorithm>

#include "tls.hpp"

namespace ksmg::relay {

namespace {

constexpr std::size_t kReadChunk = 16 * 1024;
// How long the watchdog sleeps at most between looks at the deadline: a deadline set while it
// sleeps (from "none") is enforced at most this late.
constexpr std::chrono::seconds kWatchdogTick{2};

}  // namespace

Stream::Stream(tcp::socket socket) : socket_(std::move(socket)), timer_(socket_.get_executor()) {}

Stream::~Stream() = default;

void Stream::start_watchdog() {
  asio::co_spawn(
      socket_.get_executor(), [self = shared_from_this()] { return self->watch(); },
      asio::detached);
}

Task<void> Stream::watch() {
  while (!closed_) {
    const Clock::time_point now = Clock::now();
    if (deadline_ <= now) {
      // First expiry: cancel what is pending, so the owner can still say 421; a second one
      // (the owner's last words did not go out either) closes.
      if (timed_out_) {
        close();
        co_return;
      }
      timed_out_ = true;
      std::error_code ignored;
      socket_.cancel(ignored);
    }
    // Past the deadline: look again in a tick (the owner's last words get that long).
    timer_.expires_at(deadline_ > now ? std::min(deadline_, now + kWatchdogTick)
                                      : now + kWatchdogTick);
    co_await timer_.async_wait(kNoThrow);
  }
}

void Stream::interrupt() noexcept {
  std::error_code ignored;
  socket_.cancel(ignored);
}

void Stream::close() noexcept {
  if (closed_) return;
  closed_ = true;
  std::error_code ignored;
  timer_.cancel();
  socket_.shutdown(tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

Task<std::size_t> Stream::read_some(char* data, std::size_t size) {
  if (closed_ || timed_out_) co_return 0;
  std::error_code ec;
  std::size_t n = 0;
  if (tls_)
    std::tie(ec, n) = co_await tls_->async_read_some(asio::buffer(data, size), kNoThrow);
  else
    std::tie(ec, n) = co_await socket_.async_read_some(asio::buffer(data, size), kNoThrow);
  co_return ec ? 0 : n;
}

Task<bool> Stream::fill() {
  if (start_ == buffer_.size()) {
    buffer_.clear();
    start_ = 0;
  } else if (start_ >= kReadChunk) {
    buffer_.erase(0, start_);
    start_ = 0;
  }
  const std::size_t old = buffer_.size();
  buffer_.resize(old + kReadChunk);
  const std::size_t n = co_await read_some(buffer_.data() + old, kReadChunk);
  buffer_.resize(old + n);
  co_return n > 0;
}

std::string_view Stream::buffered() const noexcept {
  return std::string_view(buffer_).substr(start_);
}

void Stream::consume(std::size_t n) noexcept { start_ = std::min(start_ + n, buffer_.size()); }

bool Stream::discard_buffered() noexcept {
  const bool had = start_ != buffer_.size();
  buffer_.clear();
  start_ = 0;
  return had;
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

Task<bool> Stream::write(std::string_view bytes) {
  if (closed_ || bytes.empty()) co_return !closed_;
  std::error_code ec;
  std::size_t n = 0;
  if (tls_)
    std::tie(ec, n) = co_await asio::async_write(*tls_, asio::buffer(bytes), kNoThrow);
  else
    std::tie(ec, n) = co_await asio::async_write(socket_, asio::buffer(bytes), kNoThrow);
  co_return !ec && n == bytes.size();
}

Task<bool> Stream::start_tls_server(asio::ssl::context& context) {
  tls_ = std::make_unique<asio::ssl::stream<tcp::socket&>>(socket_, context);
  const auto [ec] = co_await tls_->async_handshake(asio::ssl::stream_base::server, kNoThrow);
  if (ec) tls_error_ = ec.message();
  co_return !ec && !timed_out_;
}

Task<bool> Stream::start_tls_client(asio::ssl::context& context, const std::string& host,
                                    bool verify) {
  tls_ = std::make_unique<asio::ssl::stream<tcp::socket&>>(socket_, context);
  if (!prepare_client_stream(tls_->native_handle(), host, verify)) {
    tls_error_ = "cannot set the server name " + host;
    co_return false;
  }
  const auto [ec] = co_await tls_->async_handshake(asio::ssl::stream_base::client, kNoThrow);
  if (ec) tls_error_ = ec.message();
  co_return !ec && !timed_out_;
}

}  // namespace ksmg::relay

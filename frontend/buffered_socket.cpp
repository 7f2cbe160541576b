// buffered_socket.cpp — owns a server connection's buffering, plain I/O and deadline watchdog
// (buffered_socket.hpp).
#include "buffered_socket.hpp"

#include <algorithm>

namespace ksmg::frontend {

namespace {

// How long the watchdog sleeps at most between looks at the deadline: a deadline set while it
// sleeps (from "none") is enforced at most this late.
constexpr std::chrono::seconds kWatchdogTick{2};

}  // namespace

template <typename Socket>
BufferedSocket<Socket>::BufferedSocket(Socket socket, std::size_t read_chunk,
                                       PastDeadline past_deadline)
    : socket_(std::move(socket)),
      timer_(socket_.get_executor()),
      read_chunk_(read_chunk),
      past_deadline_(past_deadline) {}

template <typename Socket>
BufferedSocket<Socket>::~BufferedSocket() = default;

template <typename Socket>
void BufferedSocket<Socket>::start_watchdog() {
  asio::co_spawn(
      socket_.get_executor(), [self = this->shared_from_this()] { return self->watch(); },
      asio::detached);
}

template <typename Socket>
Task<void> BufferedSocket<Socket>::watch() {
  while (!closed_) {
    const Clock::time_point now = Clock::now();
    if (deadline_ <= now) {
      if (!timed_out_) {
        timed_out_ = true;
        std::error_code ignored;
        socket_.cancel(ignored);
      } else if (past_deadline_ == PastDeadline::cancel_then_close) {
        close();
        co_return;
      }
    }
    // Past the deadline: look again in a tick (the owner's last words get that long).
    timer_.expires_at(deadline_ > now ? std::min(deadline_, now + kWatchdogTick)
                                      : now + kWatchdogTick);
    co_await timer_.async_wait(kNoThrow);
  }
}

template <typename Socket>
void BufferedSocket<Socket>::interrupt() noexcept {
  std::error_code ignored;
  socket_.cancel(ignored);
}

template <typename Socket>
void BufferedSocket<Socket>::close() noexcept {
  if (closed_) return;
  closed_ = true;
  std::error_code ignored;
  timer_.cancel();
  socket_.shutdown(Socket::shutdown_both, ignored);
  socket_.close(ignored);
}

template <typename Socket>
Task<bool> BufferedSocket<Socket>::fill() {
  if (closed_ || timed_out_) co_return false;
  if (start_ == buffer_.size()) {
    buffer_.clear();
    start_ = 0;
  } else if (start_ >= read_chunk_) {
    buffer_.erase(0, start_);
    start_ = 0;
  }
  const std::size_t old = buffer_.size();
  buffer_.resize(old + read_chunk_);
  const std::size_t n = co_await read_some(buffer_.data() + old, read_chunk_);
  buffer_.resize(old + n);
  co_return n > 0;
}

template <typename Socket>
std::string_view BufferedSocket<Socket>::buffered() const noexcept {
  return std::string_view(buffer_).substr(start_);
}

template <typename Socket>
void BufferedSocket<Socket>::consume(std::size_t n) noexcept {
  start_ = std::min(start_ + n, buffer_.size());
}

template <typename Socket>
Task<bool> BufferedSocket<Socket>::write(std::string_view bytes) {
  if (closed_ || bytes.empty()) co_return !closed_;
  co_return co_await write_all(bytes);
}

template <typename Socket>
Task<std::size_t> BufferedSocket<Socket>::read_some(char* data, std::size_t size) {
  const auto [ec, n] = co_await socket_.async_read_some(asio::buffer(data, size), kNoThrow);
  co_return ec ? 0 : n;
}

template <typename Socket>
Task<bool> BufferedSocket<Socket>::write_all(std::string_view bytes) {
  const auto [ec, n] = co_await asio::async_write(socket_, asio::buffer(bytes), kNoThrow);
  co_return !ec && n == bytes.size();
}

template class BufferedSocket<asio::ip::tcp::socket>;
template class BufferedSocket<asio::generic::stream_protocol::socket>;

}  // namespace ksmg::frontend

// buffered_socket.hpp — one connection of a server (the relay's SMTP client or next hop, the
// milter's MTA): its socket, a read buffer the session parses in place (lines, milter packets),
// and a deadline enforced by a watchdog that cancels whatever I/O is pending when it passes, so a
// slow or silent peer never holds a connection past it. Every read goes through read_some(),
// which a server's connection may override (the relay's TLS; the milter re-arms TCP_QUICKACK).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "async.hpp"

namespace ksmg::frontend {

// What the watchdog does each time the deadline passes.
enum class PastDeadline : unsigned char {
  // The first time, pending I/O is cancelled and timed_out() is set; the owner ends the
  // connection itself (the milter).
  cancel,
  // The same, and the next time (the owner's last words, the relay's 421, met their deadline
  // too) the socket is closed.
  cancel_then_close,
};

template <typename Socket>
class BufferedSocket : public std::enable_shared_from_this<BufferedSocket<Socket>> {
 public:
  // read_chunk: how much one read asks for (the buffer grows by it).
  BufferedSocket(Socket socket, std::size_t read_chunk, PastDeadline past_deadline);
  virtual ~BufferedSocket();
  BufferedSocket(const BufferedSocket&) = delete;
  BufferedSocket& operator=(const BufferedSocket&) = delete;

  // Starts the watchdog; call once, after the object is owned by a shared_ptr (the watchdog's
  // coroutine shares it and outlives the session by at most one tick).
  void start_watchdog();

  // At least one more byte into the buffer; false on EOF, error, timeout or interrupt.
  Task<bool> fill();
  // Bytes received and not yet consumed (what pipelining peers sent ahead).
  [[nodiscard]] std::string_view buffered() const noexcept;
  void consume(std::size_t n) noexcept;

  Task<bool> write(std::string_view bytes);

  // I/O after the deadline fails as if the peer had gone (timed_out() tells). Setting one costs
  // no system call: the watchdog looks at it only when its timer fires.
  void set_deadline(Clock::time_point at) noexcept { deadline_ = at; }
  void set_timeout(std::chrono::seconds s) noexcept { deadline_ = Clock::now() + s; }
  void clear_deadline() noexcept { deadline_ = Clock::time_point::max(); }
  [[nodiscard]] bool timed_out() const noexcept { return timed_out_; }
  // Cancels pending I/O now (shutdown of an idle session); the socket stays usable for a reply.
  void interrupt() noexcept;
  void close() noexcept;
  [[nodiscard]] bool closed() const noexcept { return closed_; }
  [[nodiscard]] Socket& socket() noexcept { return socket_; }

 protected:
  // How bytes travel: over the socket itself here; a layer over it (the relay's TLS) overrides
  // both. read_some returns 0 on EOF and on any error.
  virtual Task<std::size_t> read_some(char* data, std::size_t size);
  virtual Task<bool> write_all(std::string_view bytes);

 private:
  Task<void> watch();

  Socket socket_;
  asio::steady_timer timer_;
  std::size_t read_chunk_;
  PastDeadline past_deadline_;
  Clock::time_point deadline_ = Clock::time_point::max();
  bool timed_out_ = false;
  bool closed_ = false;
  std::string buffer_;
  std::size_t start_ = 0;  // consumed prefix of buffer_
};

// Compiled once, in buffered_socket.cpp, for the sockets the servers use.
extern template class BufferedSocket<asio::ip::tcp::socket>;
extern template class BufferedSocket<asio::generic::stream_protocol::socket>;

}  // namespace ksmg::frontend

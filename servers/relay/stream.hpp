// stream.hpp — one TCP connection of the relay, either side (a client's session or our
// connection to a next hop): plain or upgraded to TLS by STARTTLS, a bounded read buffer that
// yields lines and raw chunks, and a deadline enforced by a watchdog that cancels whatever I/O
// is pending when it passes (slow and silent peers never hold a connection past it).
#pragma once

#include <asio/ssl.hpp>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "async.hpp"

namespace ksmg::relay {

using tcp = asio::ip::tcp;
using frontend::Clock;
using frontend::kNoThrow;
using frontend::Task;

class Stream : public std::enable_shared_from_this<Stream> {
 public:
  explicit Stream(tcp::socket socket);
  ~Stream();
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  enum class Read : unsigned char { ok, too_long, closed };

  // The next line without its CR LF (or bare LF). A line longer than max_bytes is read to its
  // end and dropped (too_long), so a 1 GB line costs no memory. closed: EOF, error, timeout.
  Task<Read> read_line(std::size_t max_bytes, std::string& line);
  // At least one more byte into the buffer; false on EOF, error or timeout.
  Task<bool> fill();
  // Bytes received and not yet consumed (what pipelining clients sent ahead).
  [[nodiscard]] std::string_view buffered() const noexcept;
  void consume(std::size_t n) noexcept;
  // After STARTTLS: plaintext sent ahead of the handshake must not be taken as commands sent
  // over TLS (CVE-2011-0411 and its kind); true when there was any.
  bool discard_buffered() noexcept;

  Task<bool> write(std::string_view bytes);

  Task<bool> start_tls_server(asio::ssl::context& context);
  // SNI and, with verify, the host name check (tls.hpp prepare_client_stream()).
  Task<bool> start_tls_client(asio::ssl::context& context, const std::string& host, bool verify);
  [[nodiscard]] bool is_tls() const noexcept { return tls_ != nullptr; }
  [[nodiscard]] SSL* ssl() noexcept { return tls_ ? tls_->native_handle() : nullptr; }
  // OpenSSL's reason for the last failed handshake ("" when none).
  [[nodiscard]] const std::string& tls_error() const noexcept { return tls_error_; }

  // I/O after `at` fails as if the peer had gone (timed_out() tells). Setting a deadline costs
  // no system call: the watchdog looks at it only when its timer fires.
  void set_deadline(Clock::time_point at) noexcept { deadline_ = at; }
  void set_timeout(std::chrono::seconds s) noexcept { deadline_ = Clock::now() + s; }
  void clear_deadline() noexcept { deadline_ = Clock::time_point::max(); }
  [[nodiscard]] bool timed_out() const noexcept { return timed_out_; }
  // Cancels pending I/O now (shutdown of an idle session); the stream stays usable for a reply.
  void interrupt() noexcept;
  void close() noexcept;
  [[nodiscard]] tcp::socket& socket() noexcept { return socket_; }

  // Starts the watchdog; call once, after the Stream is owned by a shared_ptr.
  void start_watchdog();

 private:
  Task<void> watch();
  Task<std::size_t> read_some(char* data, std::size_t size);

  tcp::socket socket_;
  std::unique_ptr<asio::ssl::stream<tcp::socket&>> tls_;
  asio::steady_timer timer_;
  Clock::time_point deadline_ = Clock::time_point::max();
  bool timed_out_ = false;
  bool closed_ = false;
  std::string buffer_;
  std::size_t start_ = 0;  // consumed prefix of buffer_
  std::string tls_error_;
};

}  // namespace ksmg::relay

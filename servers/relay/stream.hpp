// stream.hpp — one TCP connection of the relay, either side (a client's session or our
// connection to a next hop): the servers' deadline-watched BufferedSocket (buffered_socket.hpp),
// plain or upgraded to TLS by STARTTLS, whose buffer yields lines and raw chunks.
#pragma once

#include <asio/ssl.hpp>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "buffered_socket.hpp"

namespace ksmg::relay {

using tcp = asio::ip::tcp;
using frontend::Clock;
using frontend::kNoThrow;
using frontend::Task;

// After STARTTLS every byte goes through the TLS layer.
class Stream : public frontend::BufferedSocket<tcp::socket> {
 public:
  explicit Stream(tcp::socket socket);

  enum class Read : unsigned char { ok, too_long, closed };

  // The next line without its CR LF (or bare LF). A line longer than max_bytes is read to its
  // end and dropped (too_long), so a 1 GB line costs no memory. closed: EOF, error, timeout.
  Task<Read> read_line(std::size_t max_bytes, std::string& line);
  // After STARTTLS: plaintext sent ahead of the handshake must not be taken as commands sent
  // over TLS (CVE-2011-0411 and its kind); true when there was any.
  bool discard_buffered() noexcept;

  Task<bool> start_tls_server(asio::ssl::context& context);
  // SNI and, with verify, the host name check (tls.hpp prepare_client_stream()).
  Task<bool> start_tls_client(asio::ssl::context& context, const std::string& host, bool verify);
  [[nodiscard]] bool is_tls() const noexcept { return tls_ != nullptr; }
  [[nodiscard]] SSL* ssl() noexcept { return tls_ ? tls_->native_handle() : nullptr; }
  // OpenSSL's reason for the last failed handshake ("" when none).
  [[nodiscard]] const std::string& tls_error() const noexcept { return tls_error_; }

 private:
  Task<std::size_t> read_some(char* data, std::size_t size) override;
  Task<bool> write_all(std::string_view bytes) override;

  std::unique_ptr<asio::ssl::stream<tcp::socket&>> tls_;
  std::string tls_error_;
};

}  // namespace ksmg::relay

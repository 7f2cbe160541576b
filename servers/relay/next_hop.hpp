// next_hop.hpp — the relay's SMTP client: one connection to a next hop, kept across the
// transactions of a client session that go to the same place. It says EHLO (HELO when EHLO is
// refused), upgrades with STARTTLS as the route's outbound TLS setting says, and relays MAIL,
// RCPT and DATA one command at a time, handing each reply back unchanged so the client hears
// what the next hop said. When the next hop cannot be reached or stops answering, the reply is
// made up here: 4xx, so the message stays with the sender.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "routing.hpp"
#include "smtp_syntax.hpp"
#include "stream.hpp"

namespace ksmg::relay {

struct NextHopOptions {
  std::string helo_name;  // our name in EHLO
  std::chrono::seconds connect_timeout{30};
  std::chrono::seconds reply_timeout{300};
  std::size_t max_line_bytes = 4096;
  asio::ssl::context* tls_unverified = nullptr;  // opportunistic / require
  asio::ssl::context* tls_verified = nullptr;    // require-verify
};

class NextHop {
 public:
  NextHop(asio::any_io_executor executor, Route route, NextHopOptions options);
  ~NextHop();
  NextHop(const NextHop&) = delete;
  NextHop& operator=(const NextHop&) = delete;

  [[nodiscard]] const Route& route() const noexcept { return route_; }
  // Connected, greeted, and not broken since.
  [[nodiscard]] bool ready() const noexcept { return ready_; }
  // Capabilities from its EHLO answer.
  [[nodiscard]] bool has_8bitmime() const noexcept { return ext_8bitmime_; }
  [[nodiscard]] bool has_smtputf8() const noexcept { return ext_smtputf8_; }
  [[nodiscard]] bool has_size() const noexcept { return ext_size_; }
  [[nodiscard]] bool is_tls() const noexcept { return stream_ && stream_->is_tls(); }

  // Connects and greets (once); a reply of class 2 when ready, else 4xx (a next hop that refuses
  // the session is not the sender's fault).
  Task<smtp::Reply> open();
  // MAIL FROM:<sender> with the parameters (already formatted, e.g. "BODY=8BITMIME").
  Task<smtp::Reply> mail(std::string_view sender, std::string_view params);
  Task<smtp::Reply> rcpt(std::string_view recipient);
  // DATA, then `prefix` and `message` dot-stuffed, then the end marker; the final reply.
  Task<smtp::Reply> data(std::string_view prefix, std::string_view message);
  // Abandons the transaction (RSET); a next hop that does not answer is closed.
  Task<void> reset();
  Task<void> quit();

 private:
  Task<smtp::Reply> command(std::string_view line);
  Task<smtp::Reply> read_reply();
  Task<smtp::Reply> greet();
  smtp::Reply fail(std::string_view what);

  asio::any_io_executor executor_;
  Route route_;
  NextHopOptions options_;
  std::shared_ptr<Stream> stream_;
  bool ready_ = false;
  bool broken_ = false;  // fail() made up a reply: the connection is gone
  bool ext_8bitmime_ = false;
  bool ext_smtputf8_ = false;
  bool ext_size_ = false;
  bool ext_starttls_ = false;
  std::string wire_;  // the DATA payload being written (reused)
};

// A reply made up by the relay (not a next hop's): code, enhanced status, one line of text.
[[nodiscard]] smtp::Reply make_reply(int code, std::string_view enhanced, std::string text);

}  // namespace ksmg::relay

// next_hop.cpp — owns the relay's SMTP client (next_hop.hpp).
#include "next_hop.hpp"

#include <algorithm>
#include <cctype>

namespace ksmg::relay {

namespace {

std::string upper_first_word(std::string_view line) {
  std::string word(line.substr(0, line.find(' ')));
  for (char& c : word) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return word;
}

// "554 no service here" of a reply, for the text of ours that reports it.
std::string summary(const smtp::Reply& r) {
  return std::to_string(r.code) + (r.lines.empty() ? "" : " " + r.lines.front());
}

// How long QUIT may take: a next hop that does not answer it is closed anyway.
constexpr std::chrono::seconds kQuitTimeout{10};

}  // namespace

smtp::Reply make_reply(int code, std::string_view enhanced, std::string text) {
  smtp::Reply r;
  r.code = code;
  r.enhanced = std::string(enhanced);
  r.lines.push_back(std::move(text));
  return r;
}

NextHop::NextHop(asio::any_io_executor executor, Route route, NextHopOptions options)
    : executor_(std::move(executor)), route_(std::move(route)), options_(std::move(options)) {}

NextHop::~NextHop() {
  if (stream_) stream_->close();
}

smtp::Reply NextHop::fail(std::string_view what) {
  ready_ = false;
  broken_ = true;
  if (stream_) stream_->close();
  return make_reply(451, "4.4.2", "next hop " + route_.to_string() + ": " + std::string(what));
}

Task<smtp::Reply> NextHop::read_reply() {
  smtp::ReplyReader reader;
  std::string line;
  for (;;) {
    stream_->set_timeout(options_.reply_timeout);
    const Stream::Read r = co_await stream_->read_line(options_.max_line_bytes, line);
    if (r == Stream::Read::closed)
      co_return fail(stream_->timed_out() ? "timed out waiting for its reply"
                                          : "lost the connection");
    if (r == Stream::Read::too_long) co_return fail("sent a reply line that is too long");
    const auto state = reader.take(line);
    if (state == smtp::ReplyReader::State::malformed) co_return fail("sent a malformed reply");
    if (state == smtp::ReplyReader::State::done) {
      stream_->clear_deadline();
      co_return reader.reply();
    }
  }
}

Task<smtp::Reply> NextHop::command(std::string_view line) {
  if (stream_ == nullptr) co_return fail("not connected");
  std::string out(line);
  out += "\r\n";
  stream_->set_timeout(options_.reply_timeout);
  if (!co_await stream_->write(out)) co_return fail("lost the connection");
  co_return co_await read_reply();
}

Task<smtp::Reply> NextHop::greet() {
  smtp::Reply ehlo = co_await command("EHLO " + options_.helo_name);
  if (ehlo.code >= 500 && ehlo.code < 600) {
    ehlo = co_await command("HELO " + options_.helo_name);
    if (ehlo.code / 100 == 2) ehlo.lines.resize(1);  // HELO: no extensions
  }
  if (ehlo.code / 100 != 2) co_return ehlo;
  ext_8bitmime_ = ext_smtputf8_ = ext_size_ = ext_starttls_ = false;
  for (std::size_t i = 1; i < ehlo.lines.size(); ++i) {
    const std::string word = upper_first_word(ehlo.lines[i]);
    ext_8bitmime_ = ext_8bitmime_ || word == "8BITMIME";
    ext_smtputf8_ = ext_smtputf8_ || word == "SMTPUTF8";
    ext_size_ = ext_size_ || word == "SIZE";
    ext_starttls_ = ext_starttls_ || word == "STARTTLS";
  }
  co_return ehlo;
}

Task<smtp::Reply> NextHop::open() {
  if (ready_) co_return make_reply(250, "2.0.0", "ready");
  if (route_.kind != Route::Kind::smtp) co_return fail("is not an SMTP next hop");
  stream_ = std::make_shared<Stream>(tcp::socket(executor_));
  stream_->start_watchdog();
  stream_->set_timeout(options_.connect_timeout);
  tcp::resolver resolver(executor_);
  const auto [rec, endpoints] =
      co_await resolver.async_resolve(route_.host, std::to_string(route_.port), kNoThrow);
  if (rec) co_return fail("cannot resolve " + route_.host + ": " + rec.message());
  const auto [cec, endpoint] = co_await asio::async_connect(stream_->socket(), endpoints, kNoThrow);
  if (cec) {
    smtp::Reply r = fail(stream_->timed_out() ? "connect timed out" : cec.message());
    r.enhanced = "4.4.1";
    co_return r;
  }
  std::error_code ignored;
  stream_->socket().set_option(tcp::no_delay(true), ignored);
  // A next hop that will not talk to us at all is the gateway's problem, not the sender's: the
  // client hears 4xx (and keeps the message) whatever class of code the next hop used.
  const smtp::Reply greeting = co_await read_reply();
  if (broken_) co_return greeting;  // made up by fail(): lost, timed out, malformed
  if (greeting.code != 220) co_return fail("refused the session: " + summary(greeting));
  smtp::Reply ehlo = co_await greet();
  if (broken_) co_return ehlo;
  if (ehlo.code / 100 != 2) co_return fail("refused EHLO and HELO: " + summary(ehlo));

  const bool verify = route_.tls == OutboundTls::require_verify;
  const bool must = route_.tls == OutboundTls::require || verify;
  asio::ssl::context* context = verify ? options_.tls_verified : options_.tls_unverified;
  if (route_.tls != OutboundTls::none && (ext_starttls_ || must)) {
    if (!ext_starttls_ || context == nullptr) {
      smtp::Reply r = fail("does not offer STARTTLS, which its route requires");
      r.enhanced = "4.7.4";
      co_return r;
    }
    const smtp::Reply go = co_await command("STARTTLS");
    if (go.code != 220) {
      if (must) co_return fail("refused STARTTLS, which its route requires");
      // Opportunistic: carry on in plain text, as the next hop asked.
    } else {
      stream_->set_timeout(options_.connect_timeout);
      if (!co_await stream_->start_tls_client(*context, route_.host, verify)) {
        smtp::Reply r = fail("TLS handshake failed: " + stream_->tls_error());
        r.enhanced = "4.7.5";
        co_return r;
      }
      ehlo = co_await greet();
      if (broken_) co_return ehlo;
      if (ehlo.code / 100 != 2) co_return fail("refused EHLO after STARTTLS: " + summary(ehlo));
    }
  }
  ready_ = true;
  co_return ehlo;
}

Task<smtp::Reply> NextHop::mail(std::string_view sender, std::string_view params) {
  std::string line = "MAIL FROM:<" + std::string(sender) + ">";
  if (!params.empty()) (line += ' ') += params;
  co_return co_await command(line);
}

Task<smtp::Reply> NextHop::rcpt(std::string_view recipient) {
  co_return co_await command("RCPT TO:<" + std::string(recipient) + ">");
}

Task<smtp::Reply> NextHop::data(std::string_view prefix, std::string_view message) {
  const smtp::Reply go = co_await command("DATA");
  if (go.code != 354) co_return go;
  wire_.clear();
  wire_.reserve(prefix.size() + message.size() + message.size() / 64 + 8);
  wire_.append(prefix);  // header fields of ours: no line starts with '.'
  smtp::append_dot_stuffed(wire_, message);
  stream_->set_timeout(options_.reply_timeout);
  const bool sent = co_await stream_->write(wire_);
  wire_.clear();
  if (wire_.capacity() > (std::size_t{1} << 20)) wire_.shrink_to_fit();
  if (!sent) co_return fail("lost the connection while sending the message");
  co_return co_await read_reply();
}

Task<void> NextHop::reset() {
  if (!ready_) co_return;
  const smtp::Reply r = co_await command("RSET");
  if (r.code != 250) {
    ready_ = false;
    if (stream_) stream_->close();
  }
}

Task<void> NextHop::quit() {
  if (!ready_ || !stream_) co_return;
  ready_ = false;
  stream_->set_timeout(kQuitTimeout);
  if (co_await stream_->write("QUIT\r\n")) {
    std::string line;
    co_await stream_->read_line(options_.max_line_bytes, line);
  }
  stream_->close();
}

}  // namespace ksmg::relay

// session.cpp — owns the SMTP server side of the relay (session.hpp): the command loop, the
// transaction, and applying the verdict.
#include "session.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "inflight_bytes.hpp"
#include "ksmg/log.hpp"
#include "ksmg/mutate.hpp"
#include "ksmg/verdict.hpp"
#include "local_files.hpp"
#include "next_hop.hpp"
#include "smtp_syntax.hpp"
#include "tls.hpp"

namespace ksmg::relay {

namespace {

using smtp::Verb;

std::string machine_name() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') return "localhost";
  return host;
}

bool is_ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

// Each session and message gets an id for the log and the Received field: the process id and
// a counter keep ids of one relay apart, the session id and message count within it.
std::string message_id(std::uint64_t session, unsigned count) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%lX.%lX.%X", static_cast<unsigned long>(::getpid()),
                static_cast<unsigned long>(session), count);
  return buf;
}

// The library's reply (ksmg/verdict.hpp) as the relay writes it.
smtp::Reply reply_for(const verdict::SmtpReply& r) {
  return make_reply(r.code, r.enhanced, r.text);
}

}  // namespace

std::shared_ptr<const Snapshot> make_snapshot(RelaySettings settings, std::string& error) {
  auto s = std::make_shared<Snapshot>();
  s->settings = std::move(settings);
  s->hostname = s->settings.hostname.empty() ? machine_name() : s->settings.hostname;
  if (s->settings.tls.level != ServerTls::none) {
    s->server_tls = make_server_context(s->settings.tls, s->hostname, error);
    if (!s->server_tls) return nullptr;
  }
  s->client_tls = make_client_context(s->settings.tls, false, error);
  if (!s->client_tls) return nullptr;
  s->client_tls_verified = make_client_context(s->settings.tls, true, error);
  if (!s->client_tls_verified) return nullptr;
  return s;
}

struct Session::Transaction {
  bool active = false;
  std::string sender;
  bool body_8bit = false;
  bool smtputf8 = false;
  std::size_t declared_size = 0;
  std::vector<std::string> recipients;
  std::optional<Route> route;
  bool next_hop_mail = false;  // MAIL went to the next hop
};

struct Session::State {
  std::shared_ptr<Stream> stream;
  std::shared_ptr<const Snapshot> snap;
  frontend::SessionServices& services;
  std::string client_ip;
  std::uint64_t id;

  const RelaySettings& cfg() const { return snap->settings; }

  std::string out;  // replies not yet written (pipelining: written when input runs dry)
  std::string helo;
  bool esmtp = false;
  bool trusted = false;
  std::size_t errors = 0;
  unsigned messages = 0;
  bool waiting = false;  // for a command: a shutdown may interrupt the read
  bool stop_requested = false;
  bool done = false;
  Transaction tx;
  std::unique_ptr<NextHop> next_hop;

  State(std::shared_ptr<Stream> s, std::shared_ptr<const Snapshot> sn,
        frontend::SessionServices& sv, std::string ip, std::uint64_t i)
      : stream(std::move(s)), snap(std::move(sn)), services(sv), client_ip(std::move(ip)), id(i) {}

  void log(log::Level level, const std::string& text) const {
    if (log::enabled(level))
      log::write(level, "relay",
                 "session=" + std::to_string(id) + " client=" + client_ip + " " + text);
  }

  void reply(int code, std::string_view enhanced, std::string_view text) {
    out += smtp::format_reply(code, enhanced, text);
  }
  void reply(const smtp::Reply& r) { out += smtp::format_reply(r.code, r.enhanced, r.lines); }

  Task<bool> flush() {
    if (out.empty()) co_return true;
    stream->set_timeout(cfg().idle_timeout);
    const bool ok = co_await stream->write(out);
    out.clear();
    co_return ok;
  }

  // A command that broke the protocol; true when the session has had enough of them.
  bool count_error() { return ++errors >= cfg().max_errors; }

  Task<void> reset_transaction() {
    if (tx.next_hop_mail && next_hop) co_await next_hop->reset();
    tx = Transaction{};
  }

  Task<void> run();
  Task<bool> on_command(const smtp::Command& c);
  Task<void> on_ehlo(const smtp::Command& c);
  Task<bool> on_starttls(const smtp::Command& c);
  void on_mail(const smtp::Command& c);
  Task<void> on_rcpt(const smtp::Command& c);
  Task<bool> on_data(const smtp::Command& c);
  Task<smtp::Reply> apply_verdict(std::string& message, const ScanReport& report,
                                  const std::string& qid);
  Task<smtp::Reply> deliver(std::string_view prefix, std::string_view message,
                            const std::string& qid);
  std::string received_field(const std::string& qid);
  bool backup(std::string_view message, const ScanReport& report, const std::string& qid);
  NextHopOptions next_hop_options() const;
};

Session::Session(std::shared_ptr<Stream> stream, std::shared_ptr<const Snapshot> snapshot,
                 frontend::SessionServices& services, std::string client_ip, std::uint64_t id)
    : s_(std::make_unique<State>(std::move(stream), std::move(snapshot), services,
                                 std::move(client_ip), id)) {
  const auto ip = parse_ip(s_->client_ip);
  s_->trusted = ip && s_->cfg().routing.is_trusted(*ip);
}

Session::~Session() = default;

Task<void> Session::run() { return s_->run(); }

void Session::request_stop() {
  s_->stop_requested = true;
  if (s_->waiting) s_->stream->interrupt();
}

void Session::abort() noexcept { s_->stream->close(); }

Task<void> Session::State::run() {
  log(log::Level::info, "connect");
  reply(220, "", snap->hostname + " ESMTP ksmg-relay");
  std::string line;
  while (!done) {
    if (stop_requested) {
      reply(421, "4.3.2", snap->hostname + " Service shutting down, closing transmission channel");
      break;
    }
    // Replies wait while the client's pipelined commands are still buffered (RFC 2920).
    if (stream->buffered().find('\n') == std::string_view::npos || out.size() > 64 * 1024)
      if (!co_await flush()) break;
    waiting = true;
    stream->set_timeout(cfg().idle_timeout);
    const Stream::Read r = co_await stream->read_line(cfg().max_line_bytes, line);
    waiting = false;
    if (r == Stream::Read::closed) {
      if (stop_requested)
        reply(421, "4.3.2",
              snap->hostname + " Service shutting down, closing transmission channel");
      else if (stream->timed_out())
        reply(421, "4.4.2", snap->hostname + " Error: timeout exceeded");
      else
        log(log::Level::info, "lost connection");
      break;
    }
    if (r == Stream::Read::too_long) {
      reply(500, "5.5.2", "Error: line too long");
      if (count_error()) break;
      continue;
    }
    if (!co_await on_command(smtp::parse_command(line))) break;
  }
  if (errors >= cfg().max_errors) reply(421, "4.7.0", snap->hostname + " Error: too many errors");
  if (!stream->timed_out() || out.size() < 512) {
    stream->set_timeout(std::chrono::seconds(10));
    co_await flush();
  }
  if (tx.active) co_await reset_transaction();
  if (next_hop) co_await next_hop->quit();
  stream->close();
  log(log::Level::info, "disconnect");
}

// False when the session ends.
Task<bool> Session::State::on_command(const smtp::Command& c) {
  const bool tls_missing = cfg().tls.level == ServerTls::require && !stream->is_tls();
  switch (c.verb) {
    case Verb::helo:
    case Verb::ehlo:
      co_await on_ehlo(c);
      co_return !(errors >= cfg().max_errors);
    case Verb::starttls:
      co_return co_await on_starttls(c);
    case Verb::mail:
    case Verb::rcpt:
    case Verb::data:
      if (helo.empty()) {
        reply(503, "5.5.1", "Error: send HELO/EHLO first");
        co_return !count_error();
      }
      if (tls_missing) {
        reply(530, "5.7.0", "Must issue a STARTTLS command first");
        co_return !count_error();
      }
      if (c.verb == Verb::mail) {
        on_mail(c);
        co_return errors < cfg().max_errors;
      }
      if (c.verb == Verb::rcpt) {
        co_await on_rcpt(c);
        co_return errors < cfg().max_errors;
      }
      co_return co_await on_data(c);
    case Verb::rset:
      if (!c.argument.empty()) {
        reply(501, "5.5.4", "Syntax: RSET");
        co_return !count_error();
      }
      co_await reset_transaction();
      reply(250, "2.0.0", "Ok");
      co_return true;
    case Verb::noop:
      reply(250, "2.0.0", "Ok");
      co_return true;
    case Verb::quit:
      reply(221, "2.0.0", "Bye");
      done = true;
      co_return false;
    case Verb::vrfy:
    case Verb::expn:
      reply(502, "5.5.1", "Error: command disabled");
      co_return true;
    case Verb::help:
      reply(214, "2.0.0", "Commands: EHLO HELO MAIL RCPT DATA RSET NOOP QUIT STARTTLS");
      co_return true;
    case Verb::bdat:
    case Verb::auth:
      reply(502, "5.5.1", "Error: command not implemented");
      co_return !count_error();
    case Verb::unknown:
      break;
  }
  reply(500, "5.5.2", "Error: command not recognized");
  co_return !count_error();
}

Task<void> Session::State::on_ehlo(const smtp::Command& c) {
  const std::string_view name = c.argument;
  if (name.empty() || name.find_first_of(" \t") != std::string_view::npos) {
    reply(501, "5.5.4", c.verb == Verb::ehlo ? "Syntax: EHLO hostname" : "Syntax: HELO hostname");
    count_error();
    co_return;
  }
  // A new greeting resets the transaction (RFC 5321 4.1.4), the next hop's one too.
  co_await reset_transaction();
  helo = verdict::header_safe(name, 255);
  esmtp = c.verb == Verb::ehlo;
  if (!esmtp) {
    reply(250, "", snap->hostname);
    co_return;
  }
  std::vector<std::string> lines{
      snap->hostname, "PIPELINING", "SIZE " + std::to_string(cfg().max_message_bytes),
      "8BITMIME",     "SMTPUTF8",   "ENHANCEDSTATUSCODES"};
  if (snap->server_tls && !stream->is_tls()) lines.insert(lines.begin() + 3, "STARTTLS");
  out += smtp::format_reply(250, "", lines);
}

Task<bool> Session::State::on_starttls(const smtp::Command& c) {
  if (!snap->server_tls) {
    reply(502, "5.5.1", "Error: command not implemented");
    co_return !count_error();
  }
  if (stream->is_tls()) {
    reply(503, "5.5.1", "Error: TLS already active");
    co_return !count_error();
  }
  if (!c.argument.empty()) {
    reply(501, "5.5.4", "Syntax: STARTTLS");
    co_return !count_error();
  }
  co_await reset_transaction();  // RFC 3207 4.2: what came before the handshake is forgotten
  reply(220, "2.0.0", "Ready to start TLS");
  if (!co_await flush()) co_return false;
  if (stream->discard_buffered())
    log(log::Level::warning, "commands pipelined after STARTTLS were dropped");
  stream->set_timeout(cfg().idle_timeout);
  if (!co_await stream->start_tls_server(*snap->server_tls)) {
    log(log::Level::info, "TLS handshake failed: " + stream->tls_error());
    stream->close();
    co_return false;
  }
  const TlsSessionInfo info = session_info(stream->ssl());
  log(log::Level::info,
      "TLS " + info.protocol + " " + info.cipher +
          (info.peer_certificate ? (info.peer_verified ? " client certificate verified: "
                                                       : " client certificate unverified: ") +
                                       info.peer_subject
                                 : std::string()));
  helo.clear();
  esmtp = false;
  co_return true;
}

void Session::State::on_mail(const smtp::Command& c) {
  if (tx.active) {
    reply(503, "5.5.1", "Error: nested MAIL command");
    count_error();
    return;
  }
  smtp::PathResult p = smtp::parse_path(c.argument, "FROM:", true);
  if (p.error != smtp::PathError::none) {
    const bool address = p.error == smtp::PathError::bad_address;
    reply(address ? 553 : 501, address ? "5.1.7" : "5.5.4",
          "Error: " + std::string(p.why.empty() ? "bad sender address syntax" : p.why));
    count_error();
    return;
  }
  Transaction t;
  for (const auto& [key, value] : p.path.params) {
    if (!esmtp) {
      reply(555, "5.5.4", "Error: parameters need EHLO");
      count_error();
      return;
    }
    if (key == "SIZE") {
      std::size_t size = 0;
      const bool digits =
          !value.empty() && value.size() <= 19 &&
          std::all_of(value.begin(), value.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
      if (!digits) {
        reply(501, "5.5.4", "Error: bad SIZE parameter");
        count_error();
        return;
      }
      for (const char ch : value) size = size * 10 + static_cast<std::size_t>(ch - '0');
      if (size > cfg().max_message_bytes) {
        reply(552, "5.3.4", "Error: message size exceeds fixed limit");
        return;
      }
      t.declared_size = size;
    } else if (key == "BODY") {
      std::string v = value;
      for (char& ch : v) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      if (v != "7BIT" && v != "8BITMIME") {
        reply(501, "5.5.4", "Error: BODY is 7BIT or 8BITMIME");
        count_error();
        return;
      }
      t.body_8bit = v == "8BITMIME";
    } else if (key == "SMTPUTF8" && value.empty()) {
      t.smtputf8 = true;
    } else {
      reply(555, "5.5.4", "Error: unsupported parameter " + key);
      count_error();
      return;
    }
  }
  if (!t.smtputf8 && !is_ascii(p.path.address)) {
    reply(553, "5.6.7", "Error: a non-ASCII address needs SMTPUTF8");
    return;
  }
  t.active = true;
  t.sender = std::move(p.path.address);
  tx = std::move(t);
  reply(250, "2.1.0", "Ok");
}

NextHopOptions Session::State::next_hop_options() const {
  NextHopOptions o;
  o.helo_name = snap->hostname;
  o.connect_timeout = cfg().next_hop_connect_timeout;
  o.reply_timeout = cfg().next_hop_timeout;
  o.max_line_bytes = cfg().max_line_bytes;
  o.tls_unverified = snap->client_tls.get();
  o.tls_verified = snap->client_tls_verified.get();
  return o;
}

Task<void> Session::State::on_rcpt(const smtp::Command& c) {
  if (!tx.active) {
    reply(503, "5.5.1", "Error: need MAIL command");
    count_error();
    co_return;
  }
  if (tx.recipients.size() >= cfg().max_recipients) {
    reply(452, "4.5.3", "Error: too many recipients");
    co_return;
  }
  smtp::PathResult p = smtp::parse_path(c.argument, "TO:", tx.smtputf8);
  if (p.error != smtp::PathError::none) {
    const bool address = p.error == smtp::PathError::bad_address;
    reply(address ? 553 : 501, address ? "5.1.3" : "5.5.4",
          "Error: " + std::string(p.why.empty() ? "bad recipient address syntax" : p.why));
    count_error();
    co_return;
  }
  if (!p.path.params.empty()) {
    reply(555, "5.5.4", "Error: unsupported parameter " + p.path.params.front().first);
    count_error();
    co_return;
  }
  const std::string& rcpt = p.path.address;
  const std::string domain = smtp::domain_of(rcpt);
  const bool postmaster = domain.empty();  // RCPT TO:<Postmaster> must always be taken
  if (!postmaster && !trusted && !cfg().routing.is_relay_domain(domain)) {
    reply(554, "5.7.1", "<" + rcpt + ">: Relay access denied");
    co_return;
  }
  const Route* route = postmaster
                           ? (cfg().routing.default_route ? &*cfg().routing.default_route : nullptr)
                           : cfg().routing.route_for(domain);
  if (route == nullptr) {
    reply(451, "4.3.5", "<" + rcpt + ">: no next hop is configured for this domain");
    co_return;
  }
  // One transaction goes to one next hop, so that the final reply to DATA is that next hop's
  // answer for every recipient; the client sends the others in a transaction of their own.
  if (tx.route && !(*tx.route == *route)) {
    reply(452, "4.5.3", "<" + rcpt + ">: recipients of another next hop, send them separately");
    co_return;
  }
  tx.route = *route;
  if (route->kind == Route::Kind::maildir) {
    tx.recipients.push_back(rcpt);
    reply(250, "2.1.5", "Ok");
    co_return;
  }
  // Recipients already taken went to this connection: a new one would not carry them.
  if (tx.next_hop_mail && !next_hop->ready()) {
    reply(451, "4.4.2", "<" + rcpt + ">: lost the next hop, try again later");
    co_return;
  }
  if (!next_hop || !(next_hop->route() == *route) || !next_hop->ready()) {
    if (next_hop) co_await next_hop->quit();
    next_hop =
        std::make_unique<NextHop>(stream->socket().get_executor(), *route, next_hop_options());
    tx.next_hop_mail = false;
    const smtp::Reply greeting = co_await next_hop->open();
    if (greeting.code / 100 != 2) {
      log(log::Level::warning, "next hop " + route->to_string() + ": " +
                                   std::to_string(greeting.code) + " " +
                                   (greeting.lines.empty() ? "" : greeting.lines.front()));
      next_hop.reset();
      reply(greeting);
      co_return;
    }
  }
  if (!tx.next_hop_mail) {
    if (tx.body_8bit && !next_hop->has_8bitmime()) {
      reply(550, "5.6.3", "Error: the next hop does not take 8-bit data");
      co_return;
    }
    if (tx.smtputf8 && !next_hop->has_smtputf8()) {
      reply(553, "5.6.7", "Error: the next hop does not take SMTPUTF8");
      co_return;
    }
    std::string params;
    if (tx.body_8bit) params += "BODY=8BITMIME";
    if (tx.smtputf8) params += params.empty() ? "SMTPUTF8" : " SMTPUTF8";
    if (tx.declared_size != 0 && next_hop->has_size())
      params += (params.empty() ? "SIZE=" : " SIZE=") + std::to_string(tx.declared_size);
    const smtp::Reply mail = co_await next_hop->mail(tx.sender, params);
    if (mail.code / 100 != 2) {
      reply(mail);
      co_return;
    }
    tx.next_hop_mail = true;
  }
  const smtp::Reply r = co_await next_hop->rcpt(rcpt);
  if (r.code / 100 == 2) tx.recipients.push_back(rcpt);
  reply(r);
}

// False when the session ends (the client went away during DATA).
Task<bool> Session::State::on_data(const smtp::Command& c) {
  if (!tx.active) {
    reply(503, "5.5.1", "Error: need MAIL command");
    co_return !count_error();
  }
  if (!c.argument.empty()) {
    reply(501, "5.5.4", "Syntax: DATA");
    co_return !count_error();
  }
  if (tx.recipients.empty()) {
    reply(554, "5.5.1", "Error: no valid recipients");
    co_return true;
  }
  if (services.inflight_bytes >= cfg().max_inflight_bytes) {
    reply(452, "4.3.1", "Error: insufficient system storage, try again later");
    log(log::Level::warning, "DATA deferred: " + std::to_string(services.inflight_bytes) +
                                 " bytes of messages in memory");
    co_return true;
  }
  reply(354, "", "End data with <CR><LF>.<CR><LF>");
  if (!co_await flush()) co_return false;

  smtp::DataReader data(cfg().max_message_bytes);
  frontend::InflightBytes held(services.inflight_bytes);
  const Clock::time_point data_end = Clock::now() + cfg().data_timeout;
  for (;;) {
    stream->consume(data.feed(stream->buffered()));
    held.update(data.message().size());
    if (data.finished()) break;
    stream->set_deadline(std::min(Clock::now() + cfg().idle_timeout, data_end));
    if (!co_await stream->fill()) {
      log(log::Level::info, std::string(stream->timed_out() ? "timeout" : "lost connection") +
                                " after " + std::to_string(data.total_bytes()) + " bytes of DATA");
      if (stream->timed_out()) reply(421, "4.4.2", snap->hostname + " Error: timeout exceeded");
      co_return false;
    }
  }
  stream->clear_deadline();
  if (data.too_big()) {
    reply(552, "5.3.4", "Error: message size exceeds fixed limit");
    log(log::Level::info, "refused: " + std::to_string(data.total_bytes()) + " bytes over SIZE");
    co_await reset_transaction();
    co_return true;
  }
  const std::string qid = message_id(id, ++messages);
  const std::string sender = tx.sender;
  const std::size_t recipients = tx.recipients.size();
  std::string message = std::move(data.message());
  Envelope envelope{tx.sender, tx.recipients, client_ip, helo};
  const std::optional<ScanReport> report =
      co_await services.scanner.scan(services.engines, message, std::move(envelope));
  smtp::Reply r;
  if (!report) {
    r = reply_for(verdict::smtp_reply(verdict::Failure::scan_failed));
    co_await reset_transaction();
  } else {
    r = co_await apply_verdict(message, *report, qid);
  }
  reply(r);
  const std::string reason = report ? report->verdict.reason : "scan failed";
  log(log::Level::info,
      "id=" + qid + " from=<" + sender + "> rcpts=" + std::to_string(recipients) +
          " size=" + std::to_string(message.size()) + " action=" +
          std::string(report ? verdict::to_string(report->verdict.action) : "tempfail") +
          (reason.empty() ? "" : " reason=\"" + verdict::header_safe(reason, 200) + "\"") +
          " reply=" + std::to_string(r.code));
  tx = Transaction{};
  co_return true;
}

std::string Session::State::received_field(const std::string& qid) {
  const bool tls = stream->is_tls();
  const char* protocol = tx.smtputf8 ? (tls ? "UTF8SMTPS" : "UTF8SMTP")
                         : esmtp     ? (tls ? "ESMTPS" : "ESMTP")
                                     : "SMTP";
  std::string f = "Received: from " + helo + " ([" + client_ip + "])\r\n\tby " + snap->hostname +
                  " (ksmg-relay) with " + protocol;
  if (tls) {
    const TlsSessionInfo info = session_info(stream->ssl());
    f += "\r\n\t(using " + info.protocol + " with cipher " + info.cipher + ")";
  }
  f += " id " + qid;
  if (tx.recipients.size() == 1)
    f += "\r\n\tfor <" + verdict::header_safe(tx.recipients[0], 300) + ">";
  f += "; " + frontend::rfc5322_date() + "\r\n";
  return f;
}

bool Session::State::backup(std::string_view message, const ScanReport& report,
                            const std::string& qid) {
  const frontend::BackupRecord record{qid,
                                      client_ip,
                                      helo,
                                      tx.sender,
                                      tx.recipients,
                                      std::string(verdict::to_string(report.verdict.action)),
                                      report.verdict.reason};
  std::string digest;
  std::string error;
  if (frontend::keep_original(cfg().backup_dir, message, record, digest, error)) {
    log(log::Level::info, "id=" + qid + " backup=" + digest);
    return true;
  }
  log(log::Level::error, "id=" + qid + " backup failed: " + error);
  return false;
}

Task<smtp::Reply> Session::State::deliver(std::string_view prefix, std::string_view message,
                                          const std::string& qid) {
  if (tx.route && tx.route->kind == Route::Kind::maildir) {
    std::string name;
    std::string error;
    if (!frontend::deliver_to_maildir(tx.route->maildir, prefix, message, name, error)) {
      log(log::Level::error, "id=" + qid + " maildir delivery failed: " + error);
      co_return make_reply(451, "4.3.0", "Error: local delivery failed, try again later");
    }
    co_return make_reply(250, "2.0.0", "Ok: delivered as " + qid);
  }
  if (!next_hop || !tx.next_hop_mail)
    co_return make_reply(451, "4.4.2", "Error: lost the next hop, try again later");
  co_return co_await next_hop->data(prefix, message);
}

Task<smtp::Reply> Session::State::apply_verdict(std::string& message, const ScanReport& report,
                                                const std::string& qid) {
  const verdict::Verdict& v = report.verdict;
  const std::string reason = verdict::stated_reason(v);
  // The policy keeps the original before anything else: if it cannot be kept, the message is
  // not taken (4xx), whatever was decided.
  if ((v.extras.backup || v.extras.quarantine) && !backup(message, report, qid)) {
    co_await reset_transaction();
    co_return reply_for(verdict::smtp_reply(verdict::Failure::backup_failed));
  }
  if (const std::optional<verdict::SmtpReply> refusal = verdict::smtp_reply(v)) {
    co_await reset_transaction();
    co_return reply_for(*refusal);
  }
  if (v.action == verdict::Action::discard) {
    log(log::Level::info, "id=" + qid + " discarded: " + reason);
    co_await reset_transaction();
    co_return make_reply(250, "2.0.0", "Ok: " + qid);
  }
  // The relay has no queue to hold a message in: quarantine is the backup copy, not delivered.
  if (v.extras.quarantine) {
    log(log::Level::info, "id=" + qid + " quarantined: " + reason);
    co_await reset_transaction();
    co_return make_reply(250, "2.0.0", "Ok: " + qid + " held for review");
  }
  // Our fields go on top, right under this hop's Received field; the message's own bytes are
  // copied only when an edit changes them.
  mutate::Rewrite rewrite = mutate::apply(mutate::make_plan(message, v, report.headers), message);
  if (rewrite.message) message = std::move(*rewrite.message);
  const std::string prefix = received_field(qid) + rewrite.fields_on_top;
  co_return co_await deliver(prefix, message, qid);
}

}  // namespace ksmg::relay

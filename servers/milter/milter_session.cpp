// milter_session.cpp — owns one MTA connection of ksmg-milter (milter_session.hpp): reading
// packets under the idle deadline, the command state machine, and answering at end of message.
#include "milter_session.hpp"

#include <libmilter/mfapi.h>
#include <libmilter/mfdef.h>

#include <algorithm>
#include <map>

#include "buffered_socket.hpp"
#include "inflight_bytes.hpp"
#include "ksmg/log.hpp"
#include "ksmg/mutate.hpp"
#include "ksmg/verdict.hpp"
#include "local_files.hpp"
#include "milter_protocol.hpp"
#include "tcp_quickack.hpp"

namespace ksmg::milter {

namespace {

constexpr std::size_t kReadChunk = 64 * 1024;
// Macros kept per connection: the MTA sends a handful; a hostile peer sending thousands of
// distinct names costs no more than this.
constexpr std::size_t kMaxMacros = 64;

// What we ask the MTA for. Actions: header fields (X-KSMG-*, the subject tag, forged fields
// removed), the body (the warning wraps the message) and quarantine. Steps we have no use for are
// skipped, and no step but the end of the message is answered, so the MTA streams the message
// without waiting for us.
Wanted wanted_options() {
  Wanted w;
  w.actions = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_CHGBODY | SMFIF_QUARANTINE;
  w.skip_steps = SMFIP_NOUNKNOWN | SMFIP_NODATA;
  w.no_reply = SMFIP_NR_CONN | SMFIP_NR_HELO | SMFIP_NR_MAIL | SMFIP_NR_RCPT | SMFIP_NR_DATA |
               SMFIP_NR_UNKN | SMFIP_NR_EOH | SMFIP_NR_BODY | SMFIP_NR_HDR;
  w.header_leading_space = true;
  return w;
}

// The MTA's connection; past the idle deadline the watchdog cancels the read and the session
// ends the connection itself. The MTA writes packets we do not answer (SMFIP_NR_*) one after
// another: an ACK that Linux delays makes its Nagle hold the next one ~40 ms, so each read
// re-arms TCP_QUICKACK (tcp_quickack.hpp).
class Connection final : public frontend::BufferedSocket<Socket> {
 public:
  using BufferedSocket::BufferedSocket;

 protected:
  Task<std::size_t> read_some(char* data, std::size_t size) override {
    const std::size_t n = co_await BufferedSocket::read_some(data, size);
    if (n > 0) frontend::rearm_quick_ack(socket());
    co_return n;
  }
};

}  // namespace

// One message, from MAIL to end of message (or abort).
struct Message {
  bool active = false;
  std::string sender;
  std::vector<std::string> recipients;
  std::size_t recipients_seen = 0;
  std::size_t bytes = 0;  // of the message as the MTA sent it, kept or not
  std::string raw;        // header fields, blank line, body: the message as the scanner reads it
  bool oversize = false;
  bool out_of_memory = false;  // max_inflight_bytes: not kept
};

struct MilterSession::State {
  std::shared_ptr<Connection> conn;
  std::shared_ptr<const MilterSettings> settings;
  frontend::SessionServices& services;
  std::uint64_t id;

  Options agreed;
  bool negotiated = false;
  bool stop_requested = false;
  bool waiting = false;  // for the MTA's next packet: a shutdown may interrupt the read
  std::string client_ip;
  std::string client_name;
  std::string helo;
  std::map<std::string, std::string, std::less<>> macros;
  Message msg;
  frontend::InflightBytes held;
  unsigned messages = 0;
  std::string out;  // replies not yet written

  State(Socket s, std::shared_ptr<const MilterSettings> st, frontend::SessionServices& sv,
        std::uint64_t i)
      : conn(
            std::make_shared<Connection>(std::move(s), kReadChunk, frontend::PastDeadline::cancel)),
        settings(std::move(st)),
        services(sv),
        id(i),
        held(sv.inflight_bytes) {}

  const MilterSettings& cfg() const { return *settings; }

  void log(log::Level level, const std::string& text) const {
    if (log::enabled(level)) log::write(level, "milter", "conn=" + std::to_string(id) + " " + text);
  }

  bool may(std::uint32_t action) const { return (agreed.actions & action) != 0; }
  bool answers(std::uint32_t no_reply_flag) const { return (agreed.protocol & no_reply_flag) == 0; }
  void continue_unless(std::uint32_t no_reply_flag) {
    if (answers(no_reply_flag)) append_simple(out, SMFIR_CONTINUE);
  }

  std::string macro(std::string_view name) const {
    const auto it = macros.find(name);
    return it == macros.end() ? std::string() : it->second;
  }

  void reset_message() {
    msg = Message{};
    held.release();
  }

  Task<void> run();
  Task<bool> on_packet(char command, std::string_view data);
  bool on_negotiate(std::string_view data);
  void on_macros(std::string_view data);
  void on_header(std::string_view data);
  void append_body(std::string_view bytes);
  Task<void> end_of_message();
  void answer_verdict(const ScanReport& report, const std::string& qid);
  void reply_with(const verdict::SmtpReply& reply);
  void answer_fallback(FallbackAction action, int temp_code, std::string_view temp_enhanced,
                       int perm_code, std::string_view perm_enhanced, std::string_view text);
  bool backup(const ScanReport& report, const std::string& qid);
  void send_edits(const mutate::Plan& plan);
  std::string value_for_mta(std::string_view value) const;
  void log_message(const std::string& qid, std::string_view action, std::string_view reason,
                   std::string_view answer) const;
};

MilterSession::MilterSession(Socket socket, std::shared_ptr<const MilterSettings> settings,
                             frontend::SessionServices& services, std::uint64_t id)
    : s_(std::make_unique<State>(std::move(socket), std::move(settings), services, id)) {}

MilterSession::~MilterSession() = default;

Task<void> MilterSession::run() { return s_->run(); }

void MilterSession::request_stop() {
  s_->stop_requested = true;
  if (s_->waiting && !s_->msg.active) s_->conn->interrupt();
}

void MilterSession::abort() noexcept { s_->conn->close(); }

Task<void> MilterSession::State::run() {
  conn->start_watchdog();
  log(log::Level::debug, "connect");
  bool alive = true;
  while (alive) {
    const Frame f = parse_frame(conn->buffered(), cfg().max_packet_bytes);
    if (f.status == Frame::Status::complete) {
      const std::size_t size = f.size;
      alive = co_await on_packet(f.command, f.data);
      conn->consume(size);
      continue;
    }
    if (f.status == Frame::Status::too_long) {
      log(log::Level::warning, "packet of " + std::to_string(f.length) +
                                   " bytes is over max_packet_bytes: connection closed");
      break;
    }
    if (f.status == Frame::Status::empty) {
      log(log::Level::warning, "empty packet: connection closed");
      break;
    }
    // Replies wait while the MTA's pipelined packets are still buffered.
    if (!out.empty()) {
      if (!co_await conn->write(out)) break;
      out.clear();
    }
    if (stop_requested && !msg.active) break;
    conn->set_timeout(cfg().idle_timeout);
    waiting = true;
    const bool more = co_await conn->fill();
    waiting = false;
    if (!more) {
      if (conn->timed_out())
        log(log::Level::info,
            "MTA idle for " + std::to_string(cfg().idle_timeout.count()) + " s: connection closed");
      else if (msg.active && !stop_requested)
        log(log::Level::info, "MTA went away in the middle of a message");
      break;
    }
  }
  if (!out.empty() && !conn->closed() && !conn->timed_out()) co_await conn->write(out);
  reset_message();
  conn->close();
  log(log::Level::debug, "disconnect");
}

// False when the connection ends.
Task<bool> MilterSession::State::on_packet(char command, std::string_view data) {
  if (!negotiated && command != SMFIC_OPTNEG && command != SMFIC_MACRO) {
    log(log::Level::warning, std::string("command '") + verdict::header_safe({&command, 1}) +
                                 "' before option negotiation: connection closed");
    co_return false;
  }
  switch (command) {
    case SMFIC_OPTNEG:
      co_return on_negotiate(data);
    case SMFIC_MACRO:
      on_macros(data);  // never answered
      co_return true;
    case SMFIC_CONNECT: {
      const auto c = decode_connect(data);
      if (!c) {
        log(log::Level::warning, "malformed connect packet: connection closed");
        co_return false;
      }
      client_name = std::string(c->hostname);
      client_ip = (c->family == SMFIA_INET || c->family == SMFIA_INET6) ? std::string(c->address)
                                                                        : std::string();
      continue_unless(SMFIP_NR_CONN);
      co_return true;
    }
    case SMFIC_HELO: {
      const auto strings = decode_strings(data);
      helo = strings && !strings->empty() ? std::string(strings->front()) : std::string();
      continue_unless(SMFIP_NR_HELO);
      co_return true;
    }
    case SMFIC_MAIL: {
      const auto strings = decode_strings(data);
      if (!strings || strings->empty()) {
        log(log::Level::warning, "malformed MAIL packet: connection closed");
        co_return false;
      }
      reset_message();
      msg.active = true;
      msg.sender = std::string(strip_angle_brackets(strings->front()));
      continue_unless(SMFIP_NR_MAIL);
      co_return true;
    }
    case SMFIC_RCPT: {
      const auto strings = decode_strings(data);
      if (!strings || strings->empty()) {
        log(log::Level::warning, "malformed RCPT packet: connection closed");
        co_return false;
      }
      ++msg.recipients_seen;
      if (msg.recipients.size() < cfg().max_recipients)
        msg.recipients.emplace_back(strip_angle_brackets(strings->front()));
      continue_unless(SMFIP_NR_RCPT);
      co_return true;
    }
    case SMFIC_DATA:
      continue_unless(SMFIP_NR_DATA);
      co_return true;
    case SMFIC_UNKNOWN:
      continue_unless(SMFIP_NR_UNKN);
      co_return true;
    case SMFIC_HEADER:
      on_header(data);
      continue_unless(SMFIP_NR_HDR);
      co_return true;
    case SMFIC_EOH:
      append_body("\r\n");
      continue_unless(SMFIP_NR_EOH);
      co_return true;
    case SMFIC_BODY:
      append_body(data);
      continue_unless(SMFIP_NR_BODY);
      co_return true;
    case SMFIC_BODYEOB:
      append_body(data);
      co_await end_of_message();
      co_return true;
    case SMFIC_ABORT:  // the MTA dropped the message; the connection goes on
      if (msg.active) log(log::Level::debug, "message aborted by the MTA");
      reset_message();
      co_return true;
    case SMFIC_QUIT_NC:  // a new SMTP session on this connection: forget the last one
      reset_message();
      macros.clear();
      client_ip.clear();
      client_name.clear();
      helo.clear();
      co_return true;
    case SMFIC_QUIT:
      co_return false;
    default:
      log(log::Level::warning,
          "unknown command " + std::to_string(static_cast<int>(command)) + ": connection closed");
      co_return false;
  }
}

bool MilterSession::State::on_negotiate(std::string_view data) {
  const auto offered = decode_options(data);
  if (!offered) {
    log(log::Level::warning, "malformed option negotiation: connection closed");
    return false;
  }
  const Agreement a = negotiate(*offered, wanted_options());
  if (!a.ok) {
    log(log::Level::warning, "option negotiation failed: " + a.why);
    return false;
  }
  agreed = a.reply;
  negotiated = true;
  append_options(out, agreed);
  if (!may(SMFIF_ADDHDRS) || !may(SMFIF_CHGHDRS) || !may(SMFIF_CHGBODY) || !may(SMFIF_QUARANTINE))
    log(
        log::Level::info, "the MTA does not allow every action (offered 0x" + [&] {
          char buf[16];
          std::snprintf(buf, sizeof buf, "%x", offered->actions);
          return std::string(buf);
        }() + "): verdict headers, subject tags, warnings or quarantine may be left out");
  return true;
}

void MilterSession::State::on_macros(std::string_view data) {
  const auto m = decode_macros(data);
  if (!m) return;  // a macro list is advice, not a step: a malformed one is ignored
  for (const auto& [name, value] : m->values) {
    std::string key(name);
    // Sendmail writes long names in braces, Postfix too; "{i}" and "i" are one macro.
    if (key.size() > 2 && key.front() == '{' && key.back() == '}')
      key = key.substr(1, key.size() - 2);
    const auto it = macros.find(key);
    if (it != macros.end())
      it->second = std::string(value);
    else if (macros.size() < kMaxMacros)
      macros.emplace(std::move(key), std::string(value));
  }
}

void MilterSession::State::on_header(std::string_view data) {
  const auto h = decode_header(data);
  if (!h || h->name.empty()) return;  // nothing the message could be rebuilt with
  // The field as it came: with SMFIP_HDR_LEADSPC the value keeps its leading space; folded
  // lines come with bare LF from Postfix and are stored with CRLF like the rest. The plan reads
  // the fields back from these bytes, in the order and with the names the MTA counts by
  // (SMFIR_CHGHEADER's index); value_for_mta() undoes this for a value sent back.
  std::string field(h->name);
  field += ':';
  if (!(agreed.protocol & SMFIP_HDR_LEADSPC)) field += ' ';
  for (std::size_t i = 0; i < h->value.size(); ++i) {
    const char c = h->value[i];
    if (c == '\n' && (i == 0 || h->value[i - 1] != '\r')) field += '\r';
    field += c;
  }
  field += "\r\n";
  append_body(field);
}

void MilterSession::State::append_body(std::string_view bytes) {
  if (!msg.active) return;
  msg.bytes += bytes.size();
  if (msg.oversize || msg.out_of_memory) return;
  if (msg.raw.size() + bytes.size() > cfg().max_message_bytes) {
    msg.oversize = true;
    msg.raw = std::string();
    held.release();
    return;
  }
  if (services.inflight_bytes + bytes.size() > cfg().max_inflight_bytes) {
    msg.out_of_memory = true;
    msg.raw = std::string();
    held.release();
    return;
  }
  msg.raw.append(bytes);
  held.update(msg.raw.size());
}

void MilterSession::State::log_message(const std::string& qid, std::string_view action,
                                       std::string_view reason, std::string_view answer) const {
  // What the MTA's macros say of the client (Postfix sends them by default): its address, the
  // authenticated user and the TLS protocol, so that one line tells the message's story.
  std::string client;
  if (!client_ip.empty()) client += " client=" + verdict::header_safe(client_ip, 64);
  if (const std::string user = macro("auth_authen"); !user.empty())
    client += " auth=" + verdict::header_safe(user, 100);
  if (const std::string tls = macro("tls_version"); !tls.empty())
    client += " tls=" + verdict::header_safe(tls, 20);
  log(log::Level::info,
      "id=" + verdict::header_safe(qid, 64) + client + " from=<" +
          verdict::header_safe(msg.sender, 300) + "> rcpts=" + std::to_string(msg.recipients_seen) +
          " size=" + std::to_string(msg.bytes) + " action=" + std::string(action) +
          (reason.empty() ? "" : " reason=\"" + verdict::header_safe(reason, 200) + "\"") +
          " answer=" + std::string(answer));
}

void MilterSession::State::answer_fallback(FallbackAction action, int temp_code,
                                           std::string_view temp_enhanced, int perm_code,
                                           std::string_view perm_enhanced, std::string_view text) {
  switch (action) {
    case FallbackAction::accept:
      append_simple(out, SMFIR_ACCEPT);
      return;
    case FallbackAction::tempfail:
      append_reply_code(out, temp_code, temp_enhanced, text);
      return;
    case FallbackAction::reject:
      append_reply_code(out, perm_code, perm_enhanced, text);
      return;
  }
}

Task<void> MilterSession::State::end_of_message() {
  ++messages;
  std::string qid = macro("i");
  if (qid.empty()) qid = std::to_string(id) + "." + std::to_string(messages);
  if (!msg.active) {
    // End of a message we never saw begin (the MTA skipped MAIL): nothing to scan it as.
    log(log::Level::warning,
        "id=" + verdict::header_safe(qid, 64) +
            " end of message without MAIL: " + std::string(to_string(cfg().scan_failure_action)));
    answer_fallback(cfg().scan_failure_action, 451, "4.3.0", 550, "5.7.1",
                    "Error: message not scanned");
    reset_message();
    co_return;
  }
  if (msg.oversize) {
    answer_fallback(cfg().oversize_action, 452, "4.3.1", 552, "5.3.4",
                    "Error: message size exceeds fixed limit");
    log_message(qid, std::string("oversize ") + std::string(to_string(cfg().oversize_action)),
                "over max_message_bytes", "fallback");
    reset_message();
    co_return;
  }
  if (msg.out_of_memory) {
    append_reply_code(out, 451, "4.3.1", "Error: insufficient system storage, try again later");
    log_message(qid, "tempfail", "max_inflight_bytes reached", "451");
    reset_message();
    co_return;
  }
  Envelope envelope{msg.sender, msg.recipients, client_ip, helo};
  const std::optional<ScanReport> report =
      co_await services.scanner.scan(services.engines, msg.raw, std::move(envelope));
  if (!report) {
    const verdict::SmtpReply failed = verdict::smtp_reply(verdict::Failure::scan_failed);
    answer_fallback(cfg().scan_failure_action, failed.code, failed.enhanced, 550, "5.7.1",
                    failed.text);
    log_message(qid, to_string(cfg().scan_failure_action), "scan failed", "fallback");
  } else {
    answer_verdict(*report, qid);
  }
  reset_message();
}

bool MilterSession::State::backup(const ScanReport& report, const std::string& qid) {
  const frontend::BackupRecord record{qid,
                                      client_ip,
                                      helo,
                                      msg.sender,
                                      msg.recipients,
                                      std::string(verdict::to_string(report.verdict.action)),
                                      report.verdict.reason};
  std::string digest;
  std::string error;
  if (frontend::keep_original(cfg().backup_dir, msg.raw, record, digest, error)) {
    log(log::Level::info, "id=" + verdict::header_safe(qid, 64) + " backup=" + digest);
    return true;
  }
  log(log::Level::error, "id=" + verdict::header_safe(qid, 64) + " backup failed: " + error);
  return false;
}

void MilterSession::State::reply_with(const verdict::SmtpReply& reply) {
  append_reply_code(out, reply.code, reply.enhanced, reply.text);
}

void MilterSession::State::answer_verdict(const ScanReport& report, const std::string& qid) {
  const verdict::Verdict& v = report.verdict;
  const std::string reason = verdict::stated_reason(v);
  const std::string_view action = verdict::to_string(v.action);
  // The policy keeps the original before anything else: if it cannot be kept, the message is
  // not taken (4xx), whatever was decided.
  if (v.extras.backup && !backup(report, qid)) {
    const verdict::SmtpReply failed = verdict::smtp_reply(verdict::Failure::backup_failed);
    reply_with(failed);
    log_message(qid, "tempfail", "backup failed", std::to_string(failed.code));
    return;
  }
  if (const std::optional<verdict::SmtpReply> refusal = verdict::smtp_reply(v)) {
    reply_with(*refusal);
    log_message(qid, action, reason, std::to_string(refusal->code));
    return;
  }
  if (v.action == verdict::Action::discard) {
    append_simple(out, SMFIR_DISCARD);
    log_message(qid, action, reason, "discard");
    return;
  }
  // A message to hold must not slip through because the MTA cannot hold it: the sender keeps it.
  if (v.extras.quarantine && !may(SMFIF_QUARANTINE)) {
    const verdict::SmtpReply refused = verdict::smtp_reply(verdict::Failure::quarantine_refused);
    reply_with(refused);
    log_message(qid, "tempfail", reason + " (quarantine not allowed by the MTA)",
                std::to_string(refused.code));
    return;
  }
  send_edits(mutate::make_plan(msg.raw, v, report.headers));
  if (v.extras.quarantine) append_quarantine(out, "ksmg: " + reason);
  append_simple(out, SMFIR_ACCEPT);
  log_message(qid, v.extras.quarantine ? "quarantine" : "deliver", v.reason, "accept");
}

// The plan as header and body changes, each one only where the MTA allows it. The warning is all
// or nothing: an MTA that does not allow one of the changes it takes (removing its top-level
// Content-* fields, adding MIME-Version and Content-Type, replacing the body) gets none of them
// (logged), never half a MIME structure.
void MilterSession::State::send_edits(const mutate::Plan& plan) {
  const bool warning_allowed = may(SMFIF_CHGBODY) && may(SMFIF_CHGHDRS) && may(SMFIF_ADDHDRS);
  if (!warning_allowed &&
      std::any_of(plan.edits.begin(), plan.edits.end(),
                  [](const mutate::Edit& e) { return e.cause == mutate::Cause::warning; }))
    log(log::Level::warning, "the MTA does not allow body and header changes: no warning added");
  const std::string space = (agreed.protocol & SMFIP_HDR_LEADSPC) != 0 ? " " : "";
  for (const mutate::Edit& e : plan.edits) {
    if (e.cause == mutate::Cause::warning && !warning_allowed) continue;
    switch (e.kind) {
      case mutate::Edit::Kind::remove_field:
        if (may(SMFIF_CHGHDRS)) append_change_header(out, e.index, e.name, "");
        break;
      case mutate::Edit::Kind::change_field:
        if (may(SMFIF_CHGHDRS)) append_change_header(out, e.index, e.name, value_for_mta(e.text));
        break;
      case mutate::Edit::Kind::add_field:
        if (may(SMFIF_ADDHDRS)) append_add_header(out, e.name, space + e.text);
        break;
      case mutate::Edit::Kind::replace_body:
        if (may(SMFIF_CHGBODY)) append_replace_body(out, e.text);
        break;
    }
  }
}

// A field value as the message holds it (what follows the colon, CRLF folding) in the form the
// MTA sent it to on_header: without the space put after the colon when the MTA leaves it out
// (no SMFIP_HDR_LEADSPC), folded with bare LF.
std::string MilterSession::State::value_for_mta(std::string_view value) const {
  if ((agreed.protocol & SMFIP_HDR_LEADSPC) == 0 && value.starts_with(' ')) value.remove_prefix(1);
  std::string as_sent;
  as_sent.reserve(value.size());
  for (std::size_t i = 0; i < value.size(); ++i)
    if (!(value[i] == '\r' && i + 1 < value.size() && value[i + 1] == '\n')) as_sent += value[i];
  return as_sent;
}

}  // namespace ksmg::milter

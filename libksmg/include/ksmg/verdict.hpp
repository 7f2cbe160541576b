// ksmg/verdict.hpp — what the scanning modules concluded about one message, the one action
// taken on it, and the X-KSMG-* headers that report both.
//
// Modules report a status from one shared vocabulary (the reference product's, see DESIGN.md);
// an ActionTable says what each (module, status) pair means for the message; aggregate() picks
// the most severe of those decisions and says which module and status decided. The front-ends
// apply the result; nothing here touches the message.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ksmg/limits.hpp"

namespace ksmg::verdict {

enum class Module : std::uint8_t { antivirus, content_filter, antispam, antiphishing, auth };
inline constexpr std::array<Module, 5> kAllModules{Module::antivirus, Module::content_filter,
                                                   Module::antispam, Module::antiphishing,
                                                   Module::auth};
// "antivirus", "content_filter", ... (JSON, configuration keys).
std::string_view to_string(Module m) noexcept;
// The reference product's spelling in headers: "AntiVirus", "ContentFiltering", ...
std::string_view header_name(Module m) noexcept;

// One vocabulary for every module; each module uses its own subset (valid_status()).
enum class Status : std::uint8_t {
  clean,
  not_scanned,  // skipped by a rule, or over a limit (a module switched off reports nothing)
  error,
  // Anti-Virus
  infected,
  probably_infected,
  encrypted,
  corrupted,
  // Anti-Spam
  spam,
  probable_spam,
  mass_mail,
  denylisted,
  allowlisted,
  // Anti-Phishing
  phishing,
  malicious_link,
  // Content filtering
  triggered,
  // Sender authentication (the DMARC outcome; SPF/DKIM details go to findings)
  pass,
  fail,
};
std::string_view to_string(Status s) noexcept;
[[nodiscard]] std::optional<Status> status_from_string(std::string_view s) noexcept;
[[nodiscard]] bool valid_status(Module m, Status s) noexcept;

// The message's fate, in rising severity: aggregate() keeps the highest.
enum class Action : std::uint8_t { deliver, tempfail, discard, reject };
std::string_view to_string(Action a) noexcept;
[[nodiscard]] std::optional<Action> action_from_string(std::string_view s) noexcept;

// What comes with the action (only meaningful when the message is delivered, except backup and
// notifications). Decisions of several modules are merged: flags are or-ed, texts joined.
struct Extras {
  bool backup = false;  // keep the original in the backup store
  // Hold the message for an administrator instead of delivering it: a milter puts it in the
  // MTA's hold queue (Postfix: postsuper -H releases it); the relay, which has no queue of its
  // own, keeps the original in its backup store and does not deliver it.
  bool quarantine = false;
  bool add_warning = false;         // prepend a warning to the text
  bool remove_attachments = false;  // drop the objects the module found
  bool notify_sender = false;
  bool notify_recipients = false;
  bool notify_admin = false;
  std::string subject_tag;  // e.g. "[SPAM]"; "" for none
};

struct Decision {
  Action action = Action::deliver;
  Extras extras;
};

// One thing a module found: in which object (ObjectTree path, "" for the whole message), what
// (signature, dictionary entry, rule), and free detail. Strings may carry attacker bytes; the
// header writer escapes them.
struct Finding {
  std::string where;
  std::string what;
  std::string detail;
};

struct ModuleResult {
  Module module = Module::antivirus;
  Status status = Status::not_scanned;
  std::vector<Finding> findings;
  std::string info;  // engine name and version, database date, ... (X-KSMG-AntiVirus)
  // Set when the module's findings carry their own action (a content filter condition with an
  // action of its own); it then replaces the table's decision for this result.
  std::optional<Decision> decision;
  // The limits that left part of the message unread for this module (status not_scanned): the
  // table's decision for each limit replaces the one for (module, not_scanned).
  LimitSet limits;
};

inline constexpr std::size_t kStatusCount = static_cast<std::size_t>(Status::fail) + 1;

// Folds d into `into`: the more severe action, and the extras of both.
void merge(Decision& into, const Decision& d);

// (module, status) → decision, and limit → decision for what a limit left unread. Unset pairs
// deliver with no extras; an unset limit falls back to its module's not_scanned decision.
class ActionTable {
 public:
  // The built-in policy: malware and phishing rejected and backed up, spam delivered with a
  // subject tag, errors deferred (the sender retries; nothing is lost), content filter hits
  // rejected. What a limit left unread is never delivered as it is: a structure no honest
  // sender writes (kStructureLimits) is rejected, a message too big to read whole
  // (kVolumeLimits) is held in quarantine, one whose DNS budget ran out (kLookupLimits) is
  // delivered; what could not be scanned for another reason is delivered with a warning and
  // backed up.
  [[nodiscard]] static ActionTable defaults();

  void set(Module m, Status s, Decision d);
  [[nodiscard]] const Decision& get(Module m, Status s) const noexcept;
  void set(Limit l, Decision d);
  [[nodiscard]] const std::optional<Decision>& get(Limit l) const noexcept;
  // What a module's result means: its own decision, else the merged decisions of the limits
  // that left it not_scanned, else the (module, status) entry.
  [[nodiscard]] Decision decide(const ModuleResult& r) const;

 private:
  // Indexed [module][status]; a flat vector rather than nested std::arrays, whose defaulted
  // initializer crashes clang 14 (the fuzz build's compiler).
  std::vector<Decision> table_ = std::vector<Decision>(kAllModules.size() * kStatusCount);
  std::vector<std::optional<Decision>> by_limit_ =
      std::vector<std::optional<Decision>>(std::size(kAllLimits));
};

// The limits only a structure no honest sender writes crosses (thousands of header fields or
// parameters, a 64 KB header line, dozens of nested multiparts or archives, a decompression
// bomb), and those a big honest message can cross (size, members, unpacked bytes, time).
inline constexpr Limit kStructureLimits[] = {
    Limit::header_line_length, Limit::header_fields, Limit::content_params,    Limit::mime_depth,
    Limit::part_count,         Limit::archive_depth, Limit::compression_ratio,
};
inline constexpr Limit kVolumeLimits[] = {
    Limit::message_size, Limit::decoded_size, Limit::archive_members,     Limit::unpacked_size,
    Limit::member_size,  Limit::unpack_time,  Limit::av_scan_size,        Limit::av_recursion,
    Limit::av_files,     Limit::av_time,      Limit::password_candidates,
};
// The message's DNS budget (lookups, time): crossing it leaves no content unread, only the checks
// that ask DNS (sender authentication, DNS lists) without an answer, which they report as a
// temporary error of their own (SPF temperror). It delivers with nothing added: a slow or
// unreachable DNS server must not hold or bounce mail that was otherwise scanned whole.
inline constexpr Limit kLookupLimits[] = {Limit::dns_lookups, Limit::dns_time};

struct Verdict {
  std::vector<ModuleResult> modules;  // in the order they ran
  Action action = Action::deliver;
  Extras extras;
  // The (module, status) whose decision set the action, or among plain deliveries the first
  // whose decision came with extras (a subject tag); absent when nothing was found.
  std::optional<std::pair<Module, Status>> decided_by;
  std::string reason;                 // e.g. "antivirus: infected (EICAR-Test in 2/a.zip/x.com)"
  std::vector<std::string> rule_ids;  // processing rules that applied (X-KSMG-Rule-ID)
};

// Combines the modules' results under the table: the most severe action wins (ties: the
// module that ran first); extras of every non-clean result are merged.
[[nodiscard]] Verdict aggregate(std::vector<ModuleResult> results, const ActionTable& table,
                                std::vector<std::string> rule_ids = {});

// The X-KSMG-* header fields reporting a verdict, as (name, value) pairs in a stable order.
// Values are single-line printable ASCII: control characters and line breaks never pass,
// non-ASCII text is RFC 2047-encoded, and every value is capped (kMaxHeaderValue).
inline constexpr std::size_t kMaxHeaderValue = 900;
[[nodiscard]] std::vector<std::pair<std::string, std::string>> x_headers(const Verdict& v);

// True when a header field's name (or a header line) starts with "X-KSMG-", in any case: ours,
// so one a sender wrote is forged and is removed before the message goes on.
[[nodiscard]] bool is_verdict_field(std::string_view name) noexcept;

// The verdict's reason as replies and log lines give it: "policy" when the verdict names none.
[[nodiscard]] std::string stated_reason(const Verdict& v);

// An SMTP reply to the client or MTA that sent a message: RFC 5321 code, RFC 3463 enhanced
// status code, text.
struct SmtpReply {
  int code = 0;
  std::string enhanced;
  std::string text;
};

// The reply to a message the verdict refuses, the same from every front-end: reject →
// 550 5.7.1 "Message rejected: <reason>", tempfail → 451 4.7.1 "Message deferred: <reason>" (the
// reason "policy" when the verdict gives none). nullopt when the verdict takes the message
// (deliver, discard): the front-end then answers for what it did with it (the next hop's reply,
// the MTA's own).
[[nodiscard]] std::optional<SmtpReply> smtp_reply(const Verdict& v);

// What can keep a front-end from carrying out a verdict. Each is answered with a 4xx: the
// sender keeps the message and tries again, nothing is lost.
enum class Failure : std::uint8_t {
  scan_failed,         // the scan did not finish (451 4.3.0)
  backup_failed,       // the original could not be kept as the policy asks (451 4.3.0)
  quarantine_refused,  // the MTA does not let a milter hold a message (451 4.7.1)
};
[[nodiscard]] SmtpReply smtp_reply(Failure f);

// A header-safe rendering of untrusted text (see x_headers()).
[[nodiscard]] std::string header_safe(std::string_view text,
                                      std::size_t max_bytes = kMaxHeaderValue);

}  // namespace ksmg::verdict

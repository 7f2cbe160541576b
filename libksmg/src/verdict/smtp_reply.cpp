// smtp_reply.cpp — owns the SMTP replies of a verdict and of the failures to carry one out
// (ksmg/verdict.hpp), so that the relay and the milter answer a refused message alike.
#include "ksmg/verdict.hpp"

namespace ksmg::verdict {

std::string stated_reason(const Verdict& v) {
  return v.reason.empty() ? std::string("policy") : v.reason;
}

std::optional<SmtpReply> smtp_reply(const Verdict& v) {
  const std::string reason = stated_reason(v);
  switch (v.action) {
    case Action::reject:
      return SmtpReply{550, "5.7.1", "Message rejected: " + reason};
    case Action::tempfail:
      return SmtpReply{451, "4.7.1", "Message deferred: " + reason};
    case Action::deliver:
    case Action::discard:
      break;
  }
  return std::nullopt;
}

SmtpReply smtp_reply(Failure f) {
  switch (f) {
    case Failure::backup_failed:
      return {451, "4.3.0", "Error: cannot keep a copy, try again later"};
    case Failure::quarantine_refused:
      return {451, "4.7.1", "Message deferred: cannot quarantine"};
    case Failure::scan_failed:
      break;
  }
  return {451, "4.3.0", "Error: temporary scanning failure, try again later"};
}

}  // namespace ksmg::verdict

// warning_text.cpp — owns the words of the warning put in front of a message (ksmg/mutate.hpp).
#include "ksmg/mutate.hpp"

namespace ksmg::mutate {

std::string warning_text(const verdict::Verdict& v) {
  // Written for the statuses the built-in policy warns about (encrypted, corrupted, not
  // scanned) and fit for any other a configuration adds.
  std::string text = "WARNING: the mail gateway could not fully vouch for this message";
  // The reason names objects of the message (attachment names): attacker bytes, kept to one
  // printable line so they cannot shape the part they are written into.
  if (!v.reason.empty()) text += " (" + verdict::header_safe(v.reason, 300) + ")";
  text +=
      ".\nOpen its attachments and links only if you trust the sender and expected them.\n"
      "The original message follows unchanged as an attachment of its own.\n";
  return text;
}

}  // namespace ksmg::mutate

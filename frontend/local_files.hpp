// local_files.hpp — what a server writes to its own disk: deliveries into a maildir (the relay's
// next hop in the embedded default, for a machine without a mail server) and the originals the
// policy keeps (backup, until the backup store of a later issue). Both are durable before the
// sender hears 250: written to a temporary name, fsync'ed, renamed, the folder fsync'ed.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ksmg::frontend {

// Delivers `prefix` (header fields the relay adds) followed by `message` into dir/new/ (made
// with tmp/ and cur/ when missing). True with the file's name in `name`; false with `error`.
bool deliver_to_maildir(const std::string& dir, std::string_view prefix, std::string_view message,
                        std::string& name, std::string& error);

// Keeps `message` as dir/<sha256>.eml with `metadata` (a JSON document: envelope, verdict) in
// dir/<sha256>.json; a message kept before is kept once. False with `error`.
bool write_backup(const std::string& dir, std::string_view message, std::string_view metadata,
                  std::string& digest, std::string& error);

// What a server keeps next to a message it backs up: the envelope and the verdict.
struct BackupRecord {
  std::string id;  // the server's message id (the relay's, or the MTA's queue id)
  std::string client;
  std::string helo;
  std::string sender;
  std::vector<std::string> recipients;
  std::string action;
  std::string reason;
};

// write_backup() with the record as its JSON metadata (received now).
bool keep_original(const std::string& dir, std::string_view message, const BackupRecord& record,
                   std::string& digest, std::string& error);

// Now, as an RFC 5322 date-time in local time ("Mon, 23 Nov 2026 02:09:00 +0000").
[[nodiscard]] std::string rfc5322_date();

}  // namespace ksmg::frontend

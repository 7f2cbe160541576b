// local_files.hpp — what the relay writes to its own disk: deliveries into a maildir (the next
// hop of the embedded default, for a machine without a mail server) and the originals the policy
// keeps (backup, until the backup store of a later issue). Both are durable before the client
// hears 250: written to a temporary name, fsync'ed, renamed, the folder fsync'ed.
#pragma once

#include <string>
#include <string_view>

namespace ksmg::relay {

// Delivers `prefix` (header fields the relay adds) followed by `message` into dir/new/ (made
// with tmp/ and cur/ when missing). True with the file's name in `name`; false with `error`.
bool deliver_to_maildir(const std::string& dir, std::string_view prefix, std::string_view message,
                        std::string& name, std::string& error);

// Keeps `message` as dir/<sha256>.eml with `metadata` (a JSON document: envelope, verdict) in
// dir/<sha256>.json; a message kept before is kept once. False with `error`.
bool write_backup(const std::string& dir, std::string_view message, std::string_view metadata,
                  std::string& digest, std::string& error);

}  // namespace ksmg::relay

// commands.hpp — the subcommands of the ksmg CLI; each returns the process exit code.
#pragma once

#include <span>
#include <string_view>

namespace ksmg::cli {

// ksmg parse [--json] [--decode] FILE...   exit 0 parsed, 2 a file was unreadable.
int parse_command(std::span<const std::string_view> args);

// ksmg objects [--json] [--file] FILE...   exit 0 listed, 2 a file was unreadable.
int objects_command(std::span<const std::string_view> args);

// ksmg scan [--config FILE] [--av-db DIR] [--json] [--threads N] [--progress] [--file] FILE...
// exit 0 nothing found, 1 the policy acted on a message, 2 an error (unreadable file, bad
// configuration, a module status "error").
int scan_command(std::span<const std::string_view> args);

}  // namespace ksmg::cli

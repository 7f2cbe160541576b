// main.cpp — the ksmg CLI: dispatches to one subcommand per verb.
#include <cstdio>
#include <string_view>
#include <vector>

#include "commands.hpp"

namespace {

void usage() {
  std::fputs(
      "usage: ksmg COMMAND [ARGS]\n"
      "\n"
      "commands:\n"
      "  parse [--json] [--decode] FILE...   show the MIME structure of messages (files, dirs, "
      "mbox)\n"
      "  objects [--json] [--file] FILE...   list every attachment and archive member with its\n"
      "                                      true type and flags (--file: never read as mail)\n"
      "  scan [--config FILE] [--json] [--threads N] [--progress] [--file] FILE...\n"
      "                                      scan messages with every module and the policy:\n"
      "                                      the verdict, its reason, findings, X-KSMG headers\n"
      "                                      (--config: ksmg.toml, default the built-in policy;\n"
      "                                      --av-db DIR is refused until the anti-virus module\n"
      "                                      exists). Exit 0 nothing found, 1 the policy acted\n"
      "                                      on a message, 2 an error (unreadable file, bad\n"
      "                                      configuration, a module status \"error\")\n",
      stderr);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    usage();
    return 2;
  }
  const std::string_view command = argv[1];
  const std::vector<std::string_view> args(argv + 2, argv + argc);
  if (command == "parse") return ksmg::cli::parse_command(args);
  if (command == "objects") return ksmg::cli::objects_command(args);
  if (command == "scan") return ksmg::cli::scan_command(args);
  if (command == "--help" || command == "-h" || command == "help") {
    usage();
    return 0;
  }
  std::fprintf(stderr, "ksmg: unknown command '%.*s'\n", static_cast<int>(command.size()),
               command.data());
  usage();
  return 2;
}

// main.cpp — the smallest program that embeds libksmg the way an MTA does: load an engine from a
// configuration once, scan each message with one call, and act on the verdict.
//
//   embed-example examples/embed-cpp/embed.toml examples/av-messages/eicar-in-zip.eml ...
//
// Prints one line per message (its action and why) and the X-KSMG-* header fields an MTA would
// add. Exit status: 0 every message is to be delivered, 1 the verdict rejects, discards or
// defers one, 2 an error.
#include <fstream>
#include <iostream>
#include <iterator>
#include <ksmg/engine.hpp>
#include <memory>
#include <string>

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: embed-example CONFIG MESSAGE...\n";
    return 2;
  }
  // Compiled once and shared by every thread; a configuration that does not compile says where.
  ksmg::policy::ConfigError err;
  const std::shared_ptr<const ksmg::Engine> engine = ksmg::Engine::load(argv[1], err);
  if (engine == nullptr) {
    std::cerr << err.to_string() << '\n';
    return 2;
  }
  // One Scanner per scanning thread, kept across messages (it holds that thread's scratch).
  ksmg::Scanner scanner;
  int status = 0;
  for (int i = 2; i < argc; ++i) {
    std::ifstream in(argv[i], std::ios::binary);
    if (!in) {
      std::cerr << "cannot open " << argv[i] << '\n';
      return 2;
    }
    const std::string raw{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    // An MTA passes what the SMTP session told it (MAIL FROM, RCPT TO, the client); a file has
    // none of it, and the message's From field stands for the sender.
    const ksmg::Envelope envelope;
    const ksmg::ScanReport report = scanner.scan_message(*engine, raw, envelope);

    std::cout << argv[i] << ": " << ksmg::verdict::to_string(report.verdict.action);
    if (!report.verdict.reason.empty()) std::cout << " (" << report.verdict.reason << ')';
    std::cout << '\n';
    for (const auto& [name, value] : report.headers)
      std::cout << "  " << name << ": " << value << '\n';
    if (report.verdict.action != ksmg::verdict::Action::deliver) status = 1;
  }
  return status;
}

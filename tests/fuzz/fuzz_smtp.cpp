// fuzz_smtp.cpp — libFuzzer harness for the relay's SMTP syntax: every input line as a command
// (and its path when it is MAIL or RCPT), as a server reply line and as reply text to format;
// the whole input as a DATA stream cut in two where the input says; and the properties that
// close smuggling: stuffing then reading gives the message back, and what the reader stored
// re-stuffed ends exactly where it ended. A violated property traps.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "smtp_syntax.hpp"

namespace {

namespace smtp = ksmg::relay::smtp;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

std::string normalized(std::string_view m) {
  std::string out;
  for (std::size_t i = 0; i < m.size(); ++i) {
    if (m[i] == '\n' && (i == 0 || m[i - 1] != '\r')) out += '\r';
    out += m[i];
    if (m[i] == '\r' && (i + 1 == m.size() || m[i + 1] != '\n')) out += '\n';
  }
  if (!out.empty() && !out.ends_with("\r\n")) out += "\r\n";
  return out;
}

// Feeds `wire` in two chunks cut at `cut`, as the session would (the second only if needed).
std::size_t feed_split(smtp::DataReader& reader, std::string_view wire, std::size_t cut) {
  cut = cut % (wire.size() + 1);
  std::size_t consumed = reader.feed(wire.substr(0, cut));
  check(consumed <= cut);
  if (!reader.finished()) {
    check(consumed == cut);
    consumed += reader.feed(wire.substr(cut));
  }
  return consumed;
}

void fuzz_line(std::string_view line, bool utf8) {
  const smtp::Command command = smtp::parse_command(line);
  const std::string_view prefix = command.verb == smtp::Verb::rcpt ? "TO:" : "FROM:";
  for (const std::string_view argument : {command.argument, line}) {
    const smtp::PathResult r = smtp::parse_path(argument, prefix, utf8);
    if (r.error != smtp::PathError::none) {
      check(!r.why.empty());
      continue;
    }
    check(r.path.address.size() <= 256);
    for (const char c : r.path.address) {
      check(static_cast<unsigned char>(c) >= 32 && c != 127);
      check(utf8 || static_cast<unsigned char>(c) < 128);
    }
    for (const auto& [keyword, value] : r.path.params) {
      check(!keyword.empty());
      for (const char c : keyword) check(c < 'a' || c > 'z');
    }
    check(smtp::domain_of(r.path.address).size() <= r.path.address.size());
  }

  // Whatever the text, the reply is well-formed lines of at most 512 bytes with CRLF, and
  // the reader takes it back whole.
  const std::string reply =
      smtp::format_reply(550, "5.7.1", std::vector<std::string>{std::string(line), "x"});
  smtp::ReplyReader reader;
  smtp::ReplyReader::State state = smtp::ReplyReader::State::more;
  std::string_view rest = reply;
  while (!rest.empty()) {
    const std::size_t end = rest.find("\r\n");
    check(end != std::string_view::npos && end + 2 <= 512);
    const std::string_view one = rest.substr(0, end);
    check(one.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos);
    check(state == smtp::ReplyReader::State::more);
    state = reader.take(one);
    rest.remove_prefix(end + 2);
  }
  check(state == smtp::ReplyReader::State::done && reader.reply().code == 550 &&
        reader.reply().enhanced == "5.7.1" && reader.reply().lines.size() == 2);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view raw(reinterpret_cast<const char*>(data), size);
  const std::size_t cut = size >= 2 ? data[0] * 257u + data[1] : 0;
  const bool utf8 = size > 0 && (data[size - 1] & 1) != 0;

  smtp::ReplyReader replies(8);
  for (std::string_view rest = raw; !rest.empty();) {
    const std::size_t lf = rest.find('\n');
    std::string_view line = rest.substr(0, lf);
    rest = lf == std::string_view::npos ? std::string_view{} : rest.substr(lf + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    fuzz_line(line, utf8);
    const auto state = replies.take(line);
    check(replies.reply().lines.size() <= 8);
    if (state != smtp::ReplyReader::State::more) replies.reset();
  }

  // The input as a DATA stream, with a small limit to reach the too-big path.
  smtp::DataReader hostile(64);
  const std::size_t consumed = feed_split(hostile, raw, cut);
  check(consumed <= size && hostile.message().size() <= 64);
  check(!hostile.too_big() || hostile.message().empty());
  check(hostile.too_big() || hostile.total_bytes() == hostile.message().size());
  if (hostile.finished()) {
    check(raw.substr(0, consumed).ends_with(".\r\n"));
    // What we stored, sent on, must end exactly where we ended: no smuggled end marker.
    std::string wire;
    smtp::append_dot_stuffed(wire, hostile.message());
    smtp::DataReader next_hop(1 << 20);
    check(feed_split(next_hop, wire, cut) == wire.size() && next_hop.finished());
    check(next_hop.message() == hostile.message() && next_hop.bare_lf() == 0 &&
          next_hop.bare_cr() == 0);
  } else {
    check(consumed == size);
  }

  // Stuffing is the exact inverse of reading, for any message.
  std::string wire;
  smtp::append_dot_stuffed(wire, raw);
  smtp::DataReader reader(size * 2 + 8);
  check(feed_split(reader, wire, cut) == wire.size());
  check(reader.finished() && !reader.too_big() && reader.bare_lf() == 0 && reader.bare_cr() == 0);
  check(reader.message() == normalized(raw));
  return 0;
}

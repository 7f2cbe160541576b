// smtp_syntax.hpp — the bytes of SMTP (RFC 5321, with RFC 1870 SIZE, RFC 6152 8BITMIME,
// RFC 6531 SMTPUTF8, RFC 2034 enhanced status codes): command lines, paths with their ESMTP
// parameters, replies in both directions, and the DATA stream (end marker, dot-stuffing).
//
// Pure functions and small incremental parsers with no I/O, so that the relay's session and its
// next-hop client share one reading of the protocol and the fuzzer can reach all of it. Every
// input is hostile: nothing here allocates more than its caller's limit allows or trusts a
// length it did not count itself.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ksmg::relay::smtp {

enum class Verb : std::uint8_t {
  helo,
  ehlo,
  mail,
  rcpt,
  data,
  rset,
  noop,
  quit,
  vrfy,
  expn,
  help,
  starttls,
  bdat,
  auth,
  unknown,
};

struct Command {
  Verb verb = Verb::unknown;
  // What follows the verb and its separating space, trailing spaces removed. For MAIL and RCPT
  // it starts at "FROM:" / "TO:".
  std::string_view argument;
};

// One command line without its CRLF. The verb is case-insensitive; anything else (an empty
// line, a verb glued to its argument, control characters in the verb) is Verb::unknown.
[[nodiscard]] Command parse_command(std::string_view line) noexcept;

// MAIL FROM:<path> [params] / RCPT TO:<path> [params].
struct Path {
  // The mailbox without angle brackets or source route ("" for the null reverse path <>);
  // for RCPT TO:<Postmaster> (no domain) it is "Postmaster".
  std::string address;
  // ESMTP parameters in order, keyword in upper case, value as sent ("" when it had none).
  std::vector<std::pair<std::string, std::string>> params;
};

enum class PathError : std::uint8_t {
  none,
  syntax,       // no "FROM:"/"TO:", no brackets, junk: 501 5.5.4
  bad_address,  // the mailbox is not RFC 5321 (or RFC 6531 without SMTPUTF8): 553 5.1.3/5.1.7
  bad_param,    // a parameter that is not esmtp-keyword[=esmtp-value]: 501 5.5.4
};

struct PathResult {
  Path path;
  PathError error = PathError::none;
  std::string_view why;  // a short reason for the reply text when error != none
};

// argument: Command::argument of MAIL or RCPT. prefix: "FROM:" or "TO:" (case-insensitive, and
// one space after the colon tolerated as many clients send it). allow_utf8: the mailbox may hold
// UTF-8 (the transaction declared SMTPUTF8). A null path is allowed only for "FROM:"; a bare
// "Postmaster" (any case, returned as "Postmaster") only for "TO:".
// For "FROM:" the declaration is this very command's SMTPUTF8 parameter (RFC 6531 3.4): pass
// whether SMTPUTF8 is offered, and UTF-8 (in the mailbox and in parameter values) is accepted
// only when the parameters also carry SMTPUTF8. Non-ASCII must be well-formed UTF-8.
// Errors are reported in the order syntax, bad_param, bad_address.
[[nodiscard]] PathResult parse_path(std::string_view argument, std::string_view prefix,
                                    bool allow_utf8);

// The domain of an address, in lower case (ASCII only; UTF-8 is left as is), without a
// trailing dot; "" for the null path and for a bare Postmaster. An address literal
// "[192.0.2.1]" is returned with its brackets.
[[nodiscard]] std::string domain_of(std::string_view address);

// A reply: code, enhanced status (may be ""), text lines (each of at most 510 bytes; control
// characters are replaced by spaces so that attacker text cannot end the reply early), joined
// as "250-first\r\n250 last\r\n". An empty text gives one line with the code and status only.
// The status is repeated on every line (RFC 2034). Each line is cut (never inside a UTF-8
// character) so that it is at most 512 bytes with its CRLF (RFC 5321 4.5.3.1.5), which leaves
// 510 minus code and status for the text. A code outside 200..599 is sent as 451.
[[nodiscard]] std::string format_reply(int code, std::string_view enhanced,
                                       const std::vector<std::string>& lines);
[[nodiscard]] std::string format_reply(int code, std::string_view enhanced, std::string_view text);

// A reply as read from a server, one line at a time (the line without CRLF).
struct Reply {
  int code = 0;                    // 0 until the first line was taken
  std::string enhanced;            // "x.y.z" when the first line carried one, else ""
  std::vector<std::string> lines;  // texts after "NNN-"/"NNN " (enhanced code removed)
};

class ReplyReader {
 public:
  enum class State : std::uint8_t { more, done, malformed };
  // max_lines bounds a hostile server's endless continuation.
  explicit ReplyReader(std::size_t max_lines = 1000) : max_lines_(max_lines) {}
  // Takes one line; done after a line "NNN " (or a bare "NNN"), malformed on a line that is
  // not "NNN-"/"NNN "/"NNN" with the same NNN throughout (first digit 2..5), or past max_lines.
  // Lines are bounded by the caller's line reader. Once done or malformed, every further line
  // is malformed until reset().
  State take(std::string_view line);
  [[nodiscard]] const Reply& reply() const noexcept { return reply_; }
  void reset() { *this = ReplyReader(max_lines_); }

 private:
  std::size_t max_lines_;
  Reply reply_;
  State state_ = State::more;  // sticky: a line after done/malformed is malformed
};

// The DATA stream, fed in chunks as it arrives. Lines are un-dot-stuffed and stored with CRLF
// whatever ended them: a bare LF is counted in bare_lf and a bare CR (one no LF follows) in
// bare_cr, and each is stored as CRLF, so the scanner and the next hop read the same lines and
// the next hop never sees an ending we did not see, which closes SMTP smuggling. The message
// ends only at "CRLF.CRLF": a "." line ended by a bare LF, or following a line ended by a bare
// LF, is text, and so is "<CR>.<CRLF>" (stored as "<CRLF>.<CRLF>", sent on as "<CRLF>..<CRLF>").
// Past max_bytes nothing more is stored but the stream is still read to its end, so that the
// client gets its 552 at the right moment.
class DataReader {
 public:
  explicit DataReader(std::size_t max_bytes) : max_bytes_(max_bytes) {}

  // Consumes bytes up to and including the end marker; returns how many were consumed (all of
  // `chunk` unless the end marker was in it: the rest belongs to the next command, as with
  // PIPELINING). Once finished, consumes nothing. A "." line that is not the end marker is
  // stored as the text "." (not unstuffed to an empty line).
  std::size_t feed(std::string_view chunk);
  [[nodiscard]] bool finished() const noexcept { return finished_; }
  [[nodiscard]] bool too_big() const noexcept { return too_big_; }
  [[nodiscard]] std::size_t bare_lf() const noexcept { return bare_lf_; }
  [[nodiscard]] std::size_t bare_cr() const noexcept { return bare_cr_; }
  [[nodiscard]] std::size_t total_bytes() const noexcept { return total_; }  // as unstuffed
  // The message (CRLF line ends, unstuffed); valid once finished; empty when too_big.
  [[nodiscard]] std::string& message() noexcept { return message_; }

 private:
  // Where the reader is in the current line. Only a line's first two bytes (".", ".\r") are
  // ever held back, as state rather than bytes: the rest streams straight into message_, so
  // memory stays bounded by max_bytes_ whatever the line lengths.
  enum class At : std::uint8_t { line_start, dot, dot_cr, text };
  void store(std::string_view bytes);
  // Stores part of a line's text with each bare CR in it stored as CRLF; a CR that ends `text`
  // is stored as is and last_cr_ says whether an LF followed it once the next byte is known.
  void store_text(std::string_view text);
  void end_bare_cr();  // the CR stored last was bare: completes it to CRLF

  std::size_t max_bytes_;
  std::string message_;  // capacity kept at most max(max_bytes_, small)
  std::size_t total_ = 0;
  std::size_t bare_lf_ = 0;
  std::size_t bare_cr_ = 0;
  At at_ = At::line_start;
  bool last_cr_ = false;  // the last byte of the current line's text was a CR
  bool finished_ = false;
  bool too_big_ = false;
  bool previous_crlf_ = true;  // the line before ended with CRLF (start of DATA counts as one)
};

// Appends `message` (lines ending with CRLF; a last line without one gets one) dot-stuffed,
// then the end marker ".\r\n", to `out`: what goes on the wire after DATA's 354. A bare LF or
// bare CR is sent as CRLF. For any message, a DataReader fed the result returns the message with
// bare LFs and bare CRs made CRLF and a CRLF added after a last line without one.
void append_dot_stuffed(std::string& out, std::string_view message);

}  // namespace ksmg::relay::smtp

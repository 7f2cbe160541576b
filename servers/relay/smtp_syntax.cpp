// smtp_syntax.cpp — owns the byte-level reading and writing of SMTP declared in smtp_syntax.hpp:
// command verbs, MAIL/RCPT paths and their ESMTP parameters, reply formatting and reading, and
// the DATA stream (end marker, dot-stuffing in both directions).
#include "smtp_syntax.hpp"

#include <arpa/inet.h>

#include <array>
#include <cstring>

#include "ksmg/mime.hpp"

namespace ksmg::relay::smtp {
namespace {

constexpr std::size_t kMaxLocalPart = 64;   // RFC 5321 4.5.3.1.1
constexpr std::size_t kMaxDomain = 255;     // RFC 5321 4.5.3.1.2
constexpr std::size_t kMaxPath = 256;       // RFC 5321 4.5.3.1.3, brackets included
constexpr std::size_t kMaxLabel = 63;       // RFC 1035 2.3.4
constexpr std::size_t kMaxReplyLine = 510;  // RFC 5321 4.5.3.1.5: 512 with the CRLF

constexpr bool is_alpha(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
constexpr bool is_alnum(char c) noexcept { return is_alpha(c) || is_digit(c); }
constexpr bool is_ascii(char c) noexcept { return static_cast<unsigned char>(c) < 0x80; }
constexpr char to_lower(char c) noexcept {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c;
}
constexpr char to_upper(char c) noexcept {
  return c >= 'a' && c <= 'z' ? static_cast<char>(c - 32) : c;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (to_lower(a[i]) != to_lower(b[i])) return false;
  return true;
}

bool istarts_with(std::string_view s, std::string_view prefix) noexcept {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

// RFC 5322 atext as RFC 5321 uses it in Atom.
bool is_atext(char c) noexcept {
  return is_alnum(c) || std::strchr("!#$%&'*+-/=?^_`{|}~", c) != nullptr;
}

// Dot-string = Atom *("." Atom); with utf8, atext also takes UTF8-non-ascii (RFC 6531).
bool valid_dot_string(std::string_view s, bool utf8) noexcept {
  if (s.empty() || s.front() == '.' || s.back() == '.') return false;
  for (std::size_t i = 0; i < s.size();) {
    const char c = s[i];
    if (c == '.') {
      if (s[i + 1] == '.') return false;  // the back is not '.', so i + 1 is in range
      ++i;
    } else if (is_ascii(c)) {
      if (c == '\0' || !is_atext(c)) return false;
      ++i;
    } else {
      // Part of a character: parse_path checked the whole argument is UTF-8.
      if (!utf8) return false;
      ++i;
    }
  }
  return true;
}

// The length of Quoted-string at the start of s (RFC 5321 4.1.2, RFC 6531 qtextSMTP), or 0.
std::size_t quoted_string_length(std::string_view s, bool utf8) noexcept {
  if (s.empty() || s[0] != '"') return 0;
  for (std::size_t i = 1; i < s.size();) {
    const char c = s[i];
    if (c == '"') return i + 1;
    if (c == '\\') {
      if (i + 1 >= s.size() || s[i + 1] < 32 || s[i + 1] > 126) return 0;
      i += 2;
    } else if (is_ascii(c)) {
      if (c < 32 || c == 127) return 0;
      ++i;
    } else {
      // Part of a character: parse_path checked the whole argument is UTF-8.
      if (!utf8) return 0;
      ++i;
    }
  }
  return 0;
}

// sub-domain = Let-dig [Ldh-str], or a U-label with utf8 (checked only for well-formed UTF-8:
// IDNA validity is the resolver's business, not the grammar's).
bool valid_label(std::string_view label, bool utf8) noexcept {
  if (label.empty() || label.size() > kMaxLabel) return false;
  if (label.front() == '-' || label.back() == '-') return false;
  for (std::size_t i = 0; i < label.size();) {
    const char c = label[i];
    if (is_ascii(c)) {
      if (!is_alnum(c) && c != '-') return false;
      ++i;
    } else {
      // Part of a character: parse_path checked the whole argument is UTF-8.
      if (!utf8) return false;
      ++i;
    }
  }
  return true;
}

// Domain; one trailing dot is tolerated as resolvers accept it (domain_of drops it).
bool valid_domain(std::string_view domain, bool utf8) noexcept {
  if (domain.empty() || domain.size() > kMaxDomain) return false;
  if (domain.back() == '.') domain.remove_suffix(1);
  if (domain.empty()) return false;
  while (true) {
    const std::size_t dot = domain.find('.');
    if (!valid_label(domain.substr(0, dot), utf8)) return false;
    if (dot == std::string_view::npos) return true;
    domain.remove_prefix(dot + 1);
  }
}

// Snum 3("." Snum), Snum = 1*3DIGIT with a value of at most 255.
bool valid_ipv4(std::string_view s) noexcept {
  for (int part = 0; part < 4; ++part) {
    if (part > 0) {
      if (s.empty() || s[0] != '.') return false;
      s.remove_prefix(1);
    }
    std::size_t n = 0;
    int value = 0;
    while (n < s.size() && n < 4 && is_digit(s[n])) value = value * 10 + (s[n++] - '0');
    if (n == 0 || n > 3 || value > 255) return false;
    s.remove_prefix(n);
  }
  return s.empty();
}

bool valid_ipv6(std::string_view s) noexcept {
  // inet_pton covers IPv6-full/-comp/-v4-full/-v4-comp and refuses zone ids, as RFC 5321 does.
  std::array<char, 64> text{};
  if (s.empty() || s.size() >= text.size()) return false;
  if (s.find('\0') != std::string_view::npos) return false;
  std::memcpy(text.data(), s.data(), s.size());
  unsigned char out[16];
  return inet_pton(AF_INET6, text.data(), out) == 1;
}

// address-literal: IPv4 or "IPv6:" only; General-address-literal tags other than IPv6 have never
// been registered, so anything else is a typo or a probe.
bool valid_address_literal(std::string_view s) noexcept {
  if (s.size() < 2 || s.size() > kMaxDomain || s.front() != '[' || s.back() != ']') return false;
  const std::string_view inner = s.substr(1, s.size() - 2);
  if (istarts_with(inner, "IPv6:")) return valid_ipv6(inner.substr(5));
  return valid_ipv4(inner);
}

bool has_non_ascii(std::string_view s) noexcept {
  for (const char c : s)
    if (!is_ascii(c)) return true;
  return false;
}

constexpr std::string_view kNeedsUtf8 = "non-ASCII address without SMTPUTF8";

// Mailbox = Local-part "@" ( Domain / address-literal ); the reason when it is not one.
std::string_view mailbox_error(std::string_view mailbox, bool utf8) noexcept {
  if (mailbox.empty()) return "empty address";
  std::size_t local_length = 0;
  if (mailbox[0] == '"') {
    local_length = quoted_string_length(mailbox, utf8);
    if (local_length == 0) {
      return !utf8 && has_non_ascii(mailbox) ? kNeedsUtf8 : "bad quoted local part";
    }
  } else {
    local_length = mailbox.find('@');
    if (local_length == std::string_view::npos) return "address without a domain";
    if (!valid_dot_string(mailbox.substr(0, local_length), utf8)) {
      return !utf8 && has_non_ascii(mailbox.substr(0, local_length)) ? kNeedsUtf8
                                                                     : "bad local part";
    }
  }
  if (local_length > kMaxLocalPart) return "local part longer than 64 octets";
  if (local_length >= mailbox.size() || mailbox[local_length] != '@')
    return "address without a domain";
  const std::string_view domain = mailbox.substr(local_length + 1);
  if (domain.size() > kMaxDomain) return "domain longer than 255 octets";
  if (!domain.empty() && domain[0] == '[') {
    if (!valid_address_literal(domain)) return "bad address literal";
  } else if (!valid_domain(domain, utf8)) {
    return !utf8 && has_non_ascii(domain) ? kNeedsUtf8 : "bad domain";
  }
  return {};
}

// A-d-l = At-domain *( "," At-domain ), At-domain = "@" Domain.
bool valid_source_route(std::string_view route, bool utf8) noexcept {
  while (true) {
    const std::size_t comma = route.find(',');
    const std::string_view hop = route.substr(0, comma);
    if (hop.size() < 2 || hop[0] != '@' || !valid_domain(hop.substr(1), utf8)) return false;
    if (comma == std::string_view::npos) return true;
    route.remove_prefix(comma + 1);
  }
}

// esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")
bool valid_keyword(std::string_view k) noexcept {
  if (k.empty() || !is_alnum(k[0])) return false;
  for (const char c : k)
    if (!is_alnum(c) && c != '-') return false;
  return true;
}

// esmtp-value = 1*(%d33-60 / %d62-126), =/ UTF8-non-ascii with SMTPUTF8 (RFC 6531 3.3).
bool valid_value(std::string_view v, bool utf8) noexcept {
  if (v.empty()) return false;
  for (std::size_t i = 0; i < v.size();) {
    const char c = v[i];
    if (is_ascii(c)) {
      if (c < 33 || c > 126 || c == '=') return false;
      ++i;
    } else {
      // Part of a character: parse_path checked the whole argument is UTF-8.
      if (!utf8) return false;
      ++i;
    }
  }
  return true;
}

// The position of the '>' closing a path that starts with '<' at 0; a quoted local part may
// hold '>' (and '\>'), so quotes are followed. npos when there is none.
std::size_t closing_bracket(std::string_view s) noexcept {
  bool quoted = false;
  for (std::size_t i = 1; i < s.size(); ++i) {
    const char c = s[i];
    if (quoted && c == '\\') {
      ++i;
    } else if (c == '"') {
      quoted = !quoted;
    } else if (c == '>' && !quoted) {
      return i;
    }
  }
  return std::string_view::npos;
}

PathResult failure(PathError error, std::string_view why) {
  PathResult r;
  r.error = error;
  r.why = why;
  return r;
}

struct VerbName {
  std::string_view name;
  Verb verb;
};
constexpr std::array<VerbName, 14> kVerbs{{
    {"HELO", Verb::helo},
    {"EHLO", Verb::ehlo},
    {"MAIL", Verb::mail},
    {"RCPT", Verb::rcpt},
    {"DATA", Verb::data},
    {"RSET", Verb::rset},
    {"NOOP", Verb::noop},
    {"QUIT", Verb::quit},
    {"VRFY", Verb::vrfy},
    {"EXPN", Verb::expn},
    {"HELP", Verb::help},
    {"STARTTLS", Verb::starttls},
    {"BDAT", Verb::bdat},
    {"AUTH", Verb::auth},
}};

// Cuts s to at most max bytes without splitting a UTF-8 sequence (a reply line cut mid
// character would be rejected by strict SMTPUTF8 clients).
std::string_view cut_at_character(std::string_view s, std::size_t max) noexcept {
  if (s.size() <= max) return s;
  std::size_t end = max;
  for (int back = 0; back < 3 && end > 0; ++back) {
    if ((static_cast<unsigned char>(s[end]) & 0xC0) != 0x80) break;
    --end;
  }
  if ((static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) end = max;  // not UTF-8 anyway
  return s.substr(0, end);
}

// The enhanced status code "c.sss.ddd" at the start of text (RFC 3463), its class being the
// reply's first digit, followed by a space or the end; its length, or 0.
std::size_t enhanced_code_length(std::string_view text, char reply_class) noexcept {
  if (reply_class != '2' && reply_class != '4' && reply_class != '5') return 0;
  if (text.size() < 5 || text[0] != reply_class || text[1] != '.') return 0;
  std::size_t i = 2;
  for (int part = 0; part < 2; ++part) {
    if (part == 1) {
      if (i >= text.size() || text[i] != '.') return 0;
      ++i;
    }
    std::size_t digits = 0;
    while (i < text.size() && is_digit(text[i]) && digits < 4) ++i, ++digits;
    if (digits == 0 || digits > 3) return 0;
  }
  if (i < text.size() && text[i] != ' ') return 0;
  return i;
}

std::string_view skip_spaces(std::string_view s) noexcept {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  return s;
}

}  // namespace

Command parse_command(std::string_view line) noexcept {
  Command command;
  std::size_t verb_end = 0;
  while (verb_end < line.size() && is_alpha(line[verb_end])) ++verb_end;
  if (verb_end == 0 || (verb_end < line.size() && line[verb_end] != ' ')) return command;
  const std::string_view verb = line.substr(0, verb_end);
  for (const auto& known : kVerbs) {
    if (iequals(verb, known.name)) {
      command.verb = known.verb;
      break;
    }
  }
  std::string_view argument = skip_spaces(line.substr(verb_end));
  while (!argument.empty() && argument.back() == ' ') argument.remove_suffix(1);
  command.argument = argument;
  return command;
}

PathResult parse_path(std::string_view argument, std::string_view prefix, bool allow_utf8) {
  const bool is_from = iequals(prefix, "FROM:");
  const bool is_to = iequals(prefix, "TO:");
  if (!istarts_with(argument, prefix)) {
    return failure(PathError::syntax,
                   is_from ? "expected FROM:<address>" : "expected TO:<address>");
  }
  std::string_view rest = argument.substr(prefix.size());
  if (!rest.empty() && rest[0] == ' ') rest.remove_prefix(1);
  if (rest.empty() || rest[0] != '<') return failure(PathError::syntax, "address not in <>");
  const std::size_t close = closing_bracket(rest);
  if (close == std::string_view::npos) return failure(PathError::syntax, "address not in <>");
  const std::string_view inner = rest.substr(1, close - 1);
  std::string_view tail = rest.substr(close + 1);
  if (!tail.empty() && tail[0] != ' ') return failure(PathError::syntax, "junk after the address");

  // Checked once here, so that the grammar below takes any non-ASCII byte as part of a
  // well-formed character.
  if (allow_utf8 && !mime::is_valid_utf8(argument))
    return failure(PathError::bad_address, "not valid UTF-8");
  PathResult result;
  bool declares_utf8 = false;
  for (tail = skip_spaces(tail); !tail.empty(); tail = skip_spaces(tail)) {
    const std::size_t end = tail.find(' ');
    const std::string_view param = tail.substr(0, end);
    tail = end == std::string_view::npos ? std::string_view{} : tail.substr(end);
    const std::size_t equals = param.find('=');
    const std::string_view keyword = param.substr(0, equals);
    if (!valid_keyword(keyword)) return failure(PathError::bad_param, "bad parameter keyword");
    std::string upper(keyword);
    for (char& c : upper) c = to_upper(c);
    if (upper == "SMTPUTF8") declares_utf8 = true;
    const std::string_view value =
        equals == std::string_view::npos ? std::string_view{} : param.substr(equals + 1);
    if (equals != std::string_view::npos && value.empty())
      return failure(PathError::bad_param, "parameter with an empty value");
    result.path.params.emplace_back(std::move(upper), std::string(value));
  }
  // MAIL declares SMTPUTF8 in its own parameters (RFC 6531 3.4), so for FROM: allow_utf8 says
  // whether it may be declared and the parameter says whether it was.
  const bool utf8 = allow_utf8 && (!is_from || declares_utf8);
  for (const auto& [keyword, value] : result.path.params) {
    if (!value.empty() && !valid_value(value, utf8))
      return failure(PathError::bad_param, "bad parameter value");
  }

  if (close + 1 > kMaxPath) return failure(PathError::bad_address, "path longer than 256 octets");
  if (inner.empty()) {
    if (is_from) return result;
    return failure(PathError::bad_address, "null path not allowed here");
  }
  if (is_to && iequals(inner, "Postmaster")) {
    result.path.address = "Postmaster";
    return result;
  }
  std::string_view mailbox = inner;
  if (mailbox[0] == '@') {
    // Source routes are obsolete (RFC 5321 C): accepted and dropped, as servers MUST.
    const std::size_t colon = mailbox.find(':');
    if (colon == std::string_view::npos || !valid_source_route(mailbox.substr(0, colon), utf8))
      return failure(PathError::bad_address, "bad source route");
    mailbox.remove_prefix(colon + 1);
  }
  if (const std::string_view why = mailbox_error(mailbox, utf8); !why.empty())
    return failure(PathError::bad_address, why);
  result.path.address = std::string(mailbox);
  return result;
}

std::string domain_of(std::string_view address) {
  const std::size_t at = address.rfind('@');
  if (at == std::string_view::npos) return {};
  std::string domain(address.substr(at + 1));
  if (!domain.empty() && domain.back() == '.') domain.pop_back();
  for (char& c : domain) c = to_lower(c);
  return domain;
}

std::string format_reply(int code, std::string_view enhanced,
                         const std::vector<std::string>& lines) {
  // An out-of-range code is a bug of ours; a local-error reply is the least harmful outcome.
  if (code < 200 || code > 599) code = 451;
  const std::array<char, 3> digits{static_cast<char>('0' + code / 100),
                                   static_cast<char>('0' + code / 10 % 10),
                                   static_cast<char>('0' + code % 10)};
  const std::string_view head(digits.data(), digits.size());
  const std::size_t count = lines.empty() ? 1 : lines.size();
  std::string out;
  std::string body;
  for (std::size_t k = 0; k < count; ++k) {
    const std::string_view text = lines.empty() ? std::string_view{} : lines[k];
    body.assign(enhanced);
    if (!body.empty() && !text.empty()) body.push_back(' ');
    body.append(text);
    // Attacker-supplied text (a HELO name, an address) must not end the reply or start a new
    // one; every control character goes, not just CR and LF, as clients differ in what they
    // take for a line end.
    for (char& c : body)
      if (is_ascii(c) && (c < 32 || c == 127)) c = ' ';
    const bool last = k + 1 == count;
    out.append(head);
    if (body.empty()) {
      if (!last) out.push_back('-');
    } else {
      out.push_back(last ? ' ' : '-');
      out.append(cut_at_character(body, kMaxReplyLine - head.size() - 1));
    }
    out.append("\r\n");
  }
  return out;
}

std::string format_reply(int code, std::string_view enhanced, std::string_view text) {
  if (text.empty()) return format_reply(code, enhanced, std::vector<std::string>{});
  return format_reply(code, enhanced, std::vector<std::string>{std::string(text)});
}

ReplyReader::State ReplyReader::take(std::string_view line) {
  if (state_ != State::more) return state_ = State::malformed;
  if (line.size() < 3 || line[0] < '2' || line[0] > '5' || !is_digit(line[1]) ||
      !is_digit(line[2]) || (line.size() > 3 && line[3] != ' ' && line[3] != '-') ||
      reply_.lines.size() >= max_lines_) {
    return state_ = State::malformed;
  }
  const int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
  if (reply_.code != 0 && code != reply_.code) return state_ = State::malformed;
  reply_.code = code;
  std::string_view text = line.size() > 4 ? line.substr(4) : std::string_view{};
  if (reply_.lines.empty()) {
    const std::size_t n = enhanced_code_length(text, line[0]);
    if (n != 0) {
      reply_.enhanced = std::string(text.substr(0, n));
      text = skip_spaces(text.substr(n));
    }
  } else if (!reply_.enhanced.empty() && text.starts_with(reply_.enhanced) &&
             (text.size() == reply_.enhanced.size() || text[reply_.enhanced.size()] == ' ')) {
    text = skip_spaces(text.substr(reply_.enhanced.size()));
  }
  reply_.lines.emplace_back(text);
  const bool last = line.size() == 3 || line[3] == ' ';
  return state_ = last ? State::done : State::more;
}

// The DATA reader runs once per message over up to 64 MB, so it never looks at bytes one at a
// time in the common case: inside a line it finds the next LF with string_view::find (memchr)
// and appends the whole run at once. Per-byte work happens only for the first two bytes of a
// line, where the dot rules live.
std::size_t DataReader::feed(std::string_view chunk) {
  std::size_t i = 0;
  while (i < chunk.size() && !finished_) {
    const char c = chunk[i];
    switch (at_) {
      case At::line_start:
        if (c == '.') {
          at_ = At::dot;
          ++i;
        } else {
          at_ = At::text;
          last_cr_ = false;
        }
        break;
      case At::dot:
        if (c == '\r') {
          at_ = At::dot_cr;
          ++i;
        } else if (c == '\n') {
          // ".<LF>" is not the end (smuggling); keep the dot so that append_dot_stuffed sends
          // "..<CRLF>" on and the next hop reads text as well.
          store(".\r\n");
          ++bare_lf_;
          previous_crlf_ = false;
          at_ = At::line_start;
          ++i;
        } else {
          at_ = At::text;  // a stuffed dot: dropped
          last_cr_ = false;
        }
        break;
      case At::dot_cr:
        if (c == '\n') {
          ++i;
          if (previous_crlf_) {
            finished_ = true;
          } else {
            store(".\r\n");  // "<LF>.<CRLF>": text, for the same reason as ".<LF>"
            previous_crlf_ = true;
            at_ = At::line_start;
          }
        } else {
          store("\r");  // ".<CR>x": a stuffed dot before a bare CR, which stays in the line
          at_ = At::text;
          last_cr_ = true;
        }
        break;
      case At::text: {
        if (last_cr_ && c != '\n') end_bare_cr();  // the CR stored last was a bare CR
        const std::string_view rest = chunk.substr(i);
        const std::size_t lf = rest.find('\n');
        if (lf == std::string_view::npos) {
          store_text(rest);
          last_cr_ = rest.back() == '\r';
          i = chunk.size();
          break;
        }
        const bool crlf = lf > 0 ? rest[lf - 1] == '\r' : last_cr_;
        if (crlf) {
          store_text(rest.substr(0, lf + 1));  // its CR is in the run or already stored
        } else {
          store_text(rest.substr(0, lf));
          store("\r\n");
          ++bare_lf_;
        }
        previous_crlf_ = crlf;
        at_ = At::line_start;
        i += lf + 1;
        break;
      }
    }
  }
  return i;
}

void DataReader::store_text(std::string_view text) {
  std::size_t from = 0;
  for (std::size_t cr = text.find('\r'); cr != std::string_view::npos;
       cr = text.find('\r', cr + 1)) {
    if (cr + 1 == text.size() || text[cr + 1] == '\n') continue;
    store(text.substr(from, cr + 1 - from));
    end_bare_cr();
    from = cr + 1;
  }
  store(text.substr(from));
}

void DataReader::end_bare_cr() {
  store("\n");
  ++bare_cr_;
  last_cr_ = false;
}

void DataReader::store(std::string_view bytes) {
  total_ += bytes.size();
  if (too_big_) return;
  if (bytes.size() > max_bytes_ - message_.size()) {
    too_big_ = true;
    std::string().swap(message_);  // clear() would keep the capacity
    return;
  }
  const std::size_t needed = message_.size() + bytes.size();
  if (needed > message_.capacity() && message_.capacity() > max_bytes_ / 2) {
    // Geometric growth would overshoot the limit (up to twice it); take exactly the limit, once.
    std::string bigger;
    bigger.reserve(max_bytes_);
    bigger.append(message_);
    message_.swap(bigger);
  }
  message_.append(bytes);
}

void append_dot_stuffed(std::string& out, std::string_view message) {
  out.reserve(out.size() + message.size() + message.size() / 64 + 8);
  const char* const s = message.data();
  std::size_t i = 0;
  while (i < message.size()) {
    if (s[i] == '.') out.push_back('.');
    const char* nl = static_cast<const char*>(std::memchr(s + i, '\n', message.size() - i));
    const std::size_t lf = nl ? static_cast<std::size_t>(nl - s) : message.size();
    // A line ends at its first CR or LF: a bare CR or LF would reach the next hop as a line
    // end it may read differently from ours, so every one is sent as CRLF (and a dot after a
    // bare CR starts a line, so it is stuffed too).
    const char* cr = static_cast<const char*>(std::memchr(s + i, '\r', lf - i));
    const std::size_t end = cr ? static_cast<std::size_t>(cr - s) : lf;
    out.append(message.substr(i, end - i));
    out.append("\r\n");
    i = cr && end + 1 != lf ? end + 1 : lf + 1;
  }
  out.append(".\r\n");
}

}  // namespace ksmg::relay::smtp

// master_file.cpp — StaticResolver::from_master_file: records in RFC 1035 5 master-file syntax,
// the format nsd and unbound read, so that one zone file serves `ksmg scan --dns-file`, the unit
// tests and a real server in the end-to-end tests.
//
// Read: entries "owner [TTL] [IN] TYPE data" (TTL and class in either order, both optional; a
// blank owner repeats the previous one), $ORIGIN and $TTL, "@", names relative to the origin
// (with no $ORIGIN the origin is the root, so "example.com" is absolute), ";" comments,
// parentheses joining lines, quoted strings with \X and \DDD escapes, TTLs in seconds or with
// BIND's units (1h30m). Types: A, AAAA, MX, TXT (one or more character-strings of up to 255
// bytes, joined), PTR, CNAME, SOA and NS (their owner exists, nothing more), and the
// pseudo-type TIMEOUT. Not read, with an error: $INCLUDE (no file is opened), other classes and
// types, escapes in names.
//
// The text is hostile like any input: lines, entries, records and TXT data are bounded by named
// constants, the scan is one pass, and every error names its line.
#include <limits>
#include <utility>

#include "core/ascii.hpp"
#include "dns/zone.hpp"

namespace ksmg::dns {
namespace {

constexpr std::size_t kMaxCharacterString = 255;  // RFC 1035 3.3
// One entry's tokens together (a byte each besides their text): a TXT record's RDATA and room
// for the owner, TTL, class and type before it.
constexpr std::size_t kMaxEntryBytes = kMaxTxtRdataBytes + 512;
constexpr std::uint32_t kMaxTtl = 0x7FFFFFFF;  // RFC 2181 8
// The TTL of a record that states none, with no $TTL before it (what BIND assumes too).
constexpr std::uint32_t kDefaultTtl = 3600;

struct Token {
  std::string text;  // escapes decoded
  std::size_t line = 0;
  bool quoted = false;
  bool escaped = false;  // held a backslash escape
};

// One entry: its tokens, and whether its line began with a blank (the owner left out).
struct Entry {
  std::vector<Token> tokens;
  bool owner_omitted = false;
  std::size_t line = 0;
};

// "3600", "1h30m", "2W": seconds, or nullopt.
std::optional<std::uint32_t> ttl_value(std::string_view s) {
  if (s.empty() || !core::is_digit(s.front())) return std::nullopt;
  std::uint64_t total = 0, number = 0;
  bool pending = false;
  for (const char c : s) {
    if (core::is_digit(c)) {
      number = number * 10 + static_cast<std::uint64_t>(c - '0');
      if (number > kMaxTtl) return std::nullopt;
      pending = true;
      continue;
    }
    std::uint64_t unit = 0;
    switch (core::to_lower(c)) {
      case 's':
        unit = 1;
        break;
      case 'm':
        unit = 60;
        break;
      case 'h':
        unit = 3600;
        break;
      case 'd':
        unit = 86400;
        break;
      case 'w':
        unit = 604800;
        break;
      default:
        return std::nullopt;
    }
    if (!pending) return std::nullopt;
    total += number * unit;
    if (total > kMaxTtl) return std::nullopt;
    number = 0;
    pending = false;
  }
  total += number;
  if (total > kMaxTtl) return std::nullopt;
  return static_cast<std::uint32_t>(total);
}

std::optional<Type> queried_type(std::string_view s) {
  for (const Type t : {Type::a, Type::aaaa, Type::mx, Type::txt, Type::ptr, Type::cname})
    if (core::iequals(s, to_string(t))) return t;
  return std::nullopt;
}

// Splits the text into entries (one pass; parentheses and quotes span what RFC 1035 lets them).
class Lexer {
 public:
  explicit Lexer(std::string_view text) : text_(text) {}

  // The next entry into `entry`; false at the end of the text or on an error (then `error`).
  bool next(Entry& entry, std::string& error) {
    entry.tokens.clear();
    entry.owner_omitted = false;
    std::size_t entry_bytes = 0;
    std::size_t paren_line = 0;
    bool in_parens = false;
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c == '\n') {
        ++pos_;
        ++line_;
        line_start_ = pos_;
        if (in_parens) continue;
        if (!entry.tokens.empty()) return true;
        entry.owner_omitted = false;
        continue;
      }
      if (pos_ - line_start_ >= kMaxZoneLineBytes) return fail(error, "line too long");
      if (c == ' ' || c == '\t' || c == '\r') {
        if (pos_ == line_start_ && !in_parens && entry.tokens.empty()) {
          entry.owner_omitted = true;
          entry.line = line_;
        }
        ++pos_;
      } else if (c == ';') {
        while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
      } else if (c == '(') {
        if (in_parens) return fail(error, "'(' inside parentheses");
        in_parens = true;
        paren_line = line_;
        ++pos_;
      } else if (c == ')') {
        if (!in_parens) return fail(error, "')' without '('");
        in_parens = false;
        ++pos_;
      } else {
        if (entry.tokens.empty()) entry.line = line_;
        Token t;
        if (!token(t, error)) return false;
        entry_bytes += t.text.size() + 1;
        if (entry_bytes > kMaxEntryBytes) return fail(error, "entry too long");
        entry.tokens.push_back(std::move(t));
      }
    }
    if (in_parens) {
      line_ = paren_line;
      return fail(error, "'(' never closed");
    }
    return !entry.tokens.empty();
  }

  [[nodiscard]] std::size_t line() const noexcept { return line_; }

 private:
  bool fail(std::string& error, std::string_view what) {
    error = "line " + std::to_string(line_) + ": " + std::string(what);
    return false;
  }

  // A word or a quoted string at pos_, escapes decoded.
  bool token(Token& t, std::string& error) {
    t.line = line_;
    t.quoted = text_[pos_] == '"';
    if (t.quoted) ++pos_;
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (pos_ - line_start_ >= kMaxZoneLineBytes) return fail(error, "line too long");
      if (t.quoted ? c == '"' : (core::is_lwsp(c) || c == ';' || c == '(' || c == ')' || c == '"'))
        break;
      if (c == '\n') return fail(error, "quoted string not closed on its line");
      ++pos_;
      if (c != '\\') {
        t.text += c;
        continue;
      }
      t.escaped = true;
      if (pos_ >= text_.size() || text_[pos_] == '\n') return fail(error, "'\\' at end of line");
      if (!core::is_digit(text_[pos_])) {
        t.text += text_[pos_++];
        continue;
      }
      // \DDD: a byte in decimal (RFC 1035 5.1).
      unsigned value = 0;
      for (int i = 0; i < 3; ++i, ++pos_) {
        if (pos_ >= text_.size() || !core::is_digit(text_[pos_]))
          return fail(error, "'\\' not followed by three digits");
        value = value * 10 + static_cast<unsigned>(text_[pos_] - '0');
      }
      if (value > 255) return fail(error, "'\\DDD' over 255");
      t.text += static_cast<char>(value);
    }
    if (t.quoted) {
      if (pos_ >= text_.size()) return fail(error, "quoted string not closed");
      ++pos_;  // the closing quote
    }
    return true;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  std::size_t line_ = 1;
  std::size_t line_start_ = 0;
};

}  // namespace

// Reads the entries one by one into a zone (a friend of StaticResolver, for its Zone).
class MasterFileReader {
 public:
  MasterFileReader(std::string_view text, StaticResolver& resolver)
      : lexer_(text), zone_(*resolver.zone_) {}

  bool read(std::string& error) {
    Entry entry;
    while (lexer_.next(entry, error))
      if (!read_entry(entry, error)) return false;
    return error.empty();
  }

 private:
  bool fail(std::string& error, std::size_t line, std::string_view what) {
    error = "line " + std::to_string(line) + ": " + std::string(what);
    return false;
  }

  // A name as written, made absolute against the origin; nullopt after setting `error`.
  std::optional<std::string> absolute_name(const Token& t, std::string& error,
                                           bool root_allowed = false) {
    if (t.quoted || t.escaped) {
      fail(error, t.line, "'" + t.text + "' is not read as a name (quotes or escapes)");
      return std::nullopt;
    }
    std::string name;
    if (t.text == "@")
      name = origin_;
    else if (t.text.back() == '.')
      name = t.text;
    else
      name = origin_.empty() ? t.text : t.text + "." + origin_;
    const std::optional<std::string_view> valid =
        domain_name(name.empty() ? std::string_view(".") : std::string_view(name), root_allowed);
    if (!valid) {
      fail(error, t.line, "'" + t.text + "' is not a domain name");
      return std::nullopt;
    }
    return std::string(*valid);
  }

  bool read_entry(const Entry& entry, std::string& error) {
    const std::vector<Token>& tokens = entry.tokens;
    std::size_t i = 0;
    if (!entry.owner_omitted) {
      const Token& first = tokens[i++];
      if (!first.quoted && first.text.front() == '$') return directive(tokens, error);
      const std::optional<std::string> owner = absolute_name(first, error);
      if (!owner) return false;
      owner_ = *owner;
    } else if (!owner_) {
      return fail(error, entry.line, "no owner name before this record");
    }
    std::optional<std::uint32_t> ttl;
    bool class_seen = false;
    for (; i < tokens.size() && !tokens[i].quoted; ++i) {
      const std::string& t = tokens[i].text;
      if (!ttl && core::is_digit(t.front())) {
        ttl = ttl_value(t);
        if (!ttl) return fail(error, tokens[i].line, "'" + t + "' is not a TTL");
      } else if (!class_seen && core::iequals(t, "IN")) {
        class_seen = true;
      } else if (!class_seen &&
                 (core::iequals(t, "CH") || core::iequals(t, "HS") || core::iequals(t, "CS"))) {
        return fail(error, tokens[i].line, "class " + t + " is not read (only IN)");
      } else {
        break;
      }
    }
    if (i == tokens.size()) return fail(error, entry.line, "no type");
    const Token& type = tokens[i++];
    const std::uint32_t record_ttl = ttl ? *ttl : default_ttl_.value_or(kDefaultTtl);
    return record(type, tokens.data() + i, tokens.size() - i, record_ttl, error);
  }

  bool directive(const std::vector<Token>& tokens, std::string& error) {
    const Token& d = tokens.front();
    if (d.text == "$INCLUDE")
      return fail(error, d.line, "$INCLUDE is not read (no file is opened)");
    if (d.text != "$ORIGIN" && d.text != "$TTL")
      return fail(error, d.line, "unknown directive " + d.text);
    if (tokens.size() != 2) return fail(error, d.line, d.text + " takes one value");
    if (d.text == "$TTL") {
      default_ttl_ = tokens[1].quoted ? std::nullopt : ttl_value(tokens[1].text);
      if (!default_ttl_) return fail(error, d.line, "'" + tokens[1].text + "' is not a TTL");
      return true;
    }
    const std::optional<std::string> origin = absolute_name(tokens[1], error, true);
    if (!origin) return false;
    origin_ = *origin;
    return true;
  }

  bool record(const Token& type, const Token* data, std::size_t count, std::uint32_t ttl,
              std::string& error) {
    const std::size_t line = type.line;
    auto data_count = [&](std::size_t want) {
      if (count == want) return true;
      fail(error, line,
           type.text + " takes " + std::to_string(want) + " value" + (want == 1 ? "" : "s") +
               ", not " + std::to_string(count));
      return false;
    };
    if (type.quoted) return fail(error, line, "a type is not quoted");
    if (core::iequals(type.text, "TIMEOUT")) {
      if (!data_count(0)) return false;
      return added(zone_.mark(*owner_, true), line, error);
    }
    if (core::iequals(type.text, "NS") || core::iequals(type.text, "SOA")) {
      const bool soa = core::iequals(type.text, "SOA");
      if (!data_count(soa ? 7 : 1)) return false;
      for (std::size_t k = 0; k < (soa ? 2u : 1u); ++k)
        if (!absolute_name(data[k], error)) return false;
      for (std::size_t k = 2; soa && k < 7; ++k)
        if (data[k].quoted || !ttl_value(data[k].text))
          return fail(error, line, "'" + data[k].text + "' is not a number");
      return added(zone_.mark(*owner_, false), line, error);
    }
    const std::optional<Type> t = queried_type(type.text);
    if (!t) return fail(error, line, "type " + type.text + " is not read");
    std::string value;
    switch (*t) {
      case Type::a:
      case Type::aaaa:
        if (!data_count(1)) return false;
        value = data[0].text;
        break;
      case Type::mx: {
        if (!data_count(2)) return false;
        const std::optional<std::string> exchange = absolute_name(data[1], error, true);
        if (!exchange) return false;
        value = data[0].text + " " + (exchange->empty() ? "." : *exchange);
        break;
      }
      case Type::ptr:
      case Type::cname: {
        if (!data_count(1)) return false;
        const std::optional<std::string> target = absolute_name(data[0], error);
        if (!target) return false;
        value = *target;
        break;
      }
      case Type::txt:
        if (count == 0) return fail(error, line, "TXT without a string");
        for (std::size_t k = 0; k < count; ++k) {
          if (data[k].text.size() > kMaxCharacterString)
            return fail(error, data[k].line, "a TXT string over 255 bytes");
          value += data[k].text;
        }
        if (value.size() + count > kMaxTxtRdataBytes)
          return fail(error, line, "TXT data over 65535 bytes");
        break;
    }
    return added(zone_.add(*owner_, *t, value, ttl), line, error);
  }

  bool added(StaticResolver::Zone::Added result, std::size_t line, std::string& error) {
    using Added = StaticResolver::Zone::Added;
    switch (result) {
      case Added::added:
        return true;
      case Added::bad_name:
        return fail(error, line, "not a domain name");
      case Added::bad_data:
        return fail(error, line, "data that does not read as its type");
      case Added::cname_beside_data:
        return fail(error, line, "a CNAME beside other data (RFC 1034 3.6.2)");
      case Added::full:
        return fail(error, line, "more than " + std::to_string(kMaxStaticRecords) + " records");
    }
    return false;
  }

  Lexer lexer_;
  StaticResolver::Zone& zone_;
  std::string origin_;  // "" for the root
  std::optional<std::string> owner_;
  std::optional<std::uint32_t> default_ttl_;
};

std::optional<StaticResolver> StaticResolver::from_master_file(std::string_view text,
                                                               std::string& error) {
  error.clear();
  StaticResolver resolver;
  if (!MasterFileReader(text, resolver).read(error)) return std::nullopt;
  return resolver;
}

}  // namespace ksmg::dns

// passwords.cpp — owns archive::password_candidates: the passwords a message gives its recipient
// for its own encrypted archives ("the password is X", a quoted string, a token), read out of
// the message's text, likeliest first, bounded.
//
// A sender who encrypts an archive to get it past a gateway has to tell the recipient how to
// open it, and does so in the same message: the body, the subject, the file name. Every
// candidate costs one more reading of the archive, so the order matters: a word right after a
// password keyword is almost always the password, a quoted string often, any other short token
// rarely.
#include <algorithm>
#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "core/ascii.hpp"
#include "ksmg/archive.hpp"

namespace ksmg::archive {

namespace {

// Longer strings are not taken for passwords (a line of text is not one).
constexpr std::size_t kMaxPasswordBytes = 64;
// Tokens shorter than this are not tried unless a keyword or quotes point at them.
constexpr std::size_t kMinTokenBytes = 3;
// Line breaks crossed between a keyword and its value ("Password:\n  X").
constexpr int kMaxBreaksAfterKeyword = 2;

// "password" in the languages mail is written in, longer forms before their prefixes; ASCII
// letters match in any case, others as written (with their capitalized forms listed).
constexpr std::array<std::string_view, 40> kKeywords{
    "password",   "passwort",   "passwd",      "passcode",     "passphrase",  "pass",
    "pwd",        "pw",         "kennwort",    "mot de passe", "mdp",         "contraseña",
    "contrasena", "clave",      "senha",       "parola",       "hasło",       "haslo",
    "heslo",      "wachtwoord", "lösenord",    "losenord",     "adgangskode", "salasana",
    "jelszó",     "şifre",      "Şifre",       "sifre",        "mật khẩu",    "пароль",
    "Пароль",     "ПАРОЛЬ",     "гасло",       "Гасло",        "密码",        "密碼",
    "パスワード", "비밀번호",   "كلمة المرور", "סיסמה"};

// Words between a keyword and its value: "the password is X", "das Passwort ist X".
constexpr std::array<std::string_view, 7> kLinkWords{"is", "ist", "est", "es", "è", "é", "to"};

// Quote pairs around a password: ASCII, typographic, guillemets, CJK brackets.
struct Quotes {
  std::string_view open;
  std::string_view close;
};
constexpr std::array<Quotes, 7> kQuotes{{{"\"", "\""},
                                         {"'", "'"},
                                         {"`", "`"},
                                         {"\u201C", "\u201D"},
                                         {"\u2018", "\u2019"},
                                         {"\u00AB", "\u00BB"},
                                         {"\u300C", "\u300D"}}};

using core::is_alnum;

// Separators between a keyword and its value: blanks, ':', '=', '-', '_', '>', and the
// full-width colon and dashes that some keyboards type.
std::size_t separator_at(std::string_view s, std::size_t i) noexcept {
  static constexpr std::array<std::string_view, 5> kWide{"\uFF1A", "\u2013", "\u2014", "\u00A0",
                                                         "\u3000"};
  const char c = s[i];
  if (core::is_wsp(c) || c == ':' || c == '=' || c == '-' || c == '_' || c == '>') return 1;
  for (const std::string_view w : kWide)
    if (s.substr(i).starts_with(w)) return w.size();
  return 0;
}

bool is_trailing_punctuation(char c) noexcept {
  return c == '.' || c == ',' || c == ';' || c == ':' || c == '!' || c == '?' || c == ')' ||
         c == ']' || c == '"' || c == '\'';
}

// One tier of candidates, each once, at most `max` of them.
class Tier {
 public:
  explicit Tier(std::size_t max) : max_(max) {}
  [[nodiscard]] bool full() const noexcept { return list_.size() >= max_; }
  // The value, and the value without trailing punctuation ("X." at the end of a sentence).
  void add(std::string_view v) {
    put(v);
    while (!v.empty() && is_trailing_punctuation(v.back())) v.remove_suffix(1);
    put(v);
  }
  [[nodiscard]] const std::vector<std::string>& list() const noexcept { return list_; }

 private:
  void put(std::string_view v) {
    if (v.empty() || v.size() > kMaxPasswordBytes || full()) return;
    if (std::find(list_.begin(), list_.end(), v) == list_.end()) list_.emplace_back(v);
  }
  std::size_t max_;
  std::vector<std::string> list_;
};

// The end of a quoted string opened at `from` (after the opening quote) on the same line.
std::size_t closing_quote(std::string_view s, std::size_t from, std::string_view close) {
  const std::size_t end = std::min(s.size(), from + kMaxPasswordBytes + close.size());
  const std::size_t at = s.substr(0, end).find(close, from);
  if (at == std::string_view::npos) return std::string_view::npos;
  if (s.substr(from, at - from).find_first_of("\r\n") != std::string_view::npos)
    return std::string_view::npos;
  return at;
}

// The value that follows a keyword ending at `i`, if any: separators, link words and up to
// kMaxBreaksAfterKeyword line breaks skipped, then a quoted string or a run of non-blanks.
void value_after_keyword(std::string_view s, std::size_t i, Tier& tier) {
  int breaks = 0;
  for (;;) {
    while (i < s.size()) {
      if (const std::size_t n = separator_at(s, i); n != 0) {
        i += n;
      } else if ((s[i] == '\r' || s[i] == '\n') && breaks < kMaxBreaksAfterKeyword) {
        breaks += s[i] == '\n';
        ++i;
      } else {
        break;
      }
    }
    bool linked = false;
    for (const std::string_view w : kLinkWords)
      if (i + w.size() < s.size() && core::istarts_with(s.substr(i), w) &&
          separator_at(s, i + w.size()) != 0) {
        i += w.size();
        linked = true;
        break;
      }
    if (!linked) break;
  }
  if (i >= s.size()) return;
  for (const Quotes& q : kQuotes)
    if (s.substr(i).starts_with(q.open)) {
      const std::size_t from = i + q.open.size();
      const std::size_t at = closing_quote(s, from, q.close);
      if (at != std::string_view::npos) tier.add(s.substr(from, at - from));
      return;
    }
  std::size_t end = i;
  while (end < s.size() && !core::is_lwsp(s[end])) ++end;
  tier.add(s.substr(i, end - i));
}

void keyword_values(std::string_view s, Tier& tier) {
  for (std::size_t i = 0; i < s.size() && !tier.full(); ++i) {
    if (i > 0 && is_alnum(s[i - 1])) continue;
    for (const std::string_view k : kKeywords) {
      if (!core::istarts_with(s.substr(i), k)) continue;
      const std::size_t end = i + k.size();
      if (end < s.size() && is_alnum(s[end])) continue;  // "passwords", "pass" in "passage"
      value_after_keyword(s, end, tier);
      break;
    }
  }
}

void quoted_strings(std::string_view s, Tier& tier) {
  for (std::size_t i = 0; i < s.size() && !tier.full(); ++i) {
    if (i > 0 && is_alnum(s[i - 1])) continue;  // an apostrophe inside a word opens nothing
    for (const Quotes& q : kQuotes) {
      if (!s.substr(i).starts_with(q.open)) continue;
      const std::size_t from = i + q.open.size();
      const std::size_t at = closing_quote(s, from, q.close);
      if (at == std::string_view::npos) break;
      tier.add(s.substr(from, at - from));
      i = at + q.close.size() - 1;
      break;
    }
  }
}

void tokens(std::string_view s, Tier& tier) {
  std::size_t i = 0;
  while (i < s.size() && !tier.full()) {
    while (i < s.size() && core::is_lwsp(s[i])) ++i;
    std::size_t end = i;
    while (end < s.size() && !core::is_lwsp(s[end])) ++end;
    if (end - i >= kMinTokenBytes) tier.add(s.substr(i, end - i));
    i = end;
  }
}

}  // namespace

std::vector<std::string> password_candidates(const std::vector<std::string>& texts,
                                             std::size_t max_count) {
  Tier after_keyword(max_count), quoted(max_count), other(max_count);
  for (const std::string& t : texts) keyword_values(t, after_keyword);
  for (const std::string& t : texts) quoted_strings(t, quoted);
  for (const std::string& t : texts) tokens(t, other);
  std::vector<std::string> out;
  for (const Tier* tier : {&after_keyword, &quoted, &other})
    for (const std::string& c : tier->list())
      if (out.size() < max_count && std::find(out.begin(), out.end(), c) == out.end())
        out.push_back(c);
  return out;
}

}  // namespace ksmg::archive

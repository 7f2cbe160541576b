// headers.cpp — owns the X-KSMG-* header fields of a verdict (making them, telling them by name)
// and header_safe(), which makes untrusted text (attachment names, signature names, matched
// words) fit to be a header value: one line, printable ASCII, RFC 2047-encoded when it is not
// ASCII, and bounded.
#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <string>

#include "ksmg/mime.hpp"
#include "ksmg/verdict.hpp"

namespace ksmg::verdict {

namespace {

// Bytes of UTF-8 text per encoded word: 45 bytes become 60 base64 characters, and with the
// "=?UTF-8?B?" "?=" frame a word stays under RFC 2047's 75.
constexpr std::size_t kEncodedWordBytes = 45;

bool is_printable_ascii(unsigned char c) noexcept { return c >= 0x20 && c < 0x7F; }

std::string base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  return out;
}

// Length of the UTF-8 prefix of s that is at most max bytes and ends on a character boundary.
std::size_t utf8_prefix(std::string_view s, std::size_t max) noexcept {
  if (s.size() <= max) return s.size();
  std::size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return n;
}

std::string capitalized(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c == '_') c = ' ';
  if (!out.empty() && out[0] >= 'a' && out[0] <= 'z') out[0] = static_cast<char>(out[0] - 32);
  return out;
}

std::string_view action_word(Action a) noexcept {
  switch (a) {
    case Action::deliver:
      return "delivered";
    case Action::tempfail:
      return "deferred";
    case Action::discard:
      return "deleted";
    case Action::reject:
      return "rejected";
  }
  return "delivered";
}

const ModuleResult* result_of(const Verdict& v, Module m) noexcept {
  for (const ModuleResult& r : v.modules)
    if (r.module == m) return &r;
  return nullptr;
}

// "Infected, EICAR-Test-File" style: the status, then what the first finding names.
std::string status_value(const ModuleResult& r) {
  std::string value = capitalized(to_string(r.status));
  // A clean result may still list what it saw (dictionary words no condition used): that is
  // for reports, not for the header.
  if (r.status != Status::clean && !r.findings.empty() && !r.findings.front().what.empty())
    value += ", " + r.findings.front().what;
  return value;
}

}  // namespace

bool is_verdict_field(std::string_view name) noexcept {
  constexpr std::string_view kPrefix = "x-ksmg-";
  if (name.size() < kPrefix.size()) return false;
  for (std::size_t i = 0; i < kPrefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(name[i])) != kPrefix[i]) return false;
  return true;
}

std::string header_safe(std::string_view text, std::size_t max_bytes) {
  // Control characters, line breaks included, become spaces: a value is one line.
  std::string clean;
  clean.reserve(text.size());
  bool ascii = true;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7F) {
      clean += ' ';
    } else {
      ascii = ascii && is_printable_ascii(c);
      clean += ch;
    }
  }
  if (ascii) return clean.substr(0, max_bytes);
  // Not ASCII: valid UTF-8 (bytes that are not become U+FFFD), then encoded words.
  const std::string utf8 = mime::to_utf8("utf-8", clean, max_bytes).data;
  std::string out;
  std::string_view rest = utf8;
  while (!rest.empty()) {
    const std::size_t n = std::max<std::size_t>(1, utf8_prefix(rest, kEncodedWordBytes));
    std::string word = "=?UTF-8?B?" + base64(rest.substr(0, n)) + "?=";
    if (out.size() + word.size() + 1 > max_bytes) break;
    if (!out.empty()) out += ' ';
    out += word;
    rest.remove_prefix(n);
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> x_headers(const Verdict& v) {
  std::vector<std::pair<std::string, std::string>> h;
  auto add = [&](std::string name, std::string_view value) {
    h.emplace_back(std::move(name), header_safe(value));
  };
  if (!v.rule_ids.empty()) {
    std::string ids;
    for (const std::string& id : v.rule_ids) ids += (ids.empty() ? "" : ", ") + id;
    add("X-KSMG-Rule-ID", ids);
  }
  std::string action(action_word(v.action));
  if (v.decided_by) action += ", " + std::string(header_name(v.decided_by->first));
  add("X-KSMG-Message-Action", action);
  if (const ModuleResult* av = result_of(v, Module::antivirus)) {
    if (!av->info.empty()) add("X-KSMG-AntiVirus", av->info);
    add("X-KSMG-AntiVirus-Status", status_value(*av));
  }
  if (const ModuleResult* spam = result_of(v, Module::antispam))
    add("X-KSMG-AntiSpam-Status", capitalized(to_string(spam->status)));
  if (const ModuleResult* auth = result_of(v, Module::auth))
    add("X-KSMG-AntiSpam-Auth", "dmarc=" + std::string(to_string(auth->status)));
  if (const ModuleResult* phish = result_of(v, Module::antiphishing)) {
    add("X-KSMG-AntiPhishing", status_value(*phish));
    if (phish->status == Status::malicious_link) add("X-KSMG-LinksScanning", status_value(*phish));
  }
  if (const ModuleResult* cf = result_of(v, Module::content_filter))
    add("X-KSMG-ContentFiltering", status_value(*cf));
  return h;
}

}  // namespace ksmg::verdict

// html_references.cpp — owns the decoding of HTML character references (see
// html_references.hpp): the named entities of the HTML Standard (html_entities.inc), numeric
// references with the Standard's replacements, legacy names matched without ';'.
#include "mime/html_references.hpp"

#include <algorithm>
#include <array>
#include <iterator>

#include "core/ascii.hpp"
#include "core/utf8.hpp"

namespace ksmg::mime::detail {

namespace {

struct Entity {
  std::string_view name;  // without '&'; with ';' unless it is a legacy name
  std::string_view value;
};

constexpr Entity kEntities[] = {
#include "mime/html_entities.inc"
};

static_assert(std::is_sorted(std::begin(kEntities), std::end(kEntities),
                             [](const Entity& a, const Entity& b) { return a.name < b.name; }));

// archive/html_data.cpp decodes a document only when a reference could write part of "data:":
// that holds because no named reference but "&colon;" stands for one of its characters.
static_assert([] {
  for (const Entity& e : kEntities)
    if (e.name != "colon;" && e.value.find_first_of("dataDATA:") != std::string_view::npos)
      return false;
  return true;
}());

constexpr std::size_t kMaxEntityName = 32;  // "CounterClockwiseContourIntegral;"
// The longest legacy name ("Aacute"): a reference without ';' is looked up no longer than this.
constexpr std::size_t kMaxLegacyName = [] {
  std::size_t longest = 0;
  for (const Entity& e : kEntities)
    if (!e.name.ends_with(';')) longest = std::max(longest, e.name.size());
  return longest;
}();

const Entity* find_entity(std::string_view name) noexcept {
  const Entity* it =
      std::lower_bound(std::begin(kEntities), std::end(kEntities), name,
                       [](const Entity& e, std::string_view n) { return e.name < n; });
  return it != std::end(kEntities) && it->name == name ? it : nullptr;
}

// HTML Standard "numeric character reference end state": C1 bytes are read as windows-1252.
constexpr std::array<char16_t, 32> kC1Replacement = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178};

using core::is_alnum;

}  // namespace

std::size_t character_reference(std::string_view s, std::size_t i, std::string& out) {
  const std::size_t n = s.size();
  std::size_t j = i + 1;
  if (j < n && s[j] == '#') {
    ++j;
    const bool hex = j < n && (s[j] == 'x' || s[j] == 'X');
    if (hex) ++j;
    const std::size_t digits = j;
    char32_t v = 0;
    while (j < n) {
      const int d = hex ? core::hex_value(s[j]) : (core::is_digit(s[j]) ? s[j] - '0' : -1);
      if (d < 0) break;
      v = std::min<char32_t>(v * (hex ? 16 : 10) + static_cast<char32_t>(d), 0x110000);
      ++j;
    }
    if (j == digits) return i;  // "&#" or "&#x" without digits is text
    if (j < n && s[j] == ';') ++j;
    if (v == 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
      v = 0xFFFD;
    else if (v >= 0x80 && v <= 0x9F)
      v = kC1Replacement[v - 0x80];
    char b[4];
    out.append(b, core::encode_utf8(v, b));
    return j;
  }
  while (j < n && j - (i + 1) < kMaxEntityName && is_alnum(s[j])) ++j;
  const std::size_t len = j - (i + 1);
  if (len > 0 && j < n && s[j] == ';') {
    if (const Entity* e = find_entity(s.substr(i + 1, len + 1))) {
      out += e->value;
      return j + 1;
    }
  }
  // Legacy names also match without ';' and as a prefix ("&notit;" is "¬it;").
  for (std::size_t k = std::min(len, kMaxLegacyName); k >= 2; --k) {
    if (const Entity* e = find_entity(s.substr(i + 1, k))) {
      out += e->value;
      return i + 1 + k;
    }
  }
  return i;
}

std::string decode_character_references(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  std::size_t from = 0;
  for (std::size_t amp = s.find('&'); amp != std::string_view::npos; amp = s.find('&', from)) {
    out += s.substr(from, amp - from);
    const std::size_t next = character_reference(s, amp, out);
    if (next == amp) {
      out += '&';
      from = amp + 1;
    } else {
      from = next;
    }
  }
  out += s.substr(from);
  return out;
}

}  // namespace ksmg::mime::detail

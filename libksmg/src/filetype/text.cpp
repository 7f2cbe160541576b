// text.cpp — owns the cheap text classifier: is it text at all, and if so which kind (HTML,
// XML, calendar, vCard, RTF, PostScript, PGP armour, mail, scripts, .reg, plain), and the
// reading of the header block that opens a mail message. libmagic spends
// milliseconds on text running its whole soft-magic list, this looks at a bounded prefix once.
#include <algorithm>
#include <array>
#include <bitset>
#include <cstddef>
#include <cstring>
#include <string>

#include "core/ascii.hpp"
#include "filetype/internal.hpp"

namespace ksmg::filetype::detail {

using core::istarts_with;
using core::to_lower;

namespace {

// The prefix that decides whether data is text; a text body that turns binary later is rare
// and the cost must stay bounded on large attachments.
constexpr std::size_t kTextSample = 8 * 1024;
// How far markup and script keywords are looked for.
constexpr std::size_t kKeywordWindow = 2 * 1024;
// How far a SYLK file is searched for macro function calls.
constexpr std::size_t kSylkWindow = 1024 * 1024;

// True when the sample reads as text: no NUL, control characters below 1 % (form feeds, escapes
// and the odd stray byte occur in real mail). 8-bit bytes that are not UTF-8 count as legacy
// charsets (ISO-8859-x, windows-125x), which libmagic also calls text.
bool looks_like_text(std::string_view s) noexcept {
  if (std::memchr(s.data(), 0, s.size()) != nullptr) return false;
  // Branch-free so that the compiler vectorises it: this runs on every text part.
  constexpr std::uint32_t kAllowed = 1u << '\t' | 1u << '\n' | 1u << '\r' | 1u << '\f' | 1u << 0x1B;
  std::size_t control = 0;
  for (const char ch : s) {
    const auto b = static_cast<std::uint32_t>(static_cast<unsigned char>(ch));
    control +=
        b < 0x20 ? ((kAllowed >> (b & 31u)) & 1u) ^ 1u : static_cast<std::uint32_t>(b == 0x7F);
  }
  return control * 100 <= s.size();
}

// UTF-16 with a BOM: the ASCII-range characters of the sample, others as '?', so that the same
// keyword checks apply. Returns false if it does not read as UTF-16 text.
bool narrow_utf16(std::string_view s, bool little_endian, std::string& out) {
  std::size_t control = 0;
  for (std::size_t i = 2; i + 1 < s.size(); i += 2) {
    const auto lo = static_cast<unsigned char>(s[little_endian ? i : i + 1]);
    const auto hi = static_cast<unsigned char>(s[little_endian ? i + 1 : i]);
    const unsigned cu = static_cast<unsigned>(hi) << 8 | lo;
    if (cu == 0) return false;
    if (cu < 0x20 && cu != '\t' && cu != '\n' && cu != '\r' && cu != '\f') ++control;
    out += cu < 0x80 ? static_cast<char>(cu) : '?';
  }
  return control * 100 <= out.size() + 1;
}

std::string_view skip_space(std::string_view s) noexcept {
  std::size_t i = 0;
  while (i < s.size() &&
         (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n' || s[i] == '\f'))
    ++i;
  return s.substr(i);
}

// Search in a window already lowered to ASCII lower case (needles are lower case).
bool contains(std::string_view lowered, std::string_view needle) noexcept {
  return lowered.find(needle) != std::string_view::npos;
}

// HTML when the document opens with markup that only HTML uses.
bool starts_as_html(std::string_view s, std::string_view window) noexcept {
  if (s.empty() || s[0] != '<') return false;
  static constexpr std::array<std::string_view, 16> kTags{
      "<!doctype html", "<html",  "<head", "<body", "<title", "<meta", "<script", "<style",
      "<div",           "<table", "<p>",   "<p ",   "<br",    "<a ",   "<font",   "<iframe"};
  for (std::string_view tag : kTags)
    if (istarts_with(s, tag)) return true;
  // A leading comment: HTML if an html/head/body tag follows soon.
  if (istarts_with(s, "<!--"))
    return contains(window, "<html") || contains(window, "<body") || contains(window, "<head");
  return false;
}

// Keywords of scripts and HTML fragments, found in one pass over the lowered window: a mail
// body is mostly prose, and searching it once per keyword cost more than all the rest of
// typing. Each group counts distinct keywords; only tokens that ordinary prose does not contain.
enum KeywordGroup : std::uint8_t { kJs, kVbs, kPs, kHtmlTag, kGroupCount };
struct Keyword {
  std::string_view word;
  KeywordGroup group;
};
constexpr std::array<Keyword, 45> kKeywords{{
    // JavaScript: each needs code punctuation or a DOM call (prose says "function" too).
    {"function(", kJs},
    {"= function", kJs},
    {"var ", kJs},
    {"document.write", kJs},
    {"document.getelement", kJs},
    {"document.cookie", kJs},
    {"document.createelement", kJs},
    {"window.location", kJs},
    {"window.open", kJs},
    {"typeof ", kJs},
    {"===", kJs},
    {"!==", kJs},
    {".prototype", kJs},
    {") {", kJs},
    {"wscript.", kVbs},
    {"createobject(", kVbs},
    {"dim ", kVbs},
    {"end sub", kVbs},
    {"end function", kVbs},
    {"on error resume next", kVbs},
    {"msgbox", kVbs},
    {"param(", kPs},
    {"new-object", kPs},
    {"invoke-", kPs},
    {"write-host", kPs},
    {"-executionpolicy", kPs},
    {"[system.", kPs},
    {"$env:", kPs},
    {"get-", kPs},
    // Common tags of HTML fragments (mail bodies often are such fragments).
    {"<a href", kHtmlTag},
    {"<br", kHtmlTag},
    {"<p>", kHtmlTag},
    {"<p ", kHtmlTag},
    {"<img ", kHtmlTag},
    {"<font", kHtmlTag},
    {"<center", kHtmlTag},
    {"<td", kHtmlTag},
    {"<tr", kHtmlTag},
    {"<table", kHtmlTag},
    {"<div", kHtmlTag},
    {"<span", kHtmlTag},
    {"</a>", kHtmlTag},
    {"</p>", kHtmlTag},
    {"</font>", kHtmlTag},
    {"</td>", kHtmlTag},
}};

// Keywords by their first two bytes: a bit per byte pair says whether any keyword starts so (8 KiB,
// stays in L1), and the keywords are grouped by first byte. Common letters start keywords too
// ('e' "end sub", 'o' "on error"), so the pair test is what keeps the pass cheap.
class KeywordIndex {
 public:
  KeywordIndex() {
    std::array<std::size_t, 256> count{};
    for (const Keyword& k : kKeywords) ++count[static_cast<unsigned char>(k.word[0])];
    for (std::size_t c = 0; c < 256; ++c) first_end_[c + 1] = first_end_[c] + count[c];
    std::array<std::size_t, 256> fill{};
    for (std::size_t k = 0; k < kKeywords.size(); ++k) {
      const auto c0 = static_cast<unsigned char>(kKeywords[k].word[0]);
      const auto c1 = static_cast<unsigned char>(kKeywords[k].word[1]);
      by_first_[first_end_[c0] + fill[c0]++] = static_cast<std::uint8_t>(k);
      pairs_.set(std::size_t{c0} << 8 | c1);
    }
  }
  // Distinct keywords seen, per group.
  [[nodiscard]] std::array<int, kGroupCount> count(std::string_view lowered) const noexcept {
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i + 1 < lowered.size(); ++i) {
      const auto c0 = static_cast<unsigned char>(lowered[i]);
      const auto c1 = static_cast<unsigned char>(lowered[i + 1]);
      if (!pairs_.test(std::size_t{c0} << 8 | c1)) continue;
      for (std::size_t j = first_end_[c0]; j < first_end_[c0 + 1]; ++j) {
        const std::size_t k = by_first_[j];
        const std::string_view word = kKeywords[k].word;
        if ((seen >> k & 1u) == 0 && lowered.substr(i, word.size()) == word)
          seen |= std::uint64_t{1} << k;
      }
    }
    std::array<int, kGroupCount> n{};
    for (std::size_t k = 0; k < kKeywords.size(); ++k)
      if ((seen >> k & 1u) != 0) ++n[kKeywords[k].group];
    return n;
  }

 private:
  std::bitset<65536> pairs_;
  std::array<std::size_t, 257> first_end_{};  // keywords with first byte c: [c] .. [c + 1]
  std::array<std::uint8_t, kKeywords.size()> by_first_{};
};

const KeywordIndex& keyword_index() {
  static const KeywordIndex index;
  return index;
}

// Scripts need three distinct keywords of one language, so that a letter mentioning a few
// stays text/plain.
const char* script_type(const std::array<int, kGroupCount>& n) noexcept {
  const int best = std::max({n[kJs], n[kVbs], n[kPs]});
  if (best < 3) return nullptr;
  if (best == n[kJs]) return "text/javascript";
  if (best == n[kPs]) return "text/x-powershell";
  return "text/x-vbscript";
}

void set(TrueType& t, std::string_view mime, Category c) {
  t.mime_type = mime;
  t.category = c;
  t.source = Source::text;
}

// SYLK (Excel's symbolic link format) runs Excel 4.0 macro functions from its formula fields
// (";E" in C records) when opened: a known way to ship XLM past VBA-only macro checks.
bool sylk_has_macro_calls(std::string_view data) noexcept {
  static constexpr std::array<std::string_view, 8> kMacroFunctions{
      "EXEC(", "CALL(", "REGISTER(", "RUN(", "HALT(", "ALERT(", "FORMULA(", "FOPEN("};
  const std::string_view window = data.substr(0, kSylkWindow);
  for (std::size_t at = window.find(";E"); at != std::string_view::npos;
       at = window.find(";E", at + 2)) {
    const std::string_view formula = window.substr(at + 2, 64);
    for (const std::string_view f : kMacroFunctions)
      if (istarts_with(formula, f)) return true;
  }
  return false;
}

// How many lines of a header block are looked at: enough for every field a mail client needs
// to tell a message from a file, bounded on hostile input.
constexpr int kHeaderLinesLooked = 64;

// Walks the header block that opens s: on_field(name) for each field line. False when the
// first line is not a field ("name:" with a printable name). The block ends at a blank line, or
// where mail clients start the body when the blank line is missing: at the first line that is
// neither a field nor the continuation of one. A bare CR ends a line too, as in Python's email.
template <typename OnField>
bool walk_header_block(std::string_view s, OnField on_field) {
  std::size_t pos = 0;
  for (int line_no = 0; line_no < kHeaderLinesLooked && pos < s.size(); ++line_no) {
    const auto [line, next] = core::line_at(s, pos);
    pos = next;
    if (line.empty()) break;  // end of the header block
    if (line[0] == ' ' || line[0] == '\t') {
      if (line_no == 0) return false;
      continue;
    }
    const std::size_t colon = line.find(':');
    bool field = colon != 0 && colon != std::string_view::npos;
    const std::string_view name = line.substr(0, field ? colon : 0);
    for (const char c : name) field = field && c > ' ' && c <= '~';
    if (!field) return line_no > 0;
    on_field(name);
  }
  return true;
}

// A mail message (RFC 5322) as a type: the header block names at least two fields every mail
// carries, or one that only a transport adds. libmagic's rule is similar (it looks for one of a
// few field names at the start); this one also survives a missing Received line.
bool looks_like_mail(std::string_view s) noexcept {
  static constexpr std::array<std::string_view, 14> kMailFields{
      "from",         "to",       "subject",      "date",         "message-id",
      "mime-version", "received", "return-path",  "delivered-to", "reply-to",
      "sender",       "cc",       "content-type", "x-mailer"};
  int known = 0;
  bool transport = false;
  const bool block = walk_header_block(s, [&](std::string_view name) {
    for (const std::string_view f : kMailFields)
      if (core::iequals(name, f)) ++known;
    transport = transport || core::iequals(name, "received") ||
                core::iequals(name, "return-path") || core::iequals(name, "delivered-to");
  });
  return block && (known >= 2 || (known >= 1 && transport));
}

}  // namespace

bool classify_text(std::string_view data, TrueType& t) {
  std::string_view sample = data.substr(0, kTextSample);
  std::string narrowed;
  if (sample.size() >= 2 &&
      (sample.substr(0, 2) == "\xFF\xFE" || sample.substr(0, 2) == "\xFE\xFF")) {
    if (!narrow_utf16(sample, sample[0] == '\xFF', narrowed)) return false;
    sample = narrowed;
  } else {
    // A multi-byte UTF-8 sequence may be cut by the sample's end; drop up to 3 bytes of it.
    if (data.size() > kTextSample) {
      std::size_t cut = sample.size();
      for (int k = 0; k < 3 && cut > 0 && (static_cast<unsigned char>(sample[cut - 1]) & 0x80); ++k)
        --cut;
      sample = sample.substr(0, cut);
    }
    if (!looks_like_text(sample)) return false;
    if (sample.substr(0, 3) == "\xEF\xBB\xBF") sample.remove_prefix(3);
  }

  const std::string_view s = skip_space(sample);
  const std::string lowered = to_lower(s.substr(0, kKeywordWindow));
  const std::string_view window = lowered;

  if (istarts_with(s, "{\\rtf")) return set(t, "text/rtf", Category::office_document), true;
  if (s.starts_with("ID;P")) {
    set(t, "application/x-sylk", Category::office_document);
    t.has_macros = sylk_has_macro_calls(data);
    if (t.has_macros) t.category = Category::office_document_with_macros;
    return true;
  }
  if (sample.starts_with("From ")) {
    const std::size_t nl = sample.find('\n');
    if (nl != std::string_view::npos && looks_like_mail(sample.substr(nl + 1)))
      return set(t, "application/mbox", Category::text), true;
  }
  if (looks_like_mail(sample)) return set(t, "message/rfc822", Category::text), true;
  if (istarts_with(s, "%!")) return set(t, "application/postscript", Category::other), true;
  if (istarts_with(s, "begin:vcalendar")) return set(t, "text/calendar", Category::calendar), true;
  if (istarts_with(s, "begin:vcard")) return set(t, "text/vcard", Category::text), true;
  if (istarts_with(s, "-----begin pgp message")) {
    set(t, "application/pgp-encrypted", Category::other);
    t.encrypted = true;
    return true;
  }
  if (istarts_with(s, "-----begin pgp signature"))
    return set(t, "application/pgp-signature", Category::other), true;
  if (istarts_with(s, "-----begin pgp public key"))
    return set(t, "application/pgp-keys", Category::other), true;
  if (istarts_with(s, "windows registry editor") || istarts_with(s, "regedit4"))
    return set(t, "text/x-ms-regedit", Category::script), true;
  if (istarts_with(s, "#!")) {
    const std::string_view line = window.substr(0, window.find('\n'));
    if (contains(line, "python")) return set(t, "text/x-script.python", Category::script), true;
    if (contains(line, "perl")) return set(t, "text/x-perl", Category::script), true;
    if (contains(line, "node")) return set(t, "text/javascript", Category::script), true;
    if (contains(line, "pwsh")) return set(t, "text/x-powershell", Category::script), true;
    return set(t, "text/x-shellscript", Category::script), true;
  }
  if (istarts_with(s, "@echo off")) return set(t, "text/x-msdos-batch", Category::script), true;
  if (istarts_with(s, "<?xml")) {
    if (contains(window, "<svg")) return set(t, "image/svg+xml", Category::image), true;
    if (contains(window, "<html")) return set(t, "text/html", Category::html), true;
    return set(t, "text/xml", Category::text), true;
  }
  if (istarts_with(s, "<?php") ||
      (istarts_with(s, "<?") && s.size() > 2 && (s[2] == '\n' || s[2] == '\r' || s[2] == ' ')))
    return set(t, "text/x-php", Category::script), true;
  if (istarts_with(s, "<svg")) return set(t, "image/svg+xml", Category::image), true;
  if (starts_as_html(s, window)) return set(t, "text/html", Category::html), true;
  // What follows looks anywhere in a window: a format that the opening bytes named wins above.
  if (classify_marker(data, t)) return true;
  // Scripts before the loose HTML check: JavaScript often carries HTML in strings and comments
  // (libmagic calls such files HTML).
  const std::array<int, kGroupCount> keywords = keyword_index().count(window);
  if (s.empty() || s[0] != '<') {
    if (const char* script = script_type(keywords); script != nullptr)
      return set(t, script, Category::script), true;
  }
  // HTML fragments (mail bodies often are): two distinct common tags are enough.
  if (contains(window, "<html") || contains(window, "<body") ||
      contains(window, "<!doctype html") || keywords[kHtmlTag] >= 2)
    return set(t, "text/html", Category::html), true;
  if (s.size() > 1 && s[0] == '<' && s[1] != ' ' && contains(window, "</"))
    return set(t, "text/xml", Category::text), true;
  set(t, "text/plain", Category::text);
  return true;
}

}  // namespace ksmg::filetype::detail

namespace ksmg::filetype {

bool opens_with_header_block(std::string_view data) noexcept {
  int fields = 0;
  return detail::walk_header_block(data, [&](std::string_view) { ++fields; }) && fields > 0;
}

}  // namespace ksmg::filetype

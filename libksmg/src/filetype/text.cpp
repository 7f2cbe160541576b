// text.cpp — owns the cheap text classifier: is it text at all, and if so which kind (HTML,
// XML, calendar, vCard, RTF, PostScript, PGP armour, scripts, .reg, plain). libmagic spends
// milliseconds on text running its whole soft-magic list, this looks at a bounded prefix once.
#include <algorithm>
#include <array>
#include <cstddef>
#include <string>

#include "filetype/internal.hpp"
#include "mime/ascii.hpp"

namespace ksmg::filetype::detail {

using mime::detail::istarts_with;
using mime::detail::to_lower;

namespace {

// The prefix that decides whether data is text; a text body that turns binary later is rare
// and the cost must stay bounded on large attachments.
constexpr std::size_t kTextSample = 8 * 1024;
// How far markup and script keywords are looked for.
constexpr std::size_t kKeywordWindow = 2 * 1024;

// True when the sample reads as text: no NUL, control characters below 1 % (form feeds, escapes
// and the odd stray byte occur in real mail). 8-bit bytes that are not UTF-8 count as legacy
// charsets (ISO-8859-x, windows-125x), which libmagic also calls text.
bool looks_like_text(std::string_view s) noexcept {
  std::size_t control = 0;
  for (const char ch : s) {
    const auto b = static_cast<unsigned char>(ch);
    if (b == 0) return false;
    if (b < 0x20 && b != '\t' && b != '\n' && b != '\r' && b != '\f' && b != 0x1B) ++control;
    if (b == 0x7F) ++control;
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

// Counts distinct keywords of a language seen in the window.
template <std::size_t N>
int score(std::string_view window, const std::array<std::string_view, N>& words) noexcept {
  int n = 0;
  for (std::string_view w : words)
    if (contains(window, w)) ++n;
  return n;
}

// Scripts by keywords: only tokens that ordinary prose and mail do not contain, and at least
// three distinct ones, so that a letter mentioning "function" stays text/plain.
const char* script_type(std::string_view w) noexcept {
  // Each needs code punctuation or a DOM call: prose says "function" and "document." too.
  static constexpr std::array<std::string_view, 14> kJs{"function(",
                                                        "= function",
                                                        "var ",
                                                        "document.write",
                                                        "document.getelement",
                                                        "document.cookie",
                                                        "document.createelement",
                                                        "window.location",
                                                        "window.open",
                                                        "typeof ",
                                                        "===",
                                                        "!==",
                                                        ".prototype",
                                                        ") {"};
  static constexpr std::array<std::string_view, 7> kVbs{
      "wscript.",     "createobject(",        "dim ",  "end sub",
      "end function", "on error resume next", "msgbox"};
  static constexpr std::array<std::string_view, 8> kPs{
      "param(",           "new-object", "invoke-", "write-host",
      "-executionpolicy", "[system.",   "$env:",   "get-"};
  const int js = score(w, kJs);
  const int vbs = score(w, kVbs);
  const int ps = score(w, kPs);
  const int best = std::max({js, vbs, ps});
  if (best < 3) return nullptr;
  if (best == js) return "text/javascript";
  if (best == ps) return "text/x-powershell";
  return "text/x-vbscript";
}

void set(TrueType& t, std::string_view mime, Category c) {
  t.mime_type = mime;
  t.category = c;
  t.source = Source::text;
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
  // Scripts before the loose HTML check: JavaScript often carries HTML in strings and comments
  // (libmagic calls such files HTML).
  if (s.empty() || s[0] != '<') {
    if (const char* script = script_type(window); script != nullptr)
      return set(t, script, Category::script), true;
  }
  // HTML fragments (mail bodies often are): two distinct common tags are enough.
  static constexpr std::array<std::string_view, 16> kWeakTags{
      "<a href", "<br",    "<p>",  "<p ",   "<img ", "<font", "<center", "<td",
      "<tr",     "<table", "<div", "<span", "</a>",  "</p>",  "</font>", "</td>"};
  if (contains(window, "<html") || contains(window, "<body") ||
      contains(window, "<!doctype html") || score(window, kWeakTags) >= 2)
    return set(t, "text/html", Category::html), true;
  if (s.size() > 1 && s[0] == '<' && s[1] != ' ' && contains(window, "</"))
    return set(t, "text/xml", Category::text), true;
  set(t, "text/plain", Category::text);
  return true;
}

}  // namespace ksmg::filetype::detail

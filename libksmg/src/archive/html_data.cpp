// html_data.cpp — owns archive::unpack_html_data: the files an HTML document carries inline as
// "data:" URLs (href, src, CSS url(), script strings). This is how HTML smuggling delivers
// executables and archives past scanners that look only at attachments, and libclamav, with its
// own mail parser off, no longer decodes them itself.
//
// Read as a browser reads them: character references decoded first (the tokenizer does that in
// attribute values: "data&colon;" and "&#100;ata:" are data URLs), then per the Fetch Standard's
// data: URL processor the media type up to the first comma, the body percent-decoded, and base64
// decoded when the media type ends in ";base64". Bodies without base64 are files too
// ("data:application/octet-stream,MZ%90%00..."). The body runs to the quote that opened the URL,
// to ')' in CSS url(...), else to the first blank or markup character. Not an HTML parser:
// comments and scripts are searched too, as a browser's script could use them.
#include <string>
#include <string_view>

#include "archive/members.hpp"
#include "core/ascii.hpp"
#include "ksmg/archive.hpp"
#include "mime/html_references.hpp"
#include "mime/transfer_decode.hpp"

namespace ksmg::archive {

namespace {

// A media type with its parameters is short; a longer run is not a data URL.
constexpr std::size_t kMaxMediaTypeBytes = 256;

constexpr bool is_blank(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f';
}

// What ends an unquoted URL (an attribute value without quotes, a URL in text).
constexpr bool ends_unquoted(char c) noexcept {
  return is_blank(c) || c == '>' || c == '<' || c == '"' || c == '\'' || c == '`';
}

// The ':' of the next "data:" (any case) at or after `from`, or npos.
std::size_t find_data_scheme(std::string_view doc, std::size_t from) noexcept {
  for (std::size_t colon = doc.find(':', from); colon != std::string_view::npos;
       colon = doc.find(':', colon + 1))
    if (colon >= 4 && core::iequals(doc.substr(colon - 4, 4), "data")) return colon;
  return std::string_view::npos;
}

// The character that closes a URL starting at `at`: the quote or '(' before it (blanks skipped),
// or '\0' when nothing encloses it.
char closing_of(std::string_view doc, std::size_t at) noexcept {
  while (at > 0 && is_blank(doc[at - 1])) --at;
  if (at == 0) return '\0';
  const char c = doc[at - 1];
  return c == '"' || c == '\'' ? c : c == '(' ? ')' : '\0';
}

// ";base64" at the end of a media type, blanks allowed before "base64" (Fetch Standard).
bool says_base64(std::string_view media) {
  media = core::trim(media);
  if (media.size() < 6 || !core::iequals(media.substr(media.size() - 6), "base64")) return false;
  media = core::trim(media.substr(0, media.size() - 6));
  return !media.empty() && media.back() == ';';
}

// The body as the URL parser hands it on: tabs and line breaks removed, then percent-decoded.
std::string percent_decoded_body(std::string_view body) {
  std::string kept;
  kept.reserve(body.size());
  for (const char c : body)
    if (c != '\t' && c != '\r' && c != '\n') kept += c;
  std::string out;
  out.reserve(kept.size());
  (void)core::percent_decode(kept, out);
  return out;
}

}  // namespace

Contents unpack_html_data(std::string_view html, Budget& budget) {
  Contents out;
  out.format = "html";
  // Of all character references, only numeric ones and "&colon;" stand for a character of
  // "data:" (html_entities.inc), so a document without them has a data URL only where it writes
  // "data:" itself; most have none and are not decoded.
  const bool has_references = html.find('&') != std::string_view::npos;
  const bool references_may_write_one =
      has_references &&
      (html.find("&#") != std::string_view::npos || html.find("&colon;") != std::string_view::npos);
  if (!references_may_write_one && find_data_scheme(html, 0) == std::string_view::npos) return out;
  // Character references only matter where there is one; most documents keep their own bytes.
  const std::string decoded =
      has_references ? mime::detail::decode_character_references(html) : std::string();
  const std::string_view doc = decoded.empty() ? html : std::string_view(decoded);
  std::size_t from = 0;
  while (from < doc.size()) {
    const std::size_t colon = find_data_scheme(doc, from);
    if (colon == std::string_view::npos) break;
    from = colon + 1;
    const char closing = closing_of(doc, colon - 4);
    const std::size_t comma = doc.find(',', from);
    if (comma == std::string_view::npos || comma - from > kMaxMediaTypeBytes) continue;
    const std::string_view media = doc.substr(from, comma - from);
    bool media_ok = true;
    for (const char c : media)
      media_ok = media_ok && c != closing && (closing != '\0' || !ends_unquoted(c)) && c != '<' &&
                 c != '>';
    if (!media_ok) continue;
    std::size_t end = comma + 1;
    if (closing != '\0') {
      end = doc.find(closing, end);
      if (end == std::string_view::npos) end = doc.size();
    } else {
      while (end < doc.size() && !ends_unquoted(doc[end])) ++end;
    }
    from = end;
    if (budget.out_of_time()) {
      out.limits.add(Limit::unpack_time);
      break;
    }
    const std::string body = percent_decoded_body(doc.substr(comma + 1, end - comma - 1));
    std::string base64_decoded;
    std::string_view bytes = body;
    if (says_base64(media)) {
      (void)mime::detail::decode_base64(body, base64_decoded, budget.limits().max_member_bytes + 1);
      bytes = base64_decoded;
    }
    if (bytes.empty()) continue;
    if (!detail::add_member(out, budget, Member{}, bytes)) break;
  }
  return out;
}

}  // namespace ksmg::archive

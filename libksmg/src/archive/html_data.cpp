// html_data.cpp — owns archive::unpack_html_data: the files an HTML document carries inline as
// base64 "data:" URLs (href, src, CSS url()). This is how HTML smuggling delivers executables
// and archives past scanners that look only at attachments, and libclamav, with its own mail
// parser off, no longer decodes them itself.
//
// One linear pass over the document for "data:" followed by a media type whose parameters end
// in ";base64" and a comma; the payload is the run of base64 characters and whitespace after
// the comma (attributes are often folded). Percent-encoded data URLs carry text, not files,
// and are left to the text scanners. Not an HTML parser: comments and scripts are searched too,
// as a browser's script could use them.
#include <string>
#include <string_view>

#include "archive/members.hpp"
#include "core/ascii.hpp"
#include "ksmg/archive.hpp"
#include "mime/transfer_decode.hpp"

namespace ksmg::archive {

namespace {

// A media type with its parameters is short; a longer run is not a data URL.
constexpr std::size_t kMaxMediaTypeBytes = 256;

constexpr bool is_payload_char(char c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/' || c == '=' || c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

}  // namespace

Contents unpack_html_data(std::string_view html, Budget& budget) {
  Contents out;
  out.format = "html";
  std::size_t from = 0;
  while (from < html.size()) {
    const std::size_t colon = html.find(':', from);
    if (colon == std::string_view::npos) break;
    from = colon + 1;
    if (colon < 4 || !core::iequals(html.substr(colon - 4, 4), "data")) continue;
    const std::size_t comma = html.find(',', from);
    if (comma == std::string_view::npos || comma - from > kMaxMediaTypeBytes) continue;
    const std::string_view media = html.substr(from, comma - from);
    if (media.size() < 7 || !core::iequals(media.substr(media.size() - 7), ";base64")) continue;
    std::size_t end = comma + 1;
    while (end < html.size() && is_payload_char(html[end])) ++end;
    const std::string_view payload = html.substr(comma + 1, end - comma - 1);
    from = end;
    if (budget.out_of_time()) {
      out.limits.add(Limit::unpack_time);
      break;
    }
    std::string bytes;
    (void)mime::detail::decode_base64(payload, bytes, budget.limits().max_member_bytes + 1);
    if (bytes.empty()) continue;
    if (!detail::add_member(out, budget, Member{}, bytes)) break;
  }
  return out;
}

}  // namespace ksmg::archive

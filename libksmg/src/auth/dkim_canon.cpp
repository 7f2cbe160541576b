// dkim_canon.cpp — DKIM header and body canonicalization (RFC 6376 3.4.1 to 3.4.4).
#include "auth/dkim_canon.hpp"

#include "core/ascii.hpp"

namespace ksmg::auth::dkim {

void append_canonical_header(Canonicalization canonicalization, std::string_view field,
                             std::string& out) {
  if (canonicalization == Canonicalization::simple) {
    out.append(field);
    return;
  }
  const std::size_t colon = field.find(':');
  std::string_view name = field.substr(0, colon);
  while (!name.empty() && core::is_lwsp(name.back())) name.remove_suffix(1);
  for (const char c : name) out.push_back(core::to_lower(c));
  if (colon == std::string_view::npos) return;
  out.push_back(':');
  // The value: line breaks dropped (unfolding), WSP runs become one SP, written only when text
  // follows them, so that none stays at either end.
  bool wsp_pending = false;
  bool value_has_text = false;
  for (const char c : field.substr(colon + 1)) {
    if (c == '\r' || c == '\n') continue;
    if (core::is_wsp(c)) {
      wsp_pending = value_has_text;
      continue;
    }
    if (wsp_pending) out.push_back(' ');
    wsp_pending = false;
    value_has_text = true;
    out.push_back(c);
  }
}

void BodyCanonicalizer::text(char c, std::string& out) {
  for (; held_breaks_ > 0; --held_breaks_) out.append("\r\n");
  if (wsp_pending_) out.push_back(' ');
  wsp_pending_ = false;
  body_has_text_ = true;
  out.push_back(c);
}

void BodyCanonicalizer::line_break() noexcept {
  ++held_breaks_;
  wsp_pending_ = false;  // relaxed: WSP at a line's end is dropped
}

void BodyCanonicalizer::feed(std::string_view chunk, std::string& out) {
  for (const char c : chunk) {
    if (cr_pending_) {
      cr_pending_ = false;
      if (c == '\n') {
        line_break();
        continue;
      }
      text('\r', out);
    }
    if (c == '\r')
      cr_pending_ = true;
    else if (c == '\n')
      line_break();
    else if (relaxed_ && core::is_wsp(c))
      wsp_pending_ = true;
    else
      text(c, out);
  }
}

void BodyCanonicalizer::finish(std::string& out) {
  if (cr_pending_) text('\r', out);
  cr_pending_ = false;
  // Text ends the body: its last line gets its CRLF (held back or missing) and the empty lines
  // after it are dropped.
  if (body_has_text_ || !relaxed_) out.append("\r\n");
  held_breaks_ = 0;
  wsp_pending_ = false;
}

}  // namespace ksmg::auth::dkim

// dkim_canon.hpp — (internal) DKIM canonicalization of header fields and of the body, "simple"
// and "relaxed" (RFC 6376 3.4).
//
// The body canonicalizer is a stream: a body is hashed once per canonicalization however many
// signatures use it, as it arrives in chunks, so the output must not depend on where the chunks
// were cut. Its state is a handful of counters and flags, never a copy of the input: a CR at a
// chunk's end waits for the next byte, and empty lines are counted, not kept, until text shows
// they were not the body's trailing ones (which both canonicalizations drop). l= is applied by
// the caller, on the canonical bytes. Line breaks are CRLF or a bare LF (a message stored with
// Unix line ends), both written as CRLF; a bare CR is text.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ksmg::auth::dkim {

enum class Canonicalization : std::uint8_t { simple, relaxed };

// Appends the canonical form of one header field to `out`. `field` is the field as it appears in
// the message, name, ':' and value, folding included, without the line break that ends it; the
// output has none either (the caller adds CRLF after each signed field, and none after the
// DKIM-Signature field itself, RFC 6376 3.7). simple: unchanged. relaxed: the name lower-cased,
// the value unfolded, WSP runs made one SP, WSP at the value's end and around ':' removed.
void append_canonical_header(Canonicalization canonicalization, std::string_view field,
                             std::string& out);

class BodyCanonicalizer {
 public:
  explicit BodyCanonicalizer(Canonicalization canonicalization) noexcept
      : relaxed_(canonicalization == Canonicalization::relaxed) {}

  // Appends to `out` the canonical bytes that `chunk` makes certain; the rest is held back.
  void feed(std::string_view chunk, std::string& out);
  // Appends what was held back and ends the body (the canonicalizer is then spent): the last line
  // ends with one CRLF, trailing empty lines are gone; an empty body is CRLF (simple) or nothing
  // (relaxed).
  void finish(std::string& out);

 private:
  void text(char c, std::string& out);
  void line_break() noexcept;

  bool relaxed_;
  bool cr_pending_ = false;      // a CR was the last byte: a line break if LF follows
  bool wsp_pending_ = false;     // relaxed: a WSP run in the line, written if text follows
  bool body_has_text_ = false;   // some text has been written
  std::size_t held_breaks_ = 0;  // line breaks not yet written: text after them writes them
};

}  // namespace ksmg::auth::dkim

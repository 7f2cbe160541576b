// ksmg/defects.hpp — irregularities found in a message, recorded instead of thrown.
//
// A defect says "this was not what the RFCs describe, and here is how it was read anyway";
// it never stops parsing. Policies and anti-spam rules can weigh them.
#pragma once

#include <cstdint>
#include <string_view>

namespace ksmg {

enum class Defect : std::uint8_t {
  // Header block
  missing_header_body_separator,  // a line that is neither a field, a fold nor blank ended headers
  first_line_is_continuation,     // header block starts with whitespace
  invalid_header_field,           // a line without a colon, or an empty / non-printable name
  non_ascii_header,               // raw 8-bit bytes in a header
  nul_byte,                       // NUL in headers or a text body
  bare_cr,                        // CR not followed by LF
  boundary_in_headers,            // a boundary line of an enclosing multipart cut the headers short
  // Structured fields
  invalid_content_type,  // syntax error, missing subtype, ...
  duplicate_parameter,
  invalid_parameter,       // malformed parameter or RFC 2231 section
  invalid_encoded_word,    // RFC 2047 word that does not decode
  invalid_address,         // an address list that does not parse cleanly
  duplicate_content_type,  // more than one Content-Type field: the first one counts
  // more than one Content-Transfer-Encoding, or one with more than its token (comments, blanks,
  // folds): clients read the body differently, so each reading is scanned
  ambiguous_transfer_encoding,
  // MIME structure
  multipart_without_boundary,      // multipart/* without boundary: read as a single leaf
  start_boundary_not_found,        // multipart whose boundary never appears: read as a single leaf
  close_boundary_not_found,        // multipart ended by its parent or the end of input
  transfer_encoding_on_container,  // multipart/message with a CTE other than 7bit/8bit/binary
  // Transfer decoding
  unknown_transfer_encoding,
  invalid_base64,            // characters outside the alphabet were skipped
  base64_padding,            // missing, misplaced or excess padding; trailing bits
  invalid_quoted_printable,  // '=' not followed by two hex digits, or a raw 8-bit byte
  // blanks or a bare CR after a quoted-printable soft break, or a bare CR at a line end: Python
  // and GMime join or keep such lines otherwise (the other readings are scanned too)
  ambiguous_qp_line_end,
  invalid_uuencode,
  invalid_yenc,  // a yEnc block without =yend, or whose size or CRC-32 is not the declared one
  // Charsets
  unknown_charset,   // not known to ICU: read as UTF-8 if valid, else windows-1252
  charset_mismatch,  // bytes invalid in the declared charset: fallback used
  // Before the first header
  byte_order_mark,  // a UTF-8 BOM before the first header was skipped
  mbox_from_line,   // a leading mbox "From " line was skipped
};

inline constexpr int kDefectCount = static_cast<int>(Defect::mbox_from_line) + 1;

class DefectSet {
 public:
  constexpr void add(Defect d) noexcept { bits_ |= bit(d); }
  constexpr void add(DefectSet o) noexcept { bits_ |= o.bits_; }
  [[nodiscard]] constexpr bool has(Defect d) const noexcept { return (bits_ & bit(d)) != 0; }
  [[nodiscard]] constexpr bool empty() const noexcept { return bits_ == 0; }
  [[nodiscard]] constexpr std::uint64_t bits() const noexcept { return bits_; }

 private:
  static constexpr std::uint64_t bit(Defect d) noexcept {
    return std::uint64_t{1} << static_cast<unsigned>(d);
  }
  std::uint64_t bits_ = 0;
};

// Stable snake_case name, used in JSON and logs.
std::string_view to_string(Defect d) noexcept;

}  // namespace ksmg

// header_fields.hpp — structured MIME header fields: Content-Type, Content-Disposition
// (with RFC 2231 parameters) and Content-Transfer-Encoding (internal).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "ksmg/mime.hpp"

namespace ksmg::mime::detail {

// Content-Type, Content-Transfer-Encoding and Content-Disposition: the fields that decide where
// the parts are and how they decode. The header caps (field count, line length) never drop or
// cut them, so a decoy cannot push a part's structure out of reach (a bounded number of them
// per entity is kept past the field cap).
[[nodiscard]] bool is_structure_field(std::string_view name) noexcept;
inline constexpr std::size_t kMaxStructureFieldsPastCap = 8;

// Removes the line breaks of folding and trims surrounding whitespace.
std::string unfold(std::string_view raw_value);

struct FieldStatus {
  DefectSet defects;
  LimitSet limits;
};

// Boundary, charset, name and filename parameters past max_params are still kept, this many of
// them: enough for the RFC 2231 sections of a long filename and for repeats, bounded all the same.
inline constexpr std::size_t kMaxStructureParamsPastCap = 64;

// Parses "type/subtype *(; param)" into out. On a broken type out.type stays empty and
// Defect::invalid_content_type is set; the caller applies the RFC 2045 default.
FieldStatus parse_content_type(std::string_view unfolded, ContentType& out, std::size_t max_params);

// Parses "disposition *(; param)"; out.type holds the disposition, out.subtype stays empty.
FieldStatus parse_content_disposition(std::string_view unfolded, ContentType& out,
                                      std::size_t max_params);

// Every value clients may take for one parameter of a Content-Type or Content-Disposition
// value: each plain form written (repeats included) and the RFC 2231 reading, distinct, in the
// order written. ksmg's own reading (parse_content_type) is one of them.
[[nodiscard]] std::vector<std::string> parameter_readings(std::string_view unfolded,
                                                          std::string_view lower_name,
                                                          std::size_t max_params);

// A field value that is one token and nothing else once its leading blanks are skipped: no
// comment, no fold, no trailing blank. Clients that compare the raw value read anything else
// as an unknown encoding.
[[nodiscard]] bool is_plain_token(std::string_view raw_value) noexcept;

// Maps a Content-Transfer-Encoding value; unknown values give TransferEncoding::unknown.
TransferEncoding parse_transfer_encoding(std::string_view unfolded) noexcept;

}  // namespace ksmg::mime::detail

// names.cpp — the stable snake_case names of defects and limits (JSON, logs, policy files).
#include "ksmg/defects.hpp"
#include "ksmg/limits.hpp"

namespace ksmg {

std::string_view to_string(Defect d) noexcept {
  switch (d) {
    case Defect::missing_header_body_separator:
      return "missing_header_body_separator";
    case Defect::first_line_is_continuation:
      return "first_line_is_continuation";
    case Defect::invalid_header_field:
      return "invalid_header_field";
    case Defect::non_ascii_header:
      return "non_ascii_header";
    case Defect::nul_byte:
      return "nul_byte";
    case Defect::bare_cr:
      return "bare_cr";
    case Defect::boundary_in_headers:
      return "boundary_in_headers";
    case Defect::invalid_content_type:
      return "invalid_content_type";
    case Defect::duplicate_parameter:
      return "duplicate_parameter";
    case Defect::invalid_parameter:
      return "invalid_parameter";
    case Defect::invalid_encoded_word:
      return "invalid_encoded_word";
    case Defect::invalid_address:
      return "invalid_address";
    case Defect::duplicate_content_type:
      return "duplicate_content_type";
    case Defect::ambiguous_transfer_encoding:
      return "ambiguous_transfer_encoding";
    case Defect::multipart_without_boundary:
      return "multipart_without_boundary";
    case Defect::start_boundary_not_found:
      return "start_boundary_not_found";
    case Defect::close_boundary_not_found:
      return "close_boundary_not_found";
    case Defect::transfer_encoding_on_container:
      return "transfer_encoding_on_container";
    case Defect::unknown_transfer_encoding:
      return "unknown_transfer_encoding";
    case Defect::invalid_base64:
      return "invalid_base64";
    case Defect::base64_padding:
      return "base64_padding";
    case Defect::invalid_quoted_printable:
      return "invalid_quoted_printable";
    case Defect::ambiguous_qp_line_end:
      return "ambiguous_qp_line_end";
    case Defect::invalid_uuencode:
      return "invalid_uuencode";
    case Defect::invalid_yenc:
      return "invalid_yenc";
    case Defect::unknown_charset:
      return "unknown_charset";
    case Defect::charset_mismatch:
      return "charset_mismatch";
    case Defect::byte_order_mark:
      return "byte_order_mark";
    case Defect::mbox_from_line:
      return "mbox_from_line";
  }
  return "unknown_defect";
}

std::string_view to_string(Limit l) noexcept {
  switch (l) {
    case Limit::message_size:
      return "message_size";
    case Limit::header_line_length:
      return "header_line_length";
    case Limit::header_fields:
      return "header_fields";
    case Limit::content_params:
      return "content_params";
    case Limit::mime_depth:
      return "mime_depth";
    case Limit::part_count:
      return "part_count";
    case Limit::decoded_size:
      return "decoded_size";
    case Limit::archive_depth:
      return "archive_depth";
    case Limit::archive_members:
      return "archive_members";
    case Limit::unpacked_size:
      return "unpacked_size";
    case Limit::member_size:
      return "member_size";
    case Limit::compression_ratio:
      return "compression_ratio";
    case Limit::unpack_time:
      return "unpack_time";
    case Limit::av_scan_size:
      return "av_scan_size";
    case Limit::av_recursion:
      return "av_recursion";
    case Limit::av_files:
      return "av_files";
    case Limit::av_time:
      return "av_time";
    case Limit::password_candidates:
      return "password_candidates";
    case Limit::dns_lookups:
      return "dns_lookups";
    case Limit::dns_time:
      return "dns_time";
  }
  return "unknown_limit";
}

std::optional<Limit> limit_from_string(std::string_view s) noexcept {
  for (const Limit l : kAllLimits)
    if (to_string(l) == s) return l;
  return std::nullopt;
}

}  // namespace ksmg

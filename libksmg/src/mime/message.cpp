// message.cpp — read access to a parsed Message: header lookup, addresses, lazy decoding.
//
// Nothing here caches or mutates: decoding returns a fresh buffer, so a Message can be
// shared by any number of threads without locks.
#include <algorithm>

#include "core/ascii.hpp"
#include "ksmg/mime.hpp"
#include "mime/header_fields.hpp"
#include "mime/transfer_decode.hpp"

namespace ksmg::mime {

std::string HeaderField::unfolded() const { return detail::unfold(raw_value); }

std::string HeaderField::decoded() const { return decode_header_words(unfolded()); }

std::optional<std::string_view> ContentType::param(std::string_view lower_name) const {
  for (const Parameter& p : params)
    if (p.name == lower_name) return std::string_view(p.value);
  return std::nullopt;
}

std::string_view to_string(TransferEncoding e) noexcept {
  switch (e) {
    case TransferEncoding::none:
      return "";
    case TransferEncoding::seven_bit:
      return "7bit";
    case TransferEncoding::eight_bit:
      return "8bit";
    case TransferEncoding::binary:
      return "binary";
    case TransferEncoding::base64:
      return "base64";
    case TransferEncoding::quoted_printable:
      return "quoted-printable";
    case TransferEncoding::uuencode:
      return "x-uuencode";
    case TransferEncoding::unknown:
      return "unknown";
  }
  return "unknown";
}

std::span<const HeaderField> Message::headers(const Part& p) const noexcept {
  return std::span<const HeaderField>(headers_).subspan(p.first_header, p.header_count);
}

const HeaderField* Message::header(std::string_view name) const noexcept {
  return header(root(), name);
}

const HeaderField* Message::header(const Part& p, std::string_view name) const noexcept {
  for (const HeaderField& f : headers(p))
    if (core::iequals(f.name, name)) return &f;
  return nullptr;
}

std::vector<Address> Message::addresses(std::string_view header_name) const {
  std::vector<Address> out;
  for (const HeaderField& f : headers())
    if (core::iequals(f.name, header_name)) parse_address_list(f.unfolded(), out);
  return out;
}

DefectSet Message::all_defects() const noexcept {
  DefectSet d = defects_;
  for (const Part& p : parts_) d.add(p.defects);
  return d;
}

LimitSet Message::all_limits() const noexcept {
  LimitSet l = limits_;
  for (const Part& p : parts_) l.add(p.limits);
  return l;
}

std::optional<std::string_view> Message::body_as_is(const Part& p, LimitSet& limits) const {
  switch (p.transfer_encoding) {
    case TransferEncoding::base64:
    case TransferEncoding::quoted_printable:
    case TransferEncoding::uuencode:
      return std::nullopt;
    default:
      break;
  }
  const std::size_t cap = scan_limits_.max_decoded_bytes;
  if (p.body.size() > cap) limits.add(Limit::decoded_size);
  return p.body.substr(0, std::min(cap, p.body.size()));
}

Decoded Message::decode(const Part& p) const {
  Decoded d;
  const std::size_t cap = scan_limits_.max_decoded_bytes;
  detail::DecodeStatus st;
  switch (p.transfer_encoding) {
    case TransferEncoding::base64:
      st = detail::decode_base64(p.body, d.data, cap);
      break;
    case TransferEncoding::quoted_printable:
      st = detail::decode_quoted_printable(p.body, d.data, cap);
      break;
    case TransferEncoding::uuencode:
      st = detail::decode_uuencode(p.body, d.data, cap);
      break;
    default:
      if (const auto body = body_as_is(p, st.limits)) d.data.assign(*body);
      break;
  }
  d.defects = st.defects;
  d.limits = st.limits;
  return d;
}

Decoded Message::text(const Part& p, bool html_to_text_too) const {
  if (!p.is_text()) return {};
  Decoded raw = decode(p);
  Decoded utf8 = to_utf8(p.charset, raw.data, scan_limits_.max_decoded_bytes);
  utf8.defects.add(raw.defects);
  utf8.limits.add(raw.limits);
  if (html_to_text_too && p.content_type.subtype == "html") {
    Decoded plain = html_to_text(utf8.data, scan_limits_.max_decoded_bytes);
    plain.defects.add(utf8.defects);
    plain.limits.add(utf8.limits);
    return plain;
  }
  return utf8;
}

}  // namespace ksmg::mime

// fuzz_mime_fields.cpp — libFuzzer harness for the readers of header field values: unfolding,
// Content-Type and Content-Disposition with their RFC 2231 parameters, Content-Transfer-Encoding,
// address lists and RFC 2047 encoded words. Every field of the input's header section (or the
// whole input when it has none) goes to every reader, whatever its name, so that each reader
// meets the syntax of the others.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/ascii.hpp"
#include "ksmg/mime.hpp"
#include "mime/header_fields.hpp"

namespace {

// Parameters kept per field, as small as fuzz_message's so that the cap is reached too.
constexpr std::size_t kMaxParams = 8;

void read_value(std::string_view raw_value) {
  const std::string unfolded = ksmg::mime::detail::unfold(raw_value);
  for (const auto parse :
       {&ksmg::mime::detail::parse_content_type, &ksmg::mime::detail::parse_content_disposition}) {
    ksmg::mime::ContentType type;
    (void)parse(unfolded, type, kMaxParams);
    // Types and parameter names come out in lower case, parameter values in UTF-8, whatever the
    // field held, and no more parameters than asked for (and the structure's own past them).
    if (type.params.size() > kMaxParams + ksmg::mime::detail::kMaxStructureParamsPastCap)
      __builtin_trap();
    if (type.type != ksmg::core::to_lower(type.type)) __builtin_trap();
    if (type.subtype != ksmg::core::to_lower(type.subtype)) __builtin_trap();
    for (const auto& p : type.params)
      if (p.name != ksmg::core::to_lower(p.name) || !ksmg::mime::is_valid_utf8(p.value))
        __builtin_trap();
  }
  (void)ksmg::mime::detail::parse_transfer_encoding(unfolded);
  std::vector<ksmg::mime::Address> addresses;
  (void)ksmg::mime::parse_address_list(unfolded, addresses);
  if (!ksmg::mime::is_valid_utf8(ksmg::mime::decode_header_words(unfolded))) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  ksmg::ScanLimits limits;
  limits.max_header_fields = 64;
  limits.max_parts = 1;
  const auto message = ksmg::mime::Message::parse(in, limits);
  const auto fields = message.headers();
  if (fields.empty()) read_value(in);
  for (const auto& f : fields) read_value(f.raw_value);
  return 0;
}

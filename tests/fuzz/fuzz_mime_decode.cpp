// fuzz_mime_decode.cpp — libFuzzer harness for the readers of body bytes: the transfer decoders
// (base64, quoted-printable, RFC 2047 Q, uuencode), charset conversion to UTF-8 and HTML to
// text, chained as a text part goes through them. The input's first line names the charset;
// the rest is the body.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "ksmg/mime.hpp"
#include "mime/transfer_decode.hpp"

namespace {

// Output cap of every decoder, small so that the cap is reached too.
constexpr std::size_t kMaxOut = 1 << 16;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const std::size_t eol = in.find('\n');
  const std::string_view charset = in.substr(0, eol);
  const std::string_view body =
      eol == std::string_view::npos ? std::string_view() : in.substr(eol + 1);
  namespace detail = ksmg::mime::detail;
  for (const auto decode : {&detail::decode_base64, &detail::decode_quoted_printable,
                            &detail::decode_q_word, &detail::decode_uuencode}) {
    std::string out;
    (void)decode(body, out, kMaxOut);
    // Each of these encodings spends at least one byte of input on one byte of output.
    if (out.size() > kMaxOut || out.size() > body.size()) __builtin_trap();
  }
  (void)detail::encoded_files_in(body);
  for (const auto& block : detail::uuencoded_blocks(body))
    if (block.text.data() < body.data() ||
        block.text.data() + block.text.size() > body.data() + body.size())
      __builtin_trap();
  // What the charset reader and HTML to text promise: valid UTF-8, never above the cap.
  const ksmg::mime::Decoded text = ksmg::mime::to_utf8(charset, body, kMaxOut);
  if (text.data.size() > kMaxOut || !ksmg::mime::is_valid_utf8(text.data)) __builtin_trap();
  const ksmg::mime::Decoded html = ksmg::mime::html_to_text(text.data, kMaxOut);
  if (html.data.size() > kMaxOut || !ksmg::mime::is_valid_utf8(html.data)) __builtin_trap();
  return 0;
}

// fuzz_message.cpp — libFuzzer harness for the MIME parser and everything a scan reads from a
// message: structure (in both line-end readings), every header decoded, addresses, every part
// decoded, text and HTML text.
// Small limits make the fuzzer reach the limit paths with small inputs.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ksmg/mime.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view raw(reinterpret_cast<const char*>(data), size);
  ksmg::ScanLimits limits;
  limits.max_mime_depth = 8;
  limits.max_parts = 64;
  limits.max_header_fields = 32;
  limits.max_content_params = 8;
  limits.max_header_line_bytes = 4096;
  limits.max_decoded_bytes = 1 << 16;
  std::size_t sink = 0;
  // Both ways lines may end: the object tree reads a message with bare CRs both ways.
  for (const auto line_ends : {ksmg::mime::LineEnds::lf, ksmg::mime::LineEnds::lf_or_bare_cr}) {
    const auto m = ksmg::mime::Message::parse(raw, limits, line_ends);
    for (const auto& part : m.parts()) {
      for (const auto& f : m.headers(part)) sink += f.decoded().size();
      sink += m.decode(part).data.size();
      sink += m.text(part, true).data.size();
      if (part.parent != ksmg::mime::kNoPart && part.parent >= part.index) __builtin_trap();
      if (part.body.data() < raw.data() || part.body.data() + part.body.size() > raw.data() + size)
        __builtin_trap();
    }
    for (const char* name : {"from", "to", "cc", "reply-to", "sender"})
      sink += m.addresses(name).size();
  }
  return sink == static_cast<std::size_t>(-1);
}

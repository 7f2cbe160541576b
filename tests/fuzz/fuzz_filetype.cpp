// fuzz_filetype.cpp — libFuzzer harness for true-type detection alone (filetype/detector.cpp and
// its own readers: the text classifier, the CFB directory reader, the ZIP central-directory
// reader; libmagic for the rest), and for what is decided from a type: its container reader.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ksmg/archive.hpp"
#include "ksmg/filetype.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const ksmg::filetype::TrueType type = ksmg::filetype::Detector().detect(in);
  if (type.mime_type.empty()) __builtin_trap();
  (void)ksmg::archive::container_of(type);
  return 0;
}

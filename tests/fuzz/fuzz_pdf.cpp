// fuzz_pdf.cpp — libFuzzer harness for the PDF feature reader alone (archive/pdf.cpp: JavaScript,
// actions, launch, embedded files and encryption, names read after #xx escapes are undone).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ksmg/archive.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  (void)ksmg::archive::inspect_pdf(in);
  return 0;
}

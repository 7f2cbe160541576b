// fuzz_objects.cpp — libFuzzer harness for everything that opens containers: the object tree
// over the input as one attachment (true type, then libarchive, TNEF, RTF, PDF as it dispatches),
// and each reader directly on the same bytes (random bytes rarely type as TNEF or RTF), under
// tight limits so that the budget paths are exercised too.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_containers.hpp"
#include "ksmg/objects.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const ksmg::ScanLimits limits = ksmg::fuzz::container_limits();
  (void)ksmg::objects::ObjectTree::of_file("fuzz.bin", in, limits);
  ksmg::archive::Budget budget(limits);
  (void)ksmg::archive::unpack_archive(in, budget);
  (void)ksmg::archive::unpack_tnef(in, budget);
  (void)ksmg::archive::unpack_rtf(in, budget);
  (void)ksmg::archive::inspect_pdf(in);
  return 0;
}

// fuzz_objects.cpp — libFuzzer harness for everything that opens containers: the object tree
// over the input as one attachment (true type, then libarchive, TNEF, RTF, PDF as it dispatches),
// and each reader directly on the same bytes (random bytes rarely type as TNEF or RTF), under
// tight limits so that the budget paths are exercised too.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ksmg/archive.hpp"
#include "ksmg/objects.hpp"

// libarchive's RAR5 reader (Debian's 3.6.2) asks malloc for a size read from a hostile header
// (0x60000000000000 bytes for the 731-byte input tests/data/fuzz/fuzz_objects/2b7d7f6f*) and
// copes with the NULL that glibc's malloc answers. ASan aborts on such a request instead, unless
// told to answer NULL as the real allocator does.
extern "C" const char* __asan_default_options() { return "allocator_may_return_null=1"; }

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  ksmg::ScanLimits limits;
  limits.max_member_bytes = 1u << 20;
  limits.max_unpacked_bytes = 4u << 20;
  limits.max_archive_members = 64;
  limits.max_archive_depth = 4;
  (void)ksmg::objects::ObjectTree::of_file("fuzz.bin", in, limits);
  ksmg::archive::Budget budget(limits);
  (void)ksmg::archive::unpack_archive(in, budget);
  (void)ksmg::archive::unpack_tnef(in, budget);
  (void)ksmg::archive::unpack_rtf(in, budget);
  (void)ksmg::archive::inspect_pdf(in);
  return 0;
}

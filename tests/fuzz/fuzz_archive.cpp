// fuzz_archive.cpp — libFuzzer harness for the libarchive reader alone
// (archive/libarchive_reader.cpp: zip, 7z, rar, tar, cpio, iso, cab, compressed streams, ...),
// reached the way the object tree reaches it (archive::unpack for a true type of the archive
// category), under small limits, checking the promises every container reader makes about its
// members.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_containers.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  ksmg::filetype::TrueType type;
  type.category = ksmg::filetype::Category::archive;
  ksmg::archive::Budget budget(ksmg::fuzz::container_limits());
  ksmg::fuzz::check_contents(ksmg::archive::unpack(in, type, budget), budget);
  return 0;
}

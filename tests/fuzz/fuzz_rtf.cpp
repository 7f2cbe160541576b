// fuzz_rtf.cpp — libFuzzer harness for the reader of objects embedded in RTF alone (\objdata,
// archive/rtf.cpp), under small limits, checking the promises every
// container reader makes about its members.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_containers.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  ksmg::archive::Budget budget(ksmg::fuzz::container_limits());
  ksmg::fuzz::check_contents(ksmg::archive::unpack_rtf(in, budget), budget);
  return 0;
}

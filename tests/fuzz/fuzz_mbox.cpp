// fuzz_mbox.cpp — libFuzzer harness for mbox splitting (mime/mbox.cpp): the messages it returns
// are views that cover the input in order, each starting with its "From " line.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ksmg/mbox.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const bool mbox = ksmg::mbox::looks_like_mbox(in);
  const char* next = in.data();
  for (const std::string_view message : ksmg::mbox::split(in)) {
    if (message.data() < next || message.data() + message.size() > in.data() + in.size())
      __builtin_trap();
    if (mbox && !message.starts_with("From ")) __builtin_trap();
    next = message.data() + message.size();
  }
  return 0;
}

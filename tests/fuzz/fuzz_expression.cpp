// fuzz_expression.cpp — libFuzzer harness for the content filter's text readers before any
// Hyperscan compile: the dictionary reader (match/dictionary.cpp) on the whole input, and the
// expression parser (match/expression.cpp) on the whole input and on each of its lines, whose
// programs are then evaluated (no recursion, a bounded stack, whatever the text).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ksmg/match.hpp"
#include "match/expression.hpp"

namespace {

using ksmg::match::detail::Expression;
using ksmg::match::detail::Tally;

// The names the seeds' expressions use (tests/data/content, examples/).
const std::vector<std::string> kDictionaries{"cards",   "confidential", "public",
                                             "partial", "sample",       "spam-words"};
const std::vector<std::string> kEarlier{"leak"};
constexpr Tally kTallies[] = {{3, 2, 4.5}, {0, 0, 0}, {1, 1, 1}, {7, 3, 0.5}};
constexpr bool kEarlierValues[] = {true};

void parse_expression(std::string_view text) {
  Expression e;
  std::size_t column = 0;
  std::string message;
  if (!Expression::parse(text, kDictionaries, kEarlier, e, column, message)) {
    if (column == 0 || column > text.size() + 1 || message.empty()) __builtin_trap();
    return;
  }
  (void)e.evaluate(kTallies, kEarlierValues);
  (void)e.evaluate({}, {});
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  ksmg::match::Dictionary dictionary;
  ksmg::match::Error error;
  (void)ksmg::match::parse_dictionary(in, "fuzz.dict", dictionary, error);
  parse_expression(in);
  for (std::size_t begin = 0; begin < in.size();) {
    const std::size_t end = std::min(in.find('\n', begin), in.size());
    parse_expression(in.substr(begin, end - begin));
    begin = end + 1;
  }
  return 0;
}

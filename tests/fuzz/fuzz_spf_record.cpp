// fuzz_spf_record.cpp — libFuzzer harness for the SPF record grammar and macro expansion
// (auth/spf_record.cpp): each line of the input is read as a record (with "v=spf1 " put in
// front when it lacks one, so that mutations reach the terms), and every domain-spec and modifier
// value of a record read is expanded with fixed inputs, as a domain and as explanation text.
// Expansion must stay within its byte bounds whatever the record.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "auth/spf_record.hpp"

namespace {

using namespace ksmg::auth::spf;

// Values with every delimiter in them, and a long one that truncation must cut.
MacroInputs inputs(std::string_view ip) {
  MacroInputs in;
  in.sender_local = "first.last-name+tag=x_y,z/w";
  in.sender_domain = "mail.example.co.uk";
  in.domain = "a-very-long-label-of-sixty-three-octets-for-the-truncation-rule.example.co.uk";
  in.client_ip = ip;
  in.helo = "[192.0.2.1]";
  in.receiver = "gw.example.net";
  in.timestamp = 1234567890;
  return in;
}

const MacroInputs kInputs[] = {inputs("192.0.2.3"), inputs("2001:db8::cb01")};

void expand(std::string_view spec) {
  std::string out;
  std::string reason;
  for (const MacroInputs& in : kInputs) {
    if (expand_macros(spec, in, MacroContext::domain_spec, out, reason) &&
        out.size() > kMaxExpandedDomainBytes)
      __builtin_trap();
    (void)expand_macros(spec, in, MacroContext::explanation, out, reason);
    if (out.size() > kMaxExpansionBytes) __builtin_trap();
  }
}

void parse(std::string_view text) {
  Record record;
  const ParseResult result = parse_record(text, record);
  if (!result.ok) {
    if (result.reason.empty()) __builtin_trap();
    return;
  }
  if (record.mechanisms.size() > kMaxRecordTerms) __builtin_trap();
  for (const Mechanism& m : record.mechanisms) expand(m.domain_spec);
  if (record.redirect) expand(*record.redirect);
  if (record.explanation) expand(*record.explanation);
  for (const Modifier& m : record.unknown_modifiers) expand(m.value);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  for (std::size_t begin = 0; begin <= in.size();) {
    const std::size_t end = std::min(in.find('\n', begin), in.size());
    const std::string_view line = in.substr(begin, end - begin);
    if (is_spf_record(line))
      parse(line);
    else
      parse("v=spf1 " + std::string(line));
    expand(line);
    begin = end + 1;
  }
  return 0;
}

// fuzz_containers.hpp — what the container harnesses share: the small limits they run under (so
// that short inputs reach the budget paths) and the promises every container reader makes about
// what it returns, checked on each input (a broken promise traps, and libFuzzer keeps the input).
#pragma once

#include <cstddef>

#include "ksmg/archive.hpp"

namespace ksmg::fuzz {

inline ScanLimits container_limits() {
  ScanLimits limits;
  limits.max_member_bytes = 1u << 20;
  limits.max_unpacked_bytes = 4u << 20;
  limits.max_archive_members = 64;
  limits.max_archive_depth = 4;
  return limits;
}

// No member larger than max_member_bytes, no more members than max_archive_members, and no more
// bytes in all than the budget granted (the budget itself never above max_unpacked_bytes).
inline void check_contents(const archive::Contents& contents, const archive::Budget& budget) {
  const ScanLimits& limits = budget.limits();
  if (contents.members.size() > limits.max_archive_members) __builtin_trap();
  if (budget.bytes_used() > limits.max_unpacked_bytes) __builtin_trap();
  std::size_t total = 0;
  for (const archive::Member& m : contents.members) {
    if (m.data.size() > limits.max_member_bytes) __builtin_trap();
    total += m.data.size();
  }
  if (total > limits.max_unpacked_bytes) __builtin_trap();
}

}  // namespace ksmg::fuzz

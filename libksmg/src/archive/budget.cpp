// budget.cpp — owns archive::Budget: the bytes, members and CPU time one message may spend on
// unpacking, shared by all of its containers.
#include <algorithm>

#include "core/cpu_clock.hpp"
#include "ksmg/archive.hpp"

namespace ksmg::archive {

namespace {

// Blocks between two clock reads: a block of libarchive output costs microseconds, the clock
// read about 100 ns, and a budget of seconds does not need finer steps.
constexpr unsigned kClockEvery = 16;

}  // namespace

Budget::Budget(const ScanLimits& limits) : limits_(limits) {}

std::size_t Budget::take_bytes(std::size_t wanted) noexcept {
  const std::size_t left =
      limits_.max_unpacked_bytes > bytes_used_ ? limits_.max_unpacked_bytes - bytes_used_ : 0;
  const std::size_t granted = std::min(wanted, left);
  bytes_used_ += granted;
  return granted;
}

bool Budget::take_member() noexcept {
  if (members_used_ >= limits_.max_archive_members) return false;
  ++members_used_;
  return true;
}

bool Budget::out_of_time() noexcept {
  if (timed_out_) return true;
  // The clock starts at the first question: most messages hold no container, and reading a
  // thread's CPU clock is a system call.
  if (cpu_start_ns_ == 0) {
    cpu_start_ns_ = detail::thread_cpu_ns();
    return false;
  }
  if (++clock_skips_ < kClockEvery) return false;
  clock_skips_ = 0;
  const std::int64_t spent_ms = (detail::thread_cpu_ns() - cpu_start_ns_) / 1'000'000;
  timed_out_ = spent_ms >= static_cast<std::int64_t>(limits_.max_unpack_cpu_ms);
  return timed_out_;
}

}  // namespace ksmg::archive

// test_cpu_time.hpp — the one way a unit test bounds what a piece of work costs: the CPU time of
// the calling thread, which nothing else running on the machine inflates. A wall clock would
// make such a bound fail whenever the cores are busy with other work (a build, other tests).
#pragma once

#include <cstdint>

#include "core/cpu_clock.hpp"

namespace ksmg::test {

// Seconds of CPU the constructing thread has used since construction (read on that thread).
class CpuStopwatch {
 public:
  [[nodiscard]] double seconds() const noexcept {
    return static_cast<double>(detail::thread_cpu_ns() - start_ns_) / 1e9;
  }

 private:
  std::int64_t start_ns_ = detail::thread_cpu_ns();
};

}  // namespace ksmg::test

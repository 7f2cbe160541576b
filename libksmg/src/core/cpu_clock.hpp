// cpu_clock.hpp — the calling thread's CPU time, which the per-message time budgets count (wall
// time would charge a message for whatever else the machine is doing).
#pragma once

#include <time.h>

#include <cstdint>

namespace ksmg::detail {

// Nanoseconds of CPU the calling thread has used (user and system); 0 if the clock fails.
inline std::int64_t thread_cpu_ns() noexcept {
  timespec ts{};
  if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0) return 0;
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace ksmg::detail

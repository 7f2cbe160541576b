// lookups.cpp — dns::Lookups, one message's DNS budget: a count of queries and a wall-clock
// deadline set by the first query, so that a message whose checks ask too much, or whose
// servers are slow, costs a bounded time however many checks ask.
//
// The lock covers the counters only; queries themselves run unlocked, side by side.
#include <mutex>

#include "ksmg/dns.hpp"

namespace ksmg::dns {

Lookups::Lookups(Resolver& resolver, const ScanLimits& limits) noexcept
    : resolver_(resolver), max_lookups_(limits.max_dns_lookups), max_time_(limits.max_dns_ms) {}

Answer Lookups::query(std::string_view name, Type type) {
  std::chrono::steady_clock::time_point deadline;
  {
    const std::lock_guard lock(mutex_);
    const auto now = std::chrono::steady_clock::now();
    if (!deadline_) deadline_ = now + max_time_;
    if (count_ >= max_lookups_) {
      crossed_.add(Limit::dns_lookups);
      return Answer{};  // Status::timeout, empty
    }
    if (now >= *deadline_) {
      crossed_.add(Limit::dns_time);
      return Answer{};
    }
    ++count_;
    deadline = *deadline_;
  }
  Answer answer = resolver_.resolve(name, type, deadline);
  // A server that stays silent is not the budget; running into the deadline is.
  if (answer.status == Status::timeout && std::chrono::steady_clock::now() >= deadline) {
    const std::lock_guard lock(mutex_);
    crossed_.add(Limit::dns_time);
  }
  return answer;
}

std::size_t Lookups::count() const {
  const std::lock_guard lock(mutex_);
  return count_;
}

LimitSet Lookups::limits() const {
  const std::lock_guard lock(mutex_);
  return crossed_;
}

}  // namespace ksmg::dns

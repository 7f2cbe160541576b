// log.cpp — owns the process-wide log sink (ksmg/log.hpp).
#include "ksmg/log.hpp"

#include <atomic>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>

namespace ksmg::log {

namespace {

struct State {
  std::mutex mutex;  // guards sink replacement; writers copy the pointer under it
  std::shared_ptr<const Sink> sink;
  std::atomic<Level> threshold{Level::error};
};

State& state() {
  static State s;
  return s;
}

void to_stderr(Level l, std::string_view module, std::string_view message) {
  const std::string line = "ksmg " + std::string(module) + " " + std::string(to_string(l)) + ": " +
                           std::string(message) + "\n";
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace

std::string_view to_string(Level l) noexcept {
  switch (l) {
    case Level::debug:
      return "debug";
    case Level::info:
      return "info";
    case Level::warning:
      return "warning";
    case Level::error:
      return "error";
  }
  return "error";
}

void set_sink(Sink sink) {
  State& s = state();
  std::shared_ptr<const Sink> fresh =
      sink ? std::make_shared<const Sink>(std::move(sink)) : nullptr;
  const std::lock_guard lock(s.mutex);
  s.sink = std::move(fresh);
}

void set_threshold(Level threshold) noexcept {
  state().threshold.store(threshold, std::memory_order_relaxed);
}

bool enabled(Level l) noexcept { return l >= state().threshold.load(std::memory_order_relaxed); }

void write(Level l, std::string_view module, std::string_view message) {
  if (!enabled(l)) return;
  State& s = state();
  std::shared_ptr<const Sink> sink;
  {
    const std::lock_guard lock(s.mutex);
    sink = s.sink;
  }
  if (sink)
    (*sink)(l, module, message);
  else
    to_stderr(l, module, message);
}

}  // namespace ksmg::log

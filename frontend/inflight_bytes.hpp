// inflight_bytes.hpp — one session's share of the message bytes all sessions of a server hold in
// memory (the relay's and the milter's max_inflight_bytes): updated as the message grows, given
// back however the message ends. Sessions run on one I/O thread, so the total needs no lock.
#pragma once

#include <cstddef>

namespace ksmg::frontend {

class InflightBytes {
 public:
  explicit InflightBytes(std::size_t& total) : total_(total) {}
  ~InflightBytes() { release(); }
  InflightBytes(const InflightBytes&) = delete;
  InflightBytes& operator=(const InflightBytes&) = delete;

  void update(std::size_t now) {
    total_ = total_ - held_ + now;
    held_ = now;
  }
  void release() { update(0); }

 private:
  std::size_t& total_;
  std::size_t held_ = 0;
};

}  // namespace ksmg::frontend

// scan_pool.hpp — a server's scanning threads (one per core by default), each with its own
// ksmg::Scanner. A session (SMTP or milter) hands its message over and is resumed on its I/O thread
// with the report, so a slow client never holds a scanner and a long scan never stalls other
// sessions.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "async.hpp"
#include "ksmg/engine.hpp"

namespace ksmg::frontend {

class ScanPool {
 public:
  explicit ScanPool(std::size_t threads);
  ~ScanPool();  // finishes the scans in flight

  // The message scanned with the engine in service when the scan starts; nullopt when the scan
  // itself failed (out of memory: the session answers 4xx and the sender keeps the message).
  Task<std::optional<ScanReport>> scan(const EngineHolder& engines, std::string_view message,
                                       Envelope envelope);

  [[nodiscard]] std::size_t threads() const noexcept { return threads_; }

 private:
  std::size_t threads_;
  asio::thread_pool pool_;
};

// What a server lends each of its sessions. Sessions run on the server's one I/O thread: no lock.
struct SessionServices {
  EngineHolder& engines;
  ScanPool& scanner;
  std::size_t inflight_bytes = 0;  // message bytes all sessions hold (max_inflight_bytes)
};

}  // namespace ksmg::frontend

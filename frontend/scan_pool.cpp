// scan_pool.cpp — owns the scanning threads (scan_pool.hpp).
#include "scan_pool.hpp"

#include <new>
#include <thread>

#include "ksmg/log.hpp"

namespace ksmg::frontend {

namespace {

std::size_t thread_count(std::size_t wanted) {
  if (wanted != 0) return wanted;
  const unsigned cores = std::thread::hardware_concurrency();
  return cores == 0 ? 1 : cores;
}

std::optional<ScanReport> scan_here(const EngineHolder& engines, std::string_view message,
                                    const Envelope& envelope) {
  // One Scanner per pool thread, kept across messages and engine reloads.
  thread_local Scanner scanner;
  try {
    const std::shared_ptr<const Engine> engine = engines.get();
    return scanner.scan_message(*engine, message, envelope);
  } catch (const std::exception& e) {
    log::write(log::Level::error, "scan", std::string("scan failed: ") + e.what());
    return std::nullopt;
  }
}

}  // namespace

ScanPool::ScanPool(std::size_t threads) : threads_(thread_count(threads)), pool_(threads_) {}

ScanPool::~ScanPool() { pool_.join(); }

Task<std::optional<ScanReport>> ScanPool::scan(const EngineHolder& engines,
                                               std::string_view message, Envelope envelope) {
  // The session's frame (and the message it owns) lives until the handler resumes it.
  return asio::async_initiate<decltype(asio::use_awaitable), void(std::optional<ScanReport>)>(
      [this, &engines, message, envelope = std::move(envelope)](auto handler) mutable {
        asio::post(pool_, [&engines, message, envelope = std::move(envelope),
                           handler = std::move(handler)]() mutable {
          std::optional<ScanReport> report = scan_here(engines, message, envelope);
          auto executor = asio::get_associated_executor(handler);
          asio::post(executor,
                     [handler = std::move(handler), report = std::move(report)]() mutable {
                       std::move(handler)(std::move(report));
                     });
        });
      },
      asio::use_awaitable);
}

}  // namespace ksmg::frontend

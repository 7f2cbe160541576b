// ksmg/log.hpp — where the library's messages go: one process-wide sink, set by the front-end.
//
// The library logs rarely and never on the per-message hot path except for what a module has to
// say about one object (libclamav's warnings on damaged files, for instance). By default errors
// go to stderr and everything else is dropped; a front-end installs its own sink (syslog, a
// JSON log, a test's buffer) and threshold. The sink may be called from any scanning thread at
// once and must be thread-safe.
#pragma once

#include <functional>
#include <string_view>

namespace ksmg::log {

enum class Level : unsigned char { debug, info, warning, error };
std::string_view to_string(Level l) noexcept;

// (level, module such as "av", message without a trailing newline)
using Sink = std::function<void(Level, std::string_view module, std::string_view message)>;

// Replaces the sink; null restores the default (stderr, "ksmg <module> <level>: <message>").
void set_sink(Sink sink);
// The lowest level passed to the sink (default: error).
void set_threshold(Level threshold) noexcept;
[[nodiscard]] bool enabled(Level l) noexcept;
void write(Level l, std::string_view module, std::string_view message);

}  // namespace ksmg::log

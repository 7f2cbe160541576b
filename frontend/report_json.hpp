// report_json.hpp — a scan report as JSON, the one shape every front-end shows it in (`ksmg scan
// --json` adds the file and message index; the Python Verdict is this document):
//   {"scanned_as": "message"|"file", "action", "reason" (null when none),
//    "decided_by": {"module","status"}|null, "extras": {non-default extras},
//    one key per module that ran: {"status", "findings": [{"where","what","detail"}], "info"},
//    "headers": {X-KSMG-* name: value}, "objects", "flags", "limits_exceeded", "defects"}
// Every string is valid UTF-8 (bytes that are not become U+FFFD).
#pragma once

#include <nlohmann/json.hpp>

#include "ksmg/engine.hpp"

namespace ksmg::frontend {

// Keys in the order above (the CLI's output is read by people too), after those `head` has.
[[nodiscard]] nlohmann::ordered_json report_json(
    const ScanReport& report, nlohmann::ordered_json head = nlohmann::ordered_json::object());
[[nodiscard]] nlohmann::ordered_json extras_json(const verdict::Extras& extras);

}  // namespace ksmg::frontend

// json_names.hpp — what the CLI's JSON outputs share: defect, limit and flag sets as arrays of
// their stable names, and text made safe for JSON.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "ksmg/defects.hpp"
#include "ksmg/limits.hpp"
#include "ksmg/objects.hpp"

namespace ksmg::cli {

nlohmann::json names(DefectSet d);
nlohmann::json names(LimitSet l);
nlohmann::json names(objects::FlagSet f);
// JSON strings must be valid UTF-8; bytes that are not are shown as U+FFFD.
std::string utf8_or_replaced(std::string_view s);

}  // namespace ksmg::cli

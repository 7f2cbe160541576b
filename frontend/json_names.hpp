// json_names.hpp — what the front-ends' JSON (the CLI's outputs, the Python verdict) shares:
// defect, limit and flag sets as arrays of their stable names, and text made safe for JSON.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "ksmg/defects.hpp"
#include "ksmg/limits.hpp"
#include "ksmg/objects.hpp"

namespace ksmg::frontend {

nlohmann::json names(DefectSet d);
nlohmann::json names(LimitSet l);
nlohmann::json names(objects::FlagSet f);
// JSON strings must be valid UTF-8; bytes that are not are shown as U+FFFD.
std::string utf8_or_replaced(std::string_view s);

}  // namespace ksmg::frontend

// json_names.cpp — owns the front-ends' set-to-names conversions (see json_names.hpp).
#include "json_names.hpp"

#include "ksmg/mime.hpp"

namespace ksmg::frontend {

using nlohmann::json;

json names(DefectSet d) {
  json a = json::array();
  for (int i = 0; i < kDefectCount; ++i)
    if (d.has(static_cast<Defect>(i))) a.push_back(to_string(static_cast<Defect>(i)));
  return a;
}

json names(LimitSet l) {
  json a = json::array();
  for (Limit x : kAllLimits)
    if (l.has(x)) a.push_back(to_string(x));
  return a;
}

json names(objects::FlagSet f) {
  json a = json::array();
  for (objects::Flag x : objects::kAllFlags)
    if (f.has(x)) a.push_back(objects::to_string(x));
  return a;
}

std::string utf8_or_replaced(std::string_view s) { return mime::to_utf8("utf-8", s).data; }

}  // namespace ksmg::frontend

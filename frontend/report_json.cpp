// report_json.cpp — owns the JSON shape of a scan report (report_json.hpp).
#include "report_json.hpp"

#include "json_names.hpp"

namespace ksmg::frontend {

using json = nlohmann::ordered_json;

json extras_json(const verdict::Extras& e) {
  json j = json::object();
  if (e.backup) j["backup"] = true;
  if (e.quarantine) j["quarantine"] = true;
  if (e.add_warning) j["add_warning"] = true;
  if (e.remove_attachments) j["remove_attachments"] = true;
  if (e.notify_sender) j["notify_sender"] = true;
  if (e.notify_recipients) j["notify_recipients"] = true;
  if (e.notify_admin) j["notify_admin"] = true;
  if (!e.subject_tag.empty()) j["subject_tag"] = utf8_or_replaced(e.subject_tag);
  return j;
}

json report_json(const ScanReport& r, json head) {
  const verdict::Verdict& v = r.verdict;
  json j = std::move(head);
  j["scanned_as"] = r.scanned_as_message ? "message" : "file";
  j["action"] = verdict::to_string(v.action);
  j["reason"] = v.reason.empty() ? json(nullptr) : json(utf8_or_replaced(v.reason));
  if (v.decided_by)
    j["decided_by"] = {{"module", verdict::to_string(v.decided_by->first)},
                       {"status", verdict::to_string(v.decided_by->second)}};
  else
    j["decided_by"] = nullptr;
  j["extras"] = extras_json(v.extras);
  for (const verdict::ModuleResult& m : v.modules) {
    json findings = json::array();
    for (const verdict::Finding& f : m.findings)
      findings.push_back({{"where", utf8_or_replaced(f.where)},
                          {"what", utf8_or_replaced(f.what)},
                          {"detail", utf8_or_replaced(f.detail)}});
    json mj;
    mj["status"] = verdict::to_string(m.status);
    mj["findings"] = std::move(findings);
    mj["info"] = utf8_or_replaced(m.info);
    j[std::string(verdict::to_string(m.module))] = std::move(mj);
  }
  json headers = json::object();
  for (const auto& [name, value] : r.headers) headers[utf8_or_replaced(name)] = value;
  j["headers"] = std::move(headers);
  j["objects"] = r.objects;
  j["flags"] = names(r.flags);
  j["limits_exceeded"] = names(r.limits);
  j["defects"] = names(r.defects);
  return j;
}

}  // namespace ksmg::frontend

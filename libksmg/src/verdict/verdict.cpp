// verdict.cpp — owns the verdict vocabulary (names of modules, statuses, actions), the action
// table with its built-in defaults, and aggregate(): many module results, one action.
#include "ksmg/verdict.hpp"

#include <algorithm>
#include <utility>

namespace ksmg::verdict {

namespace {

constexpr std::array<std::pair<Status, std::string_view>, 17> kStatusNames{{
    {Status::clean, "clean"},
    {Status::not_scanned, "not_scanned"},
    {Status::error, "error"},
    {Status::infected, "infected"},
    {Status::probably_infected, "probably_infected"},
    {Status::encrypted, "encrypted"},
    {Status::corrupted, "corrupted"},
    {Status::spam, "spam"},
    {Status::probable_spam, "probable_spam"},
    {Status::mass_mail, "mass_mail"},
    {Status::denylisted, "denylisted"},
    {Status::allowlisted, "allowlisted"},
    {Status::phishing, "phishing"},
    {Status::malicious_link, "malicious_link"},
    {Status::triggered, "triggered"},
    {Status::pass, "pass"},
    {Status::fail, "fail"},
}};

constexpr std::array<std::pair<Action, std::string_view>, 4> kActionNames{{
    {Action::deliver, "deliver"},
    {Action::tempfail, "tempfail"},
    {Action::discard, "discard"},
    {Action::reject, "reject"},
}};

std::size_t index_of(Module m) noexcept { return static_cast<std::size_t>(m); }
std::size_t index_of(Status s) noexcept { return static_cast<std::size_t>(s); }

bool has_extras(const Extras& e) noexcept {
  return e.backup || e.quarantine || e.add_warning || e.remove_attachments || e.notify_sender ||
         e.notify_recipients || e.notify_admin || !e.subject_tag.empty();
}

void merge_extras(Extras& into, const Extras& e) {
  into.backup = into.backup || e.backup;
  into.quarantine = into.quarantine || e.quarantine;
  into.add_warning = into.add_warning || e.add_warning;
  into.remove_attachments = into.remove_attachments || e.remove_attachments;
  into.notify_sender = into.notify_sender || e.notify_sender;
  into.notify_recipients = into.notify_recipients || e.notify_recipients;
  into.notify_admin = into.notify_admin || e.notify_admin;
  if (!e.subject_tag.empty() && into.subject_tag.find(e.subject_tag) == std::string::npos)
    into.subject_tag += into.subject_tag.empty() ? e.subject_tag : " " + e.subject_tag;
}

}  // namespace

std::string_view to_string(Module m) noexcept {
  switch (m) {
    case Module::antivirus:
      return "antivirus";
    case Module::content_filter:
      return "content_filter";
    case Module::antispam:
      return "antispam";
    case Module::antiphishing:
      return "antiphishing";
    case Module::auth:
      return "auth";
  }
  return "unknown_module";
}

std::string_view header_name(Module m) noexcept {
  switch (m) {
    case Module::antivirus:
      return "AntiVirus";
    case Module::content_filter:
      return "ContentFiltering";
    case Module::antispam:
      return "AntiSpam";
    case Module::antiphishing:
      return "AntiPhishing";
    case Module::auth:
      return "Auth";
  }
  return "Unknown";
}

std::string_view to_string(Status s) noexcept {
  for (const auto& [status, name] : kStatusNames)
    if (status == s) return name;
  return "unknown_status";
}

std::optional<Status> status_from_string(std::string_view s) noexcept {
  for (const auto& [status, name] : kStatusNames)
    if (name == s) return status;
  return std::nullopt;
}

bool valid_status(Module m, Status s) noexcept {
  if (s == Status::not_scanned || s == Status::error) return true;
  switch (m) {
    case Module::antivirus:
      return s == Status::clean || s == Status::infected || s == Status::probably_infected ||
             s == Status::encrypted || s == Status::corrupted;
    case Module::content_filter:
      return s == Status::clean || s == Status::triggered;
    case Module::antispam:
      return s == Status::clean || s == Status::spam || s == Status::probable_spam ||
             s == Status::mass_mail || s == Status::denylisted || s == Status::allowlisted;
    case Module::antiphishing:
      return s == Status::clean || s == Status::phishing || s == Status::malicious_link;
    case Module::auth:
      return s == Status::pass || s == Status::fail;
  }
  return false;
}

std::string_view to_string(Action a) noexcept {
  for (const auto& [action, name] : kActionNames)
    if (action == a) return name;
  return "unknown_action";
}

std::optional<Action> action_from_string(std::string_view s) noexcept {
  for (const auto& [action, name] : kActionNames)
    if (name == s) return action;
  return std::nullopt;
}

ActionTable ActionTable::defaults() {
  ActionTable t;
  Extras keep;
  keep.backup = true;
  Extras warn = keep;
  warn.add_warning = true;
  auto tag = [](const char* text) {
    Extras e;
    e.subject_tag = text;
    return e;
  };
  t.set(Module::antivirus, Status::infected, {Action::reject, keep});
  t.set(Module::antivirus, Status::probably_infected, {Action::reject, keep});
  t.set(Module::antivirus, Status::encrypted, {Action::deliver, warn});
  t.set(Module::antivirus, Status::corrupted, {Action::deliver, warn});
  t.set(Module::antivirus, Status::not_scanned, {Action::deliver, warn});
  for (const Limit l : kStructureLimits) t.set(l, {Action::reject, keep});
  Extras hold = keep;
  hold.quarantine = true;
  for (const Limit l : kVolumeLimits) t.set(l, {Action::deliver, hold});
  for (const Limit l : kLookupLimits) t.set(l, {Action::deliver, {}});
  t.set(Module::antivirus, Status::error, {Action::tempfail, {}});
  t.set(Module::content_filter, Status::triggered, {Action::reject, keep});
  t.set(Module::content_filter, Status::error, {Action::tempfail, {}});
  t.set(Module::antispam, Status::spam, {Action::deliver, tag("[!!SPAM]")});
  t.set(Module::antispam, Status::probable_spam, {Action::deliver, tag("[!!Probable Spam]")});
  t.set(Module::antispam, Status::mass_mail, {Action::deliver, tag("[!!Mass Mail]")});
  t.set(Module::antispam, Status::denylisted, {Action::reject, {}});
  t.set(Module::antiphishing, Status::phishing, {Action::reject, keep});
  t.set(Module::antiphishing, Status::malicious_link, {Action::reject, keep});
  return t;
}

void ActionTable::set(Module m, Status s, Decision d) {
  table_[index_of(m) * kStatusCount + index_of(s)] = std::move(d);
}

const Decision& ActionTable::get(Module m, Status s) const noexcept {
  return table_[index_of(m) * kStatusCount + index_of(s)];
}

void ActionTable::set(Limit l, Decision d) { by_limit_[ksmg::index_of(l)] = std::move(d); }

const std::optional<Decision>& ActionTable::get(Limit l) const noexcept {
  return by_limit_[ksmg::index_of(l)];
}

Decision ActionTable::decide(const ModuleResult& r) const {
  if (r.decision) return *r.decision;
  if (r.status == Status::not_scanned) {
    std::optional<Decision> by_limits;
    for (const Limit l : kAllLimits) {
      const std::optional<Decision>& d = get(l);
      if (!r.limits.has(l) || !d) continue;
      if (!by_limits) by_limits.emplace();
      merge(*by_limits, *d);
    }
    if (by_limits) return *std::move(by_limits);
  }
  return get(r.module, r.status);
}

void merge(Decision& into, const Decision& d) {
  into.action = std::max(into.action, d.action);
  merge_extras(into.extras, d.extras);
}

Verdict aggregate(std::vector<ModuleResult> results, const ActionTable& table,
                  std::vector<std::string> rule_ids) {
  Verdict v;
  v.rule_ids = std::move(rule_ids);
  const ModuleResult* decider = nullptr;
  for (const ModuleResult& r : results) {
    const Decision d = table.decide(r);
    if (has_extras(d.extras)) merge_extras(v.extras, d.extras);
    // The most severe action decides; among deliveries, the first result that changes what is
    // delivered (a subject tag, a warning) gives the reason.
    if (d.action > v.action || (decider == nullptr && has_extras(d.extras))) {
      v.action = d.action;
      decider = &r;
    }
  }
  if (decider != nullptr) {
    v.decided_by = std::make_pair(decider->module, decider->status);
    v.reason =
        std::string(to_string(decider->module)) + ": " + std::string(to_string(decider->status));
    if (!decider->findings.empty()) {
      const Finding& f = decider->findings.front();
      v.reason += " (" + f.what;
      if (!f.where.empty()) v.reason += " in " + f.where;
      v.reason += ')';
    }
  }
  v.modules = std::move(results);
  return v;
}

}  // namespace ksmg::verdict

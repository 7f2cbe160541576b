// scan.cpp — owns the anti-virus scan of one object tree: which objects go to libclamav and
// how, each distinct content once, the per-message CPU budget, and the mapping of libclamav's
// answers and the tree's flags to one status per object and per message.
#include <algorithm>
#include <optional>
#include <string_view>
#include <unordered_map>

#include "av/compiled.hpp"
#include "core/cpu_clock.hpp"
#include "ksmg/log.hpp"

namespace ksmg::av {

namespace {

using objects::Flag;
using objects::Object;
using verdict::Status;

// Findings beyond this many are counted in one last finding, not listed (a zip of 10000
// encrypted members must not make a 10000-line report).
constexpr std::size_t kMaxFindings = 64;

// The first limit of a set, to name in a finding. Every limit of the tree counts: one that only
// bounds parsing (header fields, parameters, line length) also changes what is read, since the
// structure it cut short decides where the parts are.
std::optional<Limit> first_limit(LimitSet limits) noexcept {
  for (const Limit l : kAllLimits)
    if (limits.has(l)) return l;
  return std::nullopt;
}

// How bad a status is, for choosing the message's: the worst object decides.
int severity(Status s) noexcept {
  switch (s) {
    case Status::infected:
      return 6;
    case Status::probably_infected:
      return 5;
    case Status::error:
      return 4;
    case Status::encrypted:
      return 3;
    case Status::corrupted:
      return 2;
    case Status::not_scanned:
      return 1;
    default:
      return 0;
  }
}

struct Outcome {
  Status status = Status::clean;
  std::string what;  // threat or heuristic name, or why the object was not scanned
  LimitSet limits;
};

void raise(Outcome& o, Status s, std::string what) {
  if (severity(s) > severity(o.status)) {
    o.status = s;
    o.what = std::move(what);
  }
}

constexpr std::string_view kLimitsExceeded = "Heuristics.Limits.Exceeded.";

// An object a limit kept from being scanned completely, in libclamav's naming
// ("Heuristics.Limits.Exceeded.MaxFiles"; MessageTime and MaxFileSize are checked by us).
Outcome limit_exceeded(std::string_view which) {
  Outcome o{Status::not_scanned, std::string(kLimitsExceeded) + std::string(which), {}};
  o.limits.add(which == "MaxScanTime" || which == "MessageTime" ? Limit::av_time
               : which == "MaxRecursion"                        ? Limit::av_recursion
               : which == "MaxFiles"                            ? Limit::av_files
                                                                : Limit::av_scan_size);
  return o;
}

// A name libclamav reported: real signatures are infections; its heuristics are split by kind.
Outcome from_virus_name(std::string_view name) {
  if (name.starts_with(kLimitsExceeded)) return limit_exceeded(name.substr(kLimitsExceeded.size()));
  const Status status = !name.starts_with("Heuristics.")            ? Status::infected
                        : name.starts_with("Heuristics.Encrypted.") ? Status::encrypted
                                                                    : Status::probably_infected;
  return {status, std::string(name), {}};
}

Outcome from_return_code(cl_error_t rc, const char* virname) {
  Outcome o;
  switch (rc) {
    case CL_CLEAN:
      break;
    case CL_VIRUS:
      return from_virus_name(virname != nullptr ? virname : "Unnamed");
    case CL_ETIMEOUT:
      return limit_exceeded("MaxScanTime");
    case CL_EMAXREC:
      return limit_exceeded("MaxRecursion");
    case CL_EMAXSIZE:
      return limit_exceeded("MaxScanSize");
    case CL_EMAXFILES:
      return limit_exceeded("MaxFiles");
    case CL_EFORMAT:
    case CL_EPARSE:
    case CL_EUNPACK:
      o = {Status::corrupted, std::string("libclamav: ") + cl_strerror(rc), {}};
      break;
    default:
      o = {Status::error, std::string("libclamav: ") + cl_strerror(rc), {}};
      break;
  }
  return o;
}

// What the tree itself knows about an object, beside what libclamav said.
void add_tree_flags(const Object& obj, const Settings& settings, Outcome& o) {
  if (obj.flags.has(Flag::macros) && settings.alert_macros)
    raise(o, Status::probably_infected, "Heuristics.Macros");
  if (obj.flags.has(Flag::encrypted)) raise(o, Status::encrypted, "Encrypted");
  if (obj.flags.has(Flag::corrupted)) raise(o, Status::corrupted, "Corrupted");
  if (obj.flags.has(Flag::limit_exceeded) && !obj.limits.empty()) {
    raise(o, Status::not_scanned, "Limits.Exceeded");
    o.limits.add(obj.limits);
  }
}

// The message's own HTML text (not an attached file): see Settings::parse_body_html.
bool is_body_html(const Object& o) {
  return o.origin == objects::Origin::mime_part && o.name.empty() &&
         o.true_type.mime_type == "text/html";
}

// A container whose members are all objects of the tree: libclamav need not open it again. A
// message, or a text carrying encoded files, is still read by libclamav its own way.
bool unpacked_completely(const Object& o) {
  if (o.container.empty() || o.container == "message" || o.container.starts_with("uuencode") ||
      o.container == "yenc")
    return false;
  return !o.flags.has(Flag::encrypted) && !o.flags.has(Flag::corrupted) &&
         !o.flags.has(Flag::limit_exceeded);
}

}  // namespace

Result Database::scan(const objects::ObjectTree& tree) const {
  Result r;
  r.module.module = verdict::Module::antivirus;
  r.module.info = c_->info.describe();
  Outcome message;
  const std::int64_t start_ns = ksmg::detail::thread_cpu_ns();
  detail::CallContext call;
  call.deadline_ns =
      start_ns + static_cast<std::int64_t>(c_->limits.max_av_message_cpu_ms) * 1'000'000;
  // Content already scanned in this message (by hash and the way it was handed over).
  std::unordered_map<std::string, Outcome> seen;

  for (const Object& obj : tree.objects()) {
    Outcome o;
    // An attached message is scanned through its parts, like the message itself.
    const bool to_libclamav = obj.container != "message" && !obj.data.empty();
    if (to_libclamav) {
      const bool raw = unpacked_completely(obj);
      const bool no_html = !c_->settings.parse_body_html && is_body_html(obj);
      std::string key = obj.sha256;
      key += raw ? 'r' : 'f';
      key += no_html ? 'n' : 'h';
      const bool narrow = (raw || no_html) && c_->settings.clean_cache;
      if (const auto it = seen.find(key); it != seen.end()) {
        o = it->second;
      } else if (narrow && c_->narrow_clean.contains(key)) {
        seen.emplace(std::move(key), o);  // clean
      } else if (call.out_of_time || ksmg::detail::thread_cpu_ns() >= call.deadline_ns) {
        call.out_of_time = true;
        o = limit_exceeded("MessageTime");
      } else if (obj.data.size() > c_->limits.max_av_file_bytes) {
        // Decided here: libclamav answers CL_VIRUS without a name for an object over its
        // file size limit, which would read as an infection.
        o = limit_exceeded("MaxFileSize");
      } else {
        cl_fmap_t* map = cl_fmap_open_memory(obj.data.data(), obj.data.size());
        if (map == nullptr) {
          o = {Status::error, "libclamav: cannot map the object", {}};
        } else {
          const char* virname = nullptr;
          unsigned long scanned = 0;
          cl_scan_options options = raw ? c_->raw : c_->full;
          if (no_html) {
            options.parse &= ~static_cast<unsigned>(CL_SCAN_PARSE_HTML);
            options.general |= detail::kOutsideCleanCache;
          }
          const bool was_out = call.out_of_time;
          const cl_error_t rc =
              cl_scanmap_callback(map, nullptr, &virname, &scanned, c_->engine, &options, &call);
          cl_fmap_close(map);
          o = from_return_code(rc, virname);
          if (call.out_of_time && !was_out) {
            // Inner files were skipped as clean by the callback: say so unless something
            // worse was found before the budget ran out.
            const Outcome cut = limit_exceeded("MessageTime");
            raise(o, cut.status, cut.what);
            o.limits.add(cut.limits);
          }
          ++r.objects_scanned;
          r.bytes_scanned += obj.data.size();
          if (narrow && rc == CL_CLEAN && !call.out_of_time) c_->narrow_clean.add(key);
          if (o.status == Status::error)
            log::write(log::Level::error, "av", obj.path + ": " + o.what);
        }
        seen.emplace(std::move(key), o);
      }
    }
    add_tree_flags(obj, c_->settings, o);
    r.module.limits.add(o.limits);
    if (o.status == Status::clean) continue;
    raise(message, o.status, o.what);
    r.module.findings.push_back({obj.path, o.what, std::string(verdict::to_string(o.status))});
  }
  // What the tree left unread (too many parts, too deep) was not scanned either.
  const LimitSet tree_limits = tree.all_limits();
  if (const std::optional<Limit> l = first_limit(tree_limits)) {
    raise(message, Status::not_scanned, "Limits.Exceeded");
    r.module.limits.add(tree_limits);
    if (message.status == Status::not_scanned && r.module.findings.empty())
      r.module.findings.push_back(
          {"", "Limits.Exceeded." + std::string(to_string(*l)), "not_scanned"});
  }
  r.module.status = message.status;
  // The worst findings first, so that the verdict's reason names the worst and the cap never
  // hides an infection behind encrypted members; within a status, document order.
  std::stable_sort(r.module.findings.begin(), r.module.findings.end(),
                   [](const verdict::Finding& a, const verdict::Finding& b) {
                     const auto sa = verdict::status_from_string(a.detail);
                     const auto sb = verdict::status_from_string(b.detail);
                     return severity(sa.value_or(Status::clean)) >
                            severity(sb.value_or(Status::clean));
                   });
  if (r.module.findings.size() > kMaxFindings) {
    const std::size_t left_out = r.module.findings.size() - kMaxFindings;
    r.module.findings.resize(kMaxFindings);
    r.module.findings.push_back({"", "and " + std::to_string(left_out) + " more objects", ""});
  }
  return r;
}

}  // namespace ksmg::av

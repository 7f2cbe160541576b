// config.cpp — owns reading the TOML configuration (toml++) into policy::Config: every key known,
// typed and range-checked, every error pinned to file, line, column and key.
#include <toml++/toml.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <utility>

#include "ksmg/policy.hpp"

namespace ksmg::policy {

namespace {

using verdict::Action;
using verdict::Decision;
using verdict::Module;
using verdict::Status;

struct LimitKey {
  std::string_view name;
  std::size_t ScanLimits::*field;
  bool bytes;  // accepts "64M"-style sizes
};

constexpr std::array<LimitKey, 15> kLimitKeys{{
    {"max_message_bytes", &ScanLimits::max_message_bytes, true},
    {"max_header_line_bytes", &ScanLimits::max_header_line_bytes, true},
    {"max_header_fields", &ScanLimits::max_header_fields, false},
    {"max_total_header_fields", &ScanLimits::max_total_header_fields, false},
    {"max_content_params", &ScanLimits::max_content_params, false},
    {"max_mime_depth", &ScanLimits::max_mime_depth, false},
    {"max_parts", &ScanLimits::max_parts, false},
    {"max_decoded_bytes", &ScanLimits::max_decoded_bytes, true},
    {"max_archive_depth", &ScanLimits::max_archive_depth, false},
    {"max_archive_members", &ScanLimits::max_archive_members, false},
    {"max_unpacked_bytes", &ScanLimits::max_unpacked_bytes, true},
    {"max_member_bytes", &ScanLimits::max_member_bytes, true},
    {"max_compression_ratio", &ScanLimits::max_compression_ratio, false},
    {"compression_ratio_floor_bytes", &ScanLimits::compression_ratio_floor_bytes, true},
    {"max_unpack_cpu_ms", &ScanLimits::max_unpack_cpu_ms, false},
}};

constexpr std::array<std::pair<std::string_view, bool ModuleSwitches::*>, 5> kModuleKeys{{
    {"antivirus", &ModuleSwitches::antivirus},
    {"content_filter", &ModuleSwitches::content_filter},
    {"antispam", &ModuleSwitches::antispam},
    {"antiphishing", &ModuleSwitches::antiphishing},
    {"auth", &ModuleSwitches::auth},
}};

std::optional<Module> module_from_string(std::string_view s) noexcept {
  for (const Module m : verdict::kAllModules)
    if (verdict::to_string(m) == s) return m;
  return std::nullopt;
}

// Fails with a message about a node (its source position) or the file as a whole.
class Reader {
 public:
  Reader(std::string_view file, ConfigError& err) : file_(file), err_(err) {}

  // At a value (wrong type or range) or, for unknown names, at the key itself.
  bool fail(const toml::node* at, std::string key, std::string message) {
    return at != nullptr ? fail(at->source(), std::move(key), std::move(message))
                         : fail(toml::source_region{}, std::move(key), std::move(message));
  }
  bool fail(const toml::source_region& at, std::string key, std::string message) {
    err_.file = file_;
    err_.line = at.begin.line;
    err_.column = at.begin.column;
    err_.key = std::move(key);
    err_.message = std::move(message);
    return false;
  }

  bool read(const toml::table& root, Config& out) {
    for (const auto& [k, node] : root) {
      const std::string key(k.str());
      if (key == "limits") {
        if (!table_of(node, key) || !read_limits(*node.as_table(), out.limits)) return false;
      } else if (key == "modules") {
        if (!table_of(node, key) || !read_modules(*node.as_table(), out.modules)) return false;
      } else if (key == "actions") {
        if (!table_of(node, key) || !read_actions(*node.as_table(), out.actions)) return false;
      } else if (key == "dictionary") {
        if (!read_dictionaries(node, out)) return false;
      } else {
        return fail(k.source(), key,
                    "unknown section (expected limits, modules, actions or dictionary)");
      }
    }
    return true;
  }

 private:
  bool table_of(const toml::node& node, const std::string& key) {
    return node.is_table() || fail(&node, key, "expected a table");
  }

  // A positive integer, or for sizes a string such as "64M" (K, M, G: powers of 1024).
  bool size_value(const toml::node& node, const std::string& key, bool bytes, std::size_t& out) {
    if (const auto* i = node.as_integer()) {
      if (i->get() <= 0) return fail(&node, key, "expected a positive integer");
      out = static_cast<std::size_t>(i->get());
      return true;
    }
    if (const auto* s = node.as_string(); s != nullptr && bytes) {
      const std::string& text = s->get();
      std::size_t digits = 0;
      while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
      const std::string_view unit = std::string_view(text).substr(digits);
      const int shift = unit.empty()  ? 0
                        : unit == "K" ? 10
                        : unit == "M" ? 20
                        : unit == "G" ? 30
                                      : -1;
      if (digits == 0 || digits > 9 || shift < 0)
        return fail(&node, key, "expected a size such as 65536, \"64K\", \"64M\" or \"1G\"");
      out = static_cast<std::size_t>(std::stoull(text.substr(0, digits))) << shift;
      if (out == 0) return fail(&node, key, "expected a positive size");
      return true;
    }
    return fail(&node, key,
                bytes ? "expected a positive integer or a size such as \"64M\""
                      : "expected a positive integer");
  }

  bool read_limits(const toml::table& t, ScanLimits& limits) {
    for (const auto& [k, node] : t) {
      const std::string key = "limits." + std::string(k.str());
      const LimitKey* known = nullptr;
      for (const LimitKey& l : kLimitKeys)
        if (l.name == k.str()) known = &l;
      if (known == nullptr) return fail(k.source(), key, "unknown limit");
      if (!size_value(node, key, known->bytes, limits.*(known->field))) return false;
    }
    return true;
  }

  bool read_modules(const toml::table& t, ModuleSwitches& modules) {
    for (const auto& [k, node] : t) {
      const std::string key = "modules." + std::string(k.str());
      bool ModuleSwitches::*field = nullptr;
      for (const auto& [name, f] : kModuleKeys)
        if (name == k.str()) field = f;
      if (field == nullptr) return fail(k.source(), key, "unknown module");
      const auto* b = node.as_boolean();
      if (b == nullptr) return fail(&node, key, "expected true or false");
      modules.*field = b->get();
    }
    return true;
  }

  bool action_value(const toml::node& node, const std::string& key, Action& out) {
    const auto* s = node.as_string();
    const auto a = s != nullptr ? verdict::action_from_string(s->get()) : std::nullopt;
    if (!a)
      return fail(&node, key,
                  "unknown action" + (s != nullptr ? " '" + s->get() + "'" : std::string()) +
                      " (expected deliver, tempfail, discard or reject)");
    out = *a;
    return true;
  }

  bool flag_value(const toml::node& node, const std::string& key, bool& out) {
    const auto* b = node.as_boolean();
    if (b == nullptr) return fail(&node, key, "expected true or false");
    out = b->get();
    return true;
  }

  // "reject", or { action = "deliver", backup = true, warning = true, tag = "[SPAM]", ... }.
  bool decision_value(const toml::node& node, const std::string& key, Decision& out) {
    out = Decision{};
    if (node.is_string()) return action_value(node, key, out.action);
    const auto* t = node.as_table();
    if (t == nullptr) return fail(&node, key, "expected an action name or an inline table");
    bool has_action = false;
    for (const auto& [k, v] : *t) {
      const std::string sub = key + "." + std::string(k.str());
      const std::string_view name = k.str();
      bool ok = true;
      if (name == "action") {
        ok = action_value(v, sub, out.action);
        has_action = true;
      } else if (name == "backup") {
        ok = flag_value(v, sub, out.extras.backup);
      } else if (name == "warning") {
        ok = flag_value(v, sub, out.extras.add_warning);
      } else if (name == "remove_attachments") {
        ok = flag_value(v, sub, out.extras.remove_attachments);
      } else if (name == "notify_sender") {
        ok = flag_value(v, sub, out.extras.notify_sender);
      } else if (name == "notify_recipients") {
        ok = flag_value(v, sub, out.extras.notify_recipients);
      } else if (name == "notify_admin") {
        ok = flag_value(v, sub, out.extras.notify_admin);
      } else if (name == "tag") {
        const auto* s = v.as_string();
        ok = s != nullptr ? (out.extras.subject_tag = s->get(), true)
                          : fail(&v, sub, "expected a string");
      } else {
        ok = fail(k.source(), sub,
                  "unknown key (expected action, backup, warning, remove_attachments, "
                  "notify_sender, notify_recipients, notify_admin or tag)");
      }
      if (!ok) return false;
    }
    return has_action || fail(&node, key, "missing 'action'");
  }

  bool read_actions(const toml::table& t, verdict::ActionTable& table) {
    for (const auto& [k, node] : t) {
      const std::string key = "actions." + std::string(k.str());
      const auto module = module_from_string(k.str());
      if (!module) return fail(k.source(), key, "unknown module");
      if (!table_of(node, key)) return false;
      for (const auto& [sk, sv] : *node.as_table()) {
        const std::string skey = key + "." + std::string(sk.str());
        const auto status = verdict::status_from_string(sk.str());
        if (!status || !verdict::valid_status(*module, *status))
          return fail(sk.source(), skey, "not a status of " + std::string(k.str()));
        Decision d;
        if (!decision_value(sv, skey, d)) return false;
        table.set(*module, *status, std::move(d));
      }
    }
    return true;
  }

  bool read_dictionaries(const toml::node& node, Config& out) {
    const auto* arr = node.as_array();
    if (arr == nullptr || !arr->is_array_of_tables())
      return fail(&node, "dictionary", "expected [[dictionary]] tables");
    const std::filesystem::path base = std::filesystem::path(file_).parent_path();
    for (std::size_t i = 0; i < arr->size(); ++i) {
      const toml::table& t = *arr->get(i)->as_table();
      const std::string key = "dictionary[" + std::to_string(i) + "]";
      DictionaryRef ref;
      ref.line = t.source().begin.line;
      for (const auto& [k, v] : t) {
        const std::string sub = key + "." + std::string(k.str());
        const auto* s = v.as_string();
        if (k.str() != "name" && k.str() != "file")
          return fail(k.source(), sub, "unknown key (expected name or file)");
        if (s == nullptr || s->get().empty()) return fail(&v, sub, "expected a non-empty string");
        (k.str() == "name" ? ref.name : ref.file) = s->get();
      }
      if (ref.name.empty() || ref.file.empty())
        return fail(arr->get(i), key, "a dictionary needs a name and a file");
      for (const DictionaryRef& other : out.dictionaries)
        if (other.name == ref.name)
          return fail(arr->get(i), key + ".name", "dictionary '" + ref.name + "' defined twice");
      if (std::filesystem::path(ref.file).is_relative()) ref.file = (base / ref.file).string();
      out.dictionaries.push_back(std::move(ref));
    }
    return true;
  }

  std::string file_;
  ConfigError& err_;
};

}  // namespace

std::string ConfigError::to_string() const {
  std::string s = file.empty() ? std::string("<config>") : file;
  if (line != 0) s += ":" + std::to_string(line) + ":" + std::to_string(column);
  s += ": ";
  if (!key.empty()) s += key + ": ";
  return s + message;
}

bool ModuleSwitches::enabled(verdict::Module m) const noexcept {
  for (const auto& [name, field] : kModuleKeys)
    if (name == verdict::to_string(m)) return this->*field;
  return false;
}

bool parse_config(std::string_view text, std::string_view file_name, Config& out,
                  ConfigError& err) {
  Config cfg;
  cfg.file = std::string(file_name);
  Reader reader(file_name, err);
  try {
    const toml::table root = toml::parse(text, file_name);
    if (!reader.read(root, cfg)) return false;
  } catch (const toml::parse_error& e) {
    err.file = std::string(file_name);
    err.line = e.source().begin.line;
    err.column = e.source().begin.column;
    err.key.clear();
    err.message = std::string(e.description());
    return false;
  }
  out = std::move(cfg);
  return true;
}

bool load_config(const std::string& path, Config& out, ConfigError& err) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    err = ConfigError{path, 0, 0, "", "cannot read the file"};
    return false;
  }
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  return parse_config(text, path, out, err);
}

}  // namespace ksmg::policy

// config.cpp — owns reading the TOML configuration (toml++) into policy::Config: every key known,
// typed and range-checked, every error pinned to file, line, column and key.
#include <toml++/toml.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <utility>
#include <vector>

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

constexpr std::array<LimitKey, 24> kLimitKeys{{
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
    {"max_password_candidates", &ScanLimits::max_password_candidates, false},
    {"max_av_scan_bytes", &ScanLimits::max_av_scan_bytes, true},
    {"max_av_file_bytes", &ScanLimits::max_av_file_bytes, true},
    {"max_av_recursion", &ScanLimits::max_av_recursion, false},
    {"max_av_files", &ScanLimits::max_av_files, false},
    {"max_av_object_ms", &ScanLimits::max_av_object_ms, false},
    {"max_av_message_cpu_ms", &ScanLimits::max_av_message_cpu_ms, false},
    {"max_dns_lookups", &ScanLimits::max_dns_lookups, false},
    {"max_dns_ms", &ScanLimits::max_dns_ms, false},
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

// "a, b or c" of the names of every value, for error messages.
template <typename Range>
std::string name_list(const Range& values) {
  std::string out;
  const std::size_t n = std::size(values);
  std::size_t i = 0;
  for (const auto& v : values) {
    if (i != 0) out += i + 1 == n ? " or " : ", ";
    out += to_string(v);
    ++i;
  }
  return out;
}

// "a, b or c", for error messages.
std::string word_list(const std::vector<std::string_view>& words) {
  std::string out;
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (i != 0) out += i + 1 == words.size() ? " or " : ", ";
    out += words[i];
  }
  return out;
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
    err_ = {std::string(file_), at.begin.line, at.begin.column, std::move(key), std::move(message)};
    return false;
  }

  bool read(const toml::table& root, Config& out, CallerSections caller_sections) {
    // Every section the library reads, through one table: a table section's reader gets the
    // table; [dictionary] is an array of tables; [expression] and [condition] are read once every
    // other section is (they name dictionaries and expressions wherever those stand).
    struct Section {
      std::string_view name;
      bool (Reader::*read_table)(const toml::table&, Config&);  // the section is a table
      bool (Reader::*read_node)(const toml::node&, Config&);    // else: its reader checks it
    };
    static constexpr std::array<Section, 9> kSections{{
        {"limits", &Reader::read_limits, nullptr},
        {"modules", &Reader::read_modules, nullptr},
        {"actions", &Reader::read_actions, nullptr},
        {"organization", &Reader::read_organization, nullptr},
        {"cache", &Reader::read_cache, nullptr},
        {"antivirus", &Reader::read_antivirus, nullptr},
        {"dictionary", nullptr, &Reader::read_dictionaries},
        {"expression", nullptr, &Reader::read_after_the_rest},
        {"condition", nullptr, &Reader::read_after_the_rest},
    }};
    for (const auto& [k, node] : root) {
      const std::string key(k.str());
      const auto section = std::find_if(kSections.begin(), kSections.end(),
                                        [&](const Section& s) { return s.name == key; });
      bool ok = true;
      if (section == kSections.end()) {
        // A front-end's own section ([relay], [milter]): read by it, with the same strictness.
        if (std::find(caller_sections.begin(), caller_sections.end(), key) ==
            caller_sections.end()) {
          std::vector<std::string_view> names;
          for (const Section& s : kSections) names.push_back(s.name);
          names.insert(names.end(), caller_sections.begin(), caller_sections.end());
          return fail(k.source(), key, "unknown section (expected " + word_list(names) + ")");
        }
        ok = table_of(node, key);
      } else if (section->read_table != nullptr) {
        ok = table_of(node, key) && (this->*section->read_table)(*node.as_table(), out);
      } else {
        ok = (this->*section->read_node)(node, out);
      }
      if (!ok) return false;
    }
    if (const toml::node* e = root.get("expression"); e != nullptr && !read_expressions(*e, out))
      return false;
    if (const toml::node* c = root.get("condition"); c != nullptr && !read_conditions(*c, out))
      return false;
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
      const std::optional<std::size_t> size = parse_size(s->get());
      if (!size)
        return fail(&node, key, "expected a size such as 65536, \"64K\", \"64M\" or \"1G\"");
      if (*size == 0) return fail(&node, key, "expected a positive size");
      out = *size;
      return true;
    }
    return fail(&node, key,
                bytes ? "expected a positive integer or a size such as \"64M\""
                      : "expected a positive integer");
  }

  bool read_limits(const toml::table& t, Config& out) {
    ScanLimits& limits = out.limits;
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

  bool read_modules(const toml::table& t, Config& out) {
    ModuleSwitches& modules = out.modules;
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
      } else if (name == "quarantine") {
        ok = flag_value(v, sub, out.extras.quarantine);
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
                  "unknown key (expected action, backup, quarantine, warning, remove_attachments, "
                  "notify_sender, notify_recipients, notify_admin or tag)");
      }
      if (!ok) return false;
    }
    return has_action || fail(&node, key, "missing 'action'");
  }

  // [actions.<module>] status = decision; [actions.limits] limit = decision.
  bool read_actions(const toml::table& t, Config& out) {
    verdict::ActionTable& table = out.actions;
    for (const auto& [k, node] : t) {
      const std::string key = "actions." + std::string(k.str());
      if (k.str() == "limits") {
        if (!table_of(node, key) || !read_limit_actions(*node.as_table(), key, table)) return false;
        continue;
      }
      const auto module = module_from_string(k.str());
      if (!module) return fail(k.source(), key, "unknown module (or limits)");
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

  // What content a limit left unread means for the message, by the limit's name.
  bool read_limit_actions(const toml::table& t, const std::string& key,
                          verdict::ActionTable& table) {
    for (const auto& [k, node] : t) {
      const std::string lkey = key + "." + std::string(k.str());
      const std::optional<Limit> limit = limit_from_string(k.str());
      if (!limit)
        return fail(k.source(), lkey, "unknown limit (expected " + name_list(kAllLimits) + ")");
      Decision d;
      if (!decision_value(node, lkey, d)) return false;
      table.set(*limit, std::move(d));
    }
    return true;
  }

  // A non-empty string.
  bool string_value(const toml::node& node, const std::string& key, std::string& out) {
    const auto* s = node.as_string();
    if (s == nullptr || s->get().empty()) return fail(&node, key, "expected a non-empty string");
    out = s->get();
    return true;
  }

  // A list of non-empty strings (a single string is a list of one).
  bool string_list(const toml::node& node, const std::string& key, std::vector<std::string>& out,
                   bool may_be_empty = false) {
    out.clear();
    if (node.is_string()) {
      out.emplace_back();
      return string_value(node, key, out.back());
    }
    const auto* arr = node.as_array();
    if (arr == nullptr) return fail(&node, key, "expected a list of strings");
    for (std::size_t i = 0; i < arr->size(); ++i) {
      out.emplace_back();
      if (!string_value(*arr->get(i), key + "[" + std::to_string(i) + "]", out.back()))
        return false;
    }
    if (out.empty() && !may_be_empty) return fail(&node, key, "expected at least one value");
    return true;
  }

  // Names that expressions refer to: letters, digits, '_' and '-', not a keyword.
  bool name_value(const toml::node& node, const std::string& key, std::string& out) {
    if (!string_value(node, key, out)) return false;
    if (out.size() > 128) return fail(&node, key, "a name has at most 128 characters");
    for (const char c : out)
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '_' || c == '-'))
        return fail(&node, key, "a name has only letters, digits, '_' and '-'");
    if (out == "and" || out == "or" || out == "not")
      return fail(&node, key, "'" + out + "' is a keyword of expressions, not a name");
    return true;
  }

  bool array_of_tables(const toml::node& node, const std::string& key) {
    const auto* arr = node.as_array();
    return (arr != nullptr && arr->is_array_of_tables()) ||
           fail(&node, key, "expected [[" + key + "]] tables");
  }

  bool read_organization(const toml::table& t, Config& out) {
    for (const auto& [k, node] : t) {
      const std::string key = "organization." + std::string(k.str());
      if (k.str() != "domains") return fail(k.source(), key, "unknown key (expected domains)");
      if (!string_list(node, key, out.organization_domains, true)) return false;
      for (std::string& d : out.organization_domains) {
        for (char& c : d)
          if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        while (!d.empty() && d.back() == '.') d.pop_back();
        if (d.empty() || d.find_first_of(" @\t") != std::string::npos)
          return fail(&node, key, "expected domain names such as \"example.org\"");
      }
    }
    return true;
  }

  bool read_cache(const toml::table& t, Config& out) {
    for (const auto& [k, node] : t) {
      const std::string key = "cache." + std::string(k.str());
      if (k.str() != "dir") return fail(k.source(), key, "unknown key (expected dir)");
      const auto* s = node.as_string();
      if (s == nullptr) return fail(&node, key, "expected a string (\"\" for no cache)");
      out.cache_dir = relative_to_config(s->get());
    }
    return true;
  }

  bool read_antivirus(const toml::table& t, Config& out) {
    av::Settings& av = out.antivirus;
    for (const auto& [k, node] : t) {
      const std::string key = "antivirus." + std::string(k.str());
      const std::string_view name = k.str();
      if (name == "database_dir" || name == "temp_dir") {
        const auto* s = node.as_string();
        if (s == nullptr || (name == "database_dir" && s->get().empty()))
          return fail(&node, key, "expected a directory");
        (name == "database_dir" ? av.database_dir : av.temp_dir) = relative_to_config(s->get());
      } else if (name == "alert_macros") {
        if (!flag_value(node, key, av.alert_macros)) return false;
      } else if (name == "alert_broken_executables") {
        if (!flag_value(node, key, av.alert_broken_executables)) return false;
      } else if (name == "parse_body_html") {
        if (!flag_value(node, key, av.parse_body_html)) return false;
      } else if (name == "clean_cache") {
        if (!flag_value(node, key, av.clean_cache)) return false;
      } else if (name == "reload_check_seconds") {
        const auto* i = node.as_integer();
        if (i == nullptr || i->get() < 0 || i->get() > 86400)
          return fail(&node, key, "expected seconds from 0 (never) to 86400");
        av.reload_check_seconds = static_cast<std::uint32_t>(i->get());
      } else {
        return fail(k.source(), key,
                    "unknown key (expected database_dir, temp_dir, alert_macros, "
                    "alert_broken_executables, parse_body_html, clean_cache or "
                    "reload_check_seconds)");
      }
    }
    return true;
  }

  std::string relative_to_config(const std::string& path) const {
    if (path.empty() || std::filesystem::path(path).is_absolute()) return path;
    return (std::filesystem::path(file_).parent_path() / path).string();
  }

  // Dictionaries and expressions share one namespace: expressions name both.
  bool name_is_free(const toml::node& at, const std::string& key, const std::string& name,
                    const Config& cfg) {
    for (const DictionaryRef& d : cfg.dictionaries)
      if (d.name == name) return fail(&at, key, "'" + name + "' is already a dictionary");
    for (const match::NamedExpression& e : cfg.expressions)
      if (e.name == name) return fail(&at, key, "'" + name + "' is already an expression");
    return true;
  }

  bool read_after_the_rest(const toml::node& /*node*/, Config& /*out*/) { return true; }

  bool read_dictionaries(const toml::node& node, Config& out) {
    if (!array_of_tables(node, "dictionary")) return false;
    const auto& arr = *node.as_array();
    for (std::size_t i = 0; i < arr.size(); ++i) {
      const toml::table& t = *arr.get(i)->as_table();
      const std::string key = "dictionary[" + std::to_string(i) + "]";
      DictionaryRef ref;
      ref.line = t.source().begin.line;
      for (const auto& [k, v] : t) {
        const std::string sub = key + "." + std::string(k.str());
        bool ok = true;
        if (k.str() == "name") {
          ok = name_value(v, sub, ref.name) && name_is_free(v, sub, ref.name, out);
        } else if (k.str() == "file") {
          ok = string_value(v, sub, ref.file);
          ref.line = v.source().begin.line;  // a file that cannot be read is reported here
        } else if (k.str() == "where") {
          std::vector<std::string> places;
          ok = string_list(v, sub, places);
          ref.places = match::PlaceSet{};
          for (std::size_t p = 0; ok && p < places.size(); ++p) {
            const auto place = match::place_from_string(places[p]);
            if (!place)
              ok = fail(&v, sub,
                        "unknown place '" + places[p] + "' (expected " +
                            name_list(match::kAllPlaces) + ")");
            else
              ref.places.add(*place);
          }
        } else {
          ok = fail(k.source(), sub, "unknown key (expected name, file or where)");
        }
        if (!ok) return false;
      }
      if (ref.name.empty() || ref.file.empty())
        return fail(arr.get(i), key, "a dictionary needs a name and a file");
      ref.file = relative_to_config(ref.file);
      out.dictionaries.push_back(std::move(ref));
    }
    return true;
  }

  std::vector<std::string> dictionary_names(const Config& cfg) const {
    std::vector<std::string> names;
    for (const DictionaryRef& d : cfg.dictionaries) names.push_back(d.name);
    return names;
  }

  std::vector<std::string> expression_names(const Config& cfg) const {
    std::vector<std::string> names;
    for (const match::NamedExpression& e : cfg.expressions) names.push_back(e.name);
    return names;
  }

  // An expression's text, checked against the names defined so far; an error points at the
  // column inside the string (the opening quote is at the node's column).
  bool expression_value(const toml::node& node, const std::string& key, const Config& cfg,
                        std::string& out) {
    if (!string_value(node, key, out)) return false;
    match::RulesError e;
    if (match::check_expression(out, dictionary_names(cfg), expression_names(cfg), e)) return true;
    toml::source_region at = node.source();
    at.begin.column += static_cast<toml::source_index>(e.column);
    return fail(at, key, e.message);
  }

  bool read_expressions(const toml::node& node, Config& out) {
    if (!array_of_tables(node, "expression")) return false;
    const auto& arr = *node.as_array();
    for (std::size_t i = 0; i < arr.size(); ++i) {
      const toml::table& t = *arr.get(i)->as_table();
      const std::string key = "expression[" + std::to_string(i) + "]";
      match::NamedExpression e;
      e.line = t.source().begin.line;
      // The name first, whatever the order in the file, so errors in 'match' can name it.
      for (const auto& [k, v] : t)
        if (k.str() != "name" && k.str() != "match")
          return fail(k.source(), key + "." + std::string(k.str()),
                      "unknown key (expected name or match)");
      const toml::node* name = t.get("name");
      const toml::node* text = t.get("match");
      if (name == nullptr || text == nullptr)
        return fail(arr.get(i), key, "an expression needs a name and a match");
      if (!name_value(*name, key + ".name", e.name) ||
          !name_is_free(*name, key + ".name", e.name, out) ||
          !expression_value(*text, key + ".match", out, e.text))
        return false;
      out.expressions.push_back(std::move(e));
    }
    return true;
  }

  bool size_or_count(const toml::node& node, const std::string& key, bool bytes,
                     std::uint64_t& out) {
    if (const auto* i = node.as_integer(); i != nullptr && i->get() == 0) {
      out = 0;
      return true;
    }
    std::size_t v = 0;
    if (!size_value(node, key, bytes, v)) return false;
    out = v;
    return true;
  }

  bool read_object_filter(const toml::node& node, const std::string& key, match::ObjectFilter& f) {
    const auto* t = node.as_table();
    if (t == nullptr)
      return fail(&node, key, "expected an inline table such as { min_size = \"20M\" }");
    for (const auto& [k, v] : *t) {
      const std::string sub = key + "." + std::string(k.str());
      const std::string_view name = k.str();
      bool ok = true;
      std::uint64_t n = 0;
      if (name == "names") {
        ok = string_list(v, sub, f.names);
      } else if (name == "declared_types") {
        ok = string_list(v, sub, f.declared_types);
      } else if (name == "true_types") {
        ok = string_list(v, sub, f.true_types);
      } else if (name == "categories") {
        std::vector<std::string> list;
        ok = string_list(v, sub, list);
        for (std::size_t i = 0; ok && i < list.size(); ++i) {
          const auto c = filetype::category_from_string(list[i]);
          if (!c)
            ok = fail(&v, sub,
                      "unknown category '" + list[i] + "' (expected " +
                          name_list(filetype::kAllCategories) + ")");
          else
            f.categories.push_back(*c);
        }
      } else if (name == "flags") {
        std::vector<std::string> list;
        ok = string_list(v, sub, list);
        for (std::size_t i = 0; ok && i < list.size(); ++i) {
          const auto fl = objects::flag_from_string(list[i]);
          if (!fl)
            ok = fail(
                &v, sub,
                "unknown flag '" + list[i] + "' (expected " + name_list(objects::kAllFlags) + ")");
          else
            f.flags.add(*fl);
        }
      } else if (name == "min_size") {
        ok = size_or_count(v, sub, true, f.min_size);
      } else if (name == "max_size") {
        ok = size_or_count(v, sub, true, f.max_size);
      } else if (name == "min_depth" || name == "max_depth") {
        ok = size_or_count(v, sub, false, n);
        if (ok && n > 1000) ok = fail(&v, sub, "expected a depth of at most 1000");
        (name == "min_depth" ? f.min_depth : f.max_depth) = static_cast<std::uint32_t>(n);
      } else {
        ok = fail(k.source(), sub,
                  "unknown key (expected names, declared_types, true_types, categories, flags, "
                  "min_size, max_size, min_depth or max_depth)");
      }
      if (!ok) return false;
    }
    if (f.min_size > f.max_size) return fail(&node, key, "min_size is above max_size");
    if (f.min_depth > f.max_depth) return fail(&node, key, "min_depth is above max_depth");
    return true;
  }

  bool read_conditions(const toml::node& node, Config& out) {
    if (!array_of_tables(node, "condition")) return false;
    const auto& arr = *node.as_array();
    for (std::size_t i = 0; i < arr.size(); ++i) {
      const toml::table& t = *arr.get(i)->as_table();
      const std::string key = "condition[" + std::to_string(i) + "]";
      match::Condition c;
      c.line = t.source().begin.line;
      for (const auto& [k, v] : t) {
        const std::string sub = key + "." + std::string(k.str());
        const std::string_view name = k.str();
        bool ok = true;
        if (name == "name") {
          ok = name_value(v, sub, c.name);
          for (const match::Condition& other : out.conditions)
            if (ok && other.name == c.name)
              ok = fail(&v, sub, "condition '" + c.name + "' defined twice");
        } else if (name == "expression") {
          ok = expression_value(v, sub, out, c.expression);
        } else if (name == "object") {
          c.object.emplace();
          ok = read_object_filter(v, sub, *c.object);
        } else if (name == "from_outside") {
          ok = flag_value(v, sub, c.from_outside);
        } else if (name == "action") {
          c.decision.emplace();
          ok = decision_value(v, sub, *c.decision);
        } else {
          ok = fail(k.source(), sub,
                    "unknown key (expected name, expression, object, from_outside or action)");
        }
        if (!ok) return false;
      }
      if (c.name.empty()) return fail(arr.get(i), key, "a condition needs a name");
      if (c.expression.empty() && !c.object && !c.from_outside)
        return fail(arr.get(i), key,
                    "condition '" + c.name +
                        "' tests nothing (give it an expression, an object or from_outside)");
      out.conditions.push_back(std::move(c));
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

std::optional<std::size_t> parse_size(std::string_view text) noexcept {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  const std::string_view unit = text.substr(digits);
  const int shift = unit.empty() ? 0 : unit == "K" ? 10 : unit == "M" ? 20 : unit == "G" ? 30 : -1;
  // Nine digits and a G stay far below 2^64.
  if (digits == 0 || digits > 9 || shift < 0) return std::nullopt;
  std::size_t value = 0;
  for (const char c : text.substr(0, digits))
    value = value * 10 + static_cast<std::size_t>(c - '0');
  return value << shift;
}

bool parse_config(std::string_view text, std::string_view file_name, Config& out, ConfigError& err,
                  CallerSections caller_sections) {
  Config cfg;
  cfg.file = std::string(file_name);
  Reader reader(file_name, err);
  try {
    const toml::table root = toml::parse(text, file_name);
    if (!reader.read(root, cfg, caller_sections)) return false;
  } catch (const toml::parse_error& e) {
    err = {std::string(file_name), e.source().begin.line, e.source().begin.column, "",
           std::string(e.description())};
    return false;
  }
  out = std::move(cfg);
  return true;
}

bool load_config(const std::string& path, Config& out, ConfigError& err,
                 CallerSections caller_sections) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    err = ConfigError{path, 0, 0, "", "cannot read the file"};
    return false;
  }
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  return parse_config(text, path, out, err, caller_sections);
}

}  // namespace ksmg::policy

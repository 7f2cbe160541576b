// test_policy.cpp — the TOML configuration: the shipped example parses to exactly the built-in
// defaults (so it cannot rot), sizes and decisions are read, and every kind of mistake is an
// error that names the line and the key.
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "ksmg/engine.hpp"
#include "ksmg/policy.hpp"

namespace {

using ksmg::policy::Config;
using ksmg::policy::ConfigError;
using ksmg::policy::load_config;
using ksmg::policy::parse_config;
using ksmg::verdict::Action;
using ksmg::verdict::Module;
using ksmg::verdict::Status;

ConfigError error_of(std::string_view text) {
  Config c;
  ConfigError e;
  EXPECT_FALSE(parse_config(text, "t.toml", c, e)) << text;
  return e;
}

// The example file also documents the front-ends' sections, which the caller names.
constexpr std::array<std::string_view, 2> kServerSections{"relay", "milter"};

TEST(Policy, ExampleFileIsTheDefaults) {
  Config c;
  ConfigError e;
  ASSERT_TRUE(
      load_config(std::string(KSMG_SOURCE_DIR) + "/examples/ksmg.toml", c, e, kServerSections))
      << e.to_string();
  const ksmg::ScanLimits d;
  EXPECT_EQ(c.limits.max_message_bytes, d.max_message_bytes);
  EXPECT_EQ(c.limits.max_unpacked_bytes, d.max_unpacked_bytes);
  EXPECT_EQ(c.limits.max_compression_ratio, d.max_compression_ratio);
  EXPECT_EQ(c.limits.compression_ratio_floor_bytes, d.compression_ratio_floor_bytes);
  EXPECT_EQ(c.limits.max_unpack_cpu_ms, d.max_unpack_cpu_ms);
  EXPECT_EQ(c.limits.max_av_scan_bytes, d.max_av_scan_bytes);
  EXPECT_EQ(c.limits.max_av_file_bytes, d.max_av_file_bytes);
  EXPECT_EQ(c.limits.max_av_recursion, d.max_av_recursion);
  EXPECT_EQ(c.limits.max_av_files, d.max_av_files);
  EXPECT_EQ(c.limits.max_av_object_ms, d.max_av_object_ms);
  EXPECT_EQ(c.limits.max_av_message_cpu_ms, d.max_av_message_cpu_ms);
  EXPECT_EQ(c.limits.max_dns_lookups, d.max_dns_lookups);
  EXPECT_EQ(c.limits.max_dns_ms, d.max_dns_ms);
  EXPECT_TRUE(c.antivirus == ksmg::av::Settings{});
  const auto defaults = ksmg::verdict::ActionTable::defaults();
  for (Module m : ksmg::verdict::kAllModules) {
    EXPECT_TRUE(c.modules.enabled(m));
    for (int i = 0; i <= static_cast<int>(Status::fail); ++i) {
      const auto s = static_cast<Status>(i);
      EXPECT_EQ(c.actions.get(m, s).action, defaults.get(m, s).action)
          << to_string(m) << "." << to_string(s);
      EXPECT_EQ(c.actions.get(m, s).extras.subject_tag, defaults.get(m, s).extras.subject_tag);
      EXPECT_EQ(c.actions.get(m, s).extras.backup, defaults.get(m, s).extras.backup);
    }
  }
  for (const ksmg::Limit l : ksmg::kAllLimits) {
    const auto& got = c.actions.get(l);
    const auto& want = defaults.get(l);
    ASSERT_TRUE(got.has_value() && want.has_value()) << to_string(l);
    EXPECT_EQ(got->action, want->action) << to_string(l);
    EXPECT_EQ(got->extras.backup, want->extras.backup) << to_string(l);
    EXPECT_EQ(got->extras.quarantine, want->extras.quarantine) << to_string(l);
  }
}

TEST(Policy, LimitActionsAreReadByName) {
  Config c;
  ConfigError e;
  ASSERT_TRUE(parse_config(R"(
[actions.limits]
header_fields = "deliver"
archive_members = { action = "reject", notify_admin = true }
dns_time = "tempfail"
)",
                           "t.toml", c, e))
      << e.to_string();
  EXPECT_EQ(c.actions.get(ksmg::Limit::header_fields)->action, Action::deliver);
  EXPECT_EQ(c.actions.get(ksmg::Limit::archive_members)->action, Action::reject);
  EXPECT_TRUE(c.actions.get(ksmg::Limit::archive_members)->extras.notify_admin);
  EXPECT_EQ(c.actions.get(ksmg::Limit::dns_time)->action, Action::tempfail);
  // Untouched limits keep their defaults.
  EXPECT_EQ(c.actions.get(ksmg::Limit::content_params)->action, Action::reject);

  EXPECT_FALSE(parse_config("[actions.limits]\nheader_count = \"reject\"\n", "t.toml", c, e));
  EXPECT_EQ(e.key, "actions.limits.header_count");
  EXPECT_NE(e.message.find("unknown limit"), std::string::npos) << e.message;
}

TEST(Policy, ValuesAreRead) {
  Config c;
  ConfigError e;
  ASSERT_TRUE(parse_config(R"(
[limits]
max_member_bytes = "8M"
max_archive_depth = 3
max_dns_lookups = 30
max_dns_ms = 5000
[modules]
antispam = false
[actions.antivirus]
encrypted = { action = "discard", notify_admin = true }
infected = "tempfail"
[actions.antispam]
spam = { action = "deliver", quarantine = true }
[[dictionary]]
name = "secret"
file = "dict/secret.txt"
)",
                           "/etc/ksmg/ksmg.toml", c, e))
      << e.to_string();
  EXPECT_EQ(c.limits.max_member_bytes, 8u << 20);
  EXPECT_EQ(c.limits.max_archive_depth, 3u);
  EXPECT_EQ(c.limits.max_dns_lookups, 30u);
  EXPECT_EQ(c.limits.max_dns_ms, 5000u);
  EXPECT_FALSE(c.modules.enabled(Module::antispam));
  EXPECT_TRUE(c.modules.enabled(Module::antivirus));
  EXPECT_EQ(c.actions.get(Module::antivirus, Status::encrypted).action, Action::discard);
  EXPECT_TRUE(c.actions.get(Module::antivirus, Status::encrypted).extras.notify_admin);
  EXPECT_EQ(c.actions.get(Module::antivirus, Status::infected).action, Action::tempfail);
  EXPECT_TRUE(c.actions.get(Module::antispam, Status::spam).extras.quarantine);
  EXPECT_FALSE(c.actions.get(Module::antispam, Status::spam).extras.backup);
  ASSERT_EQ(c.dictionaries.size(), 1u);
  EXPECT_EQ(c.dictionaries[0].name, "secret");
  EXPECT_EQ(c.dictionaries[0].file, "/etc/ksmg/dict/secret.txt");
  EXPECT_EQ(c.dictionaries[0].line, 16u);  // its file key (the raw string starts with a line break)
}

TEST(Policy, MistakesNameLineAndKey) {
  ConfigError e = error_of("[limits]\nmax_member_byte = 5\n");
  EXPECT_EQ(e.line, 2u);
  EXPECT_EQ(e.key, "limits.max_member_byte");
  EXPECT_EQ(e.to_string(), "t.toml:2:1: limits.max_member_byte: unknown limit");

  e = error_of("[limits]\nmax_parts = -1\n");
  EXPECT_EQ(e.key, "limits.max_parts");
  EXPECT_EQ(e.line, 2u);

  e = error_of("[limits]\nmax_member_bytes = \"64X\"\n");
  EXPECT_EQ(e.key, "limits.max_member_bytes");

  e = error_of("[limits]\nmax_parts = \"64M\"\n");  // counts are not sizes
  EXPECT_EQ(e.key, "limits.max_parts");

  e = error_of("\n\n[actions.antivirus]\ninfected = \"rejct\"\n");
  EXPECT_EQ(e.line, 4u);
  EXPECT_EQ(e.key, "actions.antivirus.infected");
  EXPECT_NE(e.message.find("'rejct'"), std::string::npos);

  e = error_of("[actions.antivirus]\nspam = \"reject\"\n");  // not an AV status
  EXPECT_EQ(e.key, "actions.antivirus.spam");

  e = error_of("[actions.antispam]\nspam = { tag = \"[S]\" }\n");
  EXPECT_EQ(e.key, "actions.antispam.spam");
  EXPECT_NE(e.message.find("missing 'action'"), std::string::npos);

  e = error_of("[actions.antispam]\nspam = { action = \"deliver\", backup = \"yes\" }\n");
  EXPECT_EQ(e.key, "actions.antispam.spam.backup");

  e = error_of("[modules]\nantivirus = 1\n");
  EXPECT_EQ(e.key, "modules.antivirus");

  e = error_of("[antispam_rules]\n");  // no such section
  EXPECT_EQ(e.key, "antispam_rules");

  e = error_of("[antivirus]\ndatabase = \"/var/lib/clamav\"\n");
  EXPECT_EQ(e.key, "antivirus.database");

  e = error_of("[[dictionary]]\nname = \"a\"\n");
  EXPECT_EQ(e.key, "dictionary[0]");

  e = error_of(
      "[[dictionary]]\nname = \"a\"\nfile = \"x\"\n[[dictionary]]\nname = \"a\"\nfile = \"y\"\n");
  EXPECT_EQ(e.key, "dictionary[1].name");

  // TOML syntax errors come from the parser, with their position.
  e = error_of("[limits\nmax_parts = 3\n");
  EXPECT_EQ(e.line, 1u);
  EXPECT_FALSE(e.message.empty());
}

TEST(Policy, ContentFilterRulesAreRead) {
  Config c;
  ConfigError e;
  ASSERT_TRUE(parse_config(R"(
[organization]
domains = ["Example.ORG.", "corp.example"]
[cache]
dir = "cache"
[[dictionary]]
name = "secret"
file = "d/secret.dict"
where = ["subject", "attachment_names"]
[[dictionary]]
name = "cards"
file = "/abs/cards.dict"
[[expression]]
name = "leak"
match = "secret.count >= 2 or cards"
[[condition]]
name = "big-exe"
expression = "not leak"
object = { names = ["*.exe"], categories = ["executable", "script"], flags = ["macros"], min_size = "20M", max_depth = 0, true_types = "application/*" }
from_outside = true
action = { action = "discard", notify_admin = true }
)",
                           "/etc/ksmg/ksmg.toml", c, e))
      << e.to_string();
  EXPECT_EQ(c.organization_domains, (std::vector<std::string>{"example.org", "corp.example"}));
  EXPECT_EQ(c.cache_dir, "/etc/ksmg/cache");
  ASSERT_EQ(c.dictionaries.size(), 2u);
  EXPECT_EQ(c.dictionaries[0].file, "/etc/ksmg/d/secret.dict");
  EXPECT_TRUE(c.dictionaries[0].places.has(ksmg::match::Place::subject));
  EXPECT_TRUE(c.dictionaries[0].places.has(ksmg::match::Place::attachment_names));
  EXPECT_FALSE(c.dictionaries[0].places.has(ksmg::match::Place::body));
  EXPECT_EQ(c.dictionaries[1].places, ksmg::match::PlaceSet::by_default());
  EXPECT_FALSE(c.dictionaries[1].places.has(ksmg::match::Place::headers));
  EXPECT_EQ(c.dictionaries[1].file, "/abs/cards.dict");
  ASSERT_EQ(c.expressions.size(), 1u);
  EXPECT_EQ(c.expressions[0].text, "secret.count >= 2 or cards");
  ASSERT_EQ(c.conditions.size(), 1u);
  const auto& cond = c.conditions[0];
  EXPECT_EQ(cond.name, "big-exe");
  EXPECT_EQ(cond.line, 16u);
  EXPECT_TRUE(cond.from_outside);
  ASSERT_TRUE(cond.object);
  EXPECT_EQ(cond.object->names, std::vector<std::string>{"*.exe"});
  EXPECT_EQ(cond.object->true_types, std::vector<std::string>{"application/*"});
  EXPECT_EQ(cond.object->categories.size(), 2u);
  EXPECT_TRUE(cond.object->flags.has(ksmg::objects::Flag::macros));
  EXPECT_EQ(cond.object->min_size, 20u << 20);
  EXPECT_EQ(cond.object->max_depth, 0u);
  ASSERT_TRUE(cond.decision);
  EXPECT_EQ(cond.decision->action, Action::discard);
  EXPECT_TRUE(cond.decision->extras.notify_admin);
}

TEST(Policy, ContentFilterMistakesNameLineAndKey) {
  const std::string dicts = "[[dictionary]]\nname = \"secret\"\nfile = \"s\"\n";  // lines 1-3
  ConfigError e = error_of(dicts + "[[condition]]\nname = \"c\"\nobjekt = { min_size = 1 }\n");
  EXPECT_EQ(e.line, 6u);
  EXPECT_EQ(e.key, "condition[0].objekt");
  EXPECT_NE(e.message.find("unknown key"), std::string::npos);

  // An expression error points into the string: column of the quote + column in the text.
  e = error_of(dicts + "[[condition]]\nname = \"c\"\nexpression = \"secret.count >= x\"\n");
  EXPECT_EQ(e.line, 6u);
  EXPECT_EQ(e.key, "condition[0].expression");
  EXPECT_EQ(e.column, 14u + 17u);
  EXPECT_NE(e.message.find("number"), std::string::npos) << e.message;

  e = error_of(dicts + "[[expression]]\nname = \"x\"\nmatch = \"secret and sekret\"\n");
  EXPECT_EQ(e.key, "expression[0].match");
  EXPECT_NE(e.message.find("'sekret'"), std::string::npos) << e.message;

  // Expressions see only what is defined before them.
  e = error_of(dicts +
               "[[expression]]\nname = \"a\"\nmatch = \"b\"\n[[expression]]\nname = \"b\"\n"
               "match = \"secret\"\n");
  EXPECT_EQ(e.key, "expression[0].match");

  e = error_of(dicts + "[[condition]]\nname = \"c\"\nobject = { categories = [\"exe\"] }\n");
  EXPECT_EQ(e.key, "condition[0].object.categories");
  EXPECT_NE(e.message.find("'exe'"), std::string::npos);
  EXPECT_NE(e.message.find("executable"), std::string::npos);

  e = error_of(dicts + "[[condition]]\nname = \"c\"\nobject = { flags = [\"macro\"] }\n");
  EXPECT_EQ(e.key, "condition[0].object.flags");

  e = error_of(dicts +
               "[[condition]]\nname = \"c\"\nobject = { min_size = \"2M\", max_size = "
               "\"1M\" }\n");
  EXPECT_EQ(e.key, "condition[0].object");

  e = error_of(dicts + "[[condition]]\nname = \"c\"\n");
  EXPECT_EQ(e.key, "condition[0]");
  EXPECT_NE(e.message.find("tests nothing"), std::string::npos);

  e = error_of(dicts + "[[condition]]\nname = \"c\"\nfrom_outside = true\naction = \"rejekt\"\n");
  EXPECT_EQ(e.key, "condition[0].action");

  e = error_of("[[dictionary]]\nname = \"not\"\nfile = \"s\"\n");
  EXPECT_EQ(e.key, "dictionary[0].name");
  e = error_of("[[dictionary]]\nname = \"a b\"\nfile = \"s\"\n");
  EXPECT_EQ(e.key, "dictionary[0].name");
  e = error_of(dicts + "[[expression]]\nname = \"secret\"\nmatch = \"secret\"\n");
  EXPECT_EQ(e.key, "expression[0].name");
  e = error_of("[[dictionary]]\nname = \"a\"\nfile = \"s\"\nwhere = [\"attachments\"]\n");
  EXPECT_EQ(e.key, "dictionary[0].where");
  EXPECT_NE(e.message.find("attachment_names"), std::string::npos);
  e = error_of("[organization]\ndomains = [\"a b\"]\n");
  EXPECT_EQ(e.key, "organization.domains");
  e = error_of("[cache]\ndirectory = \"x\"\n");
  EXPECT_EQ(e.key, "cache.directory");
}

TEST(Policy, UnreadableFile) {
  Config c;
  ConfigError e;
  EXPECT_FALSE(load_config("/nonexistent/ksmg.toml", c, e));
  EXPECT_EQ(e.to_string(), "/nonexistent/ksmg.toml: cannot read the file");
}

}  // namespace

TEST(Policy, SectionsOfTheCallerAreTablesItReads) {
  Config c;
  ConfigError e;
  const std::string text = "[relay]\nmax_recipients = 5\n";
  // Unknown to the library unless the caller says it reads the section itself.
  EXPECT_FALSE(parse_config(text, "t.toml", c, e));
  EXPECT_EQ(e.key, "relay");
  EXPECT_NE(e.message.find("unknown section"), std::string::npos) << e.message;
  EXPECT_TRUE(parse_config(text, "t.toml", c, e, kServerSections)) << e.to_string();
  // Still required to be a table.
  EXPECT_FALSE(parse_config("relay = 1\n", "t.toml", c, e, kServerSections));
  EXPECT_EQ(e.message, "expected a table");
  // The error lists every section the library reads and the caller's.
  EXPECT_FALSE(parse_config("[relai]\n", "t.toml", c, e, kServerSections));
  EXPECT_NE(e.message.find("limits, modules, actions"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("relay or milter)"), std::string::npos) << e.message;
}

TEST(Policy, AnEngineLoadsAFileSharedWithTheServersWhenToldTheirSections) {
  const std::filesystem::path file = std::filesystem::temp_directory_path() /
                                     ("ksmg-shared-" + std::to_string(::getpid()) + ".toml");
  std::ofstream(file) << "[modules]\nantivirus = false\n[relay]\nmax_recipients = 5\n";
  ConfigError e;
  EXPECT_EQ(ksmg::Engine::load(file.string(), e), nullptr);
  EXPECT_EQ(e.key, "relay");
  const auto engine = ksmg::Engine::load(file.string(), e, kServerSections);
  EXPECT_NE(engine, nullptr) << e.to_string();
  ksmg::EngineHolder holder(engine);
  EXPECT_FALSE(holder.reload(file.string(), e));
  EXPECT_TRUE(holder.reload(file.string(), e, kServerSections)) << e.to_string();
  std::filesystem::remove(file);
}

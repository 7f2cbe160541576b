// test_content_filter.cpp — the content filter through the public Engine/Scanner API: words
// planted so that only decoding shows them (tests/data/content), the places dictionaries look
// in, every kind of condition (names, sizes, true types, categories with depth, flags, senders,
// expressions with thresholds, per-condition actions), precise configuration errors, and
// EngineHolder reloads (a broken configuration never replaces a working one, also while other
// threads scan).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "ksmg/content_filter.hpp"
#include "ksmg/engine.hpp"
#include "ksmg/policy.hpp"
#include "ksmg/verdict.hpp"
#include "test_data.hpp"
#include "test_mail.hpp"

namespace {

namespace fs = std::filesystem;
using ksmg::Engine;
using ksmg::EngineHolder;
using ksmg::Envelope;
using ksmg::Scanner;
using ksmg::ScanReport;
using ksmg::policy::Config;
using ksmg::policy::ConfigError;
using ksmg::test::base64;
using ksmg::test::data_dir;
using ksmg::test::read_file;
using ksmg::test::zip_of;
using ksmg::verdict::Action;
using ksmg::verdict::Finding;
using ksmg::verdict::Module;
using ksmg::verdict::ModuleResult;
using ksmg::verdict::Status;

const fs::path& content_dir() {
  static const fs::path dir = data_dir() / "content";
  return dir;
}

// The dictionaries of tests/data/content, paths relative to the configuration's folder.
constexpr std::string_view kDictionaries = R"(
[organization]
domains = ["example.org"]

[[dictionary]]
name = "confidential"
file = "dictionaries/confidential.dict"
where = ["subject", "headers", "body", "attachment_names", "attachment_text"]

[[dictionary]]
name = "public"
file = "dictionaries/public.dict"

[[dictionary]]
name = "cards"
file = "dictionaries/cards.dict"

[[dictionary]]
name = "partial"
file = "dictionaries/partial.dict"
)";

// Parses `toml` as if it were tests/data/content/test.toml and compiles it; err says why not.
std::shared_ptr<const Engine> try_engine(const std::string& toml, ConfigError& err) {
  Config c;
  if (!ksmg::policy::parse_config(toml, (content_dir() / "test.toml").string(), c, err))
    return nullptr;
  c.modules.antivirus = false;  // the content filter alone (test_antivirus.cpp has the rest)
  return Engine::compile(std::move(c), err);
}

std::shared_ptr<const Engine> engine(const std::string& toml) {
  ConfigError err;
  auto e = try_engine(toml, err);
  EXPECT_NE(e, nullptr) << err.to_string() << "\n" << toml;
  return e;
}

// The first error the configuration gives (parse or compile); fails the test when it has none.
ConfigError error_of(const std::string& toml) {
  ConfigError err;
  EXPECT_EQ(try_engine(toml, err), nullptr) << toml;
  return err;
}

std::string message(const std::string& name) {
  std::string raw = read_file(content_dir() / "messages" / name);
  EXPECT_FALSE(raw.empty()) << name;
  return raw;
}

const ModuleResult* content_result(const ScanReport& r) {
  for (const ModuleResult& m : r.verdict.modules)
    if (m.module == Module::content_filter) return &m;
  return nullptr;
}

// The content filter's result; an empty "clean" one when it did not run (the test then fails
// on what it expects).
ModuleResult cf(const ScanReport& r) {
  const ModuleResult* m = content_result(r);
  EXPECT_NE(m, nullptr) << "the content filter did not run";
  if (m == nullptr) {
    ModuleResult empty;
    empty.module = Module::content_filter;
    empty.status = Status::clean;
    return empty;
  }
  return *m;
}

const Finding* find_what(const ModuleResult& m, std::string_view what) {
  for (const Finding& f : m.findings)
    if (f.what == what) return &f;
  return nullptr;
}

bool fired(const ModuleResult& m, std::string_view condition) {
  return find_what(m, condition) != nullptr;
}

const Finding* entry(const ModuleResult& m, std::string_view dict, std::string_view pattern) {
  return find_what(m, "dictionary " + std::string(dict) + ": " + std::string(pattern));
}

bool has_dictionary(const ModuleResult& m, std::string_view dict) {
  const std::string prefix = "dictionary " + std::string(dict) + ": ";
  return std::any_of(m.findings.begin(), m.findings.end(),
                     [&](const Finding& f) { return f.what.starts_with(prefix); });
}

std::string describe(const ModuleResult& m) {
  std::string s = std::string(ksmg::verdict::to_string(m.status)) + ":";
  for (const Finding& f : m.findings) s += "\n  [" + f.where + "] " + f.what + " | " + f.detail;
  return s;
}

bool contains(std::string_view hay, std::string_view needle) {
  return hay.find(needle) != std::string_view::npos;
}

// ---------------------------------------------------------------------------------------------
// Building messages with attachments.

// A message from outside with a short text body and one base64 attachment.
std::string mail_with_attachment(const std::string& name, const std::string& type,
                                 const std::string& bytes) {
  return "From: Mallory <mallory@elsewhere.test>\r\nTo: bob@example.org\r\n"
         "Subject: files\r\nMIME-Version: 1.0\r\n"
         "Content-Type: multipart/mixed; boundary=\"b0\"\r\n\r\n"
         "--b0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nsee attached\r\n"
         "--b0\r\nContent-Type: " +
         type + "; name=\"" + name + "\"\r\nContent-Disposition: attachment; filename=\"" + name +
         "\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" + base64(bytes) + "--b0--\r\n";
}

Envelope sent_by(std::string sender) {
  Envelope e;
  e.sender = std::move(sender);
  return e;
}

std::string clam(const std::string& file) {
  std::string bytes = read_file(data_dir() / "av" / "clamav-testfiles" / file);
  EXPECT_FALSE(bytes.empty()) << file;
  return bytes;
}

// ---------------------------------------------------------------------------------------------
// Decoding: every planted word is found, in the place it was planted.

TEST(ContentFilter, WordsAreFoundOnlyAfterDecodingInTheirPlace) {
  const auto e = engine(std::string(kDictionaries) + R"(
[[condition]]
name = "any"
expression = "confidential or cards or partial"
)");
  ASSERT_NE(e, nullptr);
  Scanner s;
  struct Case {
    const char* file;
    const char* dict;
    const char* entry;
    const char* place;
    bool hidden = true;  // absent from the raw bytes
  };
  const Case cases[] = {
      {"base64-body.eml", "confidential", "confidential", "body"},
      {"qp-soft-break.eml", "confidential", "project bluebird", "body"},
      {"subject-b.eml", "confidential", "secret", "subject"},
      {"subject-q.eml", "confidential", "déclassifié", "subject"},
      {"html-entities.eml", "confidential", "confidential", "body"},
      {"html-entities.eml", "confidential", "déclassifié", "body"},
      {"html-entities.eml", "confidential", "secret", "body"},
      {"koi8r-body.eml", "confidential", "секретно", "body"},
      {"sjis-body.eml", "confidential", "機密", "body"},
      {"header-only.eml", "confidential", "clandestine", "headers", false},
      {"card-number.eml", "cards", R"(\b\d{4}(?:[ -]?\d{4}){3}\b)", "body", false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.file);
    const std::string raw = message(c.file);
    // The fixture hides the word from a scan of the raw bytes.
    if (c.hidden) {
      EXPECT_FALSE(contains(raw, c.entry));
    }
    const ScanReport r = s.scan_message(*e, raw);
    const ModuleResult m = cf(r);
    EXPECT_EQ(m.status, Status::triggered) << describe(m);
    EXPECT_TRUE(fired(m, "any")) << describe(m);
    const Finding* f = entry(m, c.dict, c.entry);
    ASSERT_NE(f, nullptr) << c.entry << "\n" << describe(m);
    EXPECT_TRUE(contains(f->where, c.place)) << f->where;
    EXPECT_EQ(r.verdict.action, Action::reject);
    ASSERT_TRUE(r.verdict.decided_by.has_value());
    EXPECT_EQ(r.verdict.decided_by->first, Module::content_filter);
    EXPECT_EQ(r.verdict.decided_by->second, Status::triggered);
    EXPECT_TRUE(r.scanned_as_message);
    EXPECT_EQ(r.engine_generation, e->generation());
  }
  {
    // A header word is in the headers and nowhere else.
    const ModuleResult m = cf(s.scan_message(*e, message("header-only.eml")));
    const Finding* f = entry(m, "confidential", "clandestine");
    ASSERT_NE(f, nullptr) << describe(m);
    EXPECT_FALSE(contains(f->where, "body")) << f->where;
    EXPECT_FALSE(contains(f->where, "subject")) << f->where;
  }
  {
    // The same word in the subject and in the body: both places are named.
    const ModuleResult m = cf(s.scan_message(*e, message("confidential-twice.eml")));
    const Finding* f = entry(m, "confidential", "confidential");
    ASSERT_NE(f, nullptr) << describe(m);
    EXPECT_TRUE(contains(f->where, "subject")) << f->where;
    EXPECT_TRUE(contains(f->where, "body")) << f->where;
  }
}

TEST(ContentFilter, HeadersOnlyWhenAskedFor) {
  const auto e = engine(R"(
[[dictionary]]
name = "confidential"
file = "dictionaries/confidential.dict"
[[condition]]
name = "any"
expression = "confidential"
)");
  ASSERT_NE(e, nullptr);
  Scanner s;
  const ModuleResult m = cf(s.scan_message(*e, message("header-only.eml")));
  EXPECT_EQ(m.status, Status::clean) << describe(m);
}

TEST(ContentFilter, WordsGluedInsideLongerWordsDoNotFire) {
  const auto e = engine(std::string(kDictionaries) + R"(
[[condition]]
name = "whole"
expression = "confidential or cards"

[[condition]]
name = "part"
expression = "partial"
)");
  ASSERT_NE(e, nullptr);
  Scanner s;
  const ModuleResult m = cf(s.scan_message(*e, message("negative.eml")));
  EXPECT_FALSE(fired(m, "whole")) << describe(m);
  EXPECT_FALSE(has_dictionary(m, "confidential")) << describe(m);
  EXPECT_FALSE(has_dictionary(m, "cards")) << describe(m);
  // Positive control: a [part] entry does see "secret" in "secretary".
  EXPECT_TRUE(fired(m, "part")) << describe(m);
  EXPECT_NE(entry(m, "partial", "secret"), nullptr) << describe(m);

  const ScanReport clean = s.scan_message(*e, message("clean.eml"));
  EXPECT_EQ(cf(clean).status, Status::clean) << describe(cf(clean));
  EXPECT_EQ(clean.verdict.action, Action::deliver);
  EXPECT_FALSE(clean.verdict.decided_by.has_value());
}

TEST(ContentFilter, DictionariesLookOnlyWhereTheyAreTold) {
  const auto e = engine(R"(
[[dictionary]]
name = "subject_only"
file = "dictionaries/confidential.dict"
where = ["subject"]

[[dictionary]]
name = "names_only"
file = "dictionaries/confidential.dict"
where = ["attachment_names"]

[[dictionary]]
name = "attached_text"
file = "dictionaries/confidential.dict"
where = ["attachment_text"]

[[condition]]
name = "any"
expression = "subject_only or names_only or attached_text"
)");
  ASSERT_NE(e, nullptr);
  Scanner s;
  {
    const ModuleResult m = cf(s.scan_message(*e, message("base64-body.eml")));  // body only
    EXPECT_EQ(m.status, Status::clean) << describe(m);
    EXPECT_TRUE(m.findings.empty() || !fired(m, "any")) << describe(m);
  }
  {
    const ModuleResult m = cf(s.scan_message(*e, message("subject-b.eml")));
    EXPECT_TRUE(fired(m, "any")) << describe(m);
    const Finding* f = entry(m, "subject_only", "secret");
    ASSERT_NE(f, nullptr) << describe(m);
    EXPECT_TRUE(contains(f->where, "subject"));
    EXPECT_FALSE(has_dictionary(m, "names_only"));
  }
  {
    // A zip whose member NAME holds one word and whose text member holds another.
    const std::string zip = zip_of({{"clandestine-plan.txt", "nothing to see here\n"},
                                    {"notes.txt", "These notes are confidential.\n"}});
    const std::string raw = mail_with_attachment("files.zip", "application/zip", zip);
    const ScanReport r = s.scan_message(*e, raw);
    const ModuleResult m = cf(r);
    EXPECT_TRUE(fired(m, "any")) << describe(m);
    const Finding* name = entry(m, "names_only", "clandestine");
    ASSERT_NE(name, nullptr) << describe(m);
    EXPECT_TRUE(contains(name->where, "attachment_names")) << name->where;
    const Finding* text = entry(m, "attached_text", "confidential");
    ASSERT_NE(text, nullptr) << describe(m);
    EXPECT_TRUE(contains(text->where, "attachment_text")) << text->where;
    // The member's text is no attachment name, and the name is not text.
    EXPECT_EQ(entry(m, "names_only", "confidential"), nullptr) << describe(m);
    EXPECT_EQ(entry(m, "attached_text", "clandestine"), nullptr) << describe(m);
    EXPECT_GE(r.objects, 4u);  // body, zip, two members
  }
}

// A dictionary that looks only in the body, and one that looks only at attached text.
constexpr std::string_view kBodyVersusAttached = R"(
[[dictionary]]
name = "in_body"
file = "dictionaries/confidential.dict"
where = ["body"]

[[dictionary]]
name = "in_attached"
file = "dictionaries/confidential.dict"
where = ["attachment_text"]

[[condition]]
name = "any"
expression = "in_body or in_attached"
)";

TEST(ContentFilter, TextAttachmentIsAttachmentTextNotBody) {
  const auto e = engine(std::string(kBodyVersusAttached));
  ASSERT_NE(e, nullptr);
  Scanner s;
  const std::string raw =
      "From: a@elsewhere.test\r\nTo: b@example.org\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=\"b0\"\r\n\r\n"
      "--b0\r\nContent-Type: text/plain\r\n\r\nplain body\r\n"
      "--b0\r\nContent-Type: text/plain; name=\"notes.txt\"\r\n"
      "Content-Disposition: attachment; filename=\"notes.txt\"\r\n\r\n"
      "notes: confidential\r\n--b0--\r\n";
  const ModuleResult m = cf(s.scan_message(*e, raw));
  EXPECT_NE(entry(m, "in_attached", "confidential"), nullptr) << describe(m);
  EXPECT_EQ(entry(m, "in_body", "confidential"), nullptr) << describe(m);
}

// The text and header of an attached message are the attachment's text, not the body.
TEST(ContentFilter, AttachedMessageTextIsAttachmentTextNotBody) {
  const auto e = engine(std::string(kBodyVersusAttached));
  ASSERT_NE(e, nullptr);
  Scanner s;
  const std::string raw =
      "From: a@elsewhere.test\r\nTo: b@example.org\r\nSubject: fwd\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=\"b0\"\r\n\r\n"
      "--b0\r\nContent-Type: text/plain\r\n\r\nsee the forwarded message\r\n"
      "--b0\r\nContent-Type: message/rfc822\r\n\r\n"
      "From: c@elsewhere.test\r\nSubject: inner\r\nContent-Type: text/plain\r\n\r\n"
      "inner body: clandestine\r\n--b0--\r\n";
  const ModuleResult m = cf(s.scan_message(*e, raw));
  EXPECT_NE(entry(m, "in_attached", "clandestine"), nullptr) << describe(m);
  EXPECT_EQ(entry(m, "in_body", "clandestine"), nullptr) << describe(m);
  std::string in_subject = raw;
  in_subject.replace(in_subject.find("Subject: inner"), 14, "Subject: clandestine");
  const ModuleResult inner = cf(s.scan_message(*e, in_subject));
  EXPECT_NE(entry(inner, "in_attached", "clandestine"), nullptr) << describe(inner);
}

// A plain file (ksmg scan --file, Python's scan_file) has no message to carry the limits: the
// configured ones still bound its text. The word lies past 1K of the page's text, so it is
// found with the default max_decoded_bytes and not with a configured 1K.
TEST(ContentFilter, ConfiguredDecodedLimitHoldsForPlainFiles) {
  constexpr std::string_view kRule = R"(
[[condition]]
name = "leak"
expression = "confidential"
)";
  const auto by_default = engine(std::string(kDictionaries) + std::string(kRule));
  const auto limited = engine("[limits]\nmax_decoded_bytes = \"1K\"\n" +
                              std::string(kDictionaries) + std::string(kRule));
  ASSERT_NE(by_default, nullptr);
  ASSERT_NE(limited, nullptr);
  std::string page = "<html><body><p>";
  for (int i = 0; i < 400; ++i) page += "filler ";
  page += "secret</p></body></html>\n";
  Scanner s;
  const ModuleResult found = cf(s.scan_file(*by_default, "page.html", page));
  EXPECT_NE(entry(found, "confidential", "secret"), nullptr) << describe(found);
  const ModuleResult cut = cf(s.scan_file(*limited, "page.html", page));
  EXPECT_EQ(entry(cut, "confidential", "secret"), nullptr) << describe(cut);
  EXPECT_FALSE(fired(cut, "leak")) << describe(cut);
}

// ---------------------------------------------------------------------------------------------
// Conditions on objects.

TEST(ContentFilter, NameGlobSizeAndTrueType) {
  const auto e = engine(R"(
[[condition]]
name = "exe-name"
object = { names = ["*.EXE"] }

[[condition]]
name = "big"
object = { min_size = "2K" }

[[condition]]
name = "small-pdf"
object = { true_types = ["application/pdf"], max_size = "1M" }

[[condition]]
name = "pe"
object = { true_types = ["application/*dosexec", "application/vnd.microsoft.portable-*"] }
)");
  ASSERT_NE(e, nullptr);
  Scanner s;
  {
    const std::string exe = clam("clam.exe");
    const ScanReport r = s.scan_file(*e, "clam.exe", exe);
    const ModuleResult m = cf(r);
    EXPECT_FALSE(r.scanned_as_message);
    EXPECT_TRUE(fired(m, "exe-name")) << describe(m);  // ASCII case-insensitive glob
    EXPECT_TRUE(fired(m, "pe")) << describe(m);
    EXPECT_FALSE(fired(m, "small-pdf")) << describe(m);
    EXPECT_EQ(fired(m, "big"), exe.size() >= 2048) << describe(m);
    // The same bytes under another name: the true type still shows, the name glob does not.
    const ModuleResult renamed = cf(s.scan_file(*e, "invoice.pdf", exe));
    EXPECT_FALSE(fired(renamed, "exe-name")) << describe(renamed);
    EXPECT_TRUE(fired(renamed, "pe")) << describe(renamed);
    EXPECT_FALSE(fired(renamed, "small-pdf")) << describe(renamed);
  }
  {
    const ModuleResult small = cf(s.scan_file(*e, "a.bin", std::string(100, 'x')));
    EXPECT_FALSE(fired(small, "big")) << describe(small);
    const ModuleResult large = cf(s.scan_file(*e, "a.bin", std::string(3000, 'x')));
    EXPECT_TRUE(fired(large, "big")) << describe(large);
    // The condition's finding names the object.
    const Finding* f = find_what(large, "big");
    ASSERT_NE(f, nullptr);
    EXPECT_TRUE(contains(f->where, "a.bin")) << f->where;
  }
  {
    const std::string raw =
        read_file(fs::path(KSMG_SOURCE_DIR) / "examples/messages/multipart-with-attachment.eml");
    const ModuleResult m = cf(s.scan_message(*e, raw));
    EXPECT_TRUE(fired(m, "small-pdf")) << describe(m);
    EXPECT_FALSE(fired(m, "exe-name")) << describe(m);
    EXPECT_FALSE(fired(m, "big")) << describe(m);
  }
  {
    const ModuleResult m = cf(s.scan_message(*e, message("clean.eml")));
    EXPECT_EQ(m.status, Status::clean) << describe(m);
  }
}

TEST(ContentFilter, CategoryWithDepthSeesOnlyWhatWasUnpacked) {
  // Built in code rather than from TOML: the API is the contract too.
  Config c;
  ksmg::match::Condition cond;
  cond.name = "exe-in-archive";
  ksmg::match::ObjectFilter f;
  f.categories = {ksmg::filetype::Category::executable};
  f.min_depth = 1;
  cond.object = f;
  c.conditions.push_back(cond);
  c.modules.antivirus = false;
  ConfigError err;
  const auto e = Engine::compile(std::move(c), err);
  ASSERT_NE(e, nullptr) << err.to_string();
  Scanner s;

  const ModuleResult bare = cf(s.scan_file(*e, "clam.exe", clam("clam.exe")));
  EXPECT_FALSE(fired(bare, "exe-in-archive")) << describe(bare);

  const ScanReport zipped = s.scan_file(*e, "clam.zip", clam("clam.zip"));
  const ModuleResult m = cf(zipped);
  EXPECT_EQ(m.status, Status::triggered) << describe(m);
  const Finding* fnd = find_what(m, "exe-in-archive");
  ASSERT_NE(fnd, nullptr) << describe(m);
  EXPECT_TRUE(contains(fnd->where, "clam.zip/")) << fnd->where;
  EXPECT_EQ(zipped.verdict.action, Action::reject);
  EXPECT_TRUE(contains(zipped.verdict.reason, "exe-in-archive")) << zipped.verdict.reason;

  // Mailed inside a zip inside a message: depth 1 again (attachments are depth 0).
  const std::string raw =
      mail_with_attachment("tools.zip", "application/zip",
                           zip_of({{"readme.txt", "hi\n"}, {"x.exe", clam("clam.exe")}}));
  const ModuleResult mailed = cf(s.scan_message(*e, raw));
  EXPECT_TRUE(fired(mailed, "exe-in-archive")) << describe(mailed);
  const ModuleResult attached = cf(s.scan_message(
      *e, mail_with_attachment("x.exe", "application/octet-stream", clam("clam.exe"))));
  EXPECT_FALSE(fired(attached, "exe-in-archive")) << describe(attached);
}

TEST(ContentFilter, ObjectFlags) {
  const auto e = engine(R"(
[[condition]]
name = "macros"
object = { flags = ["macros"] }

[[condition]]
name = "locked"
object = { flags = ["encrypted", "corrupted"] }
)");
  ASSERT_NE(e, nullptr);
  Scanner s;
  const fs::path dir = data_dir() / "av" / "macro-mail";
  {
    const ScanReport r = s.scan_message(*e, read_file(dir / "macro.eml"));
    EXPECT_TRUE(fired(cf(r), "macros")) << describe(cf(r));
    EXPECT_TRUE(r.flags.has(ksmg::objects::Flag::macros));
    EXPECT_FALSE(fired(cf(r), "locked")) << describe(cf(r));
  }
  {
    const ModuleResult m = cf(s.scan_message(*e, read_file(dir / "nomacro.eml")));
    EXPECT_EQ(m.status, Status::clean) << describe(m);
  }
  {
    const ModuleResult m = cf(s.scan_message(*e, read_file(dir / "encrypted.eml")));
    EXPECT_TRUE(fired(m, "locked")) << describe(m);
  }
}

// ---------------------------------------------------------------------------------------------
// Senders, expressions, actions.

TEST(ContentFilter, FromOutsideUsesEnvelopeSenderElseFromHeader) {
  const auto e = engine(std::string(kDictionaries) + R"(
[[condition]]
name = "leak-out"
expression = "confidential"
from_outside = true
)");
  ASSERT_NE(e, nullptr);
  EXPECT_FALSE(e->from_outside("alice@example.org"));
  EXPECT_FALSE(e->from_outside("carol@mail.example.org"));
  EXPECT_FALSE(e->from_outside("Alice@EXAMPLE.ORG"));
  EXPECT_TRUE(e->from_outside("x@notexample.org"));
  EXPECT_TRUE(e->from_outside("x@example.org.evil.test"));
  EXPECT_TRUE(e->from_outside("mallory@elsewhere.test"));

  Scanner s;
  const std::string outside = message("base64-body.eml");         // From: mallory@elsewhere.test
  const std::string inside = message("inside-confidential.eml");  // From: alice@example.org
  EXPECT_TRUE(fired(cf(s.scan_message(*e, outside)), "leak-out"));
  EXPECT_FALSE(fired(cf(s.scan_message(*e, inside)), "leak-out"));
  // The envelope sender outranks the From header, both ways.
  EXPECT_TRUE(fired(cf(s.scan_message(*e, inside, sent_by("x@elsewhere.test"))), "leak-out"));
  EXPECT_FALSE(fired(cf(s.scan_message(*e, outside, sent_by("bob@mail.example.org"))), "leak-out"));
  // A From header with an outside mailbox next to an inside one (or a second From field) is
  // outside: an inside address added to a forged message must not open the door.
  for (const std::string& from :
       {std::string("From: alice@example.org, mallory@evil.test"),
        std::string("From: alice@example.org\r\nFrom: mallory@evil.test")}) {
    std::string forged = inside;
    const std::size_t at = forged.find("From: Alice <alice@example.org>");
    ASSERT_NE(at, std::string::npos);
    forged.replace(at, std::string("From: Alice <alice@example.org>").size(), from);
    EXPECT_TRUE(fired(cf(s.scan_message(*e, forged)), "leak-out")) << from;
  }
  // Without [organization] every sender is outside.
  const auto open = engine(std::string(R"(
[[dictionary]]
name = "confidential"
file = "dictionaries/confidential.dict"

[[condition]]
name = "leak-out"
expression = "confidential"
from_outside = true
)"));
  ASSERT_NE(open, nullptr);
  EXPECT_TRUE(fired(cf(s.scan_message(*open, inside)), "leak-out"));
}

TEST(ContentFilter, ExpressionThresholds) {
  const auto e = engine(std::string(kDictionaries) + R"toml(
[[expression]]
name = "twice"
match = "confidential.count >= 2"

[[condition]]
name = "count2"
expression = "twice"

[[condition]]
name = "count2-not-public"
expression = "twice and not public"

[[condition]]
name = "distinct3"
expression = "confidential.distinct >= 3"

[[condition]]
name = "weight"
expression = "confidential.weight > 2.5"

[[condition]]
name = "exactly1"
expression = "(confidential.count == 1)"
)toml");
  ASSERT_NE(e, nullptr);
  Scanner s;
  {
    // "confidential" in the subject and in the body, and "public release".
    const ModuleResult m = cf(s.scan_message(*e, message("confidential-twice.eml")));
    EXPECT_TRUE(fired(m, "count2")) << describe(m);
    EXPECT_FALSE(fired(m, "count2-not-public")) << describe(m);
    EXPECT_FALSE(fired(m, "distinct3")) << describe(m);
    EXPECT_FALSE(fired(m, "exactly1")) << describe(m);
    // Conditions come first, in rule order, then the dictionary entries.
    ASSERT_FALSE(m.findings.empty());
    EXPECT_EQ(m.findings.front().what, "count2");
    EXPECT_TRUE(m.findings.back().what.starts_with("dictionary ")) << describe(m);
  }
  {
    const ModuleResult m = cf(s.scan_message(*e, message("base64-body.eml")));
    EXPECT_FALSE(fired(m, "count2")) << describe(m);
    EXPECT_TRUE(fired(m, "exactly1")) << describe(m);
  }
  {
    // Three distinct entries, weight 3.
    const ModuleResult m = cf(s.scan_message(*e, message("html-entities.eml")));
    EXPECT_TRUE(fired(m, "distinct3")) << describe(m);
    EXPECT_TRUE(fired(m, "weight")) << describe(m);
    EXPECT_TRUE(fired(m, "count2")) << describe(m);
  }
}

TEST(ContentFilter, ConditionActionOverridesTheTable) {
  const auto e = engine(std::string(kDictionaries) + R"(
[actions.content_filter]
triggered = "tempfail"

[[condition]]
name = "card"
expression = "cards"
action = { action = "deliver", tag = "[CARD]" }

[[condition]]
name = "leak"
expression = "confidential"
action = "discard"

[[condition]]
name = "header-word"
expression = "confidential.count >= 1 and not public"
)");
  ASSERT_NE(e, nullptr);
  Scanner s;
  {
    const ScanReport r = s.scan_message(*e, message("card-number.eml"));
    EXPECT_TRUE(fired(cf(r), "card")) << describe(cf(r));
    EXPECT_EQ(r.verdict.action, Action::deliver);
    EXPECT_EQ(r.verdict.extras.subject_tag, "[CARD]");
    ASSERT_TRUE(r.verdict.decided_by.has_value());
    EXPECT_EQ(r.verdict.decided_by->first, Module::content_filter);
  }
  {
    // "leak" (discard) and "header-word" (the table: tempfail) fire: the more severe wins.
    const ScanReport r = s.scan_message(*e, message("base64-body.eml"));
    EXPECT_TRUE(fired(cf(r), "leak"));
    EXPECT_TRUE(fired(cf(r), "header-word"));
    EXPECT_EQ(r.verdict.action, Action::discard);
  }
  {
    // Only a condition without its own action: the table's decision.
    const auto t = engine(std::string(kDictionaries) + R"(
[actions.content_filter]
triggered = "tempfail"

[[condition]]
name = "leak"
expression = "confidential"
)");
    ASSERT_NE(t, nullptr);
    const ScanReport r = s.scan_message(*t, message("base64-body.eml"));
    EXPECT_EQ(r.verdict.action, Action::tempfail);
  }
  {
    // The built-in table rejects on a trigger, and the X-KSMG headers report it.
    const auto d = engine(std::string(kDictionaries) + R"(
[[condition]]
name = "leak"
expression = "confidential"
)");
    ASSERT_NE(d, nullptr);
    const ScanReport r = s.scan_message(*d, message("base64-body.eml"));
    EXPECT_EQ(r.verdict.action, Action::reject);
    EXPECT_TRUE(r.verdict.extras.backup);
    ASSERT_FALSE(r.headers.empty());
    for (const auto& [name, value] : r.headers) EXPECT_TRUE(name.starts_with("X-KSMG-")) << name;
  }
}

TEST(ContentFilter, NoRulesAndSwitchedOff) {
  Scanner s;
  ConfigError err;
  Config no_av;
  no_av.modules.antivirus = false;
  const auto defaults = Engine::compile(no_av, err);
  ASSERT_NE(defaults, nullptr) << err.to_string();
  const ScanReport r = s.scan_message(*defaults, message("base64-body.eml"));
  EXPECT_EQ(r.verdict.action, Action::deliver);
  EXPECT_FALSE(r.verdict.decided_by.has_value());
  if (const ModuleResult* m = content_result(r)) {
    EXPECT_EQ(m->status, Status::clean);
  }

  const auto off = engine(std::string(kDictionaries) + R"(
[modules]
content_filter = false

[[condition]]
name = "leak"
expression = "confidential"
)");
  ASSERT_NE(off, nullptr);
  const ScanReport o = s.scan_message(*off, message("base64-body.eml"));
  EXPECT_NE(o.verdict.action, Action::reject);
  if (const ModuleResult* m = content_result(o)) {
    EXPECT_NE(m->status, Status::triggered);
  }
}

// ---------------------------------------------------------------------------------------------
// Configuration errors name the line and the key.

TEST(ContentFilter, ConfigErrorsArePrecise) {
  const std::string base(kDictionaries);
  const std::size_t base_lines =
      static_cast<std::size_t>(std::count(base.begin(), base.end(), '\n'));
  {
    SCOPED_TRACE("unknown key in a condition");
    const ConfigError e =
        error_of(base + "[[condition]]\nname = \"x\"\nexpresion = \"confidential\"\n");
    EXPECT_EQ(e.line, base_lines + 3) << e.to_string();
    EXPECT_EQ(e.key, "condition[0].expresion") << e.to_string();
    EXPECT_TRUE(contains(e.to_string(), "test.toml:")) << e.to_string();
  }
  {
    SCOPED_TRACE("bad expression");
    const ConfigError e =
        error_of(base + "[[expression]]\nname = \"x\"\nmatch = \"confidential and and public\"\n");
    EXPECT_EQ(e.line, base_lines + 3) << e.to_string();
    EXPECT_EQ(e.key, "expression[0].match") << e.to_string();
    // The column is on the line of the file: the second "and" is column 18 of the expression,
    // whose text starts at column 10 (after `match = "`).
    EXPECT_EQ(e.column, 10u + 17u) << e.to_string();
  }
  {
    SCOPED_TRACE("unknown dictionary in an expression");
    const ConfigError e =
        error_of(base + "[[condition]]\nname = \"x\"\nexpression = \"confidentail.count >= 1\"\n");
    EXPECT_EQ(e.line, base_lines + 3) << e.to_string();
    EXPECT_EQ(e.key, "condition[0].expression") << e.to_string();
    EXPECT_EQ(e.column, 15u) << e.to_string();  // the name, right after `expression = "`
    EXPECT_TRUE(contains(e.message, "confidentail")) << e.to_string();
  }
  {
    SCOPED_TRACE("an expression used before it is defined");
    const ConfigError e = error_of(base +
                                   "[[expression]]\nname = \"a\"\nmatch = \"b\"\n"
                                   "[[expression]]\nname = \"b\"\nmatch = \"confidential\"\n");
    EXPECT_EQ(e.line, base_lines + 3) << e.to_string();
  }
  {
    SCOPED_TRACE("unknown category");
    const ConfigError e =
        error_of("\n[[condition]]\nname = \"x\"\nobject = { categories = [\"executables\"] }\n");
    EXPECT_EQ(e.line, 4u) << e.to_string();
    EXPECT_EQ(e.key, "condition[0].object.categories") << e.to_string();
    EXPECT_TRUE(contains(e.message, "executables")) << e.to_string();
  }
  {
    SCOPED_TRACE("unknown flag");
    const ConfigError e =
        error_of("[[condition]]\nname = \"x\"\nobject = { flags = [\"macro\"] }\n");
    EXPECT_EQ(e.line, 3u) << e.to_string();
    EXPECT_EQ(e.key, "condition[0].object.flags") << e.to_string();
  }
  {
    SCOPED_TRACE("unknown place");
    const ConfigError e = error_of(
        "[[dictionary]]\nname = \"d\"\nfile = \"dictionaries/public.dict\"\nwhere = "
        "[\"bodies\"]\n");
    EXPECT_EQ(e.line, 4u) << e.to_string();
    EXPECT_EQ(e.key, "dictionary[0].where") << e.to_string();
  }
  {
    SCOPED_TRACE("unknown action");
    const ConfigError e = error_of(base +
                                   "[[condition]]\nname = \"x\"\nexpression = \"cards\"\n"
                                   "action = \"rejct\"\n");
    EXPECT_EQ(e.line, base_lines + 4) << e.to_string();
    EXPECT_TRUE(contains(e.key, "action")) << e.to_string();
  }
  {
    SCOPED_TRACE("missing dictionary file");
    const ConfigError e =
        error_of("\n[[dictionary]]\nname = \"gone\"\nfile = \"dictionaries/nope.dict\"\n");
    EXPECT_TRUE(contains(e.to_string(), "nope.dict")) << e.to_string();
    EXPECT_EQ(e.key, "dictionary[0].file") << e.to_string();
    // The key is named; the line is the [[dictionary]] table's (2), not the file key's (4).
    EXPECT_TRUE(e.line == 2u || e.line == 4u) << e.to_string();
  }
  {
    SCOPED_TRACE("a malformed dictionary line names the dictionary file and line");
    const fs::path dir = fs::temp_directory_path() / ("ksmg-cf-dict-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    std::ofstream(dir / "bad.dict") << "# comment\ngood\n[weight=x] bad\n";
    const ConfigError e = error_of("[[dictionary]]\nname = \"bad\"\nfile = \"" +
                                   (dir / "bad.dict").string() + "\"\n");
    EXPECT_TRUE(contains(e.to_string(), "bad.dict")) << e.to_string();
    EXPECT_TRUE(contains(e.to_string(), ":3")) << e.to_string();
    fs::remove_all(dir);
  }
}

// ---------------------------------------------------------------------------------------------
// Reloads.

class ContentFilterReload : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("ksmg-cf-reload-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // A configuration with the confidential dictionary and a condition whose action is `action`.
  std::string write(const std::string& name, const std::string& action) {
    const fs::path p = dir_ / name;
    std::ofstream(p)
        << "[modules]\nantivirus = false\n\n[[dictionary]]\nname = \"confidential\"\nfile = \""
        << (content_dir() / "dictionaries/confidential.dict").string()
        << "\"\n\n[[condition]]\nname = \"leak\"\nexpression = \"confidential\"\n"
        << "action = \"" << action << "\"\n";
    return p.string();
  }
  std::string write_broken(const std::string& name) {
    const fs::path p = dir_ / name;
    std::ofstream(p) << "[modules]\nantivirus = false\n\n[[condition]]\nname = \"leak\"\n"
                     << "expression = \"nosuchdict\"\n";
    return p.string();
  }

  fs::path dir_;
};

TEST_F(ContentFilterReload, BrokenConfigKeepsTheEngineGoodOneSwaps) {
  ConfigError err;
  auto first = Engine::load(write("a.toml", "reject"), err);
  ASSERT_NE(first, nullptr) << err.to_string();
  EngineHolder holder(first);
  const std::uint64_t gen = holder.get()->generation();
  Scanner s;
  const std::string raw = message("base64-body.eml");
  EXPECT_EQ(s.scan_message(*holder.get(), raw).verdict.action, Action::reject);

  const std::string broken = write_broken("broken.toml");
  ConfigError rerr;
  EXPECT_FALSE(holder.reload(broken, rerr));
  EXPECT_TRUE(contains(rerr.to_string(), "broken.toml")) << rerr.to_string();
  EXPECT_EQ(holder.get()->generation(), gen);
  EXPECT_EQ(holder.get(), first);
  EXPECT_FALSE(holder.reload((dir_ / "missing.toml").string(), rerr));
  EXPECT_EQ(holder.get()->generation(), gen);

  ConfigError gerr;
  ASSERT_TRUE(holder.reload(write("b.toml", "discard"), gerr)) << gerr.to_string();
  EXPECT_GT(holder.get()->generation(), gen);
  const ScanReport r = s.scan_message(*holder.get(), raw);
  EXPECT_EQ(r.verdict.action, Action::discard);
  EXPECT_EQ(r.engine_generation, holder.get()->generation());
  // The old engine still works for whoever holds it (scans in flight).
  EXPECT_EQ(s.scan_message(*first, raw).verdict.action, Action::reject);

  auto replacement = engine(std::string(kDictionaries));
  ASSERT_NE(replacement, nullptr);
  holder.replace(replacement);
  EXPECT_EQ(holder.get(), replacement);
}

TEST_F(ContentFilterReload, ScansGoOnWhileReloading) {
  const std::string good_a = write("a.toml", "reject");
  const std::string good_b = write("b.toml", "discard");
  const std::string broken = write_broken("broken.toml");
  ConfigError err;
  EngineHolder holder(Engine::load(good_a, err));
  ASSERT_NE(holder.get(), nullptr) << err.to_string();
  const std::string raw = message("base64-body.eml");
  const std::string clean = message("clean.eml");

  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::atomic<int> scans{0};
  auto scan_loop = [&] {
    Scanner s;  // kept across reloads
    while (!stop.load()) {
      const std::shared_ptr<const Engine> e = holder.get();
      const ScanReport r = s.scan_message(*e, raw);
      const ModuleResult* m = content_result(r);
      const bool ok = m != nullptr && m->status == Status::triggered &&
                      (r.verdict.action == Action::reject || r.verdict.action == Action::discard) &&
                      r.engine_generation == e->generation();
      const ScanReport c = s.scan_message(*e, clean);
      if (!ok || c.verdict.action != Action::deliver) failures.fetch_add(1);
      scans.fetch_add(1);
    }
  };
  std::thread t1(scan_loop);
  std::thread t2(scan_loop);
  int swaps = 0;
  for (int i = 0; i < 30; ++i) {
    ConfigError e;
    if (holder.reload(i % 3 == 2 ? broken : (i % 2 == 0 ? good_b : good_a), e)) ++swaps;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  // Let both threads scan on the last engine too.
  const int before = scans.load();
  while (scans.load() < before + 4) std::this_thread::yield();
  stop = true;
  t1.join();
  t2.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(swaps, 20);
  EXPECT_GT(scans.load(), 0);
}

}  // namespace

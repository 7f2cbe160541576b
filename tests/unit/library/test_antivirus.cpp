// test_antivirus.cpp — the anti-virus module on libclamav (ksmg/antivirus.hpp) with ClamAV's and
// EICAR's harmless test files (tests/data/av, tests/data/av-rar): every wrapping of clam.exe,
// EICAR raw, zipped and mailed, the boundary-trick mails, the RAR that only the tree opens,
// encrypted and macro Office documents; statuses (each content scanned once, the per-message
// CPU budget, libclamav's own limits); Database::load errors and libclamav's log going to the
// ksmg::log sink; DatabaseInfo; hot reload of new signatures while other threads scan
// (EngineHolder, DatabaseWatcher), broken databases never replacing a working one, and
// configuration reloads sharing an unchanged database; the [antivirus] and max_av_* keys.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "ksmg/antivirus.hpp"
#include "ksmg/engine.hpp"
#include "ksmg/filetype.hpp"
#include "ksmg/log.hpp"
#include "ksmg/objects.hpp"
#include "ksmg/policy.hpp"
#include "ksmg/verdict.hpp"
#include "test_data.hpp"
#include "test_mail.hpp"

namespace {

namespace fs = std::filesystem;
using ksmg::Engine;
using ksmg::EngineHolder;
using ksmg::Limit;
using ksmg::ScanLimits;
using ksmg::Scanner;
using ksmg::ScanReport;
using ksmg::av::Database;
using ksmg::av::Result;
using ksmg::av::Settings;
using ksmg::mime::Message;
using ksmg::objects::Flag;
using ksmg::objects::ObjectTree;
using ksmg::policy::Config;
using ksmg::policy::ConfigError;
using ksmg::test::base64;
using ksmg::test::data_dir;
using ksmg::test::read_file;
using ksmg::test::zip_of;
using ksmg::verdict::Finding;
using ksmg::verdict::Module;
using ksmg::verdict::ModuleResult;
using ksmg::verdict::Status;

const fs::path kAv = data_dir() / "av";
const fs::path kClamHdb = kAv / "clamav-unit" / "sigs" / "clamav.hdb";
const fs::path kEicarHdb = kAv / "eicar" / "eicar-sha256.hdb";
const fs::path kClamFiles = kAv / "clamav-testfiles";

// A fresh directory under the system's temp folder, removed with the object.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "ksmg-av-XXXXXX").string();
    if (mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const fs::path& path() const { return path_; }
  [[nodiscard]] std::string str() const { return path_.string(); }
  void copy(const fs::path& from, const std::string& name = "") const {
    fs::copy_file(from, path_ / (name.empty() ? from.filename().string() : name),
                  fs::copy_options::overwrite_existing);
  }
  void write(const std::string& name, std::string_view text) const {
    std::ofstream(path_ / name, std::ios::binary) << text;
  }

 private:
  fs::path path_;
};

// A database of the given signature files (copied into a directory of their own, so that the
// other files beside them do not load).
struct LoadedDb {
  TempDir dir;
  std::shared_ptr<const Database> db;
  std::string error;
};

std::unique_ptr<LoadedDb> load(const std::vector<fs::path>& files, Settings settings = {},
                               const ScanLimits& limits = {}) {
  auto l = std::make_unique<LoadedDb>();
  for (const fs::path& f : files) l->dir.copy(f);
  settings.database_dir = l->dir.str();
  l->db = Database::load(settings, limits, l->error);
  EXPECT_NE(l->db, nullptr) << l->error;
  return l;
}

bool is_mail(std::string_view data) {
  const std::string mime = ksmg::filetype::Detector().detect(data).mime_type;
  return mime == "message/rfc822" || mime == "application/mbox";
}

// Builds the tree of `data` (a message when it looks like one, else a file called `name`) and
// scans it with `db`.
struct Scanned {
  Result r;
  std::size_t objects = 0;
  ksmg::objects::FlagSet flags;
};

Scanned scan(const Database& db, const std::string& name, const std::string& data,
             const ScanLimits& limits = {}, bool as_mail = false) {
  Scanned s;
  if (as_mail || is_mail(data)) {
    const Message m = Message::parse(data, limits);
    const ObjectTree t = ObjectTree::of_message(m);
    s.r = db.scan(t);
    s.objects = t.objects().size();
    s.flags = t.all_flags();
  } else {
    const ObjectTree t = ObjectTree::of_file(name, data, limits);
    s.r = db.scan(t);
    s.objects = t.objects().size();
    s.flags = t.all_flags();
  }
  return s;
}

std::string describe(const ModuleResult& m) {
  std::string s = std::string(ksmg::verdict::to_string(m.status)) + " [";
  for (const Finding& f : m.findings) s += f.where + " " + f.what + " " + f.detail + "; ";
  return s + "] " + m.info;
}

bool has_finding(const ModuleResult& m, std::string_view what_prefix, std::string_view detail) {
  return std::any_of(m.findings.begin(), m.findings.end(), [&](const Finding& f) {
    return f.what.starts_with(what_prefix) && f.detail == detail;
  });
}

// A mail with a text part and one base64 attachment per (name, bytes).
std::string mail_with(const std::vector<std::pair<std::string, std::string>>& attachments) {
  std::string m =
      "From: Mallory <mallory@elsewhere.test>\r\nTo: bob@example.org\r\nSubject: files\r\n"
      "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b0\"\r\n\r\n"
      "--b0\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n";
  for (const auto& [name, bytes] : attachments)
    m += "--b0\r\nContent-Type: application/octet-stream; name=\"" + name +
         "\"\r\nContent-Disposition: attachment; filename=\"" + name +
         "\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" + base64(bytes);
  return m + "--b0--\r\n";
}

// An engine with the anti-virus module on, reading `dir`; the content filter stays on with no
// rules (it finds nothing).
std::shared_ptr<const Engine> av_engine(const std::string& dir, Settings settings = {},
                                        const ScanLimits& limits = {}) {
  Config c;
  c.modules.antivirus = true;
  settings.database_dir = dir;
  c.antivirus = settings;
  c.limits = limits;
  ConfigError err;
  auto e = Engine::compile(std::move(c), err);
  EXPECT_NE(e, nullptr) << err.to_string();
  return e;
}

const ModuleResult& av_of(const ScanReport& r) {
  static const ModuleResult kNone;
  for (const ModuleResult& m : r.verdict.modules)
    if (m.module == Module::antivirus) return m;
  ADD_FAILURE() << "no antivirus result";
  return kNone;
}

// ---------------------------------------------------------------------------------------------
// Database::load, DatabaseInfo, the log sink

TEST(AntivirusDatabase, LoadErrorsSayWhy) {
  std::string error;
  Settings s;
  s.database_dir = "/nonexistent/ksmg-av-db";
  EXPECT_EQ(Database::load(s, {}, error), nullptr);
  EXPECT_NE(error.find("no such database directory"), std::string::npos) << error;
  EXPECT_NE(error.find("/nonexistent/ksmg-av-db"), std::string::npos) << error;

  TempDir empty;
  empty.write("freshclam.dat", "not a database");  // state files do not count
  s.database_dir = empty.str();
  error.clear();
  EXPECT_EQ(Database::load(s, {}, error), nullptr);
  EXPECT_NE(error.find("no ClamAV database in"), std::string::npos) << error;

  TempDir broken;
  broken.copy(kClamHdb);
  broken.write("broken.hdb", "this is not a hash signature\n");
  s.database_dir = broken.str();
  error.clear();
  EXPECT_EQ(Database::load(s, {}, error), nullptr);
  EXPECT_NE(error.find("libclamav"), std::string::npos) << error;
  EXPECT_NE(error.find(broken.str()), std::string::npos) << error;
}

TEST(AntivirusDatabase, LibclamavMessagesGoToTheLogSink) {
  struct Line {
    ksmg::log::Level level;
    std::string module, message;
  };
  auto lines = std::make_shared<std::vector<Line>>();
  auto mutex = std::make_shared<std::mutex>();
  ksmg::log::set_sink([lines, mutex](ksmg::log::Level l, std::string_view m, std::string_view t) {
    const std::lock_guard lock(*mutex);
    lines->push_back({l, std::string(m), std::string(t)});
  });
  ksmg::log::set_threshold(ksmg::log::Level::debug);
  TempDir broken;
  broken.write("broken.hdb", "0123:notanumber:Broken-Signature\n");
  Settings s;
  s.database_dir = broken.str();
  std::string error;
  EXPECT_EQ(Database::load(s, {}, error), nullptr);
  ksmg::log::set_sink(nullptr);
  ksmg::log::set_threshold(ksmg::log::Level::error);

  const std::lock_guard lock(*mutex);
  ASSERT_FALSE(lines->empty()) << "libclamav said nothing through ksmg::log";
  for (const Line& l : *lines) {
    EXPECT_EQ(l.module, "av");
    EXPECT_FALSE(l.message.empty());
    EXPECT_NE(l.message.back(), '\n') << l.message;
  }
  // libclamav's complaint about the file is an error-level message.
  EXPECT_TRUE(std::any_of(lines->begin(), lines->end(),
                          [](const Line& l) { return l.level == ksmg::log::Level::error; }));
}

TEST(AntivirusDatabase, InfoDescribesWhatIsLoaded) {
  const auto one = load({kClamHdb});
  ASSERT_NE(one->db, nullptr);
  const ksmg::av::DatabaseInfo& info = one->db->info();
  EXPECT_EQ(info.directory, one->dir.str());
  EXPECT_EQ(info.signatures, 1u);
  EXPECT_EQ(info.files, std::vector<std::string>{"clamav.hdb"});
  EXPECT_FALSE(info.engine_version.empty());
  EXPECT_EQ(info.version, 0u);  // text databases only
  EXPECT_GT(info.time, 1'600'000'000);
  const std::string d = info.describe();
  EXPECT_EQ(d.rfind("ClamAV " + info.engine_version, 0), 0u) << d;
  EXPECT_NE(d.find("1 signatures"), std::string::npos) << d;

  const auto two = load({kEicarHdb, kClamHdb});
  ASSERT_NE(two->db, nullptr);
  EXPECT_EQ(two->db->info().signatures, 2u);
  EXPECT_EQ(two->db->info().files, (std::vector<std::string>{"clamav.hdb", "eicar-sha256.hdb"}));
  EXPECT_NE(two->db->info().describe().find("2 signatures"), std::string::npos);
  EXPECT_EQ(two->db->settings().database_dir, two->dir.str());
}

TEST(AntivirusDatabase, ChangesOnDiskAreNoticed) {
  const auto l = load({kClamHdb});
  ASSERT_NE(l->db, nullptr);
  const Database& db = *l->db;
  EXPECT_FALSE(db.changed_on_disk());
  const std::string before = ksmg::av::database_fingerprint(l->dir.str());
  EXPECT_NE(before.find("clamav.hdb"), std::string::npos);
  l->dir.write("freshclam.dat", "state");  // not a database file
  l->dir.write("daily.cld.tmp", "half a download");
  EXPECT_FALSE(db.changed_on_disk());
  EXPECT_EQ(ksmg::av::database_fingerprint(l->dir.str()), before);
  EXPECT_TRUE(db.same_as(db.settings(), ScanLimits{}));
  ScanLimits other;
  other.max_av_files = 7;
  EXPECT_FALSE(db.same_as(db.settings(), other));
  Settings macros_off = db.settings();
  macros_off.alert_macros = false;
  EXPECT_FALSE(db.same_as(macros_off, ScanLimits{}));

  l->dir.copy(kEicarHdb);
  EXPECT_TRUE(db.changed_on_disk());
  EXPECT_NE(ksmg::av::database_fingerprint(l->dir.str()), before);
  EXPECT_FALSE(db.same_as(db.settings(), ScanLimits{}));
  fs::remove(l->dir.path() / "eicar-sha256.hdb");
  EXPECT_FALSE(db.changed_on_disk());
  // Rewritten in place with other contents: a change.
  l->dir.write("clamav.hdb", read_file(kEicarHdb));
  EXPECT_TRUE(db.changed_on_disk());
}

// ---------------------------------------------------------------------------------------------
// Detection

TEST(AntivirusClam, EveryClamavTestFileIsInfected) {
  TempDir dir;
  dir.copy(kClamHdb);
  const auto engine = av_engine(dir.str());
  ASSERT_NE(engine, nullptr);
  Scanner scanner;
  std::size_t files = 0;
  for (const auto& e : fs::directory_iterator(kClamFiles)) {
    const std::string name = e.path().filename().string();
    if (name == "SOURCE.md") continue;
    ++files;
    const std::string data = read_file(e.path());
    const ScanReport r = is_mail(data) ? scanner.scan_message(*engine, data)
                                       : scanner.scan_file(*engine, name, data);
    const ModuleResult& av = av_of(r);
    EXPECT_EQ(av.status, Status::infected) << name << ": " << describe(av);
    EXPECT_TRUE(has_finding(av, "ClamAV-Test-File", "infected")) << name << ": " << describe(av);
    EXPECT_EQ(r.verdict.decided_by, std::make_pair(Module::antivirus, Status::infected)) << name;
    // The worst finding comes first, so that the verdict's reason names the signature.
    ASSERT_FALSE(av.findings.empty());
    EXPECT_EQ(av.findings.front().detail, "infected") << name;
    EXPECT_NE(r.verdict.reason.find("ClamAV-Test-File"), std::string::npos) << r.verdict.reason;
  }
  EXPECT_GE(files, 40u);
}

TEST(AntivirusClam, BoundaryTrickMailsAreInfected) {
  const auto l = load({kClamHdb});
  ASSERT_NE(l->db, nullptr);
  std::size_t mails = 0;
  for (const auto& e : fs::directory_iterator(kAv / "clamav-unit" / "mail")) {
    ++mails;
    const std::string name = e.path().filename().string();
    const Scanned s = scan(*l->db, name, read_file(e.path()), {}, true);
    EXPECT_EQ(s.r.module.status, Status::infected) << name << ": " << describe(s.r.module);
    EXPECT_TRUE(has_finding(s.r.module, "ClamAV-Test-File", "infected")) << name;
  }
  EXPECT_EQ(mails, 4u);
}

TEST(AntivirusClam, RarIsScannedThroughItsMembers) {
  const auto l = load({kClamHdb});
  ASSERT_NE(l->db, nullptr);
  const fs::path rar = data_dir() / "av-rar";
  const Scanned file = scan(*l->db, "clam.rar", read_file(rar / "clam.rar"));
  EXPECT_EQ(file.r.module.status, Status::infected) << describe(file.r.module);
  ASSERT_FALSE(file.r.module.findings.empty());
  EXPECT_EQ(file.r.module.findings.front().where, "clam.rar/clam.exe");
  EXPECT_TRUE(file.r.module.findings.front().what.starts_with("ClamAV-Test-File"));

  const Scanned mail = scan(*l->db, "", read_file(rar / "clam-rar.eml"), {}, true);
  EXPECT_EQ(mail.r.module.status, Status::infected) << describe(mail.r.module);
  ASSERT_FALSE(mail.r.module.findings.empty());
  EXPECT_TRUE(mail.r.module.findings.front().where.ends_with("invoice.rar/clam.exe"))
      << describe(mail.r.module);
}

TEST(AntivirusEicar, RawZippedZipInZipAndMailed) {
  const auto l = load({kEicarHdb});
  ASSERT_NE(l->db, nullptr);
  const fs::path dir = kAv / "eicar";
  const std::string eicar = read_file(dir / "eicar.com");
  ASSERT_EQ(eicar.size(), 68u);
  const std::vector<std::pair<std::string, std::string>> cases{
      {"eicar.com", "eicar.com"},
      {"eicar.com.txt", "eicar.com.txt"},
      {"eicar_com.zip", "eicar_com.zip/eicar.com"},
      {"eicarcom2.zip", "eicarcom2.zip/eicar_com.zip/eicar.com"}};
  for (const auto& [file, where] : cases) {
    const Scanned s = scan(*l->db, file, read_file(dir / file));
    EXPECT_EQ(s.r.module.status, Status::infected) << file << ": " << describe(s.r.module);
    ASSERT_FALSE(s.r.module.findings.empty()) << file;
    EXPECT_EQ(s.r.module.findings.front().where, where) << file;
    EXPECT_TRUE(s.r.module.findings.front().what.starts_with("Test.EICAR.Local"))
        << s.r.module.findings.front().what;
    EXPECT_EQ(s.r.module.info, l->db->info().describe());
  }
  const Scanned mail = scan(*l->db, "", mail_with({{"readme.com", eicar}}), {}, true);
  EXPECT_EQ(mail.r.module.status, Status::infected) << describe(mail.r.module);
  ASSERT_EQ(mail.r.module.findings.size(), 1u) << describe(mail.r.module);
  EXPECT_TRUE(mail.r.module.findings[0].where.ends_with("readme.com"))
      << mail.r.module.findings[0].where;

  // Clean before: the same mail with the ClamAV database only.
  const auto clam = load({kClamHdb});
  ASSERT_NE(clam->db, nullptr);
  const Scanned clean = scan(*clam->db, "", mail_with({{"readme.com", eicar}}), {}, true);
  EXPECT_EQ(clean.r.module.status, Status::clean) << describe(clean.r.module);
  EXPECT_TRUE(clean.r.module.findings.empty());
}

// ---------------------------------------------------------------------------------------------
// Issue 17, principles 1 and 2: a limit that leaves content unread never yields "clean", and the
// fields and parameters that decide the structure survive every cap.

// The EICAR mail of mail_with() with `decoy` written into the root's header block: before the
// Content-Type field (`before_type`), or as the Content-Type's parameters before "boundary=".
std::string eicar_mail_with(const std::string& eicar, const std::string& before_type,
                            const std::string& params_before_boundary = "") {
  std::string m = mail_with({{"readme.com", eicar}});
  const std::size_t type = m.find("Content-Type: multipart/mixed;");
  m.insert(type, before_type);
  const std::size_t boundary = m.find("boundary=\"b0\"");
  m.insert(boundary, params_before_boundary);
  return m;
}

TEST(AntivirusLimits, DecoysBeforeTheStructureNeverHideTheAttachment) {
  const auto l = load({kEicarHdb});
  ASSERT_NE(l->db, nullptr);
  const std::string eicar = read_file(kAv / "eicar" / "eicar.com");
  std::string thousand_fields;
  for (int i = 0; i < 1200; ++i) thousand_fields += "X-Decoy-" + std::to_string(i) + ": x\r\n";
  std::string small_params;
  for (int i = 0; i < 300; ++i) small_params += "p" + std::to_string(i) + "=x; ";
  const std::string long_param = "decoy=\"" + std::string(70 << 10, 'a') + "\"; ";
  struct Case {
    const char* what;
    std::string mail;
    Limit limit;
  };
  const std::vector<Case> cases{
      {"1,200 fields before Content-Type", eicar_mail_with(eicar, thousand_fields),
       Limit::header_fields},
      {"300 parameters before boundary=", eicar_mail_with(eicar, "", small_params),
       Limit::content_params},
      {"a 70 KB parameter before boundary=", eicar_mail_with(eicar, "", long_param),
       Limit::header_line_length},
  };
  for (const Case& c : cases) {
    const Scanned s = scan(*l->db, "", c.mail, {}, true);
    EXPECT_EQ(s.r.module.status, Status::infected) << c.what << ": " << describe(s.r.module);
    EXPECT_TRUE(s.r.module.limits.has(c.limit)) << c.what;
  }

  // A transfer encoding padded past the line limit still decodes the part.
  std::string padded = mail_with({{"readme.com", eicar}});
  const std::size_t cte = padded.find("Content-Transfer-Encoding: base64");
  padded.insert(cte + std::string_view("Content-Transfer-Encoding:").size(),
                std::string(70 << 10, ' '));
  const Scanned s = scan(*l->db, "", padded, {}, true);
  EXPECT_EQ(s.r.module.status, Status::infected) << describe(s.r.module);
}

TEST(AntivirusLimits, WhatALimitLeftUnreadIsNotScannedAndNotDelivered) {
  TempDir dir;
  dir.copy(kEicarHdb);
  const auto engine = av_engine(dir.str());
  ASSERT_NE(engine, nullptr);
  Scanner scanner;
  // 65 nested multiparts: the innermost, with the attachment, stays an opaque leaf.
  std::string deep = "Subject: deep\r\n";
  for (int i = 0; i < 65; ++i)
    deep += "Content-Type: multipart/mixed; boundary=\"d" + std::to_string(i) + "\"\r\n\r\n--d" +
            std::to_string(i) + "\r\n";
  deep += "Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
          base64(read_file(kAv / "eicar" / "eicar.com"));
  const ScanReport r = scanner.scan_message(*engine, deep);
  EXPECT_EQ(av_of(r).status, Status::not_scanned);
  EXPECT_TRUE(av_of(r).limits.has(Limit::mime_depth));
  EXPECT_EQ(r.verdict.action, ksmg::verdict::Action::reject) << r.verdict.reason;

  // A volume limit holds the original.
  ScanLimits small;
  small.max_member_bytes = 16;
  TempDir dir2;
  dir2.copy(kEicarHdb);
  const auto small_engine = av_engine(dir2.str(), {}, small);
  ASSERT_NE(small_engine, nullptr);
  const ScanReport held = scanner.scan_message(
      *small_engine, mail_with({{"a.zip", zip_of({{"big.txt", std::string(4096, 'x')}})}}));
  EXPECT_EQ(av_of(held).status, Status::not_scanned);
  EXPECT_TRUE(av_of(held).limits.has(Limit::member_size));
  EXPECT_EQ(held.verdict.action, ksmg::verdict::Action::deliver);
  EXPECT_TRUE(held.verdict.extras.quarantine);
}

// ---------------------------------------------------------------------------------------------
// Office documents: encryption and macros

TEST(AntivirusOffice, EncryptedDocumentsAreEncrypted) {
  const auto l = load({kClamHdb});
  ASSERT_NE(l->db, nullptr);
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(kAv / "oletools" / "encrypted"))
    files.push_back(e.path());
  for (const auto& e :
       fs::directory_iterator(kAv / "clamav-unit" / "other_scanfiles" / "ole2_encryption"))
    files.push_back(e.path());
  ASSERT_GE(files.size(), 20u);
  for (const fs::path& p : files) {
    const std::string name = p.filename().string();
    const Scanned s = scan(*l->db, name, read_file(p));
    EXPECT_TRUE(s.flags.has(Flag::encrypted)) << name;
    // A document that is also a macro document (autostart-encrypt-standardpassword.xls, whose
    // default password libclamav sees through) is "probably infected", the worse status.
    if (s.flags.has(Flag::macros)) {
      EXPECT_EQ(s.r.module.status, Status::probably_infected)
          << name << ": " << describe(s.r.module);
      continue;
    }
    EXPECT_EQ(s.r.module.status, Status::encrypted) << name << ": " << describe(s.r.module);
    EXPECT_TRUE(has_finding(s.r.module, "", "encrypted")) << name << ": " << describe(s.r.module);
  }
}

TEST(AntivirusOffice, MacrosAreProbablyInfectedWhenAlerted) {
  const std::vector<fs::path> samples{
      kAv / "oletools" / "excel4-macros" / "excel4_sample_macro.xls",
      kAv / "oletools" / "excel4-macros" / "excel4_sample_macro.xlsm",
      kAv / "oletools" / "excel4-macros" / "excel4_sample_macro.xlt",
      kAv / "oletools" / "excel4-macros" / "excel4_sample_macro_excel5_format.xls",
      kAv / "oletools" / "olevba" / "sample_with_vba.ppt",
      kAv / "oletools" / "oleform" / "oleform-PR314.docm",
      kAv / "macro-mail" / "macro.eml",
  };
  Settings on;
  on.alert_macros = true;
  Settings off;
  off.alert_macros = false;
  const auto alerting = load({kClamHdb}, on);
  const auto quiet = load({kClamHdb}, off);
  ASSERT_NE(alerting->db, nullptr);
  ASSERT_NE(quiet->db, nullptr);
  for (const fs::path& p : samples) {
    const std::string name = p.filename().string();
    const std::string data = read_file(p);
    const bool mail = p.extension() == ".eml";
    const Scanned a = scan(*alerting->db, name, data, {}, mail);
    EXPECT_TRUE(a.flags.has(Flag::macros)) << name;
    EXPECT_EQ(a.r.module.status, Status::probably_infected) << name << ": " << describe(a.r.module);
    EXPECT_TRUE(has_finding(a.r.module, "Heuristics.", "probably_infected"))
        << describe(a.r.module);
    const Scanned q = scan(*quiet->db, name, data, {}, mail);
    EXPECT_TRUE(q.flags.has(Flag::macros)) << name;  // the content filter may still act on it
    EXPECT_NE(q.r.module.status, Status::probably_infected) << name << ": " << describe(q.r.module);
    EXPECT_EQ(q.r.module.status, Status::clean) << name << ": " << describe(q.r.module);
  }
}

// ---------------------------------------------------------------------------------------------
// Statuses and limits

TEST(AntivirusStatus, SameContentIsScannedOnceButReportedEverywhere) {
  const auto l = load({kClamHdb});
  ASSERT_NE(l->db, nullptr);
  const std::string clam = read_file(kClamFiles / "clam.exe");
  const std::string zip = zip_of({{"a/first.exe", clam}, {"b/second.exe", clam}});
  const Scanned s = scan(*l->db, "twice.zip", zip);
  EXPECT_EQ(s.objects, 3u);
  EXPECT_EQ(s.r.module.status, Status::infected) << describe(s.r.module);
  EXPECT_EQ(s.r.objects_scanned, 2u);  // the zip's bytes, then clam.exe once
  EXPECT_EQ(s.r.bytes_scanned, zip.size() + clam.size());
  std::set<std::string> where;
  for (const Finding& f : s.r.module.findings)
    if (f.detail == "infected") where.insert(f.where);
  EXPECT_EQ(where, (std::set<std::string>{"twice.zip/a/first.exe", "twice.zip/b/second.exe"}))
      << describe(s.r.module);

  // Clean content: nothing reported, each distinct content still handed over once.
  const std::string text(4000, 'x');
  const Scanned clean = scan(*l->db, "", mail_with({{"a.txt", text}, {"b.txt", text}}), {}, true);
  EXPECT_EQ(clean.r.module.status, Status::clean) << describe(clean.r.module);
  EXPECT_TRUE(clean.r.module.findings.empty());
  EXPECT_EQ(clean.r.objects_scanned, clean.objects - 1);
  EXPECT_TRUE(clean.r.module.limits.empty());
}

TEST(AntivirusStatus, TheCapOnFindingsNeverHidesTheWorst) {
  // 70 macro documents come before the infected file in document order; only 64 findings are
  // listed, and the infection must be one of them, first.
  const auto l = load({kClamHdb});
  ASSERT_NE(l->db, nullptr);
  const std::string macro =
      read_file(data_dir() / "av/oletools/excel4-macros/excel4_sample_macro.xls");
  ASSERT_FALSE(macro.empty());
  std::vector<std::pair<std::string, std::string>> members;
  for (int i = 0; i < 70; ++i) members.emplace_back("m" + std::to_string(i) + ".xls", macro);
  members.emplace_back("z.exe", read_file(kClamFiles / "clam.exe"));
  const Scanned s = scan(*l->db, "many.zip", zip_of(members));
  EXPECT_EQ(s.r.module.status, Status::infected) << describe(s.r.module);
  ASSERT_EQ(s.r.module.findings.size(), 65u) << describe(s.r.module);
  EXPECT_EQ(s.r.module.findings.front().where, "many.zip/z.exe");
  EXPECT_EQ(s.r.module.findings.front().detail, "infected");
  EXPECT_EQ(s.r.module.findings.back().what, "and 7 more objects");
}

std::string pseudo_random(std::size_t n, std::uint32_t seed) {
  std::string s(n, '\0');
  for (char& c : s) {
    seed = seed * 1664525u + 1013904223u;
    c = static_cast<char>(seed >> 24);
  }
  return s;
}

TEST(AntivirusStatus, MessageCpuBudgetLeavesTheRestNotScanned) {
  ScanLimits limits;
  limits.max_av_message_cpu_ms = 1;
  const auto l = load({kClamHdb}, {}, limits);
  ASSERT_NE(l->db, nullptr);

  // Many distinct objects: the budget runs out part way.
  std::vector<std::pair<std::string, std::string>> parts;
  for (std::uint32_t i = 0; i < 150; ++i)
    parts.emplace_back("f" + std::to_string(i) + ".bin", pseudo_random(64 << 10, i + 1));
  const Scanned s = scan(*l->db, "", mail_with(parts), {}, true);
  EXPECT_EQ(s.r.module.status, Status::not_scanned) << describe(s.r.module);
  EXPECT_TRUE(s.r.module.limits.has(Limit::av_time));
  EXPECT_LT(s.r.objects_scanned, s.objects);
  EXPECT_TRUE(has_finding(s.r.module, "Heuristics.Limits.Exceeded.MessageTime", "not_scanned"))
      << describe(s.r.module);

  // clam_cache_emax.tgz: never a crash, and never a clean verdict it did not earn.
  const Scanned tgz =
      scan(*l->db, "clam_cache_emax.tgz", read_file(kClamFiles / "clam_cache_emax.tgz"));
  EXPECT_TRUE(tgz.r.module.status == Status::infected || tgz.r.module.status == Status::not_scanned)
      << describe(tgz.r.module);
  if (tgz.r.module.status == Status::not_scanned) {
    EXPECT_TRUE(tgz.r.module.limits.has(Limit::av_time));
  }

  // What was found before the budget ran out stays found.
  std::vector<std::pair<std::string, std::string>> first_infected{
      {"clam.exe", read_file(kClamFiles / "clam.exe")}};
  first_infected.insert(first_infected.end(), parts.begin(), parts.end());
  const Scanned f = scan(*l->db, "", mail_with(first_infected), {}, true);
  EXPECT_EQ(f.r.module.status, Status::infected) << describe(f.r.module);
  EXPECT_TRUE(f.r.module.limits.has(Limit::av_time));
  ASSERT_FALSE(f.r.module.findings.empty());
  EXPECT_EQ(f.r.module.findings.front().detail, "infected");

  // Through the engine: the budget's limit reaches the report.
  TempDir dir;
  dir.copy(kClamHdb);
  const auto engine = av_engine(dir.str(), {}, limits);
  ASSERT_NE(engine, nullptr);
  Scanner scanner;
  const ScanReport r = scanner.scan_message(*engine, mail_with(parts));
  EXPECT_EQ(av_of(r).status, Status::not_scanned);
  EXPECT_TRUE(r.limits.has(Limit::av_time));
}

TEST(AntivirusStatus, LibclamavLimitsMakeNotScanned) {
  const std::string clam = read_file(kClamFiles / "clam.exe");
  {
    // A file bigger than libclamav may look at (max_av_file_bytes) is not scanned, and surely
    // not "infected" by a nameless signature.
    ScanLimits limits;
    limits.max_av_file_bytes = 100;
    const auto l = load({kClamHdb}, {}, limits);
    ASSERT_NE(l->db, nullptr);
    const Scanned s = scan(*l->db, "clam.exe", clam);
    EXPECT_EQ(s.r.module.status, Status::not_scanned) << describe(s.r.module);
    EXPECT_TRUE(s.r.module.limits.has(Limit::av_scan_size)) << s.r.module.limits.bits();
    for (const Finding& f : s.r.module.findings) EXPECT_NE(f.what, "Unnamed");
    const Scanned txt = scan(*l->db, "small.txt", "just a few words\n");
    EXPECT_EQ(txt.r.module.status, Status::clean) << describe(txt.r.module);
  }
  {
    ScanLimits limits;
    limits.max_av_scan_bytes = 100;
    const auto l = load({kClamHdb}, {}, limits);
    ASSERT_NE(l->db, nullptr);
    const Scanned s = scan(*l->db, "clam.exe", clam);
    EXPECT_EQ(s.r.module.status, Status::not_scanned) << describe(s.r.module);
    EXPECT_TRUE(s.r.module.limits.has(Limit::av_scan_size)) << s.r.module.limits.bits();
    EXPECT_TRUE(has_finding(s.r.module, "Heuristics.Limits.Exceeded.MaxScanSize", "not_scanned"))
        << describe(s.r.module);
  }
  {
    // Containers libclamav opens itself (ARJ: the tree cannot) nested deeper than allowed.
    ScanLimits limits;
    limits.max_av_recursion = 1;
    const auto l = load({kClamHdb}, {}, limits);
    ASSERT_NE(l->db, nullptr);
    const Scanned s = scan(*l->db, "clam.arj", read_file(kClamFiles / "clam.arj"));
    EXPECT_EQ(s.r.module.status, Status::not_scanned) << describe(s.r.module);
    EXPECT_TRUE(s.r.module.limits.has(Limit::av_recursion)) << s.r.module.limits.bits();
    // What the tree took apart is not nested for libclamav: found.
    const Scanned z = scan(*l->db, "clam.zip", read_file(kClamFiles / "clam.zip"));
    EXPECT_EQ(z.r.module.status, Status::infected) << describe(z.r.module);
  }
  {
    ScanLimits limits;
    limits.max_av_files = 1;
    const auto l = load({kClamHdb}, {}, limits);
    ASSERT_NE(l->db, nullptr);
    const Scanned s = scan(*l->db, "clam.chm", read_file(kClamFiles / "clam.chm"));
    // CHM: a container only libclamav opens; more files in it than allowed.
    EXPECT_EQ(s.r.module.status, Status::not_scanned) << describe(s.r.module);
    EXPECT_TRUE(s.r.module.limits.has(Limit::av_files)) << s.r.module.limits.bits();
  }
}

TEST(AntivirusStatus, ObjectOverTheDefaultFileLimitIsNotInfected) {
  // Within the tree's limits (max_member_bytes 64 MiB) but over libclamav's default
  // max_av_file_bytes (50 MiB): not scanned, never "infected".
  const auto l = load({kClamHdb});
  ASSERT_NE(l->db, nullptr);
  const std::string big = pseudo_random((50u << 20) + 4096, 7);
  const Scanned s = scan(*l->db, "big.bin", big);
  EXPECT_EQ(s.r.module.status, Status::not_scanned) << describe(s.r.module);
  EXPECT_TRUE(s.r.module.limits.has(Limit::av_scan_size)) << s.r.module.limits.bits();
}

// ---------------------------------------------------------------------------------------------
// True type (issue 17, principle 5): a container or a message is read as such whatever marker
// sits past its opening bytes, so the EICAR file inside is found.

TEST(AntivirusTrueType, MarkerPastOffsetZeroNeverClosesAContainer) {
  const auto l = load({kEicarHdb});
  ASSERT_NE(l->db, nullptr);
  const std::string eicar = read_file(kAv / "eicar" / "eicar.com");
  // A tar whose first member's name and bytes carry a PDF header within the first kilobyte.
  const std::string tar =
      ksmg::test::archive_of({{"%PDF-1.7.txt", "%PDF-1.7\n<html><body>\n"}, {"eicar.com", eicar}},
                             archive_write_set_format_ustar);
  const Scanned s = scan(*l->db, "files.tar", tar);
  EXPECT_EQ(s.r.module.status, Status::infected) << describe(s.r.module);
  EXPECT_TRUE(has_finding(s.r.module, "Test.EICAR", "infected")) << describe(s.r.module);
  // A mail whose Subject carries the PDF header: a message, read through its parts.
  std::string mail = mail_with({{"readme.com", eicar}});
  mail.insert(0, "X-Note: %PDF-1.7\r\n");
  const Scanned m = scan(*l->db, "", mail);
  EXPECT_EQ(m.r.module.status, Status::infected) << describe(m.r.module);
}

TEST(AntivirusTrueType, DeclaredOrNamedMessageIsReadAsMail) {
  const auto l = load({kEicarHdb});
  ASSERT_NE(l->db, nullptr);
  const std::string eicar = read_file(kAv / "eicar" / "eicar.com");
  // Inner messages a mail client opens but that do not read as text or as a typical mail: NUL
  // bytes in a part before the payload, a header block of only MIME fields.
  const std::string binary_before =
      "From: x@example.org\r\nSubject: %PDF-1.7\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=i\r\n\r\n--i\r\n"
      "Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n" +
      std::string("\0\0\0\x01\x02\0\0", 7) +
      "\r\n--i\r\nContent-Type: application/x-msdownload\r\n"
      "Content-Transfer-Encoding: base64\r\n\r\n" +
      base64(eicar) + "--i--\r\n";
  const std::string mime_fields_only =
      "Content-Type: multipart/mixed; boundary=i\r\nX-Any: 1\r\n\r\n--i\r\n"
      "Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
      base64(eicar) + "--i--\r\n";
  for (const std::string& inner : {binary_before, mime_fields_only}) {
    for (const std::string& headers :
         {std::string("Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n"),
          std::string("Content-Type: application/octet-stream; name=fwd.eml\r\n"
                      "Content-Transfer-Encoding: base64\r\n")}) {
      const std::string outer =
          "From: a@example.org\r\nTo: b@example.org\r\nSubject: fw\r\nMIME-Version: 1.0\r\n"
          "Content-Type: multipart/mixed; boundary=o\r\n\r\n--o\r\nContent-Type: text/plain\r\n\r\n"
          "see attached\r\n--o\r\n" +
          headers + "\r\n" + base64(inner) + "--o--\r\n";
      const Scanned s = scan(*l->db, "", outer, {}, true);
      EXPECT_EQ(s.r.module.status, Status::infected) << headers << describe(s.r.module);
    }
  }
}

// Issue 17, principle 7: the EICAR file in an HTML body as a data: URL in the forms a browser
// accepts beside the plain one (character references, percent-encoding without base64).
TEST(AntivirusHtmlData, DataUrlsInEveryBrowserFormAreScanned) {
  const auto l = load({kEicarHdb});
  ASSERT_NE(l->db, nullptr);
  const std::string eicar = read_file(kAv / "eicar" / "eicar.com");
  std::string b64 = base64(eicar);
  std::erase(b64, '\r');
  std::string percent;
  for (const char c : eicar) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    percent += '%';
    percent += kHex[static_cast<unsigned char>(c) >> 4];
    percent += kHex[static_cast<unsigned char>(c) & 15];
  }
  for (const std::string& url : {"data&colon;application/octet-stream;base64&comma;" + b64,
                                 "data:application/octet-stream," + percent}) {
    const std::string mail =
        "From: a@example.org\r\nTo: b@example.org\r\nSubject: hi\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/html\r\n\r\n<html><body><a href=\"" +
        url + "\" download=\"a.com\">open</a></body></html>\r\n";
    const Scanned s = scan(*l->db, "", mail, {}, true);
    EXPECT_EQ(s.r.module.status, Status::infected) << url << " " << describe(s.r.module);
  }
}

// libclamav's clean cache is keyed by content alone, while the same bytes reach it in two modes:
// a zip the tree unpacked goes with libclamav's archive parsers off (its members are scanned on
// their own), the same zip in a message where the tree could not open it goes with them on.
TEST(AntivirusCleanCache, ACleanFromOneModeNeverAnswersTheOther) {
  const auto l = load({kEicarHdb});
  ASSERT_NE(l->db, nullptr);
  ASSERT_TRUE(l->db->settings().clean_cache);
  const std::string zip = read_file(kAv / "eicar" / "eicar_com.zip");
  ScanLimits closed;
  closed.max_archive_depth = 0;  // the tree leaves the zip closed: libclamav must open it
  for (int round = 0; round < 2; ++round) {
    const Scanned opened = scan(*l->db, "eicar_com.zip", zip);
    EXPECT_EQ(opened.r.module.status, Status::infected) << round << describe(opened.r.module);
    EXPECT_TRUE(has_finding(opened.r.module, "Test.EICAR", "infected"))
        << round << describe(opened.r.module);
    const Scanned by_libclamav = scan(*l->db, "eicar_com.zip", zip, closed);
    EXPECT_EQ(by_libclamav.r.module.status, Status::infected)
        << round << describe(by_libclamav.r.module);
    EXPECT_TRUE(has_finding(by_libclamav.r.module, "Test.EICAR", "infected"))
        << round << describe(by_libclamav.r.module);
  }
}

TEST(AntivirusCleanCache, NarrowCleansAreKeptForTheirOwnModeOnly) {
  const std::string zip = zip_of({{"a.txt", "nothing to see"}, {"b.txt", "nor here"}});
  for (const bool cache : {true, false}) {
    Settings settings;
    settings.clean_cache = cache;
    const auto l = load({kEicarHdb}, settings);
    ASSERT_NE(l->db, nullptr);
    // The zip (raw, outside libclamav's cache) and its two members (full scans).
    const Scanned first = scan(*l->db, "clean.zip", zip);
    EXPECT_EQ(first.r.module.status, Status::clean);
    EXPECT_EQ(first.r.objects_scanned, 3u);
    // The same zip again: its raw scan is answered by the database's own record of it.
    const Scanned again = scan(*l->db, "clean.zip", zip);
    EXPECT_EQ(again.r.module.status, Status::clean);
    EXPECT_EQ(again.r.objects_scanned, cache ? 2u : 3u) << cache;
  }
}

// ---------------------------------------------------------------------------------------------
// Engine, reload

TEST(AntivirusEngine, HeadersAndSwitchingOff) {
  TempDir dir;
  dir.copy(kClamHdb);
  const auto engine = av_engine(dir.str());
  ASSERT_NE(engine, nullptr);
  ASSERT_NE(engine->antivirus(), nullptr);
  Scanner scanner;
  const ScanReport r =
      scanner.scan_message(*engine, mail_with({{"clam.exe", read_file(kClamFiles / "clam.exe")}}));
  EXPECT_EQ(av_of(r).status, Status::infected);
  const auto header = [&](std::string_view name) -> std::string {
    for (const auto& [n, v] : r.headers)
      if (n == name) return v;
    return "(absent)";
  };
  EXPECT_EQ(header("X-KSMG-AntiVirus"), engine->antivirus()->info().describe());
  EXPECT_NE(header("X-KSMG-AntiVirus").find("ClamAV"), std::string::npos);
  EXPECT_NE(header("X-KSMG-AntiVirus-Status"), "(absent)");

  Config off;
  off.modules.antivirus = false;
  off.antivirus.database_dir = "/nonexistent";  // not loaded when the module is off
  ConfigError err;
  const auto no_av = Engine::compile(off, err);
  ASSERT_NE(no_av, nullptr) << err.to_string();
  EXPECT_EQ(no_av->antivirus(), nullptr);
  const ScanReport n = scanner.scan_message(*no_av, mail_with({{"clam.exe", "MZ"}}));
  // A module switched off reports nothing: no result, no header.
  EXPECT_TRUE(std::none_of(n.verdict.modules.begin(), n.verdict.modules.end(),
                           [](const ModuleResult& m) { return m.module == Module::antivirus; }));
  for (const auto& [name, value] : n.headers) EXPECT_NE(name, "X-KSMG-AntiVirus") << value;

  Config bad;
  bad.file = "/etc/ksmg/test.toml";
  bad.antivirus.database_dir = "/nonexistent";
  EXPECT_EQ(Engine::compile(bad, err), nullptr);
  EXPECT_EQ(err.key, "antivirus.database_dir");
  EXPECT_NE(err.message.find("/nonexistent"), std::string::npos) << err.message;
}

TEST(AntivirusReload, NewSignaturesWhileScanning) {
  TempDir dir;
  dir.copy(kClamHdb);
  Settings settings;
  settings.reload_check_seconds = 0;
  const auto first = av_engine(dir.str(), settings);
  ASSERT_NE(first, nullptr);
  EngineHolder holder(first);
  ksmg::DatabaseWatcher watcher(holder);
  EXPECT_FALSE(watcher.check_now());  // nothing changed

  const std::string eicar = read_file(kAv / "eicar" / "eicar.com");
  std::atomic<bool> stop{false};
  std::atomic<int> clean{0}, infected{0}, other{0}, after_swap_clean{0};
  std::atomic<bool> swapped{false};
  std::thread worker([&] {
    Scanner scanner;
    while (!stop.load()) {
      const bool was_swapped = swapped.load();
      const std::shared_ptr<const Engine> e = holder.get();
      if (e == nullptr || e->antivirus() == nullptr) {
        ++other;
        continue;
      }
      const ScanReport r = scanner.scan_file(*e, "eicar.com", eicar);
      const Status s = av_of(r).status;
      if (s == Status::clean) {
        ++clean;
        if (was_swapped) ++after_swap_clean;
      } else if (s == Status::infected) {
        ++infected;
      } else {
        ++other;
      }
    }
  });
  while (clean.load() < 20) std::this_thread::yield();

  dir.copy(kEicarHdb);
  EXPECT_TRUE(first->antivirus()->changed_on_disk());
  EXPECT_TRUE(watcher.check_now());
  swapped = true;
  const std::shared_ptr<const Engine> second = holder.get();
  EXPECT_NE(second, first);
  EXPECT_GT(second->generation(), first->generation());
  EXPECT_EQ(second->antivirus()->info().signatures, 2u);
  EXPECT_FALSE(second->antivirus()->changed_on_disk());
  const int seen = infected.load();
  while (infected.load() < seen + 20) std::this_thread::yield();

  // A broken file next: the working database stays, and the same files are not tried again.
  dir.write("zz-broken.hdb", "not a signature\n");
  EXPECT_TRUE(second->antivirus()->changed_on_disk());
  EXPECT_FALSE(watcher.check_now());
  EXPECT_EQ(holder.get(), second);
  EXPECT_FALSE(watcher.check_now());
  std::string error;
  EXPECT_FALSE(holder.reload_antivirus(error));
  EXPECT_FALSE(error.empty());
  EXPECT_EQ(holder.get(), second);
  const int seen2 = infected.load();
  while (infected.load() < seen2 + 20) std::this_thread::yield();

  // Fixed: the next look loads it.
  fs::remove(dir.path() / "zz-broken.hdb");
  dir.write("zz-extra.hdb", read_file(kClamHdb));
  EXPECT_TRUE(watcher.check_now());
  EXPECT_NE(holder.get(), second);
  EXPECT_TRUE(holder.reload_antivirus(error)) << error;
  stop = true;
  worker.join();

  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(after_swap_clean.load(), 0);
  EXPECT_GE(clean.load(), 20);
  Scanner scanner;
  EXPECT_EQ(av_of(scanner.scan_file(*holder.get(), "eicar.com", eicar)).status, Status::infected);
  // The rest of the engine is shared with the first one.
  EXPECT_EQ(&holder.get()->content_filter(), &first->content_filter());
}

TEST(AntivirusReload, ConfigurationReloadKeepsAnUnchangedDatabase) {
  TempDir dir;
  fs::create_directory(dir.path() / "db");
  dir.copy(kClamHdb, "db/clamav.hdb");
  const fs::path toml = dir.path() / "ksmg.toml";
  auto write_config = [&](std::string_view extra) {
    std::ofstream(toml) << "[modules]\nantivirus = true\n\n[antivirus]\ndatabase_dir = \"db\"\n"
                           "reload_check_seconds = 0\n"
                        << extra;
  };
  write_config("");
  ConfigError err;
  const auto first = Engine::load(toml.string(), err);
  ASSERT_NE(first, nullptr) << err.to_string();
  ASSERT_NE(first->antivirus(), nullptr);
  EXPECT_EQ(first->antivirus()->settings().database_dir, (dir.path() / "db").string());
  EngineHolder holder(first);

  ASSERT_TRUE(holder.reload(toml.string(), err)) << err.to_string();
  EXPECT_NE(holder.get(), first);
  EXPECT_EQ(holder.get()->antivirus(), first->antivirus());

  // Other libclamav limits: a new database.
  write_config("\n[limits]\nmax_av_files = 500\n");
  ASSERT_TRUE(holder.reload(toml.string(), err)) << err.to_string();
  const ksmg::av::Database* limited = holder.get()->antivirus();
  EXPECT_NE(limited, first->antivirus());
  ASSERT_TRUE(holder.reload(toml.string(), err)) << err.to_string();
  EXPECT_EQ(holder.get()->antivirus(), limited);

  // New files on disk: a new database, with them.
  dir.copy(kEicarHdb, "db/eicar-sha256.hdb");
  ASSERT_TRUE(holder.reload(toml.string(), err)) << err.to_string();
  EXPECT_NE(holder.get()->antivirus(), limited);
  EXPECT_EQ(holder.get()->antivirus()->info().signatures, 2u);

  // A configuration whose database does not load leaves the engine in service.
  const auto before = holder.get();
  std::ofstream(toml) << "[antivirus]\ndatabase_dir = \"nowhere\"\n";
  EXPECT_FALSE(holder.reload(toml.string(), err));
  EXPECT_EQ(err.key, "antivirus.database_dir");
  EXPECT_EQ(holder.get(), before);

  // The anti-virus module off: reload_antivirus is false with no error.
  std::ofstream(toml) << "[modules]\nantivirus = false\n";
  ASSERT_TRUE(holder.reload(toml.string(), err)) << err.to_string();
  std::string error = "x";
  EXPECT_FALSE(holder.reload_antivirus(error));
  EXPECT_TRUE(error.empty());
}

// ---------------------------------------------------------------------------------------------
// Configuration

ConfigError error_of(const std::string& toml) {
  Config c;
  ConfigError err;
  EXPECT_FALSE(ksmg::policy::parse_config(toml, "/etc/ksmg/ksmg.toml", c, err)) << toml;
  return err;
}

TEST(AntivirusConfig, KeysParse) {
  Config c;
  ConfigError err;
  ASSERT_TRUE(ksmg::policy::parse_config(R"(
[antivirus]
database_dir = "clamav"
temp_dir = "/dev/shm"
alert_macros = false
alert_broken_executables = false
clean_cache = false
reload_check_seconds = 0

[limits]
max_av_scan_bytes = "64M"
max_av_file_bytes = "1K"
max_av_recursion = 3
max_av_files = 42
max_av_object_ms = 500
max_av_message_cpu_ms = 1500
)",
                                         "/etc/ksmg/ksmg.toml", c, err))
      << err.to_string();
  EXPECT_EQ(c.antivirus.database_dir, "/etc/ksmg/clamav");
  EXPECT_EQ(c.antivirus.temp_dir, "/dev/shm");
  EXPECT_FALSE(c.antivirus.alert_macros);
  EXPECT_FALSE(c.antivirus.alert_broken_executables);
  EXPECT_FALSE(c.antivirus.clean_cache);
  EXPECT_EQ(c.antivirus.reload_check_seconds, 0u);
  EXPECT_EQ(c.limits.max_av_scan_bytes, 64u << 20);
  EXPECT_EQ(c.limits.max_av_file_bytes, 1u << 10);
  EXPECT_EQ(c.limits.max_av_recursion, 3u);
  EXPECT_EQ(c.limits.max_av_files, 42u);
  EXPECT_EQ(c.limits.max_av_object_ms, 500u);
  EXPECT_EQ(c.limits.max_av_message_cpu_ms, 1500u);

  Config d;
  ASSERT_TRUE(ksmg::policy::parse_config(
      "[antivirus]\ndatabase_dir = \"/var/lib/clamav\"\nreload_check_seconds = 86400\n",
      "/etc/ksmg/ksmg.toml", d, err));
  EXPECT_EQ(d.antivirus.database_dir, "/var/lib/clamav");
  EXPECT_EQ(d.antivirus.reload_check_seconds, 86400u);
  EXPECT_TRUE(d.antivirus.alert_macros);  // defaults kept
  EXPECT_TRUE(d.antivirus.clean_cache);
  EXPECT_EQ(d.antivirus.temp_dir, "");
  EXPECT_EQ(Config{}.antivirus, Settings{});
  EXPECT_EQ(Settings{}.database_dir, "/var/lib/clamav");
}

TEST(AntivirusConfig, ErrorsNameTheKey) {
  EXPECT_EQ(error_of("[antivirus]\nnope = 1\n").key, "antivirus.nope");
  const ConfigError unknown = error_of("\n[antivirus]\ndatabase = \"/var/lib/clamav\"\n");
  EXPECT_EQ(unknown.key, "antivirus.database");
  EXPECT_EQ(unknown.line, 3u);
  EXPECT_NE(unknown.message.find("database_dir"), std::string::npos) << unknown.message;
  EXPECT_EQ(error_of("[antivirus]\ndatabase_dir = \"\"\n").key, "antivirus.database_dir");
  EXPECT_EQ(error_of("[antivirus]\ndatabase_dir = 5\n").key, "antivirus.database_dir");
  EXPECT_EQ(error_of("[antivirus]\nalert_macros = 1\n").key, "antivirus.alert_macros");
  EXPECT_EQ(error_of("[antivirus]\nclean_cache = \"yes\"\n").key, "antivirus.clean_cache");
  EXPECT_EQ(error_of("[antivirus]\nreload_check_seconds = -1\n").key,
            "antivirus.reload_check_seconds");
  EXPECT_EQ(error_of("[antivirus]\nreload_check_seconds = 86401\n").key,
            "antivirus.reload_check_seconds");
  EXPECT_EQ(error_of("antivirus = 1\n").key, "antivirus");
  EXPECT_EQ(error_of("[limits]\nmax_av_files = \"many\"\n").key, "limits.max_av_files");
  EXPECT_EQ(error_of("[limits]\nmax_av_recursion = -2\n").key, "limits.max_av_recursion");
}

}  // namespace

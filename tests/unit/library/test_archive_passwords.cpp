// test_archive_passwords.cpp — issue 17, principle 9: an encrypted archive whose password is
// written in the message is opened with it. Candidates read out of text
// (archive::password_candidates), the reader trying them (libarchive's ZipCrypto and WinZip AES
// reference zips with the passwords its test suite documents, zips encrypted here with
// libarchive's writer; libarchive's 7zAES samples and 7z archives made with 7-Zip, decrypted
// through a plain copy), the object tree gathering the message's text, and the anti-virus
// verdict on the EICAR test file in a password zip and in a 7z whose header is encrypted.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "archive/decrypt.hpp"
#include "ksmg/antivirus.hpp"
#include "ksmg/archive.hpp"
#include "ksmg/mime.hpp"
#include "ksmg/objects.hpp"
#include "test_archive_writer.hpp"
#include "test_cpu_time.hpp"
#include "test_data.hpp"

namespace {

using ksmg::Limit;
using ksmg::ScanLimits;
using ksmg::archive::Budget;
using ksmg::archive::Contents;
using ksmg::archive::password_candidates;
using ksmg::archive::detail::decrypt_7z;
using ksmg::archive::detail::Decryption;
using ksmg::objects::Flag;
using ksmg::objects::Object;
using ksmg::objects::ObjectTree;
using ksmg::test::read_file;
using ksmg::test::write_archive;

const std::filesystem::path kLibarchive = ksmg::test::data_dir() / "archives" / "libarchive";
const std::filesystem::path kEicarDir = ksmg::test::data_dir() / "av" / "eicar";
const std::filesystem::path k7z = ksmg::test::data_dir() / "archives" / "7z-encrypted";

class FixedPasswords final : public ksmg::archive::PasswordSource {
 public:
  explicit FixedPasswords(std::vector<std::string> list) : list_(std::move(list)) {}
  const std::vector<std::string>& candidates() override {
    ++asked;
    return list_;
  }
  int asked = 0;

 private:
  std::vector<std::string> list_;
};

Contents unpack_with(const std::string& data, std::vector<std::string> passwords,
                     const ScanLimits& limits = {}) {
  Budget b(limits);
  FixedPasswords p(std::move(passwords));
  return ksmg::archive::unpack_archive(data, b, &p);
}

std::size_t position(const std::vector<std::string>& list, const std::string& s) {
  return static_cast<std::size_t>(std::find(list.begin(), list.end(), s) - list.begin());
}

// ---------------------------------------------------------------------------------------------
// Candidates

TEST(PasswordCandidates, KeywordValuesComeFirstThenQuotedThenTokens) {
  const std::vector<std::string> c = password_candidates(
      {"Hello Bob, the invoice is attached as \"Q3 report\". Password: Zx81-k9!\nRegards"}, 32);
  ASSERT_FALSE(c.empty());
  EXPECT_EQ(c[0], "Zx81-k9!");
  EXPECT_LT(position(c, "Zx81-k9"), position(c, "Q3 report"));  // punctuation cut too
  EXPECT_LT(position(c, "Q3 report"), position(c, "invoice"));
  EXPECT_LT(position(c, "invoice"), c.size());
  EXPECT_EQ(position(c, "is"), c.size());  // shorter than a token is
}

TEST(PasswordCandidates, KeywordsInTheLanguagesMailIsWrittenIn) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"Пароль: секрет42", "секрет42"},
      {"the password is 'open sesame' for both", "open sesame"},
      {"Das Passwort ist: Kuckuck7", "Kuckuck7"},
      {"pw=infected", "infected"},
      {"Mot de passe : azerty12", "azerty12"},
      {"PASSWORD\r\n  hunter2", "hunter2"},
      {"密码：qwe123", "qwe123"},
      {"invoice_pw_5521", "5521"},
  };
  for (const auto& [text, want] : cases) {
    const std::vector<std::string> c = password_candidates({text}, 32);
    ASSERT_FALSE(c.empty()) << text;
    EXPECT_EQ(c[0], want) << text;
  }
  // A keyword inside a longer word is none: "bypass", "passage", "passwords".
  const std::vector<std::string> c = password_candidates({"bypass the passage: nothing"}, 32);
  EXPECT_NE(c[0], "nothing");
}

TEST(PasswordCandidates, BoundedAndDistinct) {
  std::string text;
  for (int i = 0; i < 10000; ++i) text += "token" + std::to_string(i) + " password: same ";
  const std::vector<std::string> c = password_candidates({text, text}, 5);
  ASSERT_EQ(c.size(), 5u);
  EXPECT_EQ(c[0], "same");
  for (std::size_t i = 0; i < c.size(); ++i)
    EXPECT_EQ(std::count(c.begin(), c.end(), c[i]), 1) << c[i];
  EXPECT_TRUE(password_candidates({}, 5).empty());
  EXPECT_TRUE(password_candidates({"a: b;\r\n"}, 5).empty());
}

// ---------------------------------------------------------------------------------------------
// The reader

TEST(ArchivePasswords, LibarchiveReferenceZipsOpenWithTheirPasswords) {
  // Passwords from libarchive's test_read_format_zip_traditional_encryption_data.c and
  // test_read_format_zip_winzip_aes.c.
  const std::vector<std::pair<std::string, std::string>> zips{
      {"test_read_format_zip_traditional_encryption_data.zip", "12345678"},
      {"test_read_format_zip_winzip_aes128.zip", "password"},
      {"test_read_format_zip_winzip_aes256.zip", "password"},
      {"test_read_format_zip_winzip_aes256_stored.zip", "password"}};
  for (const auto& [file, password] : zips) {
    const std::string data = read_file(kLibarchive / file);
    const Contents c = unpack_with(data, {"wrong", "letmein", password, "later"});
    EXPECT_FALSE(c.encrypted) << file;
    EXPECT_FALSE(c.corrupted) << file << ": " << c.error;
    EXPECT_EQ(c.password, password) << file;
    ASSERT_FALSE(c.members.empty()) << file;
    for (const auto& m : c.members) {
      EXPECT_FALSE(m.encrypted) << file << " " << m.name;
      EXPECT_EQ(m.data.size(), m.declared_size) << file << " " << m.name;
    }
    // None right: encrypted as before, nothing read.
    const Contents wrong = unpack_with(data, {"wrong", "letmein"});
    EXPECT_TRUE(wrong.encrypted) << file;
    EXPECT_FALSE(wrong.corrupted) << file << ": " << wrong.error;
    EXPECT_TRUE(wrong.password.empty());
    for (const auto& m : wrong.members) EXPECT_TRUE(m.data.empty()) << file;
  }
}

TEST(ArchivePasswords, ZipsEncryptedHereOpenWithTheRightCandidateOnly) {
  const std::string secret = "s3cr3t-Passw0rd";
  const std::string payload = "MZ pretend executable, long enough to compress a little bit";
  for (const std::string enc : {"traditional", "aes128", "aes256"}) {
    const std::string zip = write_archive("zip", ARCHIVE_FILTER_NONE,
                                          {{"a.exe", 0, payload}, {"b.txt", 0, "b"}}, enc, secret);
    // Many wrong candidates first: a wrong ZipCrypto password that passes the one-byte check
    // must not count as opening it.
    std::vector<std::string> candidates;
    for (int i = 0; i < 30; ++i) candidates.push_back("wrong" + std::to_string(i));
    candidates.push_back(secret);
    const Contents c = unpack_with(zip, candidates);
    EXPECT_EQ(c.password, secret) << enc;
    EXPECT_FALSE(c.encrypted) << enc;
    ASSERT_EQ(c.members.size(), 2u) << enc;
    EXPECT_EQ(c.members[0].data, payload) << enc;
  }
}

TEST(ArchivePasswords, CandidatesAreBoundedAndAskedOnlyForEncryptedContainers) {
  const std::string zip =
      write_archive("zip", ARCHIVE_FILTER_NONE, {{"a.txt", 0, "aaa"}}, "traditional", "right");
  ScanLimits one;
  one.max_password_candidates = 1;
  const Contents c = unpack_with(zip, {"wrong", "right"}, one);
  EXPECT_TRUE(c.encrypted);
  EXPECT_TRUE(c.limits.has(Limit::password_candidates));
  EXPECT_EQ(unpack_with(zip, {"right", "wrong"}, one).password, "right");

  // Not encrypted: no candidate asked for.
  Budget b({});
  FixedPasswords p({"password"});
  const Contents plain = ksmg::archive::unpack_archive(
      write_archive("zip", ARCHIVE_FILTER_NONE, {{"a.txt", 0, "aaa"}}), b, &p);
  EXPECT_FALSE(plain.encrypted);
  EXPECT_EQ(p.asked, 0);
}

// ---------------------------------------------------------------------------------------------
// 7z: 7zAES undone into a plain copy that libarchive reads (archive/sevenzip_crypt.cpp)

using Members = std::vector<std::pair<std::string, std::string>>;  // name, content

// The members read, in name order.
Members sorted_members(const Contents& c) {
  Members m;
  for (const auto& member : c.members) m.emplace_back(member.name, member.data);
  std::sort(m.begin(), m.end());
  return m;
}

// Twelve wrong candidates, then the right one.
std::vector<std::string> wrong_then(const std::string& right) {
  std::vector<std::string> candidates;
  for (int i = 0; i < 12; ++i) candidates.push_back("wrong" + std::to_string(i));
  candidates.push_back(right);
  return candidates;
}

std::string input(const char* name) { return read_file(k7z / "inputs" / name); }

TEST(ArchivePasswords, LibarchiveReference7zOpenWithTheirPassword) {
  // Contents as 7-Zip 26.02 extracts them (7zz x -p12345678); password from libarchive's
  // test_read_format_7zip_encryption_data.c.
  const std::vector<std::pair<std::string, Members>> archives{
      {"test_read_format_7zip_encryption.7z", {{"bar.txt", "foo\n"}}},
      {"test_read_format_7zip_encryption_header.7z", {{"bar.txt", "foo\n"}}},
      {"test_read_format_7zip_encryption_partially.7z",
       {{"bar_encrypted.txt", "foo\n"}, {"bar_unencrypted.txt", "foo\n"}}}};
  for (const auto& [file, members] : archives) {
    const std::string data = read_file(kLibarchive / file);
    const Contents c = unpack_with(data, {"wrong", "letmein", "12345678", "later"});
    EXPECT_EQ(c.format, "7z") << file;
    EXPECT_EQ(c.password, "12345678") << file;
    EXPECT_FALSE(c.encrypted) << file;
    EXPECT_FALSE(c.corrupted) << file << ": " << c.error;
    EXPECT_EQ(sorted_members(c), members) << file;
    // None right: encrypted as before, no encrypted member read.
    const Contents wrong = unpack_with(data, {"wrong", "letmein", "1234567"});
    EXPECT_TRUE(wrong.encrypted) << file;
    EXPECT_TRUE(wrong.password.empty()) << file;
    for (const auto& m : wrong.members) {
      if (m.encrypted) {
        EXPECT_TRUE(m.data.empty()) << file << " " << m.name;
      } else {
        EXPECT_EQ(m.name, "bar_unencrypted.txt") << file;
      }
    }
  }
}

TEST(ArchivePasswords, SevenZipArchivesOpenWithTheRightCandidateOnly) {
  // Made with 7-Zip 26.02 (tests/data/archives/7z-encrypted/SOURCE.md) from the files in inputs/.
  const Members hello_lorem{{"hello.txt", input("hello.txt")}, {"lorem.txt", input("lorem.txt")}};
  struct Case {
    std::string file, password;
    Members members;
    std::vector<std::string> plain;  // members stored without encryption
  };
  const std::vector<Case> cases{
      {"lzma2_header_encrypted.7z", "Kw9-тест", hello_lorem, {}},
      {"lzma_plain_header.7z", "secret7z", hello_lorem, {}},
      {"bcj_x86.7z",
       "secret7z",
       {{"hello.txt", input("hello.txt")}, {"prog.exe", input("prog.exe")}},
       {}},
      {"bcj2.7z", "secret7z", {{"prog.exe", input("prog.exe")}}, {}},
      {"ppmd.7z", "secret7z", hello_lorem, {}},
      {"solid.7z",
       "secret7z",
       {{"hello.txt", input("hello.txt")},
        {"lorem.txt", input("lorem.txt")},
        {"prog.exe", input("prog.exe")}},
       {}},
      {"empty_file.7z", "secret7z", {{"empty.txt", ""}, {"hello.txt", input("hello.txt")}}, {}},
      {"stored.7z", "secret7z", hello_lorem, {}},
      {"mixed.7z", "secret7z", hello_lorem, {"lorem.txt"}},
  };
  for (const Case& k : cases) {
    const std::string data = read_file(k7z / k.file);
    const Contents c = unpack_with(data, wrong_then(k.password));
    EXPECT_EQ(c.format, "7z") << k.file;
    EXPECT_EQ(c.password, k.password) << k.file;
    EXPECT_FALSE(c.encrypted) << k.file;
    EXPECT_FALSE(c.corrupted) << k.file << ": " << c.error;
    EXPECT_EQ(sorted_members(c), k.members) << k.file;

    const Contents wrong = unpack_with(data, {"wrong", "secret7", "Kw9-тес"});
    EXPECT_TRUE(wrong.encrypted) << k.file;
    EXPECT_TRUE(wrong.password.empty()) << k.file;
    for (const auto& m : wrong.members) {
      const bool plain = std::find(k.plain.begin(), k.plain.end(), m.name) != k.plain.end();
      EXPECT_EQ(m.encrypted, !plain && !m.name.starts_with("empty")) << k.file << " " << m.name;
      EXPECT_EQ(m.data, plain ? input(m.name.c_str()) : "") << k.file << " " << m.name;
    }
  }
}

TEST(ArchivePasswords, SevenZipWrongPasswordsNeverGiveACleanMember) {
  ksmg::archive::Budget budget({});
  // A wrong password is told before anything is copied where the coder after 7zAES allows it:
  // the encrypted header's CRC, LZMA and LZMA2 streams decoded from their start, the members'
  // CRCs when 7zAES feeds Copy.
  for (const std::string file :
       {"lzma2_header_encrypted.7z", "lzma_plain_header.7z", "bcj2.7z", "stored.7z", "mixed.7z"}) {
    const std::string data = read_file(k7z / file);
    for (int i = 0; i < 8; ++i)
      EXPECT_EQ(decrypt_7z(data, "wrong" + std::to_string(i), budget).status,
                Decryption::wrong_password)
          << file << " " << i;
  }
  // What those checks rest on: libarchive 3.6.2 checks each member's CRC as it reaches the
  // member's end ("7-Zip bad CRC", ARCHIVE_WARN), and the reader records that as corrupted. In
  // the copy of stored.7z the members are stored bytes (Copy), so only the CRC can tell.
  const auto stored = decrypt_7z(read_file(k7z / "stored.7z"), "secret7z", budget);
  ASSERT_EQ(stored.status, Decryption::opened);
  std::string tampered = stored.archive;
  tampered[32 + 3] = static_cast<char>(tampered[32 + 3] ^ 0x20);  // in hello.txt, the first member
  ksmg::archive::Budget read_budget({});
  const Contents read = ksmg::archive::unpack_archive(tampered, read_budget);
  EXPECT_TRUE(read.corrupted);
  ASSERT_FALSE(read.members.empty());
  EXPECT_EQ(read.members[0].name, "hello.txt");
  EXPECT_TRUE(read.members[0].corrupted);
  EXPECT_NE(read.error.find("CRC"), std::string::npos) << read.error;

  // PPMd offers a one-byte check. Wrong passwords that pass it (found by trying "guess0",
  // "guess1", ... on this archive) leave a copy whose members fail libarchive's CRC check, which
  // the reader records as corrupted.
  const std::string ppmd = read_file(k7z / "ppmd.7z");
  for (const std::string guess : {"guess348", "guess704"}) {
    const auto d = decrypt_7z(ppmd, guess, budget);
    ASSERT_EQ(d.status, Decryption::opened) << guess;
    ksmg::archive::Budget b({});
    const Contents copy = ksmg::archive::unpack_archive(d.archive, b);
    EXPECT_TRUE(copy.corrupted) << guess;
    ASSERT_FALSE(copy.members.empty()) << guess;
    EXPECT_TRUE(copy.members.front().corrupted) << guess;
    for (const auto& m : copy.members) EXPECT_NE(m.data, input(m.name.c_str())) << guess;
    // Through the reader: the archive stays encrypted, the right password after them opens it.
    EXPECT_TRUE(unpack_with(ppmd, {guess}).encrypted) << guess;
    EXPECT_EQ(unpack_with(ppmd, {guess, "secret7z"}).password, "secret7z") << guess;
  }
}

TEST(ArchivePasswords, HostileSevenZipStopsQuickly) {
  // NumCyclesPower patched in cycles_*.7z (SOURCE.md): 63 is 7-Zip's raw key (salt and password
  // as they are, so "secret7z" no longer fits), 40 past what 7-Zip derives, 24 the most it does.
  ksmg::archive::Budget budget({});
  const ksmg::test::CpuStopwatch clock;
  EXPECT_EQ(decrypt_7z(read_file(k7z / "cycles_63.7z"), "secret7z", budget).status,
            Decryption::wrong_password);
  EXPECT_EQ(decrypt_7z(read_file(k7z / "cycles_40.7z"), "secret7z", budget).status,
            Decryption::unsupported);
  EXPECT_LT(clock.seconds(), 0.5);
  ScanLimits tight;
  tight.max_unpack_cpu_ms = 20;
  ksmg::archive::Budget short_budget(tight);
  (void)short_budget.out_of_time();  // starts its clock
  const ksmg::test::CpuStopwatch derive;
  EXPECT_EQ(decrypt_7z(read_file(k7z / "cycles_24.7z"), "secret7z", short_budget).status,
            Decryption::out_of_time);
  EXPECT_LT(derive.seconds(), 0.5);
  const Contents timed = unpack_with(read_file(k7z / "cycles_24.7z"), {"secret7z"}, tight);
  EXPECT_TRUE(timed.encrypted);
  EXPECT_TRUE(timed.limits.has(Limit::unpack_time));

  // Cut anywhere, or with a header CRC that does not match: never opened, never a crash.
  const std::string good = read_file(k7z / "lzma2_header_encrypted.7z");
  ASSERT_EQ(decrypt_7z(good, "Kw9-тест", budget).status, Decryption::opened);
  for (std::size_t n = 0; n < good.size(); ++n)
    EXPECT_EQ(decrypt_7z(good.substr(0, n), "Kw9-тест", budget).status, Decryption::unsupported)
        << n;
  for (const std::size_t at : {std::size_t{9}, std::size_t{28}, good.size() - 1}) {
    std::string bad = good;
    bad[at] = static_cast<char>(bad[at] ^ 0x01);
    EXPECT_EQ(decrypt_7z(bad, "Kw9-тест", budget).status, Decryption::unsupported) << at;
  }
  // Not a 7z at all.
  EXPECT_EQ(decrypt_7z("PK\x03\x04 not a 7z", "x", budget).status, Decryption::unsupported);
}

// ---------------------------------------------------------------------------------------------
// The object tree and the anti-virus verdict

// A mail with `body` as its text and `zip` attached as "files.zip" (binary transfer encoding).
std::string mail_with_zip(const std::string& subject, const std::string& body,
                          const std::string& zip, const std::string& zip_name = "files.zip",
                          const std::string& content_type = "application/zip") {
  return "From: a@example.test\r\nTo: b@example.test\r\nSubject: " + subject +
         "\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; "
         "boundary=\"=_boundary_of_this_test_=\"\r\n\r\n--=_boundary_of_this_test_=\r\n"
         "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" +
         body + "\r\n--=_boundary_of_this_test_=\r\nContent-Type: " + content_type + "\r\n" +
         "Content-Disposition: attachment; filename=\"" + zip_name +
         "\"\r\nContent-Transfer-Encoding: binary\r\n\r\n" + zip +
         "\r\n--=_boundary_of_this_test_=--\r\n";
}

const Object* find_path_end(const ObjectTree& t, const std::string& suffix) {
  for (const Object& o : t.objects())
    if (o.path.ends_with(suffix)) return &o;
  return nullptr;
}

TEST(ObjectTreePasswords, PasswordInBodySubjectOrFileNameOpensTheZip) {
  const std::string eicar = read_file(kEicarDir / "eicar.com");
  const std::string zip =
      write_archive("zip", ARCHIVE_FILTER_NONE, {{"eicar.com", 0, eicar}}, "aes256", "Kw9-тест");
  struct Case {
    std::string subject, body, name;
  };
  for (const Case& k : {Case{"invoice", "Hi,\r\nthe archive's password: Kw9-тест\r\n", "a.zip"},
                        Case{"Пароль Kw9-тест", "see attached", "a.zip"},
                        Case{"invoice", "see attached", "docs pw Kw9-тест.zip"}}) {
    const std::string raw = mail_with_zip(k.subject, k.body, zip, k.name);
    const ksmg::mime::Message m = ksmg::mime::Message::parse(raw);
    const ObjectTree t = ObjectTree::of_message(m);
    const Object* z = find_path_end(t, k.name);
    ASSERT_NE(z, nullptr) << k.subject;
    EXPECT_EQ(z->password, "Kw9-тест") << k.subject;
    EXPECT_FALSE(z->flags.has(Flag::encrypted)) << k.subject;
    const Object* member = find_path_end(t, k.name + "/eicar.com");
    ASSERT_NE(member, nullptr) << k.subject;
    EXPECT_EQ(member->data, eicar);
  }
  // Without the password in the message: encrypted, as before.
  const std::string without = mail_with_zip("x", "hello", zip);  // the message views it
  const ksmg::mime::Message m = ksmg::mime::Message::parse(without);
  const ObjectTree t = ObjectTree::of_message(m);
  const Object* z = find_path_end(t, "files.zip");
  ASSERT_NE(z, nullptr);
  EXPECT_TRUE(z->password.empty());
  EXPECT_TRUE(z->flags.has(Flag::encrypted));
}

// The anti-virus database of tests/data/av/eicar (the EICAR test file's signature).
auto eicar_database() {
  ksmg::av::Settings settings;
  settings.database_dir = kEicarDir.string();
  std::string error;
  auto db = ksmg::av::Database::load(settings, {}, error);
  EXPECT_NE(db, nullptr) << error;
  return db;
}

TEST(ObjectTreePasswords, EicarInAPasswordZipIsInfected) {
  const auto db = eicar_database();
  ASSERT_NE(db, nullptr);
  const std::string zip =
      write_archive("zip", ARCHIVE_FILTER_NONE,
                    {{"readme.com", 0, read_file(kEicarDir / "eicar.com")}}, "traditional", "4711");
  const std::string with_password = mail_with_zip("files", "The password is 4711.", zip);
  const ksmg::mime::Message opened = ksmg::mime::Message::parse(with_password);
  EXPECT_EQ(db->scan(ObjectTree::of_message(opened)).module.status,
            ksmg::verdict::Status::infected);
  const std::string without_password = mail_with_zip("files", "No password here.", zip);
  const ksmg::mime::Message closed = ksmg::mime::Message::parse(without_password);
  EXPECT_EQ(db->scan(ObjectTree::of_message(closed)).module.status,
            ksmg::verdict::Status::encrypted);
}

TEST(ObjectTreePasswords, EicarInAHeaderEncrypted7zIsInfected) {
  const auto db = eicar_database();
  ASSERT_NE(db, nullptr);
  // eicar.com in a 7z made with -mhe=on: without the password not even its name shows.
  const std::string sevenz = read_file(k7z / "eicar_header_encrypted.7z");
  const std::string with_password =
      mail_with_zip("files", "Hi,\r\nthe password is: infected\r\n", sevenz, "files.7z",
                    "application/x-7z-compressed");
  const ksmg::mime::Message opened = ksmg::mime::Message::parse(with_password);
  const ObjectTree t = ObjectTree::of_message(opened);
  const Object* archive = find_path_end(t, "files.7z");
  ASSERT_NE(archive, nullptr);
  EXPECT_EQ(archive->password, "infected");
  EXPECT_FALSE(archive->flags.has(Flag::encrypted));
  const Object* member = find_path_end(t, "files.7z/eicar.com");
  ASSERT_NE(member, nullptr);
  EXPECT_EQ(member->data, read_file(kEicarDir / "eicar.com"));
  EXPECT_EQ(db->scan(t).module.status, ksmg::verdict::Status::infected);

  const std::string without_password = mail_with_zip("files", "No password here.", sevenz,
                                                     "files.7z", "application/x-7z-compressed");
  const ksmg::mime::Message closed = ksmg::mime::Message::parse(without_password);
  EXPECT_EQ(db->scan(ObjectTree::of_message(closed)).module.status,
            ksmg::verdict::Status::encrypted);
}

}  // namespace

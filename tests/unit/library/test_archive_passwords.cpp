// test_archive_passwords.cpp — issue 17, principle 9: an encrypted archive whose password is
// written in the message is opened with it. Candidates read out of text
// (archive::password_candidates), the reader trying them (libarchive's ZipCrypto and WinZip AES
// reference zips with the passwords its test suite documents, zips encrypted here with
// libarchive's writer), the object tree gathering the message's text, and the anti-virus verdict
// on the EICAR test file in a password zip.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "ksmg/antivirus.hpp"
#include "ksmg/archive.hpp"
#include "ksmg/mime.hpp"
#include "ksmg/objects.hpp"
#include "test_archive_writer.hpp"
#include "test_data.hpp"

namespace {

using ksmg::Limit;
using ksmg::ScanLimits;
using ksmg::archive::Budget;
using ksmg::archive::Contents;
using ksmg::archive::password_candidates;
using ksmg::objects::Flag;
using ksmg::objects::Object;
using ksmg::objects::ObjectTree;
using ksmg::test::read_file;
using ksmg::test::write_archive;

const std::filesystem::path kLibarchive = ksmg::test::data_dir() / "archives" / "libarchive";
const std::filesystem::path kEicarDir = ksmg::test::data_dir() / "av" / "eicar";

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
// The object tree and the anti-virus verdict

// A mail with `body` as its text and `zip` attached as "files.zip" (binary transfer encoding).
std::string mail_with_zip(const std::string& subject, const std::string& body,
                          const std::string& zip, const std::string& zip_name = "files.zip") {
  return "From: a@example.test\r\nTo: b@example.test\r\nSubject: " + subject +
         "\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; "
         "boundary=\"=_boundary_of_this_test_=\"\r\n\r\n--=_boundary_of_this_test_=\r\n"
         "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" +
         body + "\r\n--=_boundary_of_this_test_=\r\nContent-Type: application/zip\r\n" +
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

TEST(ObjectTreePasswords, EicarInAPasswordZipIsInfected) {
  ksmg::av::Settings settings;
  settings.database_dir = kEicarDir.string();
  std::string error;
  const auto db = ksmg::av::Database::load(settings, {}, error);
  ASSERT_NE(db, nullptr) << error;
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

}  // namespace

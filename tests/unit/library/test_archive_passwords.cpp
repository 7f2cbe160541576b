// test_archive_passwords.cpp — issue 17, principle 9: an encrypted archive whose password is
// written in the message is opened with it. Candidates read out of text
// (archive::password_candidates), the reader trying them (libarchive's ZipCrypto and WinZip AES
// reference zips with the passwords its test suite documents, zips encrypted here with
// libarchive's writer; libarchive's 7zAES samples and 7z archives made with 7-Zip, libarchive's
// RAR 4 and RAR 5 samples, all decrypted into plain copies, and the decryptions themselves
// against hostile work factors, cuts and damage), the object tree gathering the message's text,
// and the anti-virus verdict on the EICAR test file in a password zip and in a 7z whose header
// is encrypted.
#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "archive/decrypt.hpp"
#include "archive/rar5_blocks.hpp"
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
using ksmg::archive::detail::Decrypted;
using ksmg::archive::detail::Decryption;
using Rar5Header = ksmg::archive::detail::rar5::Header;
using Rar5Record = ksmg::archive::detail::rar5::Record;
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
// RAR: decrypted into a plain copy (detail::decrypt_rar) that libarchive reads
//
// Oracles: libarchive's test_read_format_rar_encryption.c (the rar4/rar5 samples hold a.txt to
// d.txt, each "This is from <name>"; without solid compression or header encryption a.txt and
// c.txt are plain, b.txt is under "password", d.txt under "password2"), its
// test_read_format_rar_encryption_partially.c (bar.txt there is plain: "data of bar.txt\n",
// 16 bytes, like foo.txt), and libarchive's own CRC32 check of every member it decompresses
// from a copy (RAR 4 stores the CRC32 of the plain data, RAR 5 too unless it is keyed).

using Expected = std::vector<std::pair<std::string, std::string>>;

Expected from_names(std::initializer_list<const char*> names) {
  Expected e;
  for (const char* n : names) e.emplace_back(n, std::string("This is from ") + n);
  return e;
}
const Expected kAbcd = from_names({"a.txt", "b.txt", "c.txt", "d.txt"});
const Expected kFooBar{{"foo.txt", "data of foo.txt\n"}, {"bar.txt", "data of bar.txt\n"}};

void expect_members(const Contents& c, const Expected& want, const std::string& what) {
  ASSERT_EQ(c.members.size(), want.size()) << what;
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(c.members[i].name, want[i].first) << what;
    EXPECT_EQ(c.members[i].data, want[i].second) << what << " " << want[i].first;
    EXPECT_FALSE(c.members[i].encrypted) << what << " " << want[i].first;
    EXPECT_FALSE(c.members[i].corrupted) << what << " " << want[i].first;
  }
}

// The members of `c` that were read (not encrypted) are the expected ones, byte for byte; the
// encrypted ones gave nothing.
void expect_nothing_but(const Contents& c, const Expected& want, const std::string& what) {
  for (const auto& m : c.members) {
    if (m.encrypted) {
      EXPECT_TRUE(m.data.empty()) << what << " " << m.name;
      continue;
    }
    const auto it =
        std::find_if(want.begin(), want.end(), [&](const auto& w) { return w.first == m.name; });
    ASSERT_NE(it, want.end()) << what << ": " << m.name;
    if (!m.corrupted) {
      EXPECT_EQ(m.data, it->second) << what << " " << m.name;
    }
  }
}

const std::string kLongPassword = "hashcatrockshashcatrockshashcatrocks";
const std::filesystem::path kLongPasswordRar =
    ksmg::test::data_dir() / "archives" / "hashcat" / "rar3_hp_password_of_36_characters.rar";

TEST(ArchivePasswords, RarReferenceArchivesOpenWithTheirPasswords) {
  struct Case {
    std::filesystem::path file;
    std::string password;
    Expected members;
  };
  const std::vector<Case> cases{
      {kLibarchive / "test_read_format_rar_encryption_data.rar", "12345678", kFooBar},
      {kLibarchive / "test_read_format_rar_encryption_header.rar", "12345678", kFooBar},
      {kLibarchive / "test_read_format_rar_encryption_partially.rar", "12345678", kFooBar},
      {kLibarchive / "test_read_format_rar4_encrypted_filenames.rar", "password", kAbcd},
      {kLibarchive / "test_read_format_rar5_encrypted_filenames.rar", "password", kAbcd},
      {kLibarchive / "test_read_format_rar5_solid_encrypted.rar", "password", kAbcd},
      {kLibarchive / "test_read_format_rar5_solid_encrypted_filenames.rar", "password", kAbcd},
      // RAR 3's SHA-1 quirk, which only passwords of 29 characters or more meet.
      {kLongPasswordRar, kLongPassword, {{"a.txt", "hashcat rocks\n"}}},
  };
  for (const Case& k : cases) {
    const std::string what = k.file.filename().string();
    const std::string data = read_file(k.file);
    ASSERT_FALSE(data.empty()) << what;
    const Contents c = unpack_with(data, {"wrong", "Password", k.password, "later"});
    EXPECT_EQ(c.password, k.password) << what;
    EXPECT_FALSE(c.encrypted) << what;
    EXPECT_FALSE(c.corrupted) << what << ": " << c.error;
    expect_members(c, k.members, what);
    // None right: encrypted as before; only what was never encrypted is read.
    const Contents wrong = unpack_with(data, {"wrong", "Password", k.password.substr(1)});
    EXPECT_TRUE(wrong.encrypted) << what;
    EXPECT_TRUE(wrong.password.empty()) << what;
    expect_nothing_but(wrong, k.members, what);
  }
  // The one plain member of the partly encrypted sample is read either way.
  const Contents partly = unpack_with(
      read_file(kLibarchive / "test_read_format_rar_encryption_partially.rar"), {"wrong"});
  ASSERT_EQ(partly.members.size(), 2u);
  EXPECT_TRUE(partly.members[0].encrypted);
  EXPECT_EQ(partly.members[1].data, "data of bar.txt\n");
}

TEST(ArchivePasswords, RarEntriesUnderTwoPasswordsOpenWhenBothAreCandidates) {
  const std::string rar5 = read_file(kLibarchive / "test_read_format_rar5_encrypted.rar");
  // One of the two: as a zip whose entries need two passwords, the archive stays encrypted and
  // only its plain members are read (RAR 5's check values tell each file's password apart).
  for (const std::string one : {"password", "password2"}) {
    const Contents c = unpack_with(rar5, {"wrong", one});
    EXPECT_TRUE(c.encrypted) << one;
    EXPECT_TRUE(c.password.empty()) << one;
    ASSERT_EQ(c.members.size(), 4u) << one;
    EXPECT_EQ(c.members[0].data, "This is from a.txt");
    EXPECT_EQ(c.members[2].data, "This is from c.txt");
    EXPECT_TRUE(c.members[1].encrypted && c.members[1].data.empty()) << one;
    EXPECT_TRUE(c.members[3].encrypted && c.members[3].data.empty()) << one;
  }
  // Both, in either order: each decrypts its own files in the copy the other left.
  const Contents both = unpack_with(rar5, {"wrong", "password2", "nope", "password"});
  EXPECT_FALSE(both.encrypted);
  EXPECT_EQ(both.password, "password2\npassword");
  expect_members(both, kAbcd, "rar5 password2, password");
  EXPECT_EQ(unpack_with(rar5, {"password", "password2"}).password, "password\npassword2");

  // RAR 4 has no password check: each password decrypts both b.txt and d.txt (compressed), and
  // libarchive's CRC check fails on the one it is wrong for. So the archive stays encrypted,
  // nothing garbled read, even with both.
  const std::string rar4 = read_file(kLibarchive / "test_read_format_rar4_encrypted.rar");
  const Contents c4 = unpack_with(rar4, {"password", "password2"});
  EXPECT_TRUE(c4.encrypted);
  EXPECT_FALSE(c4.corrupted);
  EXPECT_TRUE(c4.password.empty());
  expect_nothing_but(c4, kAbcd, "rar4 password, password2");
  ASSERT_EQ(c4.members.size(), 4u);
  EXPECT_TRUE(c4.members[1].encrypted && c4.members[3].encrypted);
}

TEST(ArchivePasswords, Rar4SolidArchivesOpenAsFarAsLibarchiveReadsThem) {
  // libarchive 3.6 reads the first file of a solid RAR 4 archive and then stops ("RAR solid
  // archive support unavailable"), plain or not; the copy reads the same.
  const Contents solid = unpack_with(
      read_file(kLibarchive / "test_read_format_rar4_solid_encrypted.rar"), {"wrong", "password"});
  EXPECT_EQ(solid.password, "password");
  EXPECT_TRUE(solid.corrupted);
  ASSERT_EQ(solid.members.size(), 1u);
  EXPECT_EQ(solid.members[0].data, "This is from a.txt");
  // With encrypted headers, the reading without a password shows no damage (it reads nothing),
  // so the copy's is new: the archive stays encrypted, though the copy itself is sound.
  const std::string hp =
      read_file(kLibarchive / "test_read_format_rar4_solid_encrypted_filenames.rar");
  EXPECT_TRUE(unpack_with(hp, {"password"}).encrypted);
  Budget b({});
  const Decrypted d = ksmg::archive::detail::decrypt_rar(hp, "password", b);
  ASSERT_EQ(d.status, Decryption::opened);
  const Contents copy = ksmg::archive::unpack_archive(d.archive, b);
  ASSERT_FALSE(copy.members.empty());
  EXPECT_EQ(copy.members[0].data, "This is from a.txt");
}

// ---------------------------------------------------------------------------------------------
// RAR: the decryption itself

Decrypted decrypt(const std::string& data, const std::string& password,
                  const ScanLimits& limits = {}) {
  Budget b(limits);
  return ksmg::archive::detail::decrypt_rar(data, password, b);
}

// The header of the first RAR 5 file block (plain headers) that carries an encryption record,
// and the record.
struct Rar5Spot {
  Rar5Header header;
  Rar5Record record;
};
Rar5Spot first_encrypted_file(const std::string& d) {
  std::size_t pos = ksmg::archive::detail::rar5::kSignature.size();
  for (int blocks = 0; blocks < 16; ++blocks) {
    const auto h = ksmg::archive::detail::rar5::parse_header(d, pos);
    if (!h) break;
    std::size_t q = h->extra;
    Rar5Record r;
    while (h->type == ksmg::archive::detail::rar5::kFileBlock &&
           ksmg::archive::detail::rar5::next_record(d, q, h->end, r))
      if (r.type == ksmg::archive::detail::rar5::kCryptRecord) return {*h, r};
    pos = h->end + h->data_size;
  }
  ADD_FAILURE() << "no encrypted file";
  return {};
}
// Its stored CRC32 made right again after a change.
void reseal(std::string& d, const Rar5Header& h) {
  const std::uint32_t crc = ksmg::archive::detail::rar5::header_crc(d, h);
  for (unsigned i = 0; i < 4; ++i) d[h.size_field - 4 + i] = static_cast<char>(crc >> (8 * i));
}
// The record's offsets: version, flags, log2 of the iterations, salt, IV, check value.
constexpr std::size_t kKdfAt = 2;
constexpr std::size_t kCheckSumAt = 3 + 16 + 16 + 8;

TEST(RarDecryption, WrongPasswordsAreToldApart) {
  const std::string rar5_hp =
      read_file(kLibarchive / "test_read_format_rar5_encrypted_filenames.rar");
  const std::string rar5 = read_file(kLibarchive / "test_read_format_rar5_encrypted.rar");
  const std::string rar4_hp = read_file(kLibarchive / "test_read_format_rar_encryption_header.rar");
  const std::string rar4 = read_file(kLibarchive / "test_read_format_rar_encryption_data.rar");
  // RAR 5: the password check values of the archive encryption header and the file records.
  EXPECT_EQ(decrypt(rar5_hp, "wrong").status, Decryption::wrong_password);
  EXPECT_EQ(decrypt(rar5, "wrong").status, Decryption::wrong_password);
  // RAR 4 with encrypted headers: their CRCs.
  EXPECT_EQ(decrypt(rar4_hp, "wrong").status, Decryption::wrong_password);
  // RAR 4 compressed data has no check: the copy is made, and libarchive's CRC32 check of the
  // member makes its reading corrupted (which the password loop takes for a wrong password).
  const Decrypted garbled = decrypt(rar4, "wrong");
  ASSERT_EQ(garbled.status, Decryption::opened);
  Budget b({});
  const Contents read = ksmg::archive::unpack_archive(garbled.archive, b);
  EXPECT_TRUE(read.corrupted);
  EXPECT_FALSE(read.encrypted);
  ASSERT_FALSE(read.members.empty());
  EXPECT_TRUE(read.members[0].corrupted);
  // A candidate that is not UTF-8 is no RAR password; what is not RAR has nothing to decrypt.
  EXPECT_EQ(decrypt(rar5, "pass\xFFword").status, Decryption::wrong_password);
  EXPECT_EQ(decrypt("Rar! but not an archive", "password").status, Decryption::unsupported);
  // The copy never holds more than the archive.
  for (const std::string* d : {&rar5_hp, &rar5, &rar4_hp, &rar4}) {
    const Decrypted ok = decrypt(*d, d == &rar5_hp || d == &rar5 ? "password" : "12345678");
    EXPECT_EQ(ok.status, Decryption::opened);
    EXPECT_LE(ok.archive.size(), d->size());
  }
}

TEST(RarDecryption, KeyedChecksumsAreDroppedAndNeedAPasswordCheck) {
  // b.txt's record in the RAR 5 sample asks for keyed (MAC) checksums: libarchive would reject
  // its stored CRC32, so the copy goes without it, and the password check vouches for the data.
  std::string rar5 = read_file(kLibarchive / "test_read_format_rar5_encrypted.rar");
  const Rar5Spot b = first_encrypted_file(rar5);
  EXPECT_EQ(static_cast<unsigned char>(rar5[b.record.fields + 1]) & 0x02, 0x02);
  const Contents c = unpack_with(rar5, {"password", "password2"});
  expect_members(c, kAbcd, "rar5 MAC");
  // With its check value's own checksum broken, nothing tells a wrong password from the right
  // one: unsupported, and the archive stays encrypted.
  rar5[b.record.fields + kCheckSumAt] ^= 1;
  reseal(rar5, b.header);
  EXPECT_EQ(decrypt(rar5, "password").status, Decryption::unsupported);
  EXPECT_TRUE(unpack_with(rar5, {"password"}).encrypted);
}

TEST(RarDecryption, HostileWorkFactorsStopQuickly) {
  using Clock = std::chrono::steady_clock;
  // A file record asking for 2^60 iterations (RAR refuses more than 2^24): refused at once.
  std::string file_kdf = read_file(kLibarchive / "test_read_format_rar5_encrypted.rar");
  const Rar5Spot b = first_encrypted_file(file_kdf);
  file_kdf[b.record.fields + kKdfAt] = 60;
  reseal(file_kdf, b.header);
  const auto t0 = Clock::now();
  EXPECT_EQ(decrypt(file_kdf, "password").status, Decryption::unsupported);
  EXPECT_TRUE(unpack_with(file_kdf, {"password"}).encrypted);
  // The same in the archive encryption header (version, flags, log2 count).
  std::string header_kdf = read_file(kLibarchive / "test_read_format_rar5_encrypted_filenames.rar");
  const auto h = ksmg::archive::detail::rar5::parse_header(header_kdf, 8);
  ASSERT_TRUE(h && h->type == ksmg::archive::detail::rar5::kEncryptionBlock);
  header_kdf[h->fields + kKdfAt] = 60;
  reseal(header_kdf, *h);
  EXPECT_EQ(decrypt(header_kdf, "password").status, Decryption::unsupported);
  EXPECT_LT(Clock::now() - t0, std::chrono::seconds(1));
  // 2^24, which RAR allows (seconds of work), under a 50 ms budget: out of time, promptly.
  header_kdf[h->fields + kKdfAt] = 24;
  reseal(header_kdf, *h);
  ScanLimits quick;
  quick.max_unpack_cpu_ms = 50;
  const auto t1 = Clock::now();
  EXPECT_EQ(decrypt(header_kdf, "password", quick).status, Decryption::out_of_time);
  const Contents c = unpack_with(header_kdf, {"password"}, quick);
  EXPECT_TRUE(c.encrypted);
  EXPECT_TRUE(c.limits.has(Limit::unpack_time));
  EXPECT_LT(Clock::now() - t1, std::chrono::seconds(2));
}

TEST(RarDecryption, OldCiphersAndSplitFilesAreUnsupported) {
  // RAR 4: b.txt's header (its name 32 bytes in) made a RAR 2.0 file (version 20, whose cipher
  // is not AES), then a file continued in the next volume; its CRC16 made right each time.
  const std::string rar4 = read_file(kLibarchive / "test_read_format_rar4_encrypted.rar");
  const std::size_t b = rar4.find("b.txt") - 32;
  const auto reseal4 = [&](std::string& d) {
    const std::size_t size = static_cast<unsigned char>(d[b + 5]);
    const auto crc = static_cast<std::uint32_t>(
        crc32(0, reinterpret_cast<const Bytef*>(d.data() + b + 2), static_cast<uInt>(size - 2)));
    d[b] = static_cast<char>(crc & 0xFF);
    d[b + 1] = static_cast<char>((crc >> 8) & 0xFF);
  };
  std::string old = rar4;
  old[b + 24] = 20;
  reseal4(old);
  EXPECT_EQ(decrypt(old, "password").status, Decryption::unsupported);
  std::string split4 = rar4;
  split4[b + 3] = static_cast<char>(split4[b + 3] | 0x02);
  reseal4(split4);
  EXPECT_EQ(decrypt(split4, "password").status, Decryption::unsupported);
  // RAR 5: b.txt's header flags (after its one-byte size and type) with "continued in the next
  // volume".
  std::string split5 = read_file(kLibarchive / "test_read_format_rar5_encrypted.rar");
  const Rar5Spot spot = first_encrypted_file(split5);
  split5[spot.header.size_field + 2] = static_cast<char>(split5[spot.header.size_field + 2] | 0x10);
  reseal(split5, spot.header);
  EXPECT_EQ(decrypt(split5, "password").status, Decryption::unsupported);
  EXPECT_TRUE(unpack_with(split5, {"password", "password2"}).encrypted);
}

TEST(RarDecryption, TruncatedArchivesGiveNothingGarbled) {
  struct Case {
    std::filesystem::path file;
    std::string password;
    Expected members;
    std::size_t step;
  };
  for (const Case& k :
       {Case{kLibarchive / "test_read_format_rar_encryption_header.rar", "12345678", kFooBar, 7},
        Case{kLibarchive / "test_read_format_rar4_encrypted_filenames.rar", "password", kAbcd, 13},
        Case{kLibarchive / "test_read_format_rar5_encrypted_filenames.rar", "password", kAbcd, 17},
        Case{kLibarchive / "test_read_format_rar5_encrypted.rar", "password", kAbcd, 11}}) {
    const std::string data = read_file(k.file);
    for (std::size_t len = 1; len < data.size(); len += k.step) {
      const std::string what = k.file.filename().string() + " cut at " + std::to_string(len);
      const Contents c = unpack_with(data.substr(0, len), {"wrong", k.password});
      expect_nothing_but(c, k.members, what);
    }
  }
}

TEST(RarDecryption, DamagedHeadersStayDamagedInTheCopy) {
  // RAR 4, plain headers: b.txt's header CRC broken. The copy rewrites that header (flags, salt
  // gone) and keeps the CRC wrong: libarchive sees the damage it sees in the original.
  std::string rar4 = read_file(kLibarchive / "test_read_format_rar4_encrypted.rar");
  const std::size_t b = rar4.find("b.txt") - 32;
  ASSERT_EQ(static_cast<unsigned char>(rar4[b + 2]), 0x74);
  rar4[b] ^= 1;
  const Contents plain = unpack_with(rar4, {});
  EXPECT_TRUE(plain.corrupted);
  const Decrypted d = decrypt(rar4, "password");
  ASSERT_EQ(d.status, Decryption::opened);
  Budget budget({});
  const Contents copy = ksmg::archive::unpack_archive(d.archive, budget);
  EXPECT_TRUE(copy.corrupted);
  EXPECT_EQ(copy.error, plain.error);
  // RAR 5, plain headers: the same.
  std::string rar5 = read_file(kLibarchive / "test_read_format_rar5_encrypted.rar");
  const Rar5Spot spot = first_encrypted_file(rar5);
  rar5[spot.header.size_field - 4] ^= 1;
  const Decrypted d5 = decrypt(rar5, "password");
  ASSERT_EQ(d5.status, Decryption::opened);
  Budget budget5({});
  EXPECT_TRUE(ksmg::archive::unpack_archive(d5.archive, budget5).corrupted);
  EXPECT_TRUE(unpack_with(rar5, {"password"}).corrupted);
  // Encrypted headers: a changed byte in the last AES block of a header garbles that block only,
  // and the header's CRC fails, which is all RAR 4 has to tell a wrong password by: wrong for
  // every candidate, in the first header (foo.txt's: 8 bytes of salt, 48 encrypted, after the
  // marker and the main header) as in the next (bar.txt's, after foo.txt's 32 bytes of data).
  const std::string rar4_hp = read_file(kLibarchive / "test_read_format_rar_encryption_header.rar");
  for (const std::size_t at : {20 + 8 + 47, 20 + 8 + 48 + 32 + 8 + 47}) {
    std::string damaged = rar4_hp;
    damaged[at] ^= 1;
    EXPECT_EQ(decrypt(damaged, "12345678").status, Decryption::wrong_password) << at;
  }
  // RAR 5's check value vouches for the password; the damaged header ends the copy there.
  std::string rar5_hp = read_file(kLibarchive / "test_read_format_rar5_encrypted_filenames.rar");
  rar5_hp[rar5_hp.size() - 3] ^= 1;  // in the end-of-archive header
  const Decrypted d5hp = decrypt(rar5_hp, "password");
  ASSERT_EQ(d5hp.status, Decryption::opened);
  Budget budget5hp({});
  const Contents cut = ksmg::archive::unpack_archive(d5hp.archive, budget5hp);
  expect_nothing_but(cut, kAbcd, "rar5 -hp damaged end");
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

TEST(ObjectTreePasswords, PasswordInTheBodyOpensARar) {
  struct Case {
    std::string file, password;
    Expected members;
  };
  for (const Case& k : {Case{"test_read_format_rar5_encrypted_filenames.rar", "password", kAbcd},
                        Case{"test_read_format_rar_encryption_header.rar", "12345678", kFooBar}}) {
    const std::string rar = read_file(kLibarchive / k.file);
    const std::string raw = mail_with_zip("documents", "Hello,\r\nPassword: " + k.password + "\r\n",
                                          rar, "documents.rar", "application/vnd.rar");
    const ksmg::mime::Message m = ksmg::mime::Message::parse(raw);
    const ObjectTree t = ObjectTree::of_message(m);
    const Object* r = find_path_end(t, "documents.rar");
    ASSERT_NE(r, nullptr) << k.file;
    EXPECT_EQ(r->password, k.password) << k.file;
    EXPECT_FALSE(r->flags.has(Flag::encrypted)) << k.file;
    for (const auto& [name, content] : k.members) {
      const Object* member = find_path_end(t, "documents.rar/" + name);
      ASSERT_NE(member, nullptr) << k.file << " " << name;
      EXPECT_EQ(member->data, content) << k.file << " " << name;
    }
    // Without the password in the message: encrypted, as before.
    const std::string without = mail_with_zip("documents", "Hello", rar, "documents.rar");
    const ksmg::mime::Message closed = ksmg::mime::Message::parse(without);
    const ObjectTree u = ObjectTree::of_message(closed);
    const Object* e = find_path_end(u, "documents.rar");
    ASSERT_NE(e, nullptr) << k.file;
    EXPECT_TRUE(e->flags.has(Flag::encrypted)) << k.file;
    EXPECT_TRUE(e->password.empty()) << k.file;
  }
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

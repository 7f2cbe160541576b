// test_objects.cpp — the object tree on real material: oletools samples (macros and encryption
// by the naming rules of tests/data/av/SOURCE.md), SpamAssassin's macro mails, ClamAV's test
// executable in its many wrappers, TNEF in a mail, nested zips and embedded messages; the
// limits that cut it; the name/type mismatch rules; and the tree's invariants on every message
// of the MIME test material.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "ksmg/objects.hpp"
#include "test_data.hpp"

namespace {

using ksmg::ScanLimits;
using ksmg::filetype::Category;
using ksmg::filetype::TrueType;
using ksmg::mime::Message;
using ksmg::objects::Flag;
using ksmg::objects::kNoObject;
using ksmg::objects::Object;
using ksmg::objects::ObjectTree;
using ksmg::objects::Origin;
using ksmg::test::data_dir;
using ksmg::test::read_file;
namespace fs = std::filesystem;

const Object* find_named(const ObjectTree& t, std::string_view name) {
  for (const Object& o : t.objects())
    if (o.name == name) return &o;
  return nullptr;
}

// A two-part mail: a short text, then one attachment with the given header lines and body.
std::string mail_with(std::string_view attachment_headers, std::string_view body) {
  return "From: a@example.org\r\nSubject: t\r\nMIME-Version: 1.0\r\n"
         "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n"
         "hi\r\n--b\r\n" +
         std::string(attachment_headers) + "\r\n" + std::string(body) + "\r\n--b--\r\n";
}

bool has_sha(const ObjectTree& t, std::string_view sha) {
  return std::any_of(t.objects().begin(), t.objects().end(),
                     [&](const Object& o) { return o.sha256 == sha; });
}

// Parent/children links, document order, depth and paths agree with each other.
void expect_consistent(const ObjectTree& t, const std::string& what) {
  const auto& objs = t.objects();
  for (const Object& o : objs) {
    ASSERT_EQ(&objs[o.index], &o) << what;
    EXPECT_EQ(o.sha256.size(), 64u) << what << " " << o.path;
    if (o.parent == kNoObject) {
      EXPECT_EQ(o.depth, 0u) << what << " " << o.path;
      continue;
    }
    ASSERT_LT(o.parent, o.index) << what;
    const Object& p = objs[o.parent];
    EXPECT_EQ(o.depth, p.depth + 1) << what << " " << o.path;
    EXPECT_EQ(o.path.rfind(p.path + "/", 0), 0u) << what << " " << o.path;
    EXPECT_NE(std::find(p.children.begin(), p.children.end(), o.index), p.children.end());
    EXPECT_FALSE(p.container.empty()) << what << " " << p.path;
  }
}

TEST(ObjectTree, OletoolsMacrosAndEncryptionFollowTheNamingRules) {
  // SOURCE.md: encrypted exactly when the name says "encrypt" (the encrypted/ folder), and every
  // *.zip is password-protected; macros in excel4-macros/, olevba/, oleform/, and the
  // autostart-encrypt-standardpassword .xls whose VBA storage stays visible (the .xlsb is an
  // encrypted package: its macros cannot be seen without decrypting).
  const fs::path dir = data_dir() / "av" / "oletools";
  std::size_t files = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file() || e.path().filename() == "SOURCE.md") continue;
    const std::string rel = fs::relative(e.path(), dir).string();
    const std::string data = read_file(e.path());
    const ObjectTree t = ObjectTree::of_file(e.path().filename().string(), data);
    ASSERT_FALSE(t.objects().empty()) << rel;
    const Object& o = t.objects().front();
    const bool want_encrypted =
        rel.find("encrypt") != std::string::npos || e.path().extension() == ".zip";
    EXPECT_EQ(o.flags.has(Flag::encrypted), want_encrypted) << rel;
    const bool want_macros = rel.starts_with("excel4-macros/") || rel.starts_with("olevba/") ||
                             rel.starts_with("oleform/") ||
                             rel == "encrypted/autostart-encrypt-standardpassword.xls";
    EXPECT_EQ(o.flags.has(Flag::macros), want_macros) << rel;
    EXPECT_EQ(o.true_type.category == Category::office_document_with_macros, want_macros) << rel;
    expect_consistent(t, rel);
    ++files;
  }
  EXPECT_GE(files, 70u);
}

TEST(ObjectTree, SpamAssassinMacroMails) {
  const fs::path dir = data_dir() / "av" / "macro-mail";
  auto tree_of = [&](const char* f, std::string& raw) {
    raw = read_file(dir / f);
    return ObjectTree::of_message(Message::parse(raw));
  };
  std::string raw;
  for (const char* f : {"macro.eml", "malicemacro.eml"}) {
    const ObjectTree t = tree_of(f, raw);
    EXPECT_TRUE(t.all_flags().has(Flag::macros)) << f;
    EXPECT_FALSE(t.all_flags().has(Flag::name_type_mismatch)) << f;
  }
  {
    const ObjectTree t = tree_of("renamedmacro.eml", raw);
    const Object* o = find_named(t, "renamed.jpg");
    ASSERT_NE(o, nullptr);
    EXPECT_TRUE(o->flags.has(Flag::macros));
    EXPECT_TRUE(o->flags.has(Flag::name_type_mismatch));
  }
  EXPECT_TRUE(tree_of("encrypted.eml", raw).all_flags().has(Flag::encrypted));
  {
    // The body says "Password: sa": the zip is opened with it (issue 17, principle 9) and the
    // macro document inside is seen.
    const ObjectTree t = tree_of("zippwmacro.eml", raw);
    const Object* zip = find_named(t, "macro.zip");
    ASSERT_NE(zip, nullptr);
    EXPECT_FALSE(zip->flags.has(Flag::encrypted));
    EXPECT_EQ(zip->password, "sa");
    EXPECT_EQ(zip->container, "zip");
    ASSERT_FALSE(zip->children.empty());
    EXPECT_TRUE(t.objects()[zip->children[0]].flags.has(Flag::macros));
  }
  for (const char* f : {"nomacro.eml", "goodcsv.eml", "target_uri.eml"}) {
    const ObjectTree t = tree_of(f, raw);
    EXPECT_FALSE(t.all_flags().has(Flag::macros)) << f;
    EXPECT_FALSE(t.all_flags().has(Flag::encrypted)) << f;
    EXPECT_FALSE(t.all_flags().has(Flag::name_type_mismatch)) << f;
  }
}

TEST(ObjectTree, ZipInsideZipMailedAsAttachment) {
  const std::string zip = read_file(data_dir() / "av" / "eicar" / "eicarcom2.zip");
  ASSERT_FALSE(zip.empty());
  const std::string raw = mail_with(
      "Content-Type: application/octet-stream; name=\"eicarcom2.zip\"\r\n"
      "Content-Transfer-Encoding: binary\r\n",
      zip);
  const Message m = Message::parse(raw);
  const ObjectTree t = ObjectTree::of_message(m);
  expect_consistent(t, "eicarcom2");
  const Object* inner = find_named(t, "eicar.com");
  ASSERT_NE(inner, nullptr);
  EXPECT_EQ(inner->path, "2/eicarcom2.zip/eicar_com.zip/eicar.com");
  EXPECT_EQ(inner->depth, 2u);
  EXPECT_EQ(inner->origin, Origin::member);
  EXPECT_EQ(inner->sha256, "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f");
  // EICAR is a DOS program written in printable ASCII: text behind a .com name.
  EXPECT_TRUE(inner->flags.has(Flag::name_type_mismatch));
  for (const Object& o : t.objects()) {
    if (&o != inner) {
      EXPECT_TRUE(o.flags.empty()) << o.path;
    }
  }

  // One container level allowed: the inner zip is listed but not opened, and that shows.
  ScanLimits shallow;
  shallow.max_archive_depth = 1;
  const Message m1 = Message::parse(raw, shallow);
  const ObjectTree t1 = ObjectTree::of_message(m1);
  EXPECT_EQ(find_named(t1, "eicar.com"), nullptr);
  const Object* inner_zip = find_named(t1, "eicar_com.zip");
  ASSERT_NE(inner_zip, nullptr);
  EXPECT_TRUE(inner_zip->limits.has(ksmg::Limit::archive_depth));
  EXPECT_TRUE(inner_zip->flags.has(Flag::limit_exceeded));
  // Not fully scanned propagates to every container above.
  EXPECT_TRUE(find_named(t1, "eicarcom2.zip")->flags.has(Flag::limit_exceeded));
}

TEST(ObjectTree, ClamExeIsFoundInsideItsWrappers) {
  // Wrappers the tree must see through (archives, compressed streams, TNEF, RTF objects, mail
  // with base64 and uuencode). The rest are formats no Debian library here reads (ARJ, CHM,
  // SIS, SZDD, BinHex), packed executables (the packer is the point), OLE2 documents whose
  // embedded objects are not unpacked yet, and a PDF (flags only).
  const std::set<std::string> must_find{
      "clam.exe",         "clam.zip",           "clam.7z",
      "clam.cab",         "clam.tar.gz",        "clam.bz2.zip",
      "clam.bin-be.cpio", "clam.bin-le.cpio",   "clam.newc.cpio",
      "clam.odc.cpio",    "clam.exe.bz2",       "clam.tnef",
      "clam.exe.rtf",     "clam.mail",          "clam.exe.mbox.base64",
      "clam.exe.mbox.uu", "clam_cache_emax.tgz"};
  const fs::path dir = data_dir() / "av" / "clamav-testfiles";
  std::set<std::string> found;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name == "SOURCE.md") continue;
    const std::string data = read_file(e.path());
    const TrueType type = ksmg::filetype::Detector().detect(data);
    const bool mail = type.mime_type == "message/rfc822" || type.mime_type == "application/mbox";
    const Message m = Message::parse(data);
    const ObjectTree t = mail ? ObjectTree::of_message(m) : ObjectTree::of_file(name, data);
    expect_consistent(t, name);
    if (has_sha(t, ksmg::test::kClamExeSha256)) found.insert(name);
  }
  for (const std::string& f : must_find) EXPECT_TRUE(found.contains(f)) << f;
}

TEST(ObjectTree, TnefInsideAMail) {
  const std::string raw = read_file(data_dir() / "tnef" / "ukr.eml");
  const Message m = Message::parse(raw);
  const ObjectTree t = ObjectTree::of_message(m);
  expect_consistent(t, "ukr.eml");
  const Object* winmail = find_named(t, "winmail.dat");
  ASSERT_NE(winmail, nullptr);
  EXPECT_EQ(winmail->true_type.mime_type, "application/vnd.ms-tnef");
  EXPECT_EQ(winmail->container, "tnef");
  EXPECT_FALSE(winmail->children.empty());
}

TEST(ObjectTree, EncodedEmbeddedMessageIsParsedAsMail) {
  // message/rfc822 in base64 cannot be parsed in place (Defect transfer_encoding_on_container);
  // the tree decodes it and lists its leaves under it.
  const std::string inner =
      "From: x@example.org\r\nSubject: inner\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=i\r\n\r\n--i\r\nContent-Type: text/plain\r\n\r\n"
      "inner text\r\n--i\r\nContent-Type: application/octet-stream; name=run.exe\r\n\r\n"
      "MZ\x90\x00\x03\x00\x00\x00\r\n--i--\r\n";
  std::string b64(4 * ((inner.size() + 2) / 3) + 1, '\0');
  b64.resize(static_cast<std::size_t>(EVP_EncodeBlock(
      reinterpret_cast<unsigned char*>(b64.data()),
      reinterpret_cast<const unsigned char*>(inner.data()), static_cast<int>(inner.size()))));
  const std::string raw = mail_with(
      "Content-Type: message/rfc822; name=fwd.eml\r\nContent-Transfer-Encoding: base64\r\n", b64);
  const Message m = Message::parse(raw);
  const ObjectTree t = ObjectTree::of_message(m);
  expect_consistent(t, "embedded");
  const Object* fwd = find_named(t, "fwd.eml");
  ASSERT_NE(fwd, nullptr);
  EXPECT_EQ(fwd->container, "message");
  const Object* exe = find_named(t, "run.exe");
  ASSERT_NE(exe, nullptr);
  EXPECT_EQ(exe->path, "2/fwd.eml/2/run.exe");
  EXPECT_EQ(exe->depth, 1u);
  EXPECT_EQ(exe->mime_part_path, "2");
  EXPECT_EQ(exe->origin, Origin::mime_part);
}

TEST(ObjectTree, UuencodedFilesInATextBody) {
  const std::string raw =
      "From: a@example.org\r\nSubject: uu\r\n\r\nHere are two files.\r\n"
      "begin 644 one.txt\r\n#86)C\r\n`\r\nend\r\nand\r\n"
      "begin 600 two.bin\r\n$9&5F9P``\r\n`\r\nend\r\n";
  const Message m = Message::parse(raw);
  const ObjectTree t = ObjectTree::of_message(m);
  expect_consistent(t, "uu");
  ASSERT_EQ(t.objects().size(), 3u);
  EXPECT_EQ(t.objects()[0].container, "uuencode");
  const Object* one = find_named(t, "one.txt");
  const Object* two = find_named(t, "two.bin");
  ASSERT_NE(one, nullptr);
  ASSERT_NE(two, nullptr);
  EXPECT_EQ(one->data, "abc");
  EXPECT_EQ(two->data, "defg");
  EXPECT_EQ(one->origin, Origin::uuencoded);
  EXPECT_EQ(one->path, "0/one.txt");
}

TEST(ObjectTree, YencFileInAPostIsAnObject) {
  // yEnc's own test post: the text is the container, the file its object, and a post whose
  // data was altered keeps its object but flags it corrupted (its CRC-32 no longer matches).
  const std::string post = read_file(data_dir() / "mime" / "mimekit" / "yenc__simple.msg");
  const Message m = Message::parse(post);
  const ObjectTree t = ObjectTree::of_message(m);
  expect_consistent(t, "yenc");
  ASSERT_EQ(t.objects().size(), 2u);
  EXPECT_EQ(t.objects()[0].container, "yenc");
  const Object& file = t.objects()[1];
  EXPECT_EQ(file.origin, Origin::yencoded);
  EXPECT_EQ(file.name, "testfile.txt");
  EXPECT_EQ(file.path, "0/testfile.txt");
  EXPECT_EQ(file.size(), 584u);
  EXPECT_FALSE(file.flags.has(Flag::corrupted));

  std::string altered = post;
  altered[altered.find("=ybegin") + 60] ^= 1;
  const Message am = Message::parse(altered);
  const ObjectTree at = ObjectTree::of_message(am);
  ASSERT_EQ(at.objects().size(), 2u);
  EXPECT_TRUE(at.objects()[1].flags.has(Flag::corrupted));
}

TEST(ObjectTree, UuencodedAndYencFilesInOneTextShareTheMemberBudget) {
  const std::string raw =
      "From: a@example.org\r\nSubject: both\r\n\r\nbegin 644 one.txt\r\n#86)C\r\n`\r\nend\r\n"
      "=ybegin line=128 size=3 name=two.txt\r\n\x8e\x8f\x90\r\n=yend size=3\r\n"
      "=ybegin line=128 size=3 name=three.txt\r\n\x8e\x8f\x90\r\n=yend size=3\r\n";
  const Message m = Message::parse(raw);
  const ObjectTree t = ObjectTree::of_message(m);
  expect_consistent(t, "both");
  ASSERT_EQ(t.objects().size(), 4u);
  EXPECT_EQ(t.objects()[0].container, "uuencode+yenc");
  EXPECT_EQ(find_named(t, "one.txt")->data, "abc");
  EXPECT_EQ(find_named(t, "two.txt")->data, "def");
  EXPECT_EQ(find_named(t, "two.txt")->origin, Origin::yencoded);
  ScanLimits two;
  two.max_archive_members = 2;
  const Message limited = Message::parse(raw, two);
  const ObjectTree lt = ObjectTree::of_message(limited);
  ASSERT_EQ(lt.objects().size(), 3u);
  EXPECT_TRUE(lt.objects()[0].flags.has(Flag::limit_exceeded));
  EXPECT_TRUE(lt.objects()[0].limits.has(ksmg::Limit::archive_members));
}

TEST(ObjectTree, OtherClientsDecodingsOfAnIrregularLeafAreObjectsBesideIt) {
  // base64 whose payload ends at a padding followed by more data: GMime and Python's email
  // show the payload alone, our decoding appends the rest; both are scanned.
  const std::string raw =
      "From: a@example.org\r\nSubject: b64\r\nMIME-Version: 1.0\r\n"
      "Content-Type: application/octet-stream; name=p.bin\r\n"
      "Content-Transfer-Encoding: base64\r\n\r\nQUI===QUJD\r\n";
  const Message m = Message::parse(raw);
  const ObjectTree t = ObjectTree::of_message(m);
  expect_consistent(t, "b64");
  ASSERT_EQ(t.objects().size(), 2u);
  EXPECT_EQ(t.objects()[0].data, "ABABC");
  const Object& other = t.objects()[1];
  EXPECT_EQ(other.origin, Origin::other_decoding);
  EXPECT_EQ(other.data, "AB");
  EXPECT_EQ(other.path, "0/p.bin~base64-ends-at-padding");  // Python's reading is the same
  EXPECT_EQ(other.parent, kNoObject);
  EXPECT_EQ(other.name, "p.bin");
  EXPECT_EQ(other.mime_part_path, t.objects()[0].mime_part_path);

  // A regular body has no other decoding; an x-uuencode body has its undecoded text too.
  const Message clean = Message::parse(
      "Content-Transfer-Encoding: base64\r\nContent-Type: application/octet-stream\r\n\r\n"
      "QUJD\r\n");
  EXPECT_EQ(ObjectTree::of_message(clean).objects().size(), 1u);
  const Message uu = Message::parse(
      "Content-Transfer-Encoding: x-uuencode\r\nContent-Type: application/octet-stream\r\n\r\n"
      "not uuencoded at all\r\n");
  const ObjectTree ut = ObjectTree::of_message(uu);
  ASSERT_EQ(ut.objects().size(), 2u);
  EXPECT_EQ(ut.objects()[1].data, "not uuencoded at all\r\n");

  // Bounded by the member budget: the leaf is flagged when it is spent.
  ScanLimits none;
  none.max_archive_members = 0;
  const Message limited = Message::parse(raw, none);
  const ObjectTree lt = ObjectTree::of_message(limited);
  ASSERT_EQ(lt.objects().size(), 1u);
  EXPECT_TRUE(lt.objects()[0].limits.has(ksmg::Limit::archive_members));
}

TEST(ObjectTree, TextThatLooksLikeMailIsNotReparsed) {
  const std::string raw =
      "From: a@example.org\r\nSubject: fw\r\n\r\nFrom: b@example.org\r\nTo: c@example.org\r\n"
      "Subject: old\r\n\r\nquoted\r\n";
  const Message m = Message::parse(raw);
  const ObjectTree t = ObjectTree::of_message(m);
  ASSERT_EQ(t.objects().size(), 1u);
  EXPECT_TRUE(t.objects()[0].container.empty());
}

TEST(ObjectTree, MemberLimitIsSharedAcrossTheMessage) {
  const std::string data =
      read_file(data_dir() / "av" / "clamav-testfiles" / "clam_cache_emax.tgz");
  ScanLimits few;
  few.max_archive_members = 3;
  const ObjectTree t = ObjectTree::of_file("clam_cache_emax.tgz", data, few);
  std::size_t members = 0;
  for (const Object& o : t.objects()) members += o.origin == Origin::member ? 1 : 0;
  EXPECT_LE(members, 3u);
  EXPECT_TRUE(t.all_limits().has(ksmg::Limit::archive_members));
  EXPECT_TRUE(t.objects().front().flags.has(Flag::limit_exceeded));
}

TEST(ObjectTree, EveryMimeTestMessageGivesAConsistentTree) {
  std::size_t messages = 0, objects = 0;
  for (const auto& e : fs::recursive_directory_iterator(data_dir() / "mime")) {
    if (!e.is_regular_file() || e.path().extension() == ".md" || e.path().extension() == ".jsonl")
      continue;
    const std::string raw = read_file(e.path());
    const Message m = Message::parse(raw);
    const ObjectTree t = ObjectTree::of_message(m);
    expect_consistent(t, e.path().string());
    std::size_t leaves = 0;
    for (const auto& p : m.parts()) leaves += p.is_leaf() ? 1 : 0;
    std::size_t top = 0;
    for (const Object& o : t.objects())
      top += o.parent == kNoObject && o.origin != Origin::other_decoding ? 1 : 0;
    EXPECT_EQ(top, leaves) << e.path();
    ++messages;
    objects += t.objects().size();
  }
  EXPECT_GT(messages, 100u);
  std::printf("[ objects ] %zu MIME test messages, %zu objects\n", messages, objects);
}

TEST(NameTypeMismatch, DisguiseIsFlaggedNotPedantry) {
  using ksmg::objects::name_type_mismatch;
  auto type = [](const char* mime, Category c) {
    TrueType t;
    t.mime_type = mime;
    t.category = c;
    return t;
  };
  const TrueType pe = type("application/vnd.microsoft.portable-executable", Category::executable);
  const TrueType html = type("text/html", Category::html);
  const TrueType docx =
      type("application/vnd.openxmlformats-officedocument.wordprocessingml.document",
           Category::office_document);
  const TrueType xlsm_macros =
      type("application/vnd.ms-excel.sheet.macroEnabled.12", Category::office_document_with_macros);
  const TrueType unknown = type("application/octet-stream", Category::other);

  EXPECT_TRUE(name_type_mismatch("invoice.pdf", "", pe));
  EXPECT_TRUE(name_type_mismatch("photo.JPG", "", pe));
  EXPECT_TRUE(name_type_mismatch("archive.zip", "", pe));
  EXPECT_TRUE(name_type_mismatch("", "application/pdf", pe));
  EXPECT_TRUE(name_type_mismatch("report.docx", "", xlsm_macros));  // macros behind a plain name
  EXPECT_FALSE(name_type_mismatch("report.xlsm", "", xlsm_macros));
  EXPECT_FALSE(name_type_mismatch("report.xls", "", xlsm_macros));  // legacy names may hold macros
  EXPECT_FALSE(name_type_mismatch("report.xlsm", "application/vnd.ms-excel", xlsm_macros));
  EXPECT_FALSE(name_type_mismatch("page.txt", "text/plain", html));
  EXPECT_FALSE(name_type_mismatch("doc.zip", "application/zip", docx));
  EXPECT_FALSE(name_type_mismatch("setup.exe", "application/octet-stream", pe));
  EXPECT_FALSE(name_type_mismatch("data.pdf", "", unknown));
  EXPECT_FALSE(name_type_mismatch("noextension", "", pe));
  EXPECT_FALSE(name_type_mismatch("weird.qqq", "", pe));
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// A part with several Content-Type fields is also read by the others (add_other_readings)

namespace {

std::string base64_of(std::string_view data) {
  std::string b64(4 * ((data.size() + 2) / 3) + 1, '\0');
  b64.resize(static_cast<std::size_t>(
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()),
                      reinterpret_cast<const unsigned char*>(data.data()), data.size())));
  return b64;
}

// A message whose header has one Content-Type field per boundary in `boundaries` (the first
// one first), and a body with one multipart per boundary: the first holds text, each other one
// attachment `name<i>`.
// A message with one Content-Type field per boundary; behind boundary i (i > 0) the payload, with
// its index appended when `distinct` (readings whose leaves are the same bytes add nothing).
std::string multi_type_mail(const std::vector<std::string>& boundaries, std::string_view payload,
                            bool distinct = false) {
  std::string m = "From: a@example.org\r\nSubject: t\r\nMIME-Version: 1.0\r\n";
  for (const std::string& b : boundaries)
    m += "Content-Type: multipart/mixed; boundary=\"" + b + "\"\r\n";
  m += "\r\n--" + boundaries[0] + "\r\nContent-Type: text/plain\r\n\r\nnothing here\r\n--" +
       boundaries[0] + "--\r\n";
  for (std::size_t i = 1; i < boundaries.size(); ++i)
    m += "--" + boundaries[i] + "\r\nContent-Type: application/octet-stream; name=\"file" +
         std::to_string(i) + ".exe\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
         base64_of(distinct ? std::string(payload) + std::to_string(i) : std::string(payload)) +
         "\r\n--" + boundaries[i] + "--\r\n";
  return m;
}

std::size_t count_sha(const ObjectTree& t, std::string_view sha) {
  return static_cast<std::size_t>(std::count_if(t.objects().begin(), t.objects().end(),
                                                [&](const Object& o) { return o.sha256 == sha; }));
}

}  // namespace

TEST(ObjectTreeDuplicateContentType, TheOtherBoundaryIsReadToo) {
  const std::string clam = read_file(data_dir() / "av" / "clamav-testfiles" / "clam.exe");
  ASSERT_EQ(clam.size(), 544u);
  // Whichever field the parser chose, the attachment behind the other one is in the tree.
  for (const auto& order : {std::vector<std::string>{"text-side", "file-side"},
                            std::vector<std::string>{"file-side", "text-side"}}) {
    std::string mail = multi_type_mail({"text-side", "file-side"}, clam);
    if (order[0] == "file-side") {
      // Same body, the fields in the other order.
      const std::string a = "Content-Type: multipart/mixed; boundary=\"text-side\"\r\n";
      const std::string b = "Content-Type: multipart/mixed; boundary=\"file-side\"\r\n";
      mail.replace(mail.find(a), a.size() + b.size(), b + a);
    }
    const Message m = Message::parse(mail);
    const ObjectTree t = ObjectTree::of_message(m);
    expect_consistent(t, order[0]);
    EXPECT_EQ(count_sha(t, ksmg::test::kClamExeSha256), 1u) << order[0];
    const Object* f = find_named(t, "file1.exe");
    ASSERT_NE(f, nullptr) << order[0];
    const bool other_reading = f->path.find("~ct") != std::string::npos;
    const Object* text = nullptr;
    for (const Object& o : t.objects())
      if (o.data.find("nothing here") != std::string_view::npos) text = &o;
    ASSERT_NE(text, nullptr) << order[0];
    // Exactly one of the two came through a second reading, named after the field's position.
    EXPECT_NE(other_reading, text->path.find("~ct") != std::string::npos)
        << f->path << " / " << text->path;
    const std::string& second = other_reading ? f->path : text->path;
    EXPECT_TRUE(second.find("~ct1/") != std::string::npos ||
                second.find("~ct2/") != std::string::npos)
        << second;
  }
}

TEST(ObjectTreeDuplicateContentType, NoSecondReadingWithoutAnotherBoundary) {
  const std::string payload = "MZ not really a program";
  // The same boundary twice.
  const std::string same = multi_type_mail({"b1", "b1"}, payload);
  {
    const Message m = Message::parse(same);
    const ObjectTree t = ObjectTree::of_message(m);
    for (const Object& o : t.objects()) EXPECT_EQ(o.path.find("~ct"), std::string::npos) << o.path;
  }
  // A second field that is not a multipart.
  std::string leaf = multi_type_mail({"b1"}, payload);
  leaf.insert(leaf.find("\r\n\r\n"), "\r\nContent-Type: application/octet-stream");
  {
    const Message m = Message::parse(leaf);
    const ObjectTree t = ObjectTree::of_message(m);
    expect_consistent(t, "leaf");
    for (const Object& o : t.objects()) EXPECT_EQ(o.path.find("~ct"), std::string::npos) << o.path;
  }
}

TEST(ObjectTreeDuplicateContentType, ReadingsAreCapped) {
  // Nine Content-Type fields with nine boundaries: at most four other readings.
  std::vector<std::string> boundaries;
  for (int i = 0; i < 9; ++i) boundaries.push_back("bound" + std::to_string(i));
  const std::string clam = read_file(data_dir() / "av" / "clamav-testfiles" / "clam.exe");
  const std::string mail = multi_type_mail(boundaries, clam, true);  // the message views it
  const Message m = Message::parse(mail);
  const ObjectTree t = ObjectTree::of_message(m);
  expect_consistent(t, "nine");
  std::set<std::string> readings;
  for (const Object& o : t.objects()) {
    const std::size_t at = o.path.find("~ct");
    if (at != std::string::npos) readings.insert(o.path.substr(0, o.path.find('/', at)));
  }
  EXPECT_EQ(readings.size(), 4u);
}

TEST(ObjectTreeDuplicateContentType, ClamAvBoundaryTrickMail) {
  const std::string data =
      read_file(data_dir() / "av" / "clamav-unit" / "mail" / "clam.mail-multiple-content-type.eml");
  ASSERT_FALSE(data.empty());
  const Message m = Message::parse(data);
  const ObjectTree t = ObjectTree::of_message(m);
  expect_consistent(t, "clam.mail-multiple-content-type.eml");
  EXPECT_TRUE(has_sha(t, ksmg::test::kClamExeSha256));
}

// ---------------------------------------------------------------------------------------------
// Issue 17, principle 3: where clients read a field or a line end more than one way, every
// plausible reading is scanned. Each message below hides clam.exe from one reading; the tree
// must hold it whichever way the parser read the message first.

namespace {

// A multipart/mixed with a text part and clam.exe (base64) behind `boundary_param` (written
// as is after "Content-Type: multipart/mixed;"), delimited by `delimiter` lines; `eol` ends
// every line.
std::string hidden_clam_mail(std::string_view boundary_param, std::string_view delimiter,
                             std::string_view eol = "\r\n", std::string_view cte = "") {
  const std::string clam = read_file(data_dir() / "av" / "clamav-testfiles" / "clam.exe");
  const std::string d(delimiter);
  const std::string e(eol);
  std::string body = base64_of(clam);
  std::string m = "From: a@example.org" + e + "Subject: t" + e + "MIME-Version: 1.0" + e +
                  "Content-Type: multipart/mixed;" + std::string(boundary_param) + e + e + d + e +
                  "Content-Type: text/plain" + e + e + "see attached" + e + d + e +
                  "Content-Type: application/octet-stream; name=\"clam.exe\"" + e +
                  (cte.empty() ? "Content-Transfer-Encoding: base64" + e : std::string(cte)) + e;
  for (std::size_t at = 0; at < body.size(); at += 76) m += body.substr(at, 76) + e;
  return m + d + "--" + e;
}

bool clam_in(const std::string& raw) {
  const Message m = Message::parse(raw);
  const ObjectTree t = ObjectTree::of_message(m);
  expect_consistent(t, "reading");
  return has_sha(t, ksmg::test::kClamExeSha256);
}

}  // namespace

TEST(ObjectTreeReadings, EmptyBoundaryDelimitsWithBareDashes) {
  // Python, GMime and MimeKit all split on "--" lines when the boundary is "".
  EXPECT_TRUE(clam_in(hidden_clam_mail(" boundary=\"\"", "--")));
}

TEST(ObjectTreeReadings, BoundaryWithTrailingBlanksMatchesWithOrWithoutThem) {
  EXPECT_TRUE(clam_in(hidden_clam_mail(" boundary=\"b1 \"", "--b1")));
  EXPECT_TRUE(clam_in(hidden_clam_mail(" boundary=\"b1 \"", "--b1 ")));
  EXPECT_TRUE(clam_in(hidden_clam_mail(" boundary=\"b1\"", "--b1  \t")));
}

TEST(ObjectTreeReadings, CommentsAndBlanksInTheFieldDoNotHideTheBoundary) {
  EXPECT_TRUE(clam_in(hidden_clam_mail(" boundary (a comment)=\"b\"", "--b")));
  EXPECT_TRUE(clam_in(hidden_clam_mail(" boundary = \"b\" (a comment)", "--b")));
  EXPECT_TRUE(clam_in(hidden_clam_mail(" (a comment) boundary=b", "--b")));
  std::string odd = hidden_clam_mail(" boundary=\"b\"", "--b");
  odd.replace(odd.find("Content-Type: multipart/mixed;"), 30, "content-TYPE :multipart/MIXED (c);");
  EXPECT_TRUE(clam_in(odd));
}

TEST(ObjectTreeReadings, PlainAndRfc2231BoundaryAreBothRead) {
  // ksmg prefers the RFC 2231 form; Python's compat32 takes the plain one. Either way.
  EXPECT_TRUE(clam_in(hidden_clam_mail(" boundary=\"real\"; boundary*0=\"decoy\"", "--real")));
  EXPECT_TRUE(clam_in(hidden_clam_mail(" boundary*0=\"decoy\"; boundary=\"real\"", "--real")));
  EXPECT_TRUE(clam_in(hidden_clam_mail(" boundary=\"decoy\"; boundary*=''real", "--real")));
  // A repeated plain parameter: the first counts, the second is read too.
  EXPECT_TRUE(clam_in(hidden_clam_mail(" boundary=\"decoy\"; boundary=\"real\"", "--real")));
}

TEST(ObjectTreeReadings, EveryTransferEncodingAClientMayApplyIsRead) {
  // GMime takes the last of two fields, ksmg the first.
  EXPECT_TRUE(clam_in(hidden_clam_mail(
      " boundary=\"b\"", "--b", "\r\n",
      "Content-Transfer-Encoding: 7bit\r\nContent-Transfer-Encoding: base64\r\n")));
  // A comment after the token: ksmg reads base64, a client comparing the raw value does not.
  const std::string commented = hidden_clam_mail(
      " boundary=\"b\"", "--b", "\r\n", "Content-Transfer-Encoding: base64 (by mailer)\r\n");
  const Message m = Message::parse(commented);
  EXPECT_TRUE(m.parts()[2].defects.has(ksmg::Defect::ambiguous_transfer_encoding));
  const ObjectTree t = ObjectTree::of_message(m);
  EXPECT_TRUE(has_sha(t, ksmg::test::kClamExeSha256));
  EXPECT_TRUE(std::any_of(t.objects().begin(), t.objects().end(), [](const Object& o) {
    return o.path.ends_with("~as-is") && o.origin == Origin::other_decoding;  // the body as is
  }));
  // A plain field is one reading only.
  const std::string plain_mail = hidden_clam_mail(" boundary=\"b\"", "--b");
  const Message plain = Message::parse(plain_mail);
  EXPECT_FALSE(plain.parts()[2].defects.has(ksmg::Defect::ambiguous_transfer_encoding));
  EXPECT_EQ(ObjectTree::of_message(plain).objects().size(), 2u);
}

// Red team seed 2024006739: a forwarded message, transfer-encoded, whose lines end in bare CRs
// and whose header block runs into the first delimiter without a blank line. Python's email
// reads it as a message all the same (a lone CR ends a line, a line that is no field starts
// the body), so it is one, and its own bare-CR reading finds the attachment.
TEST(ObjectTreeReadings, ForwardedMessageWithBareCrLinesAndNoBlankLineIsRead) {
  const std::string clam = read_file(data_dir() / "av" / "clamav-testfiles" / "clam.exe");
  std::string inner =
      "From: a@example.org\rSubject: t\rMIME-Version: 1.0\r"
      "Content-Type: multipart/mixed; boundary=\"b\"\r\n--b\r"
      "Content-Type: application/octet-stream; name=\"clam.exe\"\r"
      "Content-Transfer-Encoding: base64\r\r";
  const std::string body = base64_of(clam);
  for (std::size_t at = 0; at < body.size(); at += 76) inner += body.substr(at, 76) + "\r";
  inner += "--b--\r";
  const std::string encoded = base64_of(inner);
  std::string outer =
      "From: c@example.org\r\nSubject: fwd\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=\"o\"\r\n\r\n--o\r\n"
      "Content-Type: message/rfc822; name=\"forwarded.eml\"\r\n"
      "Content-Transfer-Encoding: base64\r\n\r\n";
  for (std::size_t at = 0; at < encoded.size(); at += 76) outer += encoded.substr(at, 76) + "\r\n";
  outer += "--o--\r\n";
  EXPECT_TRUE(clam_in(outer));
}

TEST(ObjectTreeReadings, BareCrIsALineEndForOneReading) {
  // Python's email ends lines at a lone CR; GMime and ksmg's parser do not.
  EXPECT_TRUE(clam_in(hidden_clam_mail(" boundary=\"b\"", "--b", "\r")));
  // Mixed: the delimiters alone end in a bare CR.
  std::string mixed = hidden_clam_mail(" boundary=\"b\"", "--b");
  for (std::size_t at = mixed.find("--b\r\n"); at != std::string::npos;
       at = mixed.find("--b\r\n", at))
    mixed.erase(at + 4, 1);
  EXPECT_TRUE(clam_in(mixed));
  // A binary body with CRs in it gives the same leaves both ways: nothing is added twice.
  const Message m = Message::parse(
      "Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n"
      "\x01\r\x02\r\x03");
  EXPECT_EQ(ObjectTree::of_message(m).objects().size(), 1u);
}

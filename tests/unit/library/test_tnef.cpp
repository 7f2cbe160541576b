// test_tnef.cpp — archive::unpack_tnef on the MimeKit/tnef samples (tests/data/tnef/*.list as the
// oracle), on ClamAV's clam.tnef (the test executable must come out byte for byte), and on
// hostile streams (truncations, huge lengths, hostile MAPI counts, budgets running out).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "ksmg/archive.hpp"
#include "ksmg/hash.hpp"
#include "test_data.hpp"

namespace {

using ksmg::test::read_file;

using ksmg::Limit;
using ksmg::ScanLimits;
using ksmg::archive::Budget;
using ksmg::archive::Contents;
using ksmg::archive::unpack_tnef;

const std::filesystem::path& kData = ksmg::test::data_dir();
const std::filesystem::path kDir = kData / "tnef";
// clam.exe, from tests/data/av/clamav-unit/sigs/clamav.hdb (<sha256>:544:ClamAV-Test-File).
using ksmg::test::kClamExeSha256;

std::vector<std::string> read_lines(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

Contents unpack(const std::string& data, const ScanLimits& limits = {}) {
  Budget budget(limits);
  return unpack_tnef(data, budget);
}

bool is_body(const std::string& name) { return name == "body.rtf" || name == "body.html"; }

// Little-endian TNEF writer for hand-made streams.
struct Tnef {
  std::string s;
  Tnef() {
    u32(0x223E9F78);
    u16(0x0001);
  }
  void u16(std::uint16_t v) {
    s.push_back(static_cast<char>(v & 0xFF));
    s.push_back(static_cast<char>(v >> 8));
  }
  void u32(std::uint32_t v) {
    for (int i = 0; i < 4; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  }
  void attr(std::uint8_t level, std::uint32_t id, const std::string& data) {
    s.push_back(static_cast<char>(level));
    u32(id);
    u32(static_cast<std::uint32_t>(data.size()));
    s += data;
    std::uint16_t sum = 0;
    for (const char c : data) sum = static_cast<std::uint16_t>(sum + static_cast<unsigned char>(c));
    u16(sum);
  }
  void attachment(const std::string& title, const std::string& data) {
    attr(2, 0x00069002, std::string(14, '\0'));
    attr(2, 0x00018010, title + '\0');
    attr(2, 0x0006800F, data);
  }
};

std::string le32(std::uint32_t v) {
  std::string s;
  for (int i = 0; i < 4; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  return s;
}

// The .list files name the attachments in order, plus a trailing body.rtf / body.html when the
// stream carries that body. Decision: bodies are returned as members named body.rtf (compressed
// RTF decompressed) and body.html, after the attachments, because an RTF body can carry
// \objdata objects and an HTML body links. Some lists leave out a body the stream does carry
// (winmail.tnef has an RTF body, MimeKit extracts it as message.rtf), so bodies the list does not
// name are allowed; named ones must be there.
TEST(TnefSamples, EveryListMatchesAttachmentNamesInOrder) {
  // long-filename.list names only the body, but the stream holds one attachment (attAttachData
  // of 279 bytes, PR_ATTACH_LONG_FILENAME "allproductsmar2000.dat"); libytnef finds it too, and
  // MimeKit's test data has it as long-filename/allproductsmar2000.dat.
  const std::map<std::string, std::vector<std::string>> kListOmits{
      {"long-filename", {"allproductsmar2000.dat"}}};
  int checked = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kDir)) {
    if (entry.path().extension() != ".list") continue;
    const std::string stem = entry.path().stem().string();
    SCOPED_TRACE(stem);
    const Contents c = unpack(read_file(kDir / (stem + ".tnef")));
    EXPECT_EQ(c.format, "tnef");
    std::vector<std::string> want_attachments, want_bodies, got_attachments, got_bodies;
    for (const std::string& n : read_lines(entry.path()))
      (is_body(n) ? want_bodies : want_attachments).push_back(n);
    if (const auto it = kListOmits.find(stem); it != kListOmits.end())
      want_attachments.insert(want_attachments.end(), it->second.begin(), it->second.end());
    for (const auto& m : c.members)
      (is_body(m.name) ? got_bodies : got_attachments).push_back(m.name);
    EXPECT_EQ(got_attachments, want_attachments);
    for (const std::string& b : want_bodies)
      EXPECT_NE(std::find(got_bodies.begin(), got_bodies.end(), b), got_bodies.end()) << b;
    // Bodies come after every attachment.
    bool seen_body = false;
    for (const auto& m : c.members) {
      if (is_body(m.name))
        seen_body = true;
      else
        EXPECT_FALSE(seen_body) << m.name;
    }
    ++checked;
  }
  EXPECT_EQ(checked, 13);
}

TEST(TnefSamples, MemberBytesAreTheAttachments) {
  const Contents two = unpack(read_file(kDir / "two-files.tnef"));
  ASSERT_EQ(two.members.size(), 2u);
  EXPECT_EQ(two.members[0].data.size(), 244u);
  EXPECT_EQ(two.members[1].data.size(), 893u);
  EXPECT_FALSE(two.corrupted);

  // Data in PR_ATTACH_DATA_OBJ (PT_BINARY) rather than attAttachData.
  const Contents obj = unpack(read_file(kDir / "MAPI_ATTACH_DATA_OBJ.tnef"));
  ASSERT_GE(obj.members.size(), 3u);
  EXPECT_EQ(obj.members[0].data.substr(0, 4), "\xD0\xCF\x11\xE0");
  EXPECT_EQ(obj.members[1].data.substr(0, 5), "%PDF-");
  ASSERT_EQ(obj.members.back().name, "body.rtf");
  EXPECT_EQ(obj.members.back().data.substr(0, 6), "{\\rtf1");

  // Embedded messages (PT_OBJECT, IID_IMessage): the attAttachData stub, then the nested TNEF
  // stream, which unpack_tnef does not descend into (the object tree does, under its depth
  // limit); the second one forwards the kitten picture.
  const Contents xmas = unpack(read_file(kDir / "christmas.tnef"));
  ASSERT_GE(xmas.members.size(), 5u);
  EXPECT_EQ(xmas.members[0].data.substr(0, 3), "\xFF\xD8\xFF");
  EXPECT_EQ(xmas.members[1].data.substr(0, 30), "This attachment is a MAPI 1.0 ");
  EXPECT_EQ(xmas.members[2].data.substr(0, 4), "\x78\x9F\x3E\x22");
  const Contents nested = unpack(xmas.members[4].data);
  EXPECT_EQ(nested.format, "tnef");
  EXPECT_FALSE(nested.corrupted) << nested.error;
  ASSERT_FALSE(nested.members.empty());
  EXPECT_EQ(nested.members[0].name, "kitten-playing-with-a-christmas-tree.jpg");

  // OLE objects (PT_OBJECT, IID_IStorage) come out as the CFB storage.
  const Contents ole = unpack(read_file(kDir / "winmail.tnef"));
  ASSERT_GE(ole.members.size(), 2u);
  EXPECT_EQ(ole.members[0].data.substr(0, 4), "\xD0\xCF\x11\xE0");

  const Contents html = unpack(read_file(kDir / "body.tnef"));
  ASSERT_EQ(html.members.size(), 1u);
  EXPECT_EQ(html.members[0].data.substr(0, 9), "<!DOCTYPE");
}

TEST(TnefSamples, UnicodeNamesAreUtf8) {
  const Contents c = unpack(read_file(kDir / "unicode-mapi-attr-name.tnef"));
  ASSERT_FALSE(c.members.empty());
  EXPECT_EQ(c.members[0].name, "spaconsole2.cfg");
}

TEST(TnefSamples, ClamTnefYieldsClamExe) {
  const Contents c = unpack(read_file(kData / "av" / "clamav-testfiles" / "clam.tnef"));
  EXPECT_EQ(c.format, "tnef");
  ASSERT_FALSE(c.members.empty());
  EXPECT_EQ(c.members[0].name, "clam.exe");
  EXPECT_EQ(ksmg::sha256_hex(c.members[0].data), kClamExeSha256);
  // Its checksums are wrong and a byte trails the last attribute; neither breaks the stream.
  EXPECT_FALSE(c.corrupted) << c.error;
}

TEST(TnefSamples, PanicAndGarbageAtEndDoNotBreak) {
  const Contents panic = unpack(read_file(kDir / "panic.tnef"));
  EXPECT_EQ(panic.members.size(), 4u);
  const Contents garbage = unpack(read_file(kDir / "garbage-at-end.tnef"));
  EXPECT_TRUE(garbage.members.empty());
  EXPECT_FALSE(garbage.corrupted);
}

TEST(TnefHostile, NotTnef) {
  for (const std::string& s :
       {std::string(), std::string("\x78\x9F\x3E"), std::string("hello world")}) {
    const Contents c = unpack(s);
    EXPECT_EQ(c.format, "");
    EXPECT_TRUE(c.members.empty());
  }
}

TEST(TnefHostile, EveryTruncationOfARealStream) {
  const std::string full = read_file(kDir / "two-files.tnef");
  for (std::size_t n = 0; n <= full.size(); n += (n < 400 ? 1 : 7)) {
    const Contents c = unpack(full.substr(0, n));
    EXPECT_LE(c.members.size(), 2u);
  }
  // Cut inside README's attAttachData (id 0x0006800F, 893 bytes): AUTHORS survives, the
  // stream is marked broken.
  const std::size_t at = full.find(std::string("\x0F\x80\x06\x00\x7D\x03\x00\x00", 8));
  ASSERT_NE(at, std::string::npos);
  const Contents c = unpack(full.substr(0, at + 100));
  EXPECT_TRUE(c.corrupted);
  EXPECT_FALSE(c.error.empty());
  ASSERT_EQ(c.members.size(), 1u);
  EXPECT_EQ(c.members[0].name, "AUTHORS");
}

TEST(TnefHostile, HugeLengthsAndCounts) {
  Tnef t;
  t.attachment("a.txt", "hello");
  t.s.push_back(2);
  t.u32(0x0006800F);
  t.u32(0xFFFFFFF0);  // declared far beyond the end
  t.s += "abcdefghijkl";
  const Contents c = unpack(t.s);
  ASSERT_EQ(c.members.size(), 1u);
  EXPECT_EQ(c.members[0].name, "a.txt");
  EXPECT_EQ(c.members[0].data, "hello");
  EXPECT_TRUE(c.corrupted);
  EXPECT_FALSE(c.error.empty());

  // MAPI block with a count of 4 billion properties and a multi-valued property claiming 4
  // billion values, then nothing.
  Tnef m;
  m.attr(2, 0x00069002, std::string(14, '\0'));
  m.attr(2, 0x0006800F, "data");
  m.attr(2, 0x00069005, le32(0xFFFFFFFF) + le32(0x10030001) + le32(0xFFFFFFFF) + le32(7));
  const Contents mc = unpack(m.s);
  ASSERT_EQ(mc.members.size(), 1u);
  EXPECT_EQ(mc.members[0].data, "data");
  EXPECT_TRUE(mc.corrupted);

  // A compressed-RTF body whose header claims 4 GiB of output and whose back references loop.
  std::string rtf = le32(0xFFFFFFFF) + le32(0xFFFFFFFF) + "LZFu" + le32(0);
  for (int i = 0; i < 2000; ++i)
    rtf += std::string("\xFF\x00\x0F\x00\x1F\x00\x2F\x00\x3F\x00\x4F\x00\x5F\x00\x6F\x00\x7F", 17);
  Tnef b;
  b.attr(1, 0x00069003,
         le32(1) + le32(0x10090102) + le32(1) + le32(static_cast<std::uint32_t>(rtf.size())) + rtf);
  ScanLimits small;
  small.max_member_bytes = 1000;
  const Contents bc = unpack(b.s, small);
  ASSERT_EQ(bc.members.size(), 1u);
  EXPECT_EQ(bc.members[0].name, "body.rtf");
  EXPECT_EQ(bc.members[0].data.size(), 1000u);
  EXPECT_TRUE(bc.members[0].limits.has(Limit::member_size));
}

TEST(TnefHostile, NamesAreValidUtf8AndCapped) {
  Tnef t;
  t.attachment(std::string(5000, 'x'), "1");
  t.attachment("caf\xE9.txt", "2");  // windows-1252 by default
  const Contents c = unpack(t.s);
  ASSERT_EQ(c.members.size(), 2u);
  EXPECT_LE(c.members[0].name.size(), 1024u);
  EXPECT_EQ(c.members[1].name, "caf\xC3\xA9.txt");
}

TEST(TnefBudget, MembersBytesAndTime) {
  Tnef t;
  for (int i = 0; i < 5; ++i) t.attachment("f" + std::to_string(i), std::string(100, 'a'));
  ScanLimits members;
  members.max_archive_members = 2;
  const Contents cm = unpack(t.s, members);
  EXPECT_EQ(cm.members.size(), 2u);
  EXPECT_TRUE(cm.limits.has(Limit::archive_members));

  ScanLimits bytes;
  bytes.max_unpacked_bytes = 250;
  const Contents cb = unpack(t.s, bytes);
  ASSERT_EQ(cb.members.size(), 3u);
  EXPECT_EQ(cb.members[2].data.size(), 50u);
  EXPECT_TRUE(cb.members[2].limits.has(Limit::unpacked_size));
  EXPECT_TRUE(cb.limits.has(Limit::unpacked_size));

  ScanLimits member;
  member.max_member_bytes = 10;
  const Contents cs = unpack(t.s, member);
  ASSERT_EQ(cs.members.size(), 5u);
  EXPECT_EQ(cs.members[0].data.size(), 10u);
  EXPECT_EQ(cs.members[0].declared_size, 100u);
  EXPECT_TRUE(cs.members[0].limits.has(Limit::member_size));

  ScanLimits time;
  time.max_unpack_cpu_ms = 0;
  Tnef many;
  for (int i = 0; i < 200; ++i) many.attachment("f", "x");
  const Contents ct = unpack(many.s, time);
  EXPECT_TRUE(ct.limits.has(Limit::unpack_time));
  EXPECT_LT(ct.members.size(), 200u);
}

}  // namespace

// test_rtf_objects.cpp — archive::unpack_rtf on real documents (ClamAV's clam.exe.rtf must give
// clam.exe byte for byte, oletools' issue_251.rtf an Equation.3 object, RTFs without objects
// nothing) and on hand-made hostile ones (truncated hex, huge declared sizes, unbalanced braces).
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "ksmg/archive.hpp"
#include "ksmg/hash.hpp"
#include "test_data.hpp"

namespace {

using ksmg::test::read_file;

using ksmg::Limit;
using ksmg::ScanLimits;
using ksmg::archive::Budget;
using ksmg::archive::Contents;
using ksmg::archive::unpack_rtf;

const std::filesystem::path& kData = ksmg::test::data_dir();
// clam.exe, from tests/data/av/clamav-unit/sigs/clamav.hdb (<sha256>:544:ClamAV-Test-File).
using ksmg::test::kClamExeSha256;

Contents unpack(const std::string& data, const ScanLimits& limits = {}) {
  Budget budget(limits);
  return unpack_rtf(data, budget);
}

std::string hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (const char c : bytes) {
    out.push_back(kDigits[static_cast<unsigned char>(c) >> 4]);
    out.push_back(kDigits[static_cast<unsigned char>(c) & 0xF]);
  }
  return out;
}

std::string le32(std::uint32_t v) {
  std::string s;
  for (int i = 0; i < 4; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  return s;
}

std::string lstr(const std::string& s) {
  return le32(static_cast<std::uint32_t>(s.size() + 1)) + s + '\0';
}

// OLE1 ObjectHeader + native data.
std::string ole1(const std::string& cls, const std::string& native, std::uint32_t declared) {
  return le32(0x0501) + le32(2) + lstr(cls) + le32(0) + le32(0) + le32(declared) + native;
}

std::string package(const std::string& label, const std::string& file, std::uint32_t declared) {
  std::string p("\x02\x00", 2);
  p += label + '\0' + "C:\\x\\" + label + '\0' + std::string("\x00\x00\x03\x00", 4);
  p += lstr("C:\\tmp\\" + label) + le32(declared) + file;
  return p;
}

std::string doc(const std::string& objdata_hex) {
  return "{\\rtf1\\ansi{\\object\\objemb{\\*\\objclass Package}{\\*\\objdata\r\n" + objdata_hex +
         "\r\n}}}";
}

TEST(RtfSamples, ClamExeRtfYieldsClamExe) {
  const Contents c = unpack(read_file(kData / "av" / "clamav-testfiles" / "clam.exe.rtf"));
  EXPECT_EQ(c.format, "rtf");
  ASSERT_EQ(c.members.size(), 1u);
  EXPECT_EQ(c.members[0].name, "Clam.exe");
  EXPECT_EQ(ksmg::sha256_hex(c.members[0].data), kClamExeSha256);
  EXPECT_FALSE(c.members[0].corrupted);
  EXPECT_FALSE(c.corrupted) << c.error;
}

TEST(RtfSamples, OletoolsIssue251HasAnEquationObject) {
  // "\objdata 11\r\n\fnil\r\n0500..." — the "11" is data, the \fnil in between is skipped.
  const Contents c = unpack(read_file(kData / "av" / "oletools" / "rtfobj" / "issue_251.rtf"));
  EXPECT_EQ(c.format, "rtf");
  ASSERT_GE(c.members.size(), 1u);
  EXPECT_EQ(c.members[0].name, "");
  EXPECT_FALSE(c.members[0].data.empty());
}

TEST(RtfSamples, DocumentsWithoutObjects) {
  int seen = 0;
  for (const auto& e : std::filesystem::directory_iterator(kData / "truetype")) {
    if (e.path().extension() != ".rtf") continue;
    const Contents c = unpack(read_file(e.path()));
    EXPECT_EQ(c.format, "rtf") << e.path();
    EXPECT_TRUE(c.members.empty()) << e.path();
    EXPECT_FALSE(c.corrupted) << e.path();
    ++seen;
  }
  EXPECT_GE(seen, 1);
  EXPECT_EQ(unpack("not rtf \\objdata 0102").format, "");
}

TEST(RtfObjects, PackageAndOtherClasses) {
  const std::string file("MZ\x90\x00payload", 11);
  const std::string pkg = package("a.exe", file, 11);
  const Contents p = unpack(doc(hex(ole1("Package", pkg, static_cast<std::uint32_t>(pkg.size())))));
  ASSERT_EQ(p.members.size(), 1u);
  EXPECT_EQ(p.members[0].name, "a.exe");
  EXPECT_EQ(p.members[0].data, file);

  // Not a Package: the native data, unnamed. Whitespace and a control word inside the hex.
  const std::string cfb = "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1 storage";
  std::string h = hex(ole1("Equation.3", cfb, static_cast<std::uint32_t>(cfb.size())));
  h.insert(10, " \r\n\\par ");
  h.insert(30, "{\\*\\junk ffff}");
  const Contents e = unpack(doc(h));
  ASSERT_EQ(e.members.size(), 1u);
  EXPECT_EQ(e.members[0].name, "");
  EXPECT_EQ(e.members[0].data, cfb);

  // Not an ObjectHeader: the raw decoded bytes, not corrupted; odd trailing nibble dropped.
  const Contents r = unpack(doc("4142434 4a"));
  ASSERT_EQ(r.members.size(), 1u);
  EXPECT_EQ(r.members[0].data, "ABCD");
  EXPECT_FALSE(r.corrupted);

  // \binN carries raw bytes; two objects in one document come out in order.
  const Contents b = unpack("{\\rtf1{\\*\\objdata \\bin3 }{}}{\\*\\objdata 5a}");
  ASSERT_EQ(b.members.size(), 2u);
  EXPECT_EQ(b.members[0].data, "}{}");
  EXPECT_EQ(b.members[1].data, "Z");
}

TEST(RtfHostile, TruncatedHugeAndUnbalanced) {
  // Declared sizes far beyond the data: what is there, marked corrupted, declared kept.
  const Contents n = unpack(doc(hex(ole1("Word.Document.8", "abc", 0xFFFFFFF0))));
  ASSERT_EQ(n.members.size(), 1u);
  EXPECT_EQ(n.members[0].data, "abc");
  EXPECT_EQ(n.members[0].declared_size, 0xFFFFFFF0u);
  EXPECT_TRUE(n.members[0].corrupted);
  const Contents pk = unpack(doc(hex(ole1("Package", package("b.js", "x", 0x7FFFFFFF), 1 << 30))));
  ASSERT_EQ(pk.members.size(), 1u);
  EXPECT_EQ(pk.members[0].name, "b.js");
  EXPECT_EQ(pk.members[0].data, "x");
  EXPECT_TRUE(pk.members[0].corrupted);

  // Truncated hex, never closed: what was decoded, the container corrupted.
  const Contents t = unpack("{\\rtf1{\\object{\\*\\objdata 01050000020");
  ASSERT_EQ(t.members.size(), 1u);
  EXPECT_EQ(t.members[0].data, std::string("\x01\x05\x00\x00\x02", 5));
  EXPECT_TRUE(t.corrupted);
  EXPECT_FALSE(t.error.empty());

  // Unbalanced braces, control words cut at the end, \bin past the end, \' at the end.
  for (const char* s :
       {"{\\rtf1}}}}{\\*\\objdata }}}}", "{\\rtf1{\\*\\objdata {{{{{{ab", "{\\rtf1\\objdata",
        "{\\rtf1\\objdata\\", "{\\rtf1\\objdata \\bin999999999999999999 ab", "{\\rtf1\\objdata \\'",
        "{\\rtf1\\objdata \\-", "{\\rtf1\\objdatax 4142}"}) {
    const Contents c = unpack(s);
    EXPECT_EQ(c.format, "rtf") << s;
    EXPECT_LE(c.members.size(), 1u) << s;
  }
}

TEST(RtfBudget, MembersBytesAndSize) {
  std::string d = "{\\rtf1";
  for (int i = 0; i < 5; ++i) d += "{\\*\\objdata " + std::string(200, 'a') + "}";
  d += "}";
  ScanLimits members;
  members.max_archive_members = 2;
  const Contents cm = unpack(d, members);
  EXPECT_EQ(cm.members.size(), 2u);
  EXPECT_TRUE(cm.limits.has(Limit::archive_members));

  ScanLimits bytes;
  bytes.max_unpacked_bytes = 250;
  const Contents cb = unpack(d, bytes);
  ASSERT_EQ(cb.members.size(), 3u);
  EXPECT_EQ(cb.members[2].data.size(), 50u);
  EXPECT_TRUE(cb.limits.has(Limit::unpacked_size));

  ScanLimits member;
  member.max_member_bytes = 10;
  const Contents cs = unpack(d, member);
  ASSERT_EQ(cs.members.size(), 5u);
  EXPECT_EQ(cs.members[0].data.size(), 10u);
  EXPECT_TRUE(cs.members[0].limits.has(Limit::member_size));

  ScanLimits time;
  time.max_unpack_cpu_ms = 0;
  const Contents ct = unpack("{\\rtf1{\\*\\objdata " + std::string(4u << 20, 'a') + "}}", time);
  EXPECT_TRUE(ct.limits.has(Limit::unpack_time));
}

}  // namespace

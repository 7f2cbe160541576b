// test_filetype.cpp — true-type detection on the real samples of tests/data/truetype (against
// expected.tsv's truth column, and against plain libmagic on the Office macro variants), on
// hostile containers (random bytes, cut CFB and ZIP headers, a CFB FAT loop), markers planted
// past a container's magic (issue 17, principle 5), the header block that makes a message, and
// from two threads at once.
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "ksmg/archive.hpp"
#include "ksmg/filetype.hpp"
#include "test_cpu_time.hpp"
#include "test_data.hpp"

namespace {

using ksmg::test::read_file;

using ksmg::filetype::Category;
using ksmg::filetype::Detector;
using ksmg::filetype::TrueType;

const std::filesystem::path kDir = ksmg::test::data_dir() / "truetype";

// expected.tsv's truth column (a file extension) → the MIME types that name it correctly.
const std::map<std::string, std::set<std::string>>& truth_table() {
  static const std::map<std::string, std::set<std::string>> t{
      {"html", {"text/html"}},
      {"js", {"text/javascript", "application/javascript"}},
      {"cpio", {"application/x-cpio"}},
      {"xls", {"application/vnd.ms-excel"}},
      {"pst", {"application/vnd.ms-outlook"}},
      {"reg", {"text/x-ms-regedit"}},
      {"macho", {"application/x-mach-binary"}},
      {"7z", {"application/x-7z-compressed"}},
      {"ace", {"application/x-ace-compressed"}},
      {"ar", {"application/x-archive"}},
      {"arj", {"application/x-arj"}},
      {"bmp", {"image/bmp", "image/x-ms-bmp"}},
      {"bz2", {"application/x-bzip2"}},
      {"cab", {"application/vnd.ms-cab-compressed"}},
      {"chm", {"application/vnd.ms-htmlhelp"}},
      {"class", {"application/x-java-applet"}},
      {"deb", {"application/vnd.debian.binary-package"}},
      {"dmg", {"application/x-apple-diskimage"}},
      {"doc.cfb", {"application/msword"}},
      {"docm", {"application/vnd.ms-word.document.macroEnabled.12"}},
      {"docx", {"application/vnd.openxmlformats-officedocument.wordprocessingml.document"}},
      {"elf",
       {"application/x-executable", "application/x-pie-executable", "application/x-sharedlib"}},
      {"epub", {"application/epub+zip"}},
      {"exe", {"application/vnd.microsoft.portable-executable", "application/x-dosexec"}},
      {"gif", {"image/gif"}},
      {"gz", {"application/gzip", "application/x-gzip"}},
      {"ico", {"image/vnd.microsoft.icon", "image/x-icon"}},
      {"ics", {"text/calendar"}},
      {"jar", {"application/java-archive"}},
      {"jpg", {"image/jpeg"}},
      {"lnk", {"application/x-ms-shortcut"}},
      {"lz4", {"application/x-lz4"}},
      {"lzh", {"application/x-lzh-compressed"}},
      {"mp3", {"audio/mpeg"}},
      {"msi.cfb", {"application/x-msi"}},
      {"ods", {"application/vnd.oasis.opendocument.spreadsheet"}},
      {"odt", {"application/vnd.oasis.opendocument.text"}},
      {"pdf", {"application/pdf"}},
      {"pgp", {"application/pgp-encrypted"}},
      {"png", {"image/png"}},
      {"ppt.cfb", {"application/vnd.ms-powerpoint"}},
      {"pptx", {"application/vnd.openxmlformats-officedocument.presentationml.presentation"}},
      {"ps", {"application/postscript"}},
      {"rar", {"application/x-rar", "application/vnd.rar"}},
      {"rpm", {"application/x-rpm"}},
      {"rtf", {"text/rtf", "application/rtf"}},
      {"sqlite", {"application/vnd.sqlite3", "application/x-sqlite3"}},
      {"swf", {"application/x-shockwave-flash"}},
      {"tar", {"application/x-tar"}},
      {"tar.Z", {"application/x-compress"}},
      {"tar.lz", {"application/x-lzip"}},
      {"tar.xz", {"application/x-xz"}},
      {"tar.zst", {"application/zstd"}},
      {"vcf", {"text/vcard", "text/x-vcard"}},
      {"wasm", {"application/wasm"}},
      {"wav", {"audio/x-wav", "audio/wav"}},
      {"webp", {"image/webp"}},
      {"xls.cfb", {"application/vnd.ms-excel"}},
      {"xlsm", {"application/vnd.ms-excel.sheet.macroEnabled.12"}},
      {"xlsx", {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}},
      {"xml", {"text/xml", "application/xml"}},
      {"zip", {"application/zip"}},
      {"iso", {"application/x-iso9660-image"}},
  };
  return t;
}

struct Row {
  std::string file, truth, libmagic;
};

std::vector<Row> expected_rows() {
  std::vector<Row> rows;
  std::ifstream in(kDir / "expected.tsv");
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    Row r;
    std::getline(fields, r.file, '\t');
    std::getline(fields, r.truth, '\t');
    std::getline(fields, r.libmagic, '\t');
    rows.push_back(r);
  }
  return rows;
}

TEST(FileType, MagicLoads) { EXPECT_EQ(Detector::magic_status(), ksmg::filetype::MagicStatus::ok); }

TEST(FileType, ExpectedTsvAccuracy) {
  const Detector det;
  const auto rows = expected_rows();
  ASSERT_GE(rows.size(), 60u);
  std::size_t right = 0, magic_right = 0;
  std::string failures;
  for (const Row& r : rows) {
    const auto it = truth_table().find(r.truth);
    ASSERT_NE(it, truth_table().end()) << "no MIME mapping for truth " << r.truth;
    const std::string data = read_file(kDir / r.file);
    ASSERT_FALSE(data.empty()) << r.file;
    const TrueType t = det.detect(data);
    if (it->second.count(t.mime_type) != 0)
      ++right;
    else
      failures += "  " + r.file + ": got " + t.mime_type + ", truth " + r.truth + "\n";
    if (it->second.count(Detector::libmagic_mime(data)) != 0) ++magic_right;
  }
  const double accuracy = 100.0 * static_cast<double>(right) / static_cast<double>(rows.size());
  std::cout << "[ filetype ] ours " << right << "/" << rows.size() << " (" << accuracy
            << " %), plain libmagic " << magic_right << "/" << rows.size() << "\n"
            << failures;
  EXPECT_GE(accuracy, 95.0) << failures;
  EXPECT_GT(right, magic_right);
}

TEST(FileType, MacroVariantsBeatLibmagic) {
  const Detector det;
  // Macro-enabled formats: these two fixtures hold no VBA project, so they are typed as
  // macro-enabled but carry no macros.
  for (const char* f : {"ft_fixture.docm", "ft_fixture.xlsm"}) {
    const std::string data = read_file(kDir / f);
    const TrueType t = det.detect(data);
    EXPECT_EQ(t.category, Category::office_document) << f;
    EXPECT_FALSE(t.has_macros) << f;
    EXPECT_NE(t.mime_type.find("macroEnabled"), std::string::npos) << f;
    // The peer: libmagic names them plain docx/xlsx.
    EXPECT_EQ(Detector::libmagic_mime(data).find("macroEnabled"), std::string::npos) << f;
  }
  // Real macros: VBA in OOXML, Excel 4.0 macro sheets in OOXML and BIFF, VBA inside a
  // PowerPoint document stream, XLM calls in SYLK (oletools samples; tests/data/av/SOURCE.md).
  const std::filesystem::path ole = kDir.parent_path() / "av" / "oletools";
  for (const char* f :
       {"oleform/oleform-PR314.docm", "excel4-macros/excel4_sample_macro.xlsm",
        "excel4-macros/excel4_sample_macro.xls", "excel4-macros/excel4_sample_macro.xlt",
        "excel4-macros/excel4_sample_macro_excel5_format.xls",
        "excel4-macros/excel4_sample_macro.slk", "olevba/sample_with_vba.ppt"}) {
    const std::string data = read_file(ole / f);
    const TrueType t = det.detect(data);
    EXPECT_EQ(t.category, Category::office_document_with_macros) << f;
    EXPECT_TRUE(t.has_macros) << f;
  }
  for (const char* f : {"ft_fixture.docx", "ft_fixture.xlsx", "ft_fixture.pptx"}) {
    const TrueType t = det.detect(read_file(kDir / f));
    EXPECT_EQ(t.category, Category::office_document) << f;
    EXPECT_FALSE(t.has_macros) << f;
  }
}

TEST(FileType, CategoriesAndFlags) {
  const Detector det;
  auto at = [&](const char* f) { return det.detect(read_file(kDir / f)); };
  EXPECT_EQ(at("ft_fixture.exe").category, Category::executable);
  EXPECT_EQ(at("ft_fixture.elf").category, Category::executable);
  EXPECT_EQ(at("ft_fixture.msi.cfb").category, Category::executable);
  EXPECT_EQ(at("ft_fixture.zip").category, Category::archive);
  EXPECT_EQ(at("ft_fixture.7z").category, Category::archive);
  EXPECT_EQ(at("ft_fixture.pdf").category, Category::pdf);
  EXPECT_EQ(at("ft_fixture.png").category, Category::image);
  EXPECT_EQ(at("ft_fixture.mp3").category, Category::audio_video);
  EXPECT_EQ(at("ft_fixture.ics").category, Category::calendar);
  EXPECT_EQ(at("deb_base-passwd_users-and-groups.html").category, Category::html);
  EXPECT_EQ(at("deb_clang-tools-14_sorttable.js").category, Category::script);
  EXPECT_EQ(at("ft_fixture.doc.cfb").category, Category::office_document);
  const TrueType xls = at("ft_fixture-password-protected.xls");
  EXPECT_EQ(xls.mime_type, "application/vnd.ms-excel");
  EXPECT_TRUE(xls.encrypted);
  EXPECT_FALSE(at("ft_fixture.xls.cfb").encrypted);
  // Text is decided without libmagic.
  EXPECT_EQ(at("ft_fixture.xml").source, ksmg::filetype::Source::text);
  EXPECT_EQ(det.detect(std::string_view("Hello,\r\nsee you tomorrow.\r\n")).mime_type,
            "text/plain");
  EXPECT_EQ(det.detect(std::string_view("Gr\xC3\xBC\xC3\x9F"
                                        "e aus K\xC3\xB6ln\n"))
                .category,
            Category::text);
  EXPECT_EQ(det.detect(std::string_view()).mime_type, "application/x-empty");
}

TEST(FileType, TextHeuristics) {
  const Detector det;
  auto mime = [&](std::string_view s) { return det.detect(s).mime_type; };
  EXPECT_EQ(mime("var x = document.getElementById('a');\nfunction f() { return typeof x; }\n"),
            "text/javascript");
  EXPECT_EQ(mime("Dim o\r\nSet o = CreateObject(\"WScript.Shell\")\r\nMsgBox \"hi\"\r\n"),
            "text/x-vbscript");
  EXPECT_EQ(mime("$c = New-Object Net.WebClient\nInvoke-Expression $c\nWrite-Host $env:TEMP\n"),
            "text/x-powershell");
  EXPECT_EQ(mime("#!/bin/sh\necho hi\n"), "text/x-shellscript");
  EXPECT_EQ(mime("<?php echo 1; ?>\n"), "text/x-php");
  EXPECT_EQ(mime("@echo off\r\ndel *.*\r\n"), "text/x-msdos-batch");
  // Prose that mentions code words stays text; an HTML fragment without <html> is HTML.
  EXPECT_EQ(mime("Hi Bob, the function of this var is to return the document. Thanks!\n"),
            "text/plain");
  EXPECT_EQ(mime("See <a href=\"http://x\">this</a><br>\nbye\n"), "text/html");
  EXPECT_EQ(mime("<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\"/>"),
            "image/svg+xml");
  EXPECT_EQ(mime("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"), "text/calendar");
  // Legacy 8-bit text is text, UTF-16 with a BOM too.
  EXPECT_EQ(mime("Gr\xFC\xDF"
                 "e, M\xFCller\n"),
            "text/plain");
  EXPECT_EQ(mime(std::string_view("\xFF\xFEh\0i\0\n\0", 8)), "text/plain");
}

// Principle: a format identified by its magic at a fixed offset (every container the archive
// module opens, RTF, HTML and a mail header block at offset 0) is never overridden by a marker
// found later: a PDF header within the first kilobyte, a DMG trailer, HTML or script words in
// the text window. Each real container sample gets each marker written past its magic.
TEST(TrueTypeMagicAtOffsetZero, AMarkerFoundLaterNeverOverridesAContainer) {
  const Detector det;
  std::vector<std::filesystem::path> samples;
  for (const auto& dir : {kDir, ksmg::test::data_dir() / "tnef"})
    for (const auto& e : std::filesystem::directory_iterator(dir)) samples.push_back(e.path());
  const std::vector<std::string> markers{"%PDF-1.7\n", "<html><body><a href=x>", "koly",
                                         "var f = function() { document.write(x) === y }"};
  std::size_t containers = 0;
  for (const auto& p : samples) {
    const std::string data = read_file(p);
    const TrueType original = det.detect(data);
    // DMG is itself recognised by its trailer, not by an opening magic.
    if (ksmg::archive::container_of(original) == ksmg::archive::Container::none ||
        original.mime_type == "application/x-apple-diskimage" || data.size() < 1024)
      continue;
    ++containers;
    for (const std::string& marker : markers) {
      std::string planted = data;
      const std::size_t at = marker == "koly" ? data.size() - 512 : 600;
      planted.replace(at, marker.size(), marker);
      EXPECT_EQ(det.detect(planted).mime_type, original.mime_type)
          << p.filename() << " with " << marker;
    }
  }
  EXPECT_GE(containers, 25u);

  // A zstd frame of one raw block of HTML text (no NUL, so it reads as text): the frame, not HTML.
  const std::size_t n = 0x2121;
  std::string frame("\x28\xB5\x2F\xFD\x60", 5);
  frame += static_cast<char>((n - 256) & 0xFF);
  frame += static_cast<char>((n - 256) >> 8);
  const std::size_t block = n << 3 | 1;  // last block, raw, n bytes
  for (int i = 0; i < 3; ++i) frame += static_cast<char>(block >> (8 * i) & 0xFF);
  std::string html = "<html><body><p>";
  html.resize(n, 'a');
  frame += html;
  EXPECT_EQ(det.detect(frame).mime_type, "application/zstd");

  // Text formats named by their opening bytes win over the markers too.
  const std::string mail =
      "From: a@example.org\r\nTo: b@example.org\r\nSubject: %PDF-1.7 <html><body>\r\n\r\nhi\r\n";
  EXPECT_EQ(det.detect(mail).mime_type, "message/rfc822");
  std::string rtf = read_file(kDir / "ft_fixture.rtf");
  rtf.replace(rtf.size() / 2, 9, "%PDF-1.7\n");
  EXPECT_EQ(det.detect(rtf).mime_type, "text/rtf");
  // A PDF with junk before its header is still a PDF.
  EXPECT_EQ(det.detect("junk before it\n%PDF-1.4\n1 0 obj\n").mime_type, "application/pdf");
}

// Text that merely starts like a magic stays text: the short magics are confirmed by a second.
TEST(TrueTypeMagicAtOffsetZero, TextStartingLikeAMagicStaysText) {
  const Detector det;
  EXPECT_EQ(det.detect("BZh, said the cat.\n").mime_type, "text/plain");
  EXPECT_EQ(det.detect("070701 was a date.\n").mime_type, "text/plain");
  EXPECT_EQ(det.detect("LZIP is a format.\n").mime_type, "text/plain");
}

// How a mail client tells a message from a file: a header block opens it, whatever it carries.
TEST(TrueTypeMagicAtOffsetZero, HeaderBlockOpensAMessage) {
  using ksmg::filetype::opens_with_header_block;
  EXPECT_TRUE(opens_with_header_block("Subject: %PDF-1.7\r\n\r\nbody"));
  EXPECT_TRUE(opens_with_header_block("Content-Type: multipart/mixed;\r\n boundary=b\r\n\r\n--b"));
  EXPECT_TRUE(opens_with_header_block(std::string_view("X-A: 1\n\n\0\0binary", 16)));
  // No blank line before the body, lines ended by bare CRs (Python's email reads both so).
  EXPECT_TRUE(opens_with_header_block("From: a@b\rTo: c@d\r\nMIME-Version: 1.0\n--b\rx: y"));
  EXPECT_TRUE(opens_with_header_block("Subject: hi\nthe body starts here\n"));
  EXPECT_FALSE(opens_with_header_block("just text\n\nmore"));
  EXPECT_FALSE(opens_with_header_block("just text\rSubject: hi\n"));
  EXPECT_FALSE(opens_with_header_block(" folded: first\n\n"));
  EXPECT_FALSE(opens_with_header_block("\r\nbody only"));
  EXPECT_FALSE(opens_with_header_block(read_file(kDir / "ft_fixture.zip")));
  EXPECT_FALSE(opens_with_header_block(""));
}

TEST(FileType, SpanOverload) {
  const std::string data = read_file(kDir / "ft_fixture.png");
  const Detector det;
  const auto bytes = std::as_bytes(std::span<const char>(data.data(), data.size()));
  EXPECT_EQ(det.detect(bytes).mime_type, "image/png");
}

// Truncated prefixes of an OLE .doc (libmagic sees only a 4 KB read) and of a zip.
TEST(FileType, TruncatedContainers) {
  const Detector det;
  const std::string doc = read_file(kDir / "ft_fixture.doc.cfb");
  const std::string docm = read_file(kDir / "ft_fixture.docm");
  for (std::size_t n : {8u, 100u, 511u, 512u, 513u, 1024u, 4096u, 8192u}) {
    const TrueType t = det.detect(std::string_view(doc).substr(0, n));
    EXPECT_FALSE(t.mime_type.empty());
    const TrueType z = det.detect(std::string_view(docm).substr(0, n));
    EXPECT_FALSE(z.mime_type.empty());
  }
  // Cut anywhere, every prefix is classified without a crash.
  for (std::size_t n = 0; n < doc.size(); n += 97)
    (void)det.detect(std::string_view(doc).substr(0, n));
  for (std::size_t n = 0; n < docm.size(); n += 97)
    (void)det.detect(std::string_view(docm).substr(0, n));
}

void put32(std::string& s, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) s[at + i] = static_cast<char>((v >> (8 * i)) & 0xFF);
}
void put16(std::string& s, std::size_t at, std::uint16_t v) {
  s[at] = static_cast<char>(v & 0xFF);
  s[at + 1] = static_cast<char>(v >> 8);
}

// A minimal CFB: header, one FAT sector (sector 0), directory chain starting at sector 1.
std::string cfb_skeleton(std::size_t sectors) {
  std::string s(512 * (sectors + 1), '\0');
  s.replace(0, 8, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1");
  put16(s, 0x18, 0x3E);
  put16(s, 0x1A, 3);
  put16(s, 0x1C, 0xFFFE);
  put16(s, 0x1E, 9);
  put16(s, 0x20, 6);
  put32(s, 0x2C, 1);  // one FAT sector
  put32(s, 0x30, 1);  // directory at sector 1
  put32(s, 0x38, 4096);
  put32(s, 0x3C, 0xFFFFFFFE);  // no mini FAT
  put32(s, 0x44, 0xFFFFFFFE);  // no DIFAT
  for (std::size_t i = 0; i < 109; ++i) put32(s, 0x4C + 4 * i, 0xFFFFFFFF);
  put32(s, 0x4C, 0);  // FAT in sector 0
  for (std::size_t i = 0; i < 128; ++i) put32(s, 512 + 4 * i, 0xFFFFFFFF);
  return s;
}

TEST(FileType, HostileCfbFatLoop) {
  const Detector det;
  std::string s = cfb_skeleton(4);
  // FAT: sector 0 is FAT, directory 1 → 2 → 3 → 1 (a loop).
  put32(s, 512 + 0, 0xFFFFFFFD);
  put32(s, 512 + 4, 2);
  put32(s, 512 + 8, 3);
  put32(s, 512 + 12, 1);
  // A root entry and a WordDocument stream in sector 1 whose own chain loops at sector 2.
  const std::size_t dir = 512 * 2;
  const std::u16string root = u"Root Entry", word = u"WordDocument";
  for (std::size_t i = 0; i < root.size(); ++i) put16(s, dir + 2 * i, root[i]);
  put16(s, dir + 0x40, static_cast<std::uint16_t>(2 * root.size() + 2));
  s[dir + 0x42] = 5;
  put32(s, dir + 0x74, 0xFFFFFFFE);
  for (std::size_t i = 0; i < word.size(); ++i) put16(s, dir + 128 + 2 * i, word[i]);
  put16(s, dir + 128 + 0x40, static_cast<std::uint16_t>(2 * word.size() + 2));
  s[dir + 128 + 0x42] = 2;
  put32(s, dir + 128 + 0x74, 2);
  put32(s, dir + 128 + 0x78, 1u << 30);  // claims a gigabyte
  const ksmg::test::CpuStopwatch cpu;
  const TrueType t = det.detect(s);
  EXPECT_LT(cpu.seconds(), 1.0);
  EXPECT_EQ(t.mime_type, "application/msword");  // the loop repeats entries, it does not hang

  // Absurd header values: sector shift, counts, DIFAT chain pointing at itself.
  std::string bad = cfb_skeleton(2);
  put32(bad, 0x2C, 0xFFFFFFF0);
  put32(bad, 0x48, 0xFFFFFFF0);
  put32(bad, 0x44, 1);
  put32(bad, 512 + 512 + 127 * 4, 1);
  put32(bad, 0x40, 0xFFFFFFF0);
  put32(bad, 0x3C, 0);
  EXPECT_FALSE(det.detect(bad).mime_type.empty());
  put16(bad, 0x1E, 30);
  EXPECT_EQ(det.detect(bad).mime_type, "application/x-ole-storage");
}

TEST(FileType, HostileZip) {
  const Detector det;
  // An EOCD that claims 65535 entries at an offset past itself, and one with a garbage directory.
  std::string z = "PK\x03\x04";
  z += std::string(26, '\xFF');
  z += "PK\x05\x06";
  z += std::string(18, '\xFF');
  EXPECT_EQ(det.detect(z).mime_type, "application/zip");
  std::string z2 = "PK\x03\x04" + std::string(40, '\0') + "PK\x01\x02" + std::string(60, '\xFF');
  z2 += "PK\x05\x06" + std::string(18, '\0');
  put16(z2, z2.size() - 12, 0xFFFF);
  put32(z2, z2.size() - 6, 44);
  EXPECT_EQ(det.detect(z2).mime_type, "application/zip");
  // A [Content_Types].xml entry whose deflate stream is garbage.
  std::string docm = read_file(kDir / "ft_fixture.docm");
  for (std::size_t i = 60; i < 200 && i < docm.size(); ++i) docm[i] = static_cast<char>(i * 7);
  EXPECT_FALSE(det.detect(docm).mime_type.empty());
}

TEST(FileType, RandomBytesAndMutations) {
  const Detector det;
  std::mt19937 rng(7);
  std::vector<std::string> seeds;
  for (const char* f : {"ft_fixture.doc.cfb", "ft_fixture.msi.cfb", "ft_fixture.docm",
                        "ft_fixture.xlsx", "ft_fixture.odt", "ft_fixture-password-protected.xls"})
    seeds.push_back(read_file(kDir / f));
  for (int i = 0; i < 300; ++i) {
    std::string s(rng() % 5000, '\0');
    for (char& c : s) c = static_cast<char>(rng());
    (void)det.detect(s);
    std::string m = seeds[static_cast<std::size_t>(i) % seeds.size()];
    // Flip bytes in the header/directory region where the readers look.
    for (int k = 0; k < 20; ++k) {
      const std::size_t at = rng() % std::min<std::size_t>(m.size(), 4096);
      m[at] = static_cast<char>(rng());
    }
    if (i % 2 == 0 && m.size() > 2000) {  // and in the zip central directory at the end
      for (int k = 0; k < 20; ++k) m[m.size() - 1 - rng() % 2000] = static_cast<char>(rng());
    }
    const TrueType t = det.detect(m);
    EXPECT_FALSE(t.mime_type.empty());
  }
}

TEST(FileType, TwoThreads) {
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(kDir))
    if (e.path().filename() != "expected.tsv" && e.path().filename() != "SOURCE.md")
      files.push_back(read_file(e.path()));
  const Detector det;
  std::vector<std::string> single;
  for (const auto& f : files) single.push_back(det.detect(f).mime_type);
  std::vector<std::vector<std::string>> got(2);
  auto work = [&](std::size_t k) {
    for (int round = 0; round < 3; ++round)
      for (const auto& f : files) got[k].push_back(det.detect(f).mime_type);
  };
  std::thread a(work, 0), b(work, 1);
  a.join();
  b.join();
  for (const auto& g : got) {
    ASSERT_EQ(g.size(), single.size() * 3);
    for (std::size_t i = 0; i < g.size(); ++i) EXPECT_EQ(g[i], single[i % single.size()]);
  }
}

}  // namespace

// test_pdf_features.cpp — archive::inspect_pdf on real PDFs (expectations from what their bytes
// and inflated streams contain), on hand-made PDFs for each flag (escaped names, a /JavaScript
// hidden in a FlateDecode object stream) and on hostile ones (cut names and escapes, bombs).
#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "ksmg/archive.hpp"
#include "test_data.hpp"

namespace {

using ksmg::test::read_file;

using ksmg::archive::inspect_pdf;
using ksmg::archive::PdfFeatures;

const std::filesystem::path& kData = ksmg::test::data_dir();

std::string deflate(const std::string& s) {
  uLongf n = compressBound(static_cast<uLong>(s.size()));
  std::string out(n, '\0');
  EXPECT_EQ(compress(reinterpret_cast<Bytef*>(out.data()), &n,
                     reinterpret_cast<const Bytef*>(s.data()), static_cast<uLong>(s.size())),
            Z_OK);
  out.resize(n);
  return out;
}

std::string pdf(const std::string& body) {
  return "%PDF-1.7\n1 0 obj\n" + body + "\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n";
}

bool none(const PdfFeatures& f) {
  return !f.javascript && !f.open_action && !f.launch && !f.embedded_files && !f.encrypted &&
         !f.truncated;
}

TEST(PdfSamples, RealFiles) {
  // clam.pdf carries clam.exe as an embedded file stream, nothing active.
  const PdfFeatures clam = inspect_pdf(read_file(kData / "av/clamav-testfiles/clam.pdf"));
  EXPECT_TRUE(clam.embedded_files);
  EXPECT_FALSE(clam.javascript || clam.open_action || clam.launch || clam.encrypted ||
               clam.truncated);

  // ClamAV's pdf-stats-test.pdf names every action kind its statistics count.
  const PdfFeatures stats =
      inspect_pdf(read_file(kData / "av/clamav-unit/other_scanfiles/pdf/pdf-stats-test.pdf"));
  EXPECT_TRUE(stats.javascript && stats.open_action && stats.launch && stats.embedded_files);
  EXPECT_FALSE(stats.encrypted || stats.truncated);

  for (const char* plain :
       {"av/clamav-unit/other_scanfiles/pdf/out-of-order.pdf",
        "av/clamav-unit/other_scanfiles/pdf/uri-and-ref.pdf", "truetype/ft_fixture.pdf"})
    EXPECT_TRUE(none(inspect_pdf(read_file(kData / plain)))) << plain;
}

TEST(PdfFlags, EachName) {
  EXPECT_TRUE(inspect_pdf(pdf("<< /S /JavaScript >>")).javascript);
  EXPECT_TRUE(inspect_pdf(pdf("<</JS(app.alert(1))>>")).javascript);
  EXPECT_TRUE(inspect_pdf(pdf("<< /OpenAction 2 0 R >>")).open_action);
  EXPECT_TRUE(inspect_pdf(pdf("<< /AA << >> >>")).open_action);
  EXPECT_TRUE(inspect_pdf(pdf("<< /S/Launch/F (cmd.exe) >>")).launch);
  EXPECT_TRUE(inspect_pdf(pdf("<< /Type /EmbeddedFile >>")).embedded_files);
  EXPECT_TRUE(inspect_pdf(pdf("<< /EmbeddedFiles 3 0 R >>")).embedded_files);
  EXPECT_TRUE(inspect_pdf(pdf("<< /Encrypt 4 0 R >>")).encrypted);
  EXPECT_TRUE(none(inspect_pdf(pdf("<< /Type /Catalog /JavaScripts /JSX /AAA /Launcher >>"))));
}

TEST(PdfFlags, EscapedNames) {
  EXPECT_TRUE(inspect_pdf(pdf("<< /S /J#61vaScript >>")).javascript);
  EXPECT_TRUE(inspect_pdf(pdf("<< /#4Apen >> << /#4a#53 >>")).javascript);
  EXPECT_TRUE(inspect_pdf(pdf("<< /Op#65nAction 2 0 R >>")).open_action);
  EXPECT_TRUE(inspect_pdf(pdf("<< /L#61unch >>")).launch);
  // An escape that is not two hex digits is kept as written: no match.
  EXPECT_FALSE(inspect_pdf(pdf("<< /J#zzavaScript >>")).javascript);
}

TEST(PdfFlags, NamesInsideFlateObjectStreams) {
  const std::string hidden =
      deflate("1 0 << /S /JavaScript /JS (x) >> 2 0 << /OpenAction 1 0 R >>");
  const std::string doc =
      pdf("<< /Type /ObjStm /N 2 /First 8 /Filter /FlateDecode /Length " +
          std::to_string(hidden.size()) + " >>\nstream\r\n" + hidden + "\r\nendstream");
  const PdfFeatures f = inspect_pdf(doc);
  EXPECT_TRUE(f.javascript);
  EXPECT_TRUE(f.open_action);
  EXPECT_FALSE(f.truncated);

  // The filter name escaped does not hide the stream (streams are inflated on their header).
  const std::string esc =
      pdf("<< /Filter /Fl#61teDecode >>\nstream\n" + deflate("/Launch") + "\nendstream");
  EXPECT_TRUE(inspect_pdf(esc).launch);

  // A stream cut part way still shows the names inflated so far.
  std::string big = "/EmbeddedFiles ";
  for (int i = 0; i < 20000; ++i) big += std::to_string(i * 7919) + " ";
  const std::string z = deflate(big);
  EXPECT_TRUE(inspect_pdf("%PDF-1.4\nstream\n" + z.substr(0, z.size() / 2)).embedded_files);
}

TEST(PdfFlags, DeflateBombIsBounded) {
  // 64 MiB of zeros then a name: the name lies beyond the inflation bound and stays unseen, and
  // the scan returns quickly.
  std::string zeros(1u << 20, '\0');
  z_stream z{};
  ASSERT_EQ(deflateInit(&z, 9), Z_OK);
  std::string out(8u << 20, '\0');
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  for (int i = 0; i < 64; ++i) {
    z.next_in = reinterpret_cast<Bytef*>(zeros.data());
    z.avail_in = static_cast<uInt>(zeros.size());
    ASSERT_EQ(deflate(&z, Z_NO_FLUSH), Z_OK);
  }
  const std::string tail = "/JavaScript";
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(tail.data()));
  z.avail_in = static_cast<uInt>(tail.size());
  ASSERT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  const PdfFeatures f = inspect_pdf(pdf("<< /Length 1 >>\nstream\n" + out + "\nendstream"));
  EXPECT_FALSE(f.javascript);
}

TEST(PdfHostile, TruncatedAndCutTokens) {
  EXPECT_TRUE(inspect_pdf("%PDF-1.4\n1 0 obj << /JavaScript >>").truncated);
  EXPECT_TRUE(inspect_pdf("%PDF-1.4\n1 0 obj << /JavaScript >>").javascript);
  EXPECT_TRUE(inspect_pdf("").truncated);
  // %%EOF followed by more than 1 KiB of junk: truncated; by a little padding: not.
  EXPECT_TRUE(inspect_pdf(pdf("<<>>") + std::string(2000, '\n')).truncated);
  EXPECT_FALSE(inspect_pdf(pdf("<<>>") + std::string(100, '\0')).truncated);
  for (const char* s :
       {"/", "%PDF /", "/#", "/#4", "/JavaScript#", "/J#6", "/#zz", "#", "stream", "stream\r\n",
        "stream\nx", "stream\n\x78\x9c", "stream\n\x78\x9c\xff\xff", "endstream"}) {
    const PdfFeatures f = inspect_pdf(s);
    EXPECT_TRUE(f.truncated) << s;
    EXPECT_FALSE(f.javascript) << s;
  }
  EXPECT_TRUE(inspect_pdf("/JS").javascript);  // a name ending the file still counts
  EXPECT_FALSE(inspect_pdf(std::string(100000, '/') + std::string(100000, '#')).javascript);
}

}  // namespace

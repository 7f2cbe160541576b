// bench_decode.cpp — micro-benchmarks of the MIME decoders on the scanning hot path:
// base64 and quoted-printable transfer decoding, charset conversion, HTML to text, each next to
// a peer on the same input in the same run (mimetic's decoders, glibc iconv) for a ratio.
// Needs libksmg/src on the include path (internal header mime/transfer_decode.hpp).
#include <benchmark/benchmark.h>
#include <iconv.h>
#include <mimetic/mimetic.h>

#include <cstdint>
#include <iterator>
#include <ksmg/mime.hpp>
#include <random>
#include <string>

#include "mime/transfer_decode.hpp"

namespace {

constexpr std::size_t kMiB = 1 << 20;

std::string random_bytes(std::size_t n) {
  std::mt19937 rng(42);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng() & 0xFF);
  return s;
}

// Base64 in 76-column CRLF lines, as every mail client writes it.
std::string base64_lines(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve(in.size() * 4 / 3 + in.size() / 25);
  std::size_t col = 0;
  for (std::size_t i = 0; i + 3 <= in.size(); i += 3) {
    const std::uint32_t v = static_cast<std::uint32_t>(static_cast<unsigned char>(in[i])) << 16 |
                            static_cast<std::uint32_t>(static_cast<unsigned char>(in[i + 1])) << 8 |
                            static_cast<unsigned char>(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out += kAlphabet[(v >> s) & 63];
    if ((col += 4) == 76) {
      out += "\r\n";
      col = 0;
    }
  }
  return out;
}

// Quoted-printable of French-like text: mostly literal, some =XX escapes and soft breaks.
std::string qp_lines(std::size_t size) {
  const std::string_view words[] = {"Ma=C3=AEtre",  "Corbeau,", "sur",    "un",      "arbre",
                                    "perch=C3=A9,", "tenait",   "en",     "son",     "bec",
                                    "un",           "fromage.", "=C2=AB", "Bonjour", "=C2=BB"};
  std::string out;
  std::size_t col = 0, k = 0;
  while (out.size() < size) {
    const std::string_view w = words[k++ % std::size(words)];
    if (col + w.size() + 1 > 75) {
      out += (k % 3 == 0) ? "\r\n" : "=\r\n";
      col = 0;
    }
    out += w;
    out += ' ';
    col += w.size() + 1;
  }
  return out;
}

std::string html_page(std::size_t size) {
  std::string out =
      "<!DOCTYPE html><html><head><title>Your account</title><style>p{color:#333}</style>"
      "</head><body>";
  int i = 0;
  while (out.size() < size) {
    out += "<div class=\"row\"><p>Dear customer, your order n&deg;";
    out += std::to_string(i++);
    out += " has been <b>shipped</b> &ndash; see <a href=\"https://example.com/o?id=";
    out += std::to_string(i);
    out +=
        "&amp;x=1\">details</a>.</p><!-- tracking --><table><tr><td>Price</td>"
        "<td>&euro;&nbsp;12,50</td></tr></table></div>\n";
  }
  return out + "</body></html>";
}

const std::string& base64_input() {
  static const std::string in = base64_lines(random_bytes(kMiB));
  return in;
}

const std::string& qp_input() {
  static const std::string in = qp_lines(kMiB);
  return in;
}

const std::string& koi8r_input() {
  static const std::string in = [] {
    std::string s;
    const std::string line = "\xF0\xD2\xC9\xD7\xC5\xD4, \xCD\xC9\xD2! Hello 123.\r\n";
    while (s.size() < kMiB) s += line;
    return s;
  }();
  return in;
}

// The same decoding through mimetic, the speed baseline of the MIME module.
template <typename Decoder>
void mimetic_decode(benchmark::State& state, const std::string& in) {
  std::string out;
  for (auto _ : state) {
    out.clear();
    Decoder dec;
    mimetic::decode(in.begin(), in.end(), dec, std::back_inserter(out));
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * in.size()));
}

void BM_mimetic_DecodeBase64(benchmark::State& state) {
  mimetic_decode<mimetic::Base64::Decoder>(state, base64_input());
}
BENCHMARK(BM_mimetic_DecodeBase64);

void BM_mimetic_DecodeQuotedPrintable(benchmark::State& state) {
  mimetic_decode<mimetic::QP::Decoder>(state, qp_input());
}
BENCHMARK(BM_mimetic_DecodeQuotedPrintable);

// glibc iconv, what a C mail tool would use for charset conversion.
void BM_iconv_Koi8rToUtf8(benchmark::State& state) {
  const std::string& in = koi8r_input();
  iconv_t cd = iconv_open("UTF-8", "KOI8-R");
  std::string out(in.size() * 3, '\0');
  for (auto _ : state) {
    iconv(cd, nullptr, nullptr, nullptr, nullptr);
    char* src = const_cast<char*>(in.data());
    std::size_t src_left = in.size();
    char* dst = out.data();
    std::size_t dst_left = out.size();
    iconv(cd, &src, &src_left, &dst, &dst_left);
    benchmark::DoNotOptimize(dst);
  }
  iconv_close(cd);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * in.size()));
}
BENCHMARK(BM_iconv_Koi8rToUtf8);

// One of ksmg's transfer decoders over the whole input, no output cap.
template <auto Decode>
void ksmg_decode(benchmark::State& state, const std::string& in) {
  std::string out;
  for (auto _ : state) {
    out.clear();
    benchmark::DoNotOptimize(Decode(in, out, SIZE_MAX));
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * in.size()));
}

void BM_DecodeBase64(benchmark::State& state) {
  ksmg_decode<ksmg::mime::detail::decode_base64>(state, base64_input());
}
BENCHMARK(BM_DecodeBase64);

void BM_DecodeQuotedPrintable(benchmark::State& state) {
  ksmg_decode<ksmg::mime::detail::decode_quoted_printable>(state, qp_input());
}
BENCHMARK(BM_DecodeQuotedPrintable);

void BM_ToUtf8Koi8r(benchmark::State& state) {
  const std::string& in = koi8r_input();
  for (auto _ : state) benchmark::DoNotOptimize(ksmg::mime::to_utf8("koi8-r", in));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * in.size()));
}
BENCHMARK(BM_ToUtf8Koi8r);

void BM_ToUtf8PureAscii(benchmark::State& state) {
  std::string in;
  while (in.size() < kMiB) in += "The quick brown fox jumps over the lazy dog 0123456789.\r\n";
  for (auto _ : state) benchmark::DoNotOptimize(ksmg::mime::to_utf8("iso-8859-1", in));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * in.size()));
}
BENCHMARK(BM_ToUtf8PureAscii);

void BM_HtmlToText(benchmark::State& state) {
  const std::string in = html_page(100 * 1024);
  for (auto _ : state) benchmark::DoNotOptimize(ksmg::mime::html_to_text(in));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * in.size()));
}
BENCHMARK(BM_HtmlToText);

}  // namespace

BENCHMARK_MAIN();

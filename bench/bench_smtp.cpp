// bench_smtp.cpp — the relay's per-message byte work over the SpamAssassin corpus: reading DATA
// off the wire (ksmg::relay::smtp::DataReader: end marker, dot-unstuffing, line ends), and
// writing it to the next hop (append_dot_stuffed). Each message is put in its wire form first
// (CRLF line ends, dot-stuffed, end marker) and fed in 16 KiB pieces, as a socket delivers it.
// The baseline in the same run is the least any server does with those bytes: copying the
// pieces into one buffer.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "bench_corpus.hpp"
#include "smtp_syntax.hpp"

namespace {

using ksmg::bench::InputSet;
namespace smtp = ksmg::relay::smtp;

constexpr std::size_t kPiece = 16 * 1024;

std::string crlf(std::string_view m) {
  std::string out;
  out.reserve(m.size() + m.size() / 32);
  for (std::size_t i = 0; i < m.size(); ++i) {
    if (m[i] == '\n' && (i == 0 || m[i - 1] != '\r')) out += '\r';
    out += m[i];
  }
  return out;
}

// The corpus as messages with CRLF line ends (what DataReader gives back) and on the wire.
struct Forms {
  InputSet plain;
  InputSet wire;
};

const Forms& forms() {
  static const Forms f = [] {
    Forms out;
    const InputSet& corpus = ksmg::bench::corpus_messages();
    out.plain.error = out.wire.error = corpus.error;
    for (const std::string& m : corpus.items) {
      out.plain.items.push_back(crlf(m));
      out.plain.bytes += out.plain.items.back().size();
      std::string w;
      smtp::append_dot_stuffed(w, out.plain.items.back());
      out.wire.bytes += w.size();
      out.wire.items.push_back(std::move(w));
    }
    return out;
  }();
  return f;
}

void BM_DataReader(benchmark::State& state) {
  ksmg::bench::run_over(state, forms().wire, [](std::size_t, const std::string& wire) {
    smtp::DataReader reader(std::size_t{64} << 20);
    for (std::size_t at = 0; at < wire.size() && !reader.finished(); at += kPiece)
      reader.feed(std::string_view(wire).substr(at, kPiece));
    return reader.message().size();
  });
}
BENCHMARK(BM_DataReader)->Unit(benchmark::kMillisecond);

void BM_CopyPieces_Baseline(benchmark::State& state) {
  ksmg::bench::run_over(state, forms().wire, [](std::size_t, const std::string& wire) {
    std::string out;
    for (std::size_t at = 0; at < wire.size(); at += kPiece)
      out.append(std::string_view(wire).substr(at, kPiece));
    return out.size();
  });
}
BENCHMARK(BM_CopyPieces_Baseline)->Unit(benchmark::kMillisecond);

void BM_DotStuff(benchmark::State& state) {
  ksmg::bench::run_over(state, forms().plain, [](std::size_t, const std::string& message) {
    std::string out;
    smtp::append_dot_stuffed(out, message);
    return out.size();
  });
}
BENCHMARK(BM_DotStuff)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();

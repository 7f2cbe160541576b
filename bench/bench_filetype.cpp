// bench_filetype.cpp — true-type detection (ksmg::filetype::Detector) next to plain libmagic
// (magic_buffer with MAGIC_MIME_TYPE, one handle loaded once) over the same bytes in the same run:
// the samples of tests/data/truetype, and the decoded MIME leaves of the SpamAssassin corpus
// ($KSMG_CORPUS_DIR, else <repo>/.cache/spamassassin), where most leaves are text and the
// cheap text classifier is what is measured. One iteration is one pass over the whole set.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "bench_corpus.hpp"
#include "inputs.hpp"
#include "ksmg/filetype.hpp"
#include "ksmg/mime.hpp"

namespace {

using ksmg::bench::InputSet;

const InputSet& samples() {
  static const InputSet s = [] {
    InputSet out;
    const std::filesystem::path dir =
        std::filesystem::path(KSMG_SOURCE_DIR) / "tests/data/truetype";
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
      const auto name = e.path().filename().string();
      if (name == "expected.tsv" || name == "SOURCE.md") continue;
      std::ifstream in(e.path(), std::ios::binary);
      out.items.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
      out.bytes += out.items.back().size();
    }
    if (out.items.empty()) out.error = "no samples in " + dir.string();
    return out;
  }();
  return s;
}

// Every leaf of every message, transfer-decoded: what the object tree will hand to the detector.
const InputSet& corpus_leaves() {
  static const InputSet s = [] {
    InputSet out;
    const std::string dir = ksmg::bench::corpus_dir();
    if (out.error = ksmg::bench::corpus_missing(); !out.error.empty()) return out;
    ksmg::frontend::for_each_input({dir}, [&](ksmg::frontend::InputFile& f) {
      if (!f.readable) return;
      for (std::string_view m : ksmg::frontend::messages_in(f.data)) {
        const auto msg = ksmg::mime::Message::parse(m);
        for (const auto& p : msg.parts()) {
          if (!p.is_leaf()) continue;
          std::string data = msg.decode(p).data;
          if (data.empty()) continue;
          out.bytes += data.size();
          out.items.push_back(std::move(data));
        }
      }
    });
    if (out.items.empty()) out.error = "corpus directory " + dir + " holds no messages";
    return out;
  }();
  return s;
}

const ksmg::filetype::Detector kDetector;

void BM_ksmg_detect_samples(benchmark::State& state) {
  ksmg::bench::run_over(state, samples(), [](std::size_t, std::string_view d) {
    return kDetector.detect(d).category;
  });
}
void BM_libmagic_samples(benchmark::State& state) {
  ksmg::bench::run_over(state, samples(), [](std::size_t, std::string_view d) {
    return ksmg::filetype::Detector::libmagic_mime(d);
  });
}
void BM_ksmg_detect_corpus_leaves(benchmark::State& state) {
  ksmg::bench::run_over(state, corpus_leaves(), [](std::size_t, std::string_view d) {
    return kDetector.detect(d).category;
  });
  // Share of leaves that still went to libmagic (the rest were decided without it).
  std::size_t magic = 0;
  for (const std::string& item : corpus_leaves().items)
    magic += kDetector.detect(item).source == ksmg::filetype::Source::libmagic ? 1 : 0;
  if (!corpus_leaves().items.empty())
    state.counters["libmagic_share"] =
        static_cast<double>(magic) / static_cast<double>(corpus_leaves().items.size());
}
void BM_libmagic_corpus_leaves(benchmark::State& state) {
  ksmg::bench::run_over(state, corpus_leaves(), [](std::size_t, std::string_view d) {
    return ksmg::filetype::Detector::libmagic_mime(d);
  });
}

}  // namespace

BENCHMARK(BM_ksmg_detect_samples)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_libmagic_samples)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ksmg_detect_corpus_leaves)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_libmagic_corpus_leaves)->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();

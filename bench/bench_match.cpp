// bench_match.cpp — the content dictionaries (ksmg::match) over the text of the SpamAssassin
// corpus: scanning with a 10,000-word + 200-regex set (the target: >= 250 MB/s per core),
// the same words without whole-word checks (what the callback's check costs), a 100-word set
// (the low-match speed), compiling the big set, and loading it from the disk cache.
//
// Texts, words and regexes come from bench_dictionaries.hpp: the dense set is the corpus's words
// of ranks 2000-11999, the rare ones start at rank 12000 (few matches). One iteration is one pass
// over all texts; bytes are text bytes.
//
// Single whole words go to the word table (the fast path); the *_hyperscan_only rows compile the
// same sets with every entry in Hyperscan (detail::compile_hyperscan_only), next to them for the
// ratio.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "bench_corpus.hpp"
#include "bench_dictionaries.hpp"
#include "ksmg/match.hpp"
#include "match/words.hpp"  // internal hooks: the word table forced on or off

namespace {

using ksmg::bench::corpus_text;
using ksmg::bench::regexes;
using ksmg::bench::words;
using ksmg::match::CompileOptions;
using ksmg::match::Dictionary;
using ksmg::match::Error;
using ksmg::match::Hits;
using ksmg::match::Matcher;
using ksmg::match::Scratch;

std::shared_ptr<const Matcher> compile_or_die(std::vector<Dictionary> d,
                                              const CompileOptions& o = {}) {
  Error err;
  auto m = Matcher::compile(std::move(d), o, err);
  if (m == nullptr) std::fprintf(stderr, "compile: %s\n", err.to_string().c_str());
  return m;
}

std::shared_ptr<const Matcher> compile_hyperscan_only_or_die(std::vector<Dictionary> d) {
  Error err;
  auto m = ksmg::match::detail::compile_hyperscan_only(std::move(d), {}, err);
  if (m == nullptr) std::fprintf(stderr, "compile: %s\n", err.to_string().c_str());
  return m;
}

void scan_bench(benchmark::State& state, const std::shared_ptr<const Matcher>& m) {
  if (m == nullptr) {
    state.SkipWithError("compile failed");
    return;
  }
  Scratch scratch(*m);
  Hits hits;
  std::uint64_t matches = 0, texts_hit = 0;
  ksmg::bench::run_over(state, corpus_text(), [&](std::size_t, std::string_view t) {
    hits.clear();
    const bool ok = m->scan(t, scratch, hits);
    if (!hits.empty()) ++texts_hit;
    for (const auto* d : hits.found()) matches += d->matches;
    return ok;
  });
  if (state.iterations() > 0) {
    state.counters["matches/pass"] = static_cast<double>(matches / state.iterations());
    state.counters["texts_hit/pass"] = static_cast<double>(texts_hit / state.iterations());
    state.counters["db_MB"] = static_cast<double>(m->database_bytes()) / 1e6;
  }
}

void BM_scan_10k_words_200_regex(benchmark::State& state) {
  static const auto m = compile_or_die({words(2000, 12000, true), regexes()});
  scan_bench(state, m);
}

void BM_scan_10k_words_200_regex_hyperscan_only(benchmark::State& state) {
  static const auto m = compile_hyperscan_only_or_die({words(2000, 12000, true), regexes()});
  scan_bench(state, m);
}

void BM_scan_10k_words_part_200_regex(benchmark::State& state) {
  static const auto m = compile_or_die({words(2000, 12000, false), regexes()});
  scan_bench(state, m);
}

void BM_scan_10k_words(benchmark::State& state) {
  static const auto m = compile_or_die({words(2000, 12000, true)});
  scan_bench(state, m);
}

void BM_scan_200_regex(benchmark::State& state) {
  static const auto m = compile_or_die({regexes()});
  scan_bench(state, m);
}

void BM_scan_100_rare_words(benchmark::State& state) {
  static const auto m = compile_or_die({words(12000, 12100, true)});
  scan_bench(state, m);
}

// Where the word table starts to pay (detail::kMinTableWords): N rare words in the table and in
// Hyperscan alone, side by side.
std::shared_ptr<const Matcher> rare_words(std::size_t n, bool table) {
  static std::map<std::pair<std::size_t, bool>, std::shared_ptr<const Matcher>> cache;
  auto& m = cache[{n, table}];
  if (m == nullptr) {
    Error err;
    std::vector<Dictionary> d{words(12000, 12000 + n, true)};
    m = table ? ksmg::match::detail::compile_word_table_always(std::move(d), {}, err)
              : ksmg::match::detail::compile_hyperscan_only(std::move(d), {}, err);
    if (m == nullptr) std::fprintf(stderr, "compile: %s\n", err.to_string().c_str());
  }
  return m;
}

void BM_scan_rare_words_table(benchmark::State& state) {
  scan_bench(state, rare_words(static_cast<std::size_t>(state.range(0)), true));
}

void BM_scan_rare_words_hyperscan_only(benchmark::State& state) {
  scan_bench(state, rare_words(static_cast<std::size_t>(state.range(0)), false));
}

// The profile of an administrator's dictionary (product names, project code words, rare terms):
// 10k real words of the corpus that are rare in it, ranks 12000-21999.
void BM_scan_10k_rare_words_200_regex(benchmark::State& state) {
  static const auto m = compile_or_die({words(12000, 22000, true), regexes()});
  scan_bench(state, m);
}

void BM_scan_10k_rare_words_200_regex_hyperscan_only(benchmark::State& state) {
  static const auto m = compile_hyperscan_only_or_die({words(12000, 22000, true), regexes()});
  scan_bench(state, m);
}

void BM_compile_10k_words_200_regex(benchmark::State& state) {
  if (!corpus_text().error.empty()) return state.SkipWithError(corpus_text().error.c_str());
  const std::vector<Dictionary> dicts{words(2000, 12000, true), regexes()};
  for (auto _ : state) {
    auto m = compile_or_die(dicts);
    if (m == nullptr) return state.SkipWithError("compile failed");
    benchmark::DoNotOptimize(m);
  }
}

void BM_cache_load_10k_words_200_regex(benchmark::State& state) {
  if (!corpus_text().error.empty()) return state.SkipWithError(corpus_text().error.c_str());
  const std::vector<Dictionary> dicts{words(2000, 12000, true), regexes()};
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("ksmg-bench-match-" + std::to_string(::getpid()));
  const CompileOptions o{dir.string(), {}};
  compile_or_die(dicts, o);  // fills the cache
  bool all_cached = true;
  for (auto _ : state) {
    auto m = compile_or_die(dicts, o);
    all_cached = all_cached && m != nullptr && m->from_cache();
    benchmark::DoNotOptimize(m);
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  if (!all_cached) state.SkipWithError("not loaded from the cache");
}

BENCHMARK(BM_scan_10k_words_200_regex)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_scan_10k_words_200_regex_hyperscan_only)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_scan_10k_words_part_200_regex)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_scan_10k_words)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_scan_200_regex)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_scan_100_rare_words)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_scan_rare_words_table)
    ->Arg(100)
    ->Arg(300)
    ->Arg(1000)
    ->Arg(3000)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_scan_rare_words_hyperscan_only)
    ->Arg(100)
    ->Arg(300)
    ->Arg(1000)
    ->Arg(3000)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_scan_10k_rare_words_200_regex)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_scan_10k_rare_words_200_regex_hyperscan_only)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_compile_10k_words_200_regex)->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK(BM_cache_load_10k_words_200_regex)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();

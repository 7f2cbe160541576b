// bench_content_filter.cpp — the content filter stage (ksmg::match::ContentFilter::scan) over the
// SpamAssassin corpus: every message already parsed and its object tree built (the objects
// stage, measured in bench_objects.cpp), then per message what the stage does: the decoded
// Subject and other header fields, the text parts decoded to UTF-8 with HTML made text,
// attachment names and text attachments, each scanned by the dictionaries, then expressions and
// conditions. Bytes are message bytes (the target: >= 250 MB/s per core with a
// 10k-entry dictionary).
//
// Dictionaries look where they do by default (PlaceSet::by_default: all but the other header
// fields). Rows, side by side in one run:
//   10k_words_200_regex       10,000 corpus words (ranks 2000-11999, dense) + 200 regexes
//   ..._and_headers           the same, also over every header field
//   10k_rare_words_200_regex  10,000 rare corpus words (ranks 12000-21999) + 200 regexes
//   one_word                  a single rare word: what getting the texts out costs by itself
#include <benchmark/benchmark.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "bench_corpus.hpp"
#include "bench_dictionaries.hpp"
#include "ksmg/content_filter.hpp"
#include "ksmg/limits.hpp"
#include "ksmg/mime.hpp"
#include "ksmg/objects.hpp"

namespace {

using ksmg::match::ContentFilter;
using ksmg::match::ContentScratch;
using ksmg::match::Dictionary;

// Dictionaries looking everywhere, a condition on them and two on objects (which never fire on
// this corpus but are evaluated for every message).
std::shared_ptr<const ContentFilter> filter_of(std::vector<Dictionary> dicts,
                                               bool headers_too = false) {
  ksmg::match::FilterRules rules;
  std::string all;
  for (Dictionary& d : dicts) {
    all += (all.empty() ? "" : " or ") + d.name + ".count >= 5";
    ksmg::match::FilterDictionary& fd = rules.dictionaries.emplace_back();
    fd.dictionary = std::move(d);
    if (headers_too) fd.places = ksmg::match::PlaceSet::all();
  }
  auto condition = [&](std::string name) -> ksmg::match::Condition& {
    rules.conditions.emplace_back();
    rules.conditions.back().name = std::move(name);
    return rules.conditions.back();
  };
  condition("words").expression = all;
  auto& exe = condition("exe-in-archive").object.emplace();
  exe.categories = {ksmg::filetype::Category::executable};
  exe.min_depth = 1;
  condition("big").object.emplace().min_size = 20u << 20;
  ksmg::match::RulesError err;
  auto f = ContentFilter::compile(std::move(rules), "bench", {}, err);
  if (f == nullptr) std::fprintf(stderr, "compile: %s\n", err.to_string().c_str());
  return f;
}

void stage(benchmark::State& state, const std::shared_ptr<const ContentFilter>& f) {
  const ksmg::bench::InputSet& raw = ksmg::bench::corpus_messages();
  if (!raw.error.empty()) return state.SkipWithError(raw.error.c_str());
  if (f == nullptr) return state.SkipWithError("compile failed");
  const ksmg::bench::ParsedCorpus& c = ksmg::bench::corpus_trees();
  const ksmg::ScanLimits limits;  // what corpus_trees() parses and builds the trees with
  ContentScratch scratch;
  std::uint64_t triggered = 0;
  for (auto _ : state) {
    for (std::size_t i = 0; i < c.messages.size(); ++i) {
      const auto r = f->scan(c.messages[i].get(), c.trees[i], {}, limits, scratch);
      if (r.status == ksmg::verdict::Status::triggered) ++triggered;
      benchmark::DoNotOptimize(r);
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * raw.bytes));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * c.messages.size()));
  state.counters["messages"] = static_cast<double>(c.messages.size());
  if (state.iterations() > 0)
    state.counters["triggered/pass"] = static_cast<double>(triggered / state.iterations());
}

void BM_content_filter_10k_words_200_regex(benchmark::State& state) {
  static const auto f = filter_of({ksmg::bench::words(2000, 12000, true), ksmg::bench::regexes()});
  stage(state, f);
}

void BM_content_filter_10k_words_200_regex_and_headers(benchmark::State& state) {
  static const auto f =
      filter_of({ksmg::bench::words(2000, 12000, true), ksmg::bench::regexes()}, true);
  stage(state, f);
}

void BM_content_filter_10k_rare_words_200_regex(benchmark::State& state) {
  static const auto f = filter_of({ksmg::bench::words(12000, 22000, true), ksmg::bench::regexes()});
  stage(state, f);
}

void BM_content_filter_one_word(benchmark::State& state) {
  static const auto f = filter_of({ksmg::bench::words(12000, 12001, true)});
  stage(state, f);
}

BENCHMARK(BM_content_filter_10k_words_200_regex)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_content_filter_10k_words_200_regex_and_headers)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_content_filter_10k_rare_words_200_regex)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_content_filter_one_word)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();

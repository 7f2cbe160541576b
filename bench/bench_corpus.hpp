// bench_corpus.hpp — what the benchmarks share: where the SpamAssassin corpus is ($KSMG_CORPUS_DIR,
// else <repo>/.cache/spamassassin, filled by scripts/fetch-corpus.sh) and what they say when it
// is missing; a set of inputs held in memory, the corpus's messages as one; and one pass over a
// set as one iteration.
#pragma once

#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "inputs.hpp"
#include "ksmg/mime.hpp"
#include "ksmg/objects.hpp"

#ifndef KSMG_SOURCE_DIR
#error "KSMG_SOURCE_DIR must be defined by the build"
#endif

namespace ksmg::bench {

inline std::string corpus_dir() {
  if (const char* env = std::getenv("KSMG_CORPUS_DIR"); env != nullptr && *env != '\0') return env;
  return std::string(KSMG_SOURCE_DIR) + "/.cache/spamassassin";
}

// "" when the corpus directory exists, else why the benchmark cannot run.
inline std::string corpus_missing() {
  std::error_code ec;
  if (std::filesystem::is_directory(corpus_dir(), ec)) return {};
  return "corpus directory " + corpus_dir() +
         " not found: run scripts/fetch-corpus.sh (or set KSMG_CORPUS_DIR)";
}

// Inputs loaded once; error says why the set is empty.
struct InputSet {
  std::vector<std::string> names;  // when the benchmark needs them
  std::vector<std::string> items;
  std::uint64_t bytes = 0;
  std::string error;
};

// Every message of the corpus (mbox files split), as read, loaded once.
inline const InputSet& corpus_messages() {
  static const InputSet s = [] {
    InputSet out;
    if (out.error = corpus_missing(); !out.error.empty()) return out;
    frontend::for_each_input({corpus_dir()}, [&](frontend::InputFile& f) {
      if (!f.readable) return;
      for (std::string_view m : frontend::messages_in(f.data)) {
        out.items.emplace_back(m);
        out.bytes += m.size();
      }
    });
    if (out.items.empty()) out.error = "the corpus holds no messages";
    return out;
  }();
  return s;
}

// The corpus's messages parsed, with their object trees (trees[i] of corpus_messages().items[i],
// views into it), built once: for benches of the stages that start from the tree.
struct ParsedCorpus {
  std::vector<std::unique_ptr<mime::Message>> messages;
  std::vector<objects::ObjectTree> trees;
};

inline const ParsedCorpus& corpus_trees() {
  static const ParsedCorpus p = [] {
    ParsedCorpus out;
    for (const std::string& raw : corpus_messages().items) {
      out.messages.push_back(std::make_unique<mime::Message>(mime::Message::parse(raw)));
      out.trees.push_back(objects::ObjectTree::of_message(*out.messages.back()));
    }
    return out;
  }();
  return p;
}

// One iteration is one pass over the set: fn(index, item) on every item. Reports bytes and
// items per second, and the number of items.
template <typename Fn>
void run_over(benchmark::State& state, const InputSet& set, Fn&& fn) {
  if (!set.error.empty()) {
    state.SkipWithError(set.error.c_str());
    return;
  }
  for (auto _ : state)
    for (std::size_t i = 0; i < set.items.size(); ++i)
      benchmark::DoNotOptimize(fn(i, set.items[i]));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * set.items.size()));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * set.bytes));
  state.counters["items"] = static_cast<double>(set.items.size());
}

}  // namespace ksmg::bench

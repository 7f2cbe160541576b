// bench_match.cpp — the content dictionaries (ksmg::match) over the text of the SpamAssassin
// corpus: scanning with a 10,000-word + 200-regex set (the target: >= 250 MB/s per core),
// the same words without whole-word checks (what the callback's check costs), a 100-word set
// (the low-match speed), compiling the big set, and loading it from the disk cache.
//
// The text is what the content filter will scan: the decoded Subject and Message::text(part,
// true) of every text leaf. The words are real and not stop words: the corpus's own words
// (runs of ASCII letters, lower-cased, at least 3 long; the corpus is English) ranked by frequency,
// ranks 2000-11999, ties by spelling; the small set is ranks 12000-12099 (rare words, few matches).
// The regexes are built from families of spam-filter patterns (amounts of money, URLs with IP
// addresses, "click here to ..." calls, phone numbers, "act now" phrases, ...). One iteration is
// one pass over all texts; bytes are text bytes.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "bench_corpus.hpp"
#include "inputs.hpp"
#include "ksmg/match.hpp"
#include "ksmg/mime.hpp"

namespace {

using ksmg::bench::InputSet;
using ksmg::match::CompileOptions;
using ksmg::match::Dictionary;
using ksmg::match::Entry;
using ksmg::match::EntryKind;
using ksmg::match::Error;
using ksmg::match::Hits;
using ksmg::match::Matcher;
using ksmg::match::Scratch;

const InputSet& corpus_text() {
  static const InputSet s = [] {
    InputSet out;
    if (out.error = ksmg::bench::corpus_missing(); !out.error.empty()) return out;
    ksmg::frontend::for_each_input({ksmg::bench::corpus_dir()}, [&](ksmg::frontend::InputFile& f) {
      if (!f.readable) return;
      for (std::string_view raw : ksmg::frontend::messages_in(f.data)) {
        const auto msg = ksmg::mime::Message::parse(raw);
        if (const auto* subject = msg.header("Subject"); subject != nullptr)
          out.items.push_back(subject->decoded());
        for (const auto& p : msg.parts())
          if (p.is_leaf() && p.is_text()) out.items.push_back(msg.text(p, true).data);
      }
    });
    for (const std::string& t : out.items) out.bytes += t.size();
    if (out.items.empty()) out.error = "the corpus holds no text";
    return out;
  }();
  return s;
}

// Corpus words by frequency, most frequent first.
const std::vector<std::string>& ranked_words() {
  static const std::vector<std::string> words = [] {
    std::unordered_map<std::string, std::size_t> freq;
    for (const std::string& t : corpus_text().items) {
      std::string w;
      auto flush = [&] {
        if (w.size() >= 3) ++freq[w];
        w.clear();
      };
      for (const char ch : t) {
        const auto u = static_cast<unsigned char>(ch);
        if (u >= 'a' && u <= 'z') {
          w += ch;
        } else if (u >= 'A' && u <= 'Z') {
          w += static_cast<char>(u - 'A' + 'a');
        } else {
          flush();
        }
      }
      flush();
    }
    std::vector<std::pair<std::string, std::size_t>> v(freq.begin(), freq.end());
    std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
      return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    std::vector<std::string> out;
    for (auto& [w, n] : v) out.push_back(std::move(w));
    return out;
  }();
  return words;
}

Dictionary words(std::size_t from, std::size_t to, bool whole) {
  Dictionary d{"words-" + std::to_string(from) + "-" + std::to_string(to), "", {}};
  const auto& r = ranked_words();
  for (std::size_t i = from; i < to && i < r.size(); ++i) {
    Entry e{.pattern = r[i]};
    e.whole_word = whole;
    d.entries.push_back(std::move(e));
  }
  return d;
}

Dictionary regexes() {
  Dictionary d{"regexes", "", {}};
  auto add = [&](std::string p) {
    if (d.entries.size() < 200)
      d.entries.push_back(Entry{.pattern = std::move(p), .kind = EntryKind::regex});
  };
  for (const char* cur : {"\\$", "€", "£", "USD\\s?", "EUR\\s?", "GBP\\s?"})
    for (const char* tail : {"\\d{1,3}(?:,\\d{3})+", "\\d{1,3}(?:,\\d{3}){2,}(?:\\.\\d\\d)?",
                             "\\d+(?:\\.\\d+)?\\s?(?:million|billion|thousand)"})
      add(std::string(cur) + "\\s?" + tail);
  for (const char* path : {"", "login", "verify", "account", "secure", "update", "bank", "paypal",
                           "signin", "confirm", "webscr", "admin", "cgi-bin", "images", "track"})
    add(std::string("https?://\\d{1,3}(?:\\.\\d{1,3}){3}(?::\\d{2,5})?/") + path);
  for (const char* verb :
       {"unsubscribe", "claim",    "verify",  "confirm",  "order", "remove", "learn",
        "download",    "activate", "receive", "get",      "win",   "start",  "see",
        "view",        "update",   "apply",   "register", "login", "buy"})
    add(std::string("\\bclick\\s+(?:here|below|this\\s+link|the\\s+link)\\s+to\\s+") + verb +
        "\\b");
  for (const char* p : {"\\b1?[-. (]*8(?:00|88|77|66|55)[-. )]*\\d{3}[-. ]*\\d{4}\\b",
                        "\\(\\d{3}\\)\\s*\\d{3}-\\d{4}",
                        "\\b\\d{3}-\\d{3}-\\d{4}\\b",
                        "\\+44\\s?\\d{2,4}\\s?\\d{6,8}",
                        "\\+7\\s?\\(?\\d{3}\\)?\\s?\\d{3}-?\\d{2}-?\\d{2}",
                        "\\btoll[- ]free\\b",
                        "\\b\\d{2}\\s?%\\s+off\\b",
                        "\\bsave\\s+(?:up\\s+to\\s+)?\\d{2}\\s?%",
                        "\\b100\\s?%\\s+(?:free|guaranteed|satisfaction|natural|legal)\\b",
                        "\\bdear\\s+(?:friend|sir|madam|beneficiary|customer|user|member)\\b",
                        "\\bwin(?:ner)?\\b.{0,30}\\bprize\\b",
                        "\\bno\\s+(?:credit\\s+)?check\\b",
                        "\\bremove\\s+(?:me|from)\\b.{0,20}\\blist\\b",
                        "\\bmeet\\s+(?:hot|sexy|local)\\s+singles\\b",
                        "\\b(?:lose|burn)\\s+\\d+\\s+(?:lbs|pounds|kg)\\b",
                        "\\bnigeria|\\bnext\\s+of\\s+kin\\b",
                        "\\b(?:urgent|confidential)\\s+(?:business|proposal|reply)\\b",
                        "\\bwork\\s+(?:from|at)\\s+home\\b",
                        "\\bas\\s+seen\\s+on\\s+(?:tv|oprah)\\b",
                        "\\bthis\\s+is\\s+not\\s+spam\\b"})
    add(p);
  for (const char* tld : {"ru", "cn", "biz", "info", "top", "xyz", "tk", "pw", "cc", "ws"})
    add(std::string("\\b[a-z0-9._%+-]+@[a-z0-9.-]+\\.") + tld + "\\b");
  for (const char* act : {"act", "order", "buy", "call", "reply", "respond", "apply"})
    for (const char* when : {"now", "today", "immediately"})
      add(std::string("\\b") + act + "\\s+" + when + "\\b");
  for (const char* adj : {"free", "cheap", "discount", "lowest", "best", "online", "generic",
                          "instant", "guaranteed", "exclusive"})
    for (const char* noun : {"meds", "pills", "viagra", "rolex", "software", "mortgage", "loans?",
                             "offer", "quotes?", "trial", "pharmacy", "cialis", "watches"})
      add(std::string("\\b") + adj + "\\s+" + noun + "\\b");
  return d;
}

std::shared_ptr<const Matcher> compile_or_die(std::vector<Dictionary> d,
                                              const CompileOptions& o = {}) {
  Error err;
  auto m = Matcher::compile(std::move(d), o, err);
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

// The profile of an administrator's dictionary (product names, project code words, rare terms):
// 10k real words of the corpus that are rare in it, ranks 12000-21999.
void BM_scan_10k_rare_words_200_regex(benchmark::State& state) {
  static const auto m = compile_or_die({words(12000, 22000, true), regexes()});
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
BENCHMARK(BM_scan_10k_words_part_200_regex)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_scan_10k_words)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_scan_200_regex)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_scan_100_rare_words)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_scan_10k_rare_words_200_regex)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_compile_10k_words_200_regex)->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK(BM_cache_load_10k_words_200_regex)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();

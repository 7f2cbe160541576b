// test_match.cpp — content dictionaries: the file format and its errors, the matching rules
// (literals, whole words in any script, Unicode case folding, phrases across line breaks,
// regexes), counting, invalid UTF-8, the compiled-database cache, and words planted in a real
// message (base64 KOI8-R, quoted-printable Shift_JIS, RFC 2047, HTML) and in a zip member name;
// and the word table (the fast path of single whole words) against Hyperscan on the same entries.
#include <gtest/gtest.h>
#include <unicode/ucnv.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "ksmg/match.hpp"
#include "ksmg/mime.hpp"
#include "ksmg/objects.hpp"
#include "match/words.hpp"
#include "test_data.hpp"

namespace {

using ksmg::match::CompileOptions;
using ksmg::match::Dictionary;
using ksmg::match::DictionaryHits;
using ksmg::match::Entry;
using ksmg::match::EntryKind;
using ksmg::match::Error;
using ksmg::match::Hits;
using ksmg::match::Matcher;
using ksmg::match::Scratch;
using ksmg::test::data_dir;
namespace fs = std::filesystem;

Dictionary parse_ok(std::string_view text, std::string name = "d") {
  Dictionary d;
  d.name = std::move(name);
  Error err;
  EXPECT_TRUE(ksmg::match::parse_dictionary(text, "test.dict", d, err)) << err.to_string();
  return d;
}

Error parse_error(std::string_view text) {
  Dictionary d;
  Error err;
  EXPECT_FALSE(ksmg::match::parse_dictionary(text, "bad.dict", d, err)) << text;
  return err;
}

// With the word table however small the set (Matcher::compile uses it from kMinTableWords
// entries on), so that these tests see the path big dictionaries take; FindsWhatHyperscanFinds
// holds it to Hyperscan alone.
std::shared_ptr<const Matcher> compile(std::vector<Dictionary> dicts,
                                       const CompileOptions& o = {}) {
  Error err;
  auto m = ksmg::match::detail::compile_word_table_always(std::move(dicts), o, err);
  EXPECT_NE(m, nullptr) << err.to_string();
  return m;
}

std::shared_ptr<const Matcher> compile_text(std::string_view text) {
  return compile({parse_ok(text)});
}

// Patterns of all dictionaries found in the texts (scanned into one Hits).
std::multiset<std::string> found(const Matcher& m, std::vector<std::string_view> texts) {
  Scratch s(m);
  Hits h;
  for (std::string_view t : texts) EXPECT_TRUE(m.scan(t, s, h));
  std::multiset<std::string> out;
  for (const DictionaryHits* d : h.found())
    for (std::uint32_t e : d->entries)
      out.insert(m.dictionaries()[d->dictionary].entries[e].pattern);
  return out;
}

std::multiset<std::string> found(const Matcher& m, std::string_view text) {
  return found(m, std::vector<std::string_view>{text});
}

TEST(MatchDictionary, ParsesEveryOptionAndInfersTheKind) {
  const Dictionary d = parse_ok(
      "\xEF\xBB\xBF# comment\r\n"
      "\r\n"
      "  viagra  \r\n"
      "cheap   meds\n"
      "[case, weight=2.5] NASA\n"
      "[part] pharma\n"
      "[regex] \\$\\d+\n"
      "[regex unicode case] \\w+\n"
      "[phrase] single\n"
      "[] [urgent]\n"
      "\t# indented comment\n");
  ASSERT_EQ(d.entries.size(), 8u);
  EXPECT_EQ(d.file, "test.dict");
  const Entry& w = d.entries[0];
  EXPECT_EQ(w.pattern, "viagra");
  EXPECT_EQ(w.kind, EntryKind::word);
  EXPECT_FALSE(w.case_sensitive);
  EXPECT_TRUE(w.whole_word);
  EXPECT_EQ(w.weight, 1.0);
  EXPECT_EQ(w.line, 3u);
  EXPECT_EQ(d.entries[1].kind, EntryKind::phrase);
  EXPECT_EQ(d.entries[1].pattern, "cheap   meds");
  EXPECT_TRUE(d.entries[2].case_sensitive);
  EXPECT_EQ(d.entries[2].weight, 2.5);
  EXPECT_FALSE(d.entries[3].whole_word);
  EXPECT_EQ(d.entries[4].kind, EntryKind::regex);
  EXPECT_FALSE(d.entries[4].whole_word);
  EXPECT_FALSE(d.entries[4].unicode);
  EXPECT_TRUE(d.entries[5].unicode);
  EXPECT_TRUE(d.entries[5].case_sensitive);
  EXPECT_EQ(d.entries[6].kind, EntryKind::phrase);
  EXPECT_EQ(d.entries[7].pattern, "[urgent]");
  EXPECT_EQ(d.entries[7].line, 10u);
}

TEST(MatchDictionary, EveryMalformedLineIsAnErrorWithFileAndLine) {
  struct Case {
    const char* text;
    std::size_t line;
    const char* says;
  };
  const Case cases[] = {
      {"ok\n[bogus] x\n", 2, "unknown option 'bogus'"},
      {"ok\n\n[case x\n", 3, "no ']'"},
      {"[word] two words\n", 1, "cannot contain whitespace"},
      {"[weight=abc] x\n", 1, "not a decimal number"},
      {"[weight=] x\n", 1, "not a decimal number"},
      {"[weight=1e999] x\n", 1, "not a decimal number"},
      {"[case nocase] x\n", 1, "conflicts"},
      {"[word regex] x\n", 1, "conflicts"},
      {"[weight=1 weight=2] x\n", 1, "conflicts"},
      {"#\nok\n[regex whole] x\n", 3, "\\b"},
      {"[unicode] x\n", 1, "regexes only"},
      {"[case]   \n", 1, "no pattern"},
      {"ok\nbad \xFF byte\n", 2, "UTF-8"},
  };
  for (const Case& c : cases) {
    const Error e = parse_error(c.text);
    EXPECT_EQ(e.file, "bad.dict") << c.text;
    EXPECT_EQ(e.line, c.line) << c.text;
    EXPECT_NE(e.message.find(c.says), std::string::npos) << c.text << " -> " << e.message;
    EXPECT_EQ(e.to_string().rfind("bad.dict:" + std::to_string(c.line) + ": ", 0), 0u);
  }
}

TEST(MatchDictionary, LoadsTheSampleFileAndNamesMissingFiles) {
  const fs::path sample = data_dir() / ".." / ".." / "examples" / "dictionaries" / "sample.dict";
  Dictionary d;
  Error err;
  ASSERT_TRUE(ksmg::match::load_dictionary(sample.string(), "", d, err)) << err.to_string();
  EXPECT_EQ(d.name, "sample");
  EXPECT_GE(d.entries.size(), 15u);
  auto m = compile({d});
  ASSERT_NE(m, nullptr);
  const auto hits = found(*m,
                          "Dear winner, you  have\nwon $1,000,000.00! Visit http://192.168.10.1/x "
                          "and CALL now. ВЫИГРЫШ ждёт. 本日は割引セール. [URGENT] pharmacy NASA");
  for (const char* p : {"you have won", "\\$\\s?\\d{1,3}(,\\d{3})+(\\.\\d\\d)?",
                        "https?://\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}", "\\bcall\\s+now\\b",
                        "выигрыш", "割引", "[urgent]", "pharma", "NASA"})
    EXPECT_EQ(hits.count(p), 1u) << p;

  Dictionary missing;
  EXPECT_FALSE(ksmg::match::load_dictionary("/nonexistent/x.dict", "x", missing, err));
  EXPECT_EQ(err.file, "/nonexistent/x.dict");
}

TEST(MatchWords, AreLiteralsAndWholeWordsByDefault) {
  auto m = compile_text("cat\nC++\na.b\n$100\n(x)\n[part] pharma\n");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(found(*m, "the cat sat"), (std::multiset<std::string>{"cat"}));
  EXPECT_TRUE(found(*m, "concatenate cats scatter cat_x 9cat").empty());
  EXPECT_EQ(found(*m, "(cat)").count("cat"), 1u);
  EXPECT_EQ(found(*m, "I write C++ daily").count("C++"), 1u);
  EXPECT_EQ(found(*m, "a.b").count("a.b"), 1u);
  EXPECT_EQ(found(*m, "axb").count("a.b"), 0u);  // '.' is not a wildcard
  // Edges that are not word characters are not checked: "$100" inside "US$100".
  EXPECT_EQ(found(*m, "only US$100 today").count("$100"), 1u);
  EXPECT_EQ(found(*m, "only $1000").count("$100"), 0u);  // the right edge is a digit
  EXPECT_EQ(found(*m, "f(x)").count("(x)"), 1u);
  EXPECT_EQ(found(*m, "pharmacy").count("pharma"), 1u);
}

TEST(MatchWords, WholeWordIsUnicodeAware) {
  auto m = compile_text("привет\nstraße\n[part] мир\n割引\nsale\n");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(found(*m, "Привет, друг").count("привет"), 1u);
  EXPECT_EQ(found(*m, "приветствие").count("привет"), 0u);  // Cyrillic letter after
  EXPECT_EQ(found(*m, "сприветом").count("привет"), 0u);    // and before
  EXPECT_EQ(found(*m, "«привет»").count("привет"), 1u);
  EXPECT_EQ(found(*m, "die straße.").count("straße"), 1u);
  EXPECT_EQ(found(*m, "straßen").count("straße"), 0u);
  EXPECT_EQ(found(*m, "é\xCC\x81straße").count("straße"), 0u);  // a combining mark glues
  EXPECT_EQ(found(*m, "миром").count("мир"), 1u);
  // No spaces between Japanese words: CJK edges and CJK neighbours are never checked.
  EXPECT_EQ(found(*m, "本日は割引セールです").count("割引"), 1u);
  EXPECT_EQ(found(*m, "本日はsaleです").count("sale"), 1u);
  EXPECT_EQ(found(*m, "resale").count("sale"), 0u);
}

TEST(MatchWords, CaseInsensitiveFoldsEveryScript) {
  auto m = compile_text("привет\nωμέγα\nstraße\nkelvin\n[case] NASA\n");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(found(*m, "ПРИВЕТ").count("привет"), 1u);
  EXPECT_EQ(found(*m, "ПрИвЕт").count("привет"), 1u);
  EXPECT_EQ(found(*m, "ΩΜΈΓΑ").count("ωμέγα"), 1u);
  EXPECT_EQ(found(*m, "STRAẞE").count("straße"), 1u);
  // ASCII-only words are matched in byte mode: KELVIN SIGN is not a caseless "k" there.
  EXPECT_EQ(found(*m, "KELVIN").count("kelvin"), 1u);
  EXPECT_EQ(found(*m,
                  "\xE2\x84\xAA"
                  "ELVIN")
                .count("kelvin"),
            0u);
  EXPECT_EQ(found(*m, "NASA").count("NASA"), 1u);
  EXPECT_EQ(found(*m, "nasa Nasa").count("NASA"), 0u);
}

TEST(MatchPhrases, WhitespaceRunsMatchAnyWhitespace) {
  auto m = compile_text("cheap meds\nвыиграли приз\n");
  ASSERT_NE(m, nullptr);
  for (std::string_view t : {"cheap meds", "CHEAP\r\n  MEDS", "cheap\tmeds", "cheap\xC2\xA0meds",
                             "buy cheap\u3000meds!"})
    EXPECT_EQ(found(*m, t).count("cheap meds"), 1u) << t;
  for (std::string_view t : {"cheapmeds", "xcheap meds", "cheap medsx", "cheap - meds"})
    EXPECT_EQ(found(*m, t).count("cheap meds"), 0u) << t;
  EXPECT_EQ(found(*m, "Вы ВЫИГРАЛИ\n\nПРИЗ").count("выиграли приз"), 1u);
  EXPECT_EQ(found(*m, "вывыиграли приз").count("выиграли приз"), 0u);
}

TEST(MatchRegex, MatchesAndBadPatternsNameFileAndLine) {
  auto m = compile_text("[regex] https?://\\d+\\.\\d+\\.\\d+\\.\\d+\n[regex case] ^ID-\\d+$\n");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(found(*m, "go to HTTP://10.0.0.1/x").size(), 1u);
  EXPECT_EQ(found(*m, "ID-42").size(), 1u);
  EXPECT_EQ(found(*m, "id-42").size(), 0u);

  for (const char* bad :
       {"[regex] (a)\\1", "[regex] a*", "[regex] ((", "[regex unicode] \\bx\\b"}) {
    Dictionary d = parse_ok(std::string("ok\n# c\n") + bad + "\n", "spam");
    Error err;
    EXPECT_EQ(Matcher::compile({parse_ok("fine"), d}, {}, err), nullptr) << bad;
    EXPECT_EQ(err.file, "test.dict") << bad;
    EXPECT_EQ(err.line, 3u) << bad;
    EXPECT_NE(err.message.find("dictionary 'spam'"), std::string::npos) << err.message;
  }
}

TEST(MatchHits, CountOccurrencesWeighDistinctEntriesAndAddUpOverScans) {
  Dictionary a = parse_ok("[weight=2] free\n[weight=0.5] money\n[regex] \\d+\n", "a");
  Dictionary b = parse_ok("unused\n", "b");
  Dictionary c = parse_ok("money\n", "c");
  auto m = compile({a, b, c});
  ASSERT_NE(m, nullptr);
  Scratch s(*m);
  Hits h;
  ASSERT_TRUE(m->scan("free free FREE money 1000 and 22", s, h));
  ASSERT_TRUE(m->scan("free again 7", s, h));
  const DictionaryHits* da = h.dictionary(0);
  ASSERT_NE(da, nullptr);
  EXPECT_EQ(da->dictionary, 0u);
  EXPECT_EQ(da->distinct_entries, 3u);
  ASSERT_EQ(da->entries, (std::vector<std::uint32_t>{0, 1, 2}));
  // "free" 4 times, "money" once, the regex once per scan.
  EXPECT_EQ(da->entry_matches, (std::vector<std::uint32_t>{4, 1, 2}));
  EXPECT_EQ(da->matches, 7u);
  EXPECT_DOUBLE_EQ(da->weight, 3.5);
  EXPECT_EQ(h.dictionary(1), nullptr);
  ASSERT_NE(h.dictionary(2), nullptr);
  EXPECT_EQ(h.found().size(), 2u);

  h.clear();
  EXPECT_TRUE(h.empty());
  EXPECT_TRUE(h.found().empty());
  ASSERT_TRUE(m->scan("money", s, h));
  ASSERT_NE(h.dictionary(0), nullptr);
  EXPECT_EQ(h.dictionary(0)->entries, (std::vector<std::uint32_t>{1}));
  EXPECT_EQ(h.dictionary(0)->matches, 1u);
  EXPECT_DOUBLE_EQ(h.dictionary(0)->weight, 0.5);

  // Another matcher starts the hits over, and a scratch follows whichever matcher uses it.
  auto other = compile_text("again\n");
  ASSERT_TRUE(other->scan("again", s, h));
  ASSERT_EQ(h.found().size(), 1u);
  EXPECT_EQ(h.dictionary(0)->entries, (std::vector<std::uint32_t>{0}));
  ASSERT_TRUE(m->scan("unused", s, h));
  EXPECT_EQ(h.found().size(), 1u);
  EXPECT_NE(h.dictionary(1), nullptr);
}

TEST(MatchScan, InvalidUtf8IsRepairedNotUndefined) {
  auto m = compile_text("привет\nabc\n[regex] x.y\n");
  ASSERT_NE(m, nullptr);
  const std::string bad[] = {
      "\xFF"
      "abc\xFE",
      std::string("abc\0\xC0\x80", 6),
      "\xD0"
      "abc \xD0\xBF\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1",  // cut 2-byte, cut at the end
      "\xED\xA0\x80"
      "abc\xF4\x90\x80\x80",  // surrogate, above U+10FFFF
      "x\xFFy",
  };
  EXPECT_EQ(found(*m, bad[0]).count("abc"), 1u);
  EXPECT_EQ(found(*m, bad[1]).count("abc"), 1u);
  EXPECT_EQ(found(*m, bad[2]).count("abc"), 1u);
  EXPECT_EQ(found(*m, bad[3]).count("abc"), 1u);
  EXPECT_EQ(found(*m, bad[4]).count("x.y"), 1u);  // the bad byte became one character
  // A replacement character is not a letter: it does not glue to a word.
  EXPECT_EQ(found(*m, "\xFFпривет\xFF").count("привет"), 1u);
  // Every byte value at every position around a match.
  for (int v = 0x80; v < 0x100; ++v) {
    const std::string t = std::string(1, char(v)) + " abc " + std::string(1, char(v));
    EXPECT_EQ(found(*m, t).count("abc"), 1u) << v;
  }
}

TEST(MatchScan, EmptySetsFindNothing) {
  for (auto dicts : {std::vector<Dictionary>{}, std::vector<Dictionary>{Dictionary{"e", "", {}}}}) {
    const std::size_t n = dicts.size();
    auto m = compile(std::move(dicts));
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m->dictionaries().size(), n);
    EXPECT_EQ(m->database_bytes(), 0u);
    Scratch s(*m);
    Hits h;
    EXPECT_TRUE(m->scan("anything at all", s, h));
    EXPECT_TRUE(m->scan("", s, h));
    EXPECT_TRUE(h.empty());
  }
  // Entries built in code are checked like file entries.
  Error err;
  EXPECT_EQ(Matcher::compile({Dictionary{"d", "", {Entry{.pattern = " \t"}}}}, {}, err), nullptr);
  EXPECT_EQ(err.file, "d");
}

TEST(MatchScan, ThreadsShareOneMatcherWithOwnScratch) {
  auto m = compile_text("needle\n");
  ASSERT_NE(m, nullptr);
  std::vector<std::thread> threads;
  std::vector<std::uint32_t> counts(4, 0);
  for (std::size_t t = 0; t < counts.size(); ++t) {
    threads.emplace_back([&, t] {
      Scratch s;  // fitted on first use
      Scratch moved = std::move(s);
      Hits h;
      for (int i = 0; i < 200; ++i) m->scan("hay needle hay needles", moved, h);
      counts[t] = h.dictionary(0) != nullptr ? h.dictionary(0)->matches : 0;
    });
  }
  for (auto& th : threads) th.join();
  for (std::uint32_t c : counts) EXPECT_EQ(c, 200u);
}

class MatchCache : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        fs::temp_directory_path() /
        ("ksmg-match-cache-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
         "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  CompileOptions options(std::string version = {}) const {
    return CompileOptions{dir_.string(), std::move(version)};
  }
  std::vector<fs::path> files() const {
    std::vector<fs::path> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir_, ec)) out.push_back(e.path());
    return out;
  }
  fs::path dir_;
};

TEST_F(MatchCache, SurvivesARestartAndMissesOnChangedPatterns) {
  const Dictionary d = parse_ok("spam\n[regex] \\d{3}-\\d{4}\nвыигрыш\n");
  auto first = compile({d}, options());
  ASSERT_NE(first, nullptr);
  EXPECT_FALSE(first->from_cache());
  EXPECT_EQ(first->cache_problem(), "");
  EXPECT_EQ(first->cache_key().size(), 64u);
  ASSERT_EQ(files().size(), 1u);  // no temp file left behind
  EXPECT_EQ(files()[0].filename(), std::string(first->cache_key()) + ".hsdb");

  auto second = compile({d}, options());
  ASSERT_NE(second, nullptr);
  EXPECT_TRUE(second->from_cache());
  EXPECT_EQ(second->cache_key(), first->cache_key());
  EXPECT_EQ(found(*second, "SPAM 555-1234 ВЫИГРЫШ"), found(*first, "SPAM 555-1234 ВЫИГРЫШ"));
  EXPECT_EQ(found(*second, "SPAM 555-1234 ВЫИГРЫШ").size(), 3u);

  // Weights are not part of the database; patterns and their flags are.
  Dictionary reweighted = d;
  reweighted.entries[0].weight = 9;
  EXPECT_TRUE(compile({reweighted}, options())->from_cache());
  for (auto change : {+[](Dictionary& x) { x.entries[0].pattern = "spams"; },
                      +[](Dictionary& x) { x.entries[0].case_sensitive = true; },
                      +[](Dictionary& x) { x.entries[0].whole_word = false; },
                      +[](Dictionary& x) { std::swap(x.entries[0], x.entries[2]); }}) {
    Dictionary changed = d;
    change(changed);
    auto m = compile({changed}, options());
    ASSERT_NE(m, nullptr);
    // whole_word is checked in the callback, not in the database: same key, still correct.
    if (changed.entries[0].whole_word == d.entries[0].whole_word) {
      EXPECT_NE(m->cache_key(), first->cache_key());
      EXPECT_FALSE(m->from_cache());
    }
  }
}

TEST_F(MatchCache, AnotherHyperscanVersionRecompiles) {
  // With a regex: a set of single words alone builds no database (see the next test).
  const Dictionary d = parse_ok("spam\n[regex] ham\\d+\n");
  auto now = compile({d}, options());
  auto upgraded = compile({d}, options("99.0.0 2030-01-01"));
  ASSERT_NE(upgraded, nullptr);
  EXPECT_NE(upgraded->cache_key(), now->cache_key());
  EXPECT_FALSE(upgraded->from_cache());
  EXPECT_EQ(files().size(), 2u);
  EXPECT_TRUE(compile({d}, options("99.0.0 2030-01-01"))->from_cache());
  EXPECT_EQ(found(*upgraded, "spam").size(), 1u);
}

TEST_F(MatchCache, OnlyTableWordsBuildNoDatabaseAndKeyTheWords) {
  const Dictionary d = parse_ok("spam\n[case] NASA\nвыигрыш\n");
  auto m = compile({d}, options());
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->database_bytes(), 0u);
  EXPECT_FALSE(m->from_cache());
  EXPECT_EQ(m->cache_problem(), "");
  EXPECT_TRUE(files().empty());
  EXPECT_EQ(found(*m, "Spam NASA ВЫИГРЫШ nasa"),
            (std::multiset<std::string>{"spam", "NASA", "выигрыш"}));
  Dictionary changed = d;
  changed.entries[0].pattern = "spams";
  EXPECT_NE(compile({changed}, options())->cache_key(), m->cache_key());
  // The same set all in Hyperscan is another database, under another key.
  Error err;
  auto hs = ksmg::match::detail::compile_hyperscan_only({d}, options(), err);
  ASSERT_NE(hs, nullptr) << err.to_string();
  EXPECT_GT(hs->database_bytes(), 0u);
  EXPECT_NE(hs->cache_key(), m->cache_key());
  EXPECT_EQ(files().size(), 1u);
  // Entries the table takes are still checked.
  EXPECT_EQ(Matcher::compile({Dictionary{"d", "", {Entry{.pattern = "a\xFF"}}}}, {}, err), nullptr);
}

TEST_F(MatchCache, DamagedFilesAreIgnoredAndRewritten) {
  const Dictionary d = parse_ok("spam\neggs\n[regex] ham\\d+\n");
  auto first = compile({d}, options());
  ASSERT_NE(first, nullptr);
  const fs::path file = dir_ / (std::string(first->cache_key()) + ".hsdb");
  const std::string good = ksmg::test::read_file(file);
  ASSERT_GT(good.size(), 100u);

  auto write = [&](const std::string& bytes) {
    std::ofstream(file, std::ios::binary | std::ios::trunc) << bytes;
  };
  std::string flipped_end = good;
  flipped_end[good.size() - 10] ^= 0x55;  // Hyperscan alone loads this one
  std::string flipped_mid = good;
  flipped_mid[good.size() / 2] ^= 0x01;
  for (const std::string& damaged :
       {good.substr(0, good.size() / 2), good.substr(0, 5), std::string(), flipped_end, flipped_mid,
        std::string(good.size(), 'x')}) {
    write(damaged);
    auto m = compile({d}, options());
    ASSERT_NE(m, nullptr);
    EXPECT_FALSE(m->from_cache()) << damaged.size();
    EXPECT_EQ(found(*m, "spam eggs ham12").size(), 3u);
    // Rewritten (not byte-identical: Hyperscan's output varies between compiles), and loadable.
    EXPECT_TRUE(ksmg::test::read_file(file) != damaged);
    EXPECT_TRUE(compile({d}, options())->from_cache());
  }
}

// --- The word table against Hyperscan -----------------------------------------------------

// Everything a scan reports, comparable between the two paths: per (dictionary, entry) the
// occurrences, per dictionary the totals and the weight.
struct Outcome {
  std::map<std::pair<std::uint32_t, std::uint32_t>, std::uint32_t> entries;
  std::map<std::uint32_t, std::pair<std::uint32_t, std::uint32_t>> totals;  // distinct, matches
  std::map<std::uint32_t, double> weight;
  bool operator==(const Outcome&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Outcome& o) {
  for (const auto& [k, n] : o.entries) os << "(" << k.first << "," << k.second << ")x" << n << " ";
  return os;
}

Outcome outcome(const Hits& h) {
  Outcome o;
  for (const DictionaryHits* d : h.found()) {
    EXPECT_EQ(d->entries.size(), d->entry_matches.size());
    EXPECT_EQ(d->distinct_entries, d->entries.size());
    std::uint32_t sum = 0;
    for (std::size_t i = 0; i < d->entries.size(); ++i) {
      EXPECT_TRUE(
          o.entries.emplace(std::pair{d->dictionary, d->entries[i]}, d->entry_matches[i]).second)
          << "entry listed twice";
      sum += d->entry_matches[i];
    }
    EXPECT_EQ(sum, d->matches);
    o.totals[d->dictionary] = {d->distinct_entries, d->matches};
    o.weight[d->dictionary] = d->weight;
  }
  return o;
}

Outcome scan_outcome(const Matcher& m, const std::vector<std::string>& texts) {
  Scratch s(m);
  Hits h;
  for (const std::string& t : texts) EXPECT_TRUE(m.scan(t, s, h));
  return outcome(h);
}

// Entries of every kind the table takes (and a few it does not, which stay in Hyperscan).
std::vector<Dictionary> table_dictionaries() {
  Dictionary a = parse_ok(
      "free\n[weight=2] money\nCat\nx\nabc_def\na1b2\n007\n_\nfree\n"
      "[case] NASA\n[case] Привет\n[case] ǅemal\n[case] straße\n[case] 𐐨𐐯\n"
      "привет\nмир\nЁЖ\n[weight=0.5] σοφός\nΣΟΦΟΣ\nοδός\nstraße\nSTRAẞE\ngroß\n"
      "kelvin\n\u212Aelvin\nkelvinä\n[case] \u212Aelvin\nſale\nsale\nİstanbul\nıi\n"
      "café\ncafe\u0301\nǆemal\nᾈδης\n𐐀𐐇\nբարեւ\nÆsir\n١٢٣\nnaïve\n"
      "[regex] \\d{3}\n[part] che\ne-mail\n割引\ncheap meds\n",
      "a");
  Dictionary b = parse_ok("free\nпривет\n[case] NASA\nnasa\nFREE\n", "b");
  return {a, b};
}

std::vector<std::string> table_texts() {
  return {
      "free money FREE Money fReE freedom unfree free_ free1 _free",
      "Cat cat CAT cats x X xx x_ y x,x;x",
      "abc_def ABC_DEF abc_defg a1b2 A1B2 007 0070 _ __ _x",
      "NASA nasa Nasa NASA's NASA_",
      "Привет привет ПРИВЕТ приветствие Привет, мир! МИР миром ёж ЁЖ Ёж ежи",
      "ǅemal Ǆemal ǆemal ǅEMAL",
      "straße STRASSE STRAẞE Straße strasse GROß GROSS groß großartig",
      "𐐨𐐯 𐐀𐐇 𐐀𐐯 𐐨𐐇 𐐨𐐯𐐨",
      "σοφός ΣΟΦΟΣ σοφοσ ΣΟΦΌΣ σοφόσ ΟΔΟΣ οδος οδός ΟΔΌΣ",
      "kelvin KELVIN \u212AELVIN \u212Aelvin k\u212Aelvin KELVINÄ \u212Aelvinä kelvin\u212A",
      "sale SALE ſale ſALE saleſ",
      "İstanbul istanbul ISTANBUL i\u0307stanbul ıi II ıI iı",
      "café CAFÉ cafe\u0301 CAFE\u0301 cafe cafe\u0301\u0301 café\u0301",
      "ᾈδης ᾀδης ᾈΔΗΣ ᾀΔΗΣ",
      "բարեւ ԲԱՐԵՒ æsir ÆSIR Æsir ١٢٣ ١٢٣٤ naïve NAÏVE",
      // Scripts that never glue, marks that do, and punctuation of every kind.
      "ПРИВЕТ世界 free世界money 割引free 本日はsaleです freeです カタカナfree",
      "free\u0301 \u0301free money\u200Dfree free\u00ADmoney «free» „free“ (free) free.",
      "free-money e-mail E-MAIL cheap  meds cheap\nmeds che chest 123 1234",
      // Invalid UTF-8 around and inside words.
      "\xFF"
      "free\xFE money\xC0\x80привет\xD0",
      std::string("free\0money\0", 12),
      "\xED\xA0\x80"
      "kelvin\xF4\x90\x80\x80NASA\xE2\x84",
      "",
      "free",
  };
}

TEST(MatchWordTable, FindsWhatHyperscanFinds) {
  Error err;
  auto fast = ksmg::match::detail::compile_word_table_always(table_dictionaries(), {}, err);
  ASSERT_NE(fast, nullptr) << err.to_string();
  auto hs = ksmg::match::detail::compile_hyperscan_only(table_dictionaries(), {}, err);
  ASSERT_NE(hs, nullptr) << err.to_string();
  // The table took the single words: the database holds only the rest.
  EXPECT_LT(fast->database_bytes(), hs->database_bytes());

  const std::vector<std::string> texts = table_texts();
  for (const std::string& t : texts) {
    const Outcome want = scan_outcome(*hs, {t});
    EXPECT_EQ(scan_outcome(*fast, {t}), want) << t;
  }
  // Some entries must have been found, by both paths together and over all texts.
  const Outcome all = scan_outcome(*hs, texts);
  EXPECT_GT(all.entries.size(), 40u);
  EXPECT_EQ(scan_outcome(*fast, texts), all);

  // Random texts of the same pieces, glued and separated every way.
  std::vector<std::string> pieces;
  for (const std::string& t : texts) {
    std::size_t i = 0;
    while (i < t.size()) {
      const std::size_t j = t.find(' ', i);
      pieces.push_back(t.substr(i, j == std::string::npos ? std::string::npos : j - i));
      if (j == std::string::npos) break;
      i = j + 1;
    }
  }
  for (const char* sep : {" ", " ", " ", "", "-", "\n", "\u0301", "世", "\xC2\xA0", "\xFF", "_",
                          "1", "'", "\xE2\x84\xAA"})
    pieces.emplace_back(sep);
  std::mt19937 rng(20240611);
  for (int round = 0; round < 3000; ++round) {
    std::string t;
    const std::size_t n = 1 + rng() % 8;
    for (std::size_t k = 0; k < n; ++k) t += pieces[rng() % pieces.size()];
    const Outcome want = scan_outcome(*hs, {t});
    ASSERT_EQ(scan_outcome(*fast, {t}), want) << t;
  }
}

TEST(MatchWordTable, UsedFromKMinTableWordsOn) {
  Dictionary d{"d", "", {}};
  for (std::size_t i = 0; i + 1 < ksmg::match::detail::kMinTableWords; ++i)
    d.entries.push_back(Entry{.pattern = "w" + std::to_string(i)});
  Error err;
  auto few = Matcher::compile({d}, {}, err);
  ASSERT_NE(few, nullptr) << err.to_string();
  EXPECT_GT(few->database_bytes(), 0u);  // all in Hyperscan
  d.entries.push_back(Entry{.pattern = "last"});
  auto enough = Matcher::compile({d}, {}, err);
  ASSERT_NE(enough, nullptr) << err.to_string();
  EXPECT_EQ(enough->database_bytes(), 0u);  // all in the table
  Scratch s(*enough);
  Hits h;
  ASSERT_TRUE(enough->scan("W7 and last", s, h));
  ASSERT_NE(h.dictionary(0), nullptr);
  EXPECT_EQ(h.dictionary(0)->distinct_entries, 2u);
}

TEST(MatchWordTable, FirstHitsAreInTextOrderAcrossBothPaths) {
  auto m = compile_text("[regex] \\d+\nfree\n[part] cheap\nmoney\n");
  ASSERT_NE(m, nullptr);
  Scratch s(*m);
  Hits h;
  ASSERT_TRUE(m->scan("cheap 1 money free money 2 cheap", s, h));
  ASSERT_NE(h.dictionary(0), nullptr);
  EXPECT_EQ(h.dictionary(0)->entries, (std::vector<std::uint32_t>{2, 0, 3, 1}));
  EXPECT_EQ(h.dictionary(0)->entry_matches, (std::vector<std::uint32_t>{2, 1, 2, 1}));
  // A second scan appends its new entries after those of the first, again in text order.
  ASSERT_TRUE(m->scan("free", s, h));
  Hits h2;
  ASSERT_TRUE(m->scan("money 7 free", s, h2));
  ASSERT_TRUE(m->scan("cheap", s, h2));
  EXPECT_EQ(h2.dictionary(0)->entries, (std::vector<std::uint32_t>{3, 0, 1, 2}));
  // The slots follow the reordering: later hits count on the right entries.
  ASSERT_TRUE(m->scan("money money 5 cheap", s, h2));
  EXPECT_EQ(h2.dictionary(0)->entry_matches, (std::vector<std::uint32_t>{3, 2, 1, 2}));
  EXPECT_EQ(h2.dictionary(0)->matches, 8u);
}

// --- Planted words in real message material -----------------------------------------------

std::string convert(const char* to, const char* from, std::string_view in) {
  UErrorCode ec = U_ZERO_ERROR;
  std::string out(in.size() * 4 + 16, '\0');
  const int32_t n = ucnv_convert(to, from, out.data(), static_cast<int32_t>(out.size()), in.data(),
                                 static_cast<int32_t>(in.size()), &ec);
  EXPECT_TRUE(U_SUCCESS(ec)) << u_errorName(ec);
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string base64(std::string_view in) {
  static const char* abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v =
        (unsigned char)in[i] << 16 | (unsigned char)in[i + 1] << 8 | (unsigned char)in[i + 2];
    for (int k = 18; k >= 0; k -= 6) out += abc[(v >> k) & 63];
  }
  if (i < in.size()) {
    const unsigned v =
        (unsigned char)in[i] << 16 | (i + 1 < in.size() ? (unsigned char)in[i + 1] << 8 : 0u);
    out += abc[v >> 18];
    out += abc[(v >> 12) & 63];
    out += i + 1 < in.size() ? abc[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string quoted_printable(std::string_view in) {
  std::string out;
  std::size_t col = 0;
  for (unsigned char c : in) {
    char buf[4];
    if (c >= 33 && c <= 126 && c != '=') {
      buf[0] = static_cast<char>(c);
      buf[1] = 0;
    } else {
      std::snprintf(buf, sizeof buf, "=%02X", c);
    }
    if (col + std::strlen(buf) > 72) {
      out += "=\r\n";  // soft line breaks inside the planted words
      col = 0;
    }
    out += buf;
    col += std::strlen(buf);
  }
  return out;
}

TEST(MatchMessage, PlantedWordsAreFoundThroughEveryEncoding) {
  const std::string koi8 =
      convert("koi8-r", "utf-8", "Здравствуйте! ПРИВЕТ от нас, и ещё раз привет.\r\n");
  const std::string sjis =
      convert("shift_jis", "utf-8",
              "いつもご利用ありがとうございます。本日限定の大幅割引セールを開催しております。ぜひ"
              "ご覧ください。");
  const std::string subject =
      "=?KOI8-R?B?" + base64(convert("koi8-r", "utf-8", "Ваша СКИДКА")) + "?=";
  const std::string raw =
      "From: a@example.org\r\nTo: b@example.org\r\nSubject: " + subject +
      "\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n"
      "--XX\r\nContent-Type: text/plain; charset=koi8-r\r\nContent-Transfer-Encoding: base64\r\n"
      "\r\n" +
      base64(koi8) +
      "\r\n--XX\r\nContent-Type: text/plain; charset=Shift_JIS\r\n"
      "Content-Transfer-Encoding: quoted-printable\r\n\r\n" +
      quoted_printable(sjis) +
      "\r\n--XX\r\nContent-Type: text/html; charset=us-ascii\r\n\r\n"
      "<html><body><p>&#1087;&#1086;&#1076;&#1072;&#1088;&#1086;&#1082; for <b>fish</b> &amp; "
      "<i>chips</i></p><p>wire</p><p>transfer</p></body></html>\r\n--XX--\r\n";
  const auto msg = ksmg::mime::Message::parse(raw);

  std::vector<std::string> texts;
  texts.push_back(msg.header("Subject")->decoded());
  for (const auto& p : msg.parts())
    if (p.is_leaf() && p.is_text()) texts.push_back(msg.text(p, true).data);
  ASSERT_EQ(texts.size(), 4u);

  auto m =
      compile({parse_ok("привет\nскидка\n割引\nподарок\nfish & chips\nwire transfer\n"
                        "[part] здравствуй\nнас\n")});
  ASSERT_NE(m, nullptr);
  Scratch s(*m);
  Hits h;
  for (const std::string& t : texts) ASSERT_TRUE(m->scan(t, s, h));
  const DictionaryHits* d = h.dictionary(0);
  ASSERT_NE(d, nullptr);
  std::set<std::string> hit;
  for (std::uint32_t e : d->entries) hit.insert(m->dictionaries()[0].entries[e].pattern);
  EXPECT_EQ(hit, (std::set<std::string>{"привет", "скидка", "割引", "подарок", "fish & chips",
                                        "wire transfer", "здравствуй", "нас"}))
      << texts[0] << "\n"
      << texts[1] << "\n"
      << texts[2] << "\n"
      << texts[3];
  // "ПРИВЕТ" and "привет" both count.
  for (std::size_t i = 0; i < d->entries.size(); ++i) {
    if (d->entries[i] == 0) {
      EXPECT_EQ(d->entry_matches[i], 2u);
    }
  }
}

TEST(MatchMessage, ZipMemberNamesAreMatched) {
  const std::string zip = ksmg::test::read_file(data_dir() / "av" / "eicar" / "eicarcom2.zip");
  ASSERT_FALSE(zip.empty());
  const auto tree = ksmg::objects::ObjectTree::of_file("eicarcom2.zip", zip);
  std::vector<std::string> names;
  for (const auto& o : tree.objects()) names.push_back(o.name);
  ASSERT_EQ(names, (std::vector<std::string>{"eicarcom2.zip", "eicar_com.zip", "eicar.com"}));
  auto m = compile({parse_ok("eicar_com.zip\neicarcom\n")});
  ASSERT_NE(m, nullptr);
  Scratch s(*m);
  Hits h;
  for (const auto& o : tree.objects()) ASSERT_TRUE(m->scan(o.name, s, h));
  ASSERT_NE(h.dictionary(0), nullptr);
  // The member "eicar_com.zip" matches; "eicarcom" is not a whole word of "eicarcom2.zip".
  EXPECT_EQ(h.dictionary(0)->entries, (std::vector<std::uint32_t>{0}));
}

}  // namespace

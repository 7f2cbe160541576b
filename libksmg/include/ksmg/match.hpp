// ksmg/match.hpp — content dictionaries: named lists of words, phrases and regular expressions
// read from files, compiled together and matched against UTF-8 text.
//
// Two paths, one result. Single whole words made only of letters, digits, marks and '_' of
// scripts written with spaces (most of a real dictionary: "viagra", "ПРИВЕТ", "NASA") go into a
// hash table: the text is split once into its words, and each word is looked up, folded as the
// rules below say. Everything else (phrases, [part] words, words with other characters such as
// "e-mail" or "$100", Han/kana/Thai words, regexes) is compiled into one Hyperscan database;
// when there is nothing else, no database is built (database_bytes() is 0, the cache holds
// nothing for the set). Both paths find exactly the same matches.
//
// A Matcher is compiled once (or loaded from the on-disk cache) and then shared, immutable, by
// every thread; each thread brings its own Scratch. Hits accumulate over several scans, so all the
// text fields of one message add up before a policy looks at them.
//
// Dictionary files (UTF-8, one entry per line; see examples/dictionaries/sample.dict):
//
//   # a comment; blank lines are ignored
//   viagra                          word: whole word, any case, weight 1
//   cheap   meds                    phrase (it has spaces): any run of whitespace matches
//   [case] NASA                     case-sensitive
//   [part] pharma                   also inside longer words ("pharmacy")
//   [weight=2.5] ПРИВЕТ             weights are decimal numbers
//   [regex] \$\s?\d{3,}             a Hyperscan (PCRE-subset) regex; ASCII \w \b \d \s
//   [regex unicode] \w+@\w+         Unicode \w \d \s (Hyperscan then rejects \b)
//   [] [brackets] literally         "[]" lets a pattern start with '['
//
// Options go in one leading [...], separated by spaces or commas: word | phrase | regex (kind;
// default: phrase when the pattern has whitespace, else word), case | nocase (default nocase),
// whole | part (whole word or not; default whole; regexes are never checked, write \b),
// weight=N, unicode (regex only). The pattern is the rest of the line, trimmed. Every line that
// cannot be read is an Error with the file and line.
//
// Matching rules. Case-insensitive matching is Unicode simple case folding (Hyperscan's own, in
// UTF-8 mode: "привет" finds "ПРИВЕТ", "straße" finds "STRAẞE" but not "STRASSE"); words and
// phrases written only in ASCII are matched as bytes, ASCII case only (so "kelvin" does not find
// a KELVIN SIGN), which compiles ten times faster. Whole word
// means the match is not preceded or followed by a letter, digit, mark or '_'; an edge of the
// pattern that is not such a character (the "$" of "$100") or that is written in a script
// without spaces between words (Han, kana, Thai, ...) is not checked, and neighbours of those
// scripts never glue to a word, so "ПРИВЕТ" is found in "ПРИВЕТ世界" and a Japanese word inside
// a Japanese sentence. Text that is not valid UTF-8 is scanned with the bad bytes replaced by
// U+FFFD.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

struct hs_scratch;

namespace ksmg::match {

enum class EntryKind : std::uint8_t { word, phrase, regex };
std::string_view to_string(EntryKind k) noexcept;

struct Entry {
  std::string pattern;  // UTF-8; literal for words and phrases
  EntryKind kind = EntryKind::word;
  bool case_sensitive = false;
  bool whole_word = true;  // words and phrases only; ignored for regexes
  bool unicode = false;    // regexes only: Unicode \w \d \s instead of ASCII ones (no \b then)
  double weight = 1.0;
  std::size_t line = 0;  // in the dictionary file, 0 when not from a file
};

struct Dictionary {
  std::string name;
  std::string file;  // where it was read from, for errors; may be empty
  std::vector<Entry> entries;
};

struct Error {
  std::string file;  // dictionary file (or name when it has none); "" for errors of the whole set
  std::size_t line = 0;
  std::string message;
  // "file:line: message" (parts that are empty or 0 left out).
  [[nodiscard]] std::string to_string() const;
};

// Appends the entries of `text` to out.entries (out.file is set to file_name). On a malformed
// line returns false with err naming file and line; out then holds the entries before it.
bool parse_dictionary(std::string_view text, std::string_view file_name, Dictionary& out,
                      Error& err);
// Reads and parses a file; `name` "" takes the file's stem.
bool load_dictionary(const std::string& path, std::string name, Dictionary& out, Error& err);

struct CompileOptions {
  // Directory of the compiled-database cache ("" = no disk cache); created when missing.
  std::string cache_dir;
  // For tests only: stands in for hs_version() in the cache key, to act out a library upgrade.
  std::string version_for_tests;
};

class Scratch;
class Hits;

class Matcher {
 public:
  // Compiles all dictionaries into one database, or loads it from options.cache_dir when a
  // database for exactly these patterns, this platform and this Hyperscan is there. Null with
  // err set when an entry cannot be compiled (err names its file and line). An empty set, or
  // dictionaries without entries, compile to a matcher that finds nothing.
  [[nodiscard]] static std::shared_ptr<const Matcher> compile(std::vector<Dictionary> dicts,
                                                              const CompileOptions& options,
                                                              Error& err);
  ~Matcher();
  Matcher(const Matcher&) = delete;
  Matcher& operator=(const Matcher&) = delete;

  [[nodiscard]] bool from_cache() const noexcept;
  // SHA-256 (hex) naming the database: format, Hyperscan version, platform, every pattern.
  [[nodiscard]] std::string_view cache_key() const noexcept;
  // Why the database could not be written to or read from the cache ("" when all went well);
  // never fatal: the matcher works without the cache.
  [[nodiscard]] const std::string& cache_problem() const noexcept;
  [[nodiscard]] const std::vector<Dictionary>& dictionaries() const noexcept;
  [[nodiscard]] std::size_t database_bytes() const noexcept;

  // Scans UTF-8 text and adds what it finds to hits. False only on a Hyperscan error (or a
  // scratch that cannot be allocated); hits then hold what was found before it.
  bool scan(std::string_view text, Scratch& scratch, Hits& hits) const;

  struct Compiled;  // internal

 private:
  friend class Scratch;
  explicit Matcher(std::unique_ptr<Compiled> c);
  std::unique_ptr<Compiled> c_;
};

// Scratch space for one thread (Hyperscan's and the word table's) (never used by two threads at
// once). It fits itself to whichever matcher scans with it; creating it for a matcher up front
// keeps allocation out of the first scan.
class Scratch {
 public:
  Scratch() = default;
  explicit Scratch(const Matcher& m);
  ~Scratch();
  Scratch(Scratch&& o) noexcept;
  Scratch& operator=(Scratch&& o) noexcept;
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;

 private:
  friend class Matcher;
  hs_scratch* s_ = nullptr;
  std::uint64_t fitted_ = 0;          // serial number of the matcher it was last fitted to
  std::string repaired_;              // text with invalid UTF-8 replaced
  std::string fold_;                  // one word of the text, folded, for the word table
  std::vector<std::uint64_t> first_;  // end offsets of the first hits of entries new in a scan
  std::vector<std::uint64_t> order_;  // putting those entries in text order
};

struct DictionaryHits {
  std::uint32_t dictionary = 0;        // index in Matcher::dictionaries()
  std::uint32_t distinct_entries = 0;  // == entries.size()
  // Occurrences: every whole occurrence of a word or phrase; a regex counts once per scan.
  std::uint32_t matches = 0;
  double weight = 0;  // sum of the weights of the distinct entries found
  // Entry indices in the dictionary, first hit first: within one scan, in the order of the end
  // offsets of their first hits (ties: word-table entries first, then in Hyperscan's order);
  // over several scans, the entries of earlier scans first.
  std::vector<std::uint32_t> entries;
  std::vector<std::uint32_t> entry_matches;  // occurrences of each of entries
};

// What scans found, per dictionary, summed over scans until clear(). Hits belong to one matcher:
// a scan with another matcher starts them over.
class Hits {
 public:
  // Only dictionaries with at least one hit, in dictionary order.
  [[nodiscard]] std::vector<const DictionaryHits*> found() const;
  // Null when that dictionary has no hit.
  [[nodiscard]] const DictionaryHits* dictionary(std::uint32_t index) const noexcept;
  [[nodiscard]] bool empty() const noexcept { return touched_.empty(); }
  void clear() noexcept;

 private:
  friend class Matcher;
  friend struct HitRecorder;
  std::uint64_t matcher_ = 0;  // serial number of the matcher the hits belong to
  std::vector<DictionaryHits> dicts_;
  std::vector<std::uint32_t> slot_;     // per global entry: position in its entries, or ~0
  std::vector<std::uint32_t> touched_;  // global entries with a slot, to clear in O(hits)
};

}  // namespace ksmg::match

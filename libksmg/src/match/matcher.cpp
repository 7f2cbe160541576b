// matcher.cpp — owns the compiled dictionary set: the word table of single whole words (see
// words.hpp), one Hyperscan block-mode database for every other entry, its on-disk cache, the
// per-thread scratch, and the match callback that checks whole words and adds hits up per
// dictionary.
//
// Entries keep one global id (dictionary after dictionary) whichever path matches them; it is the
// Hyperscan id of those in the database. A scan runs the word table, then Hyperscan, over the
// same (repaired) text; when both found new entries, the entries new in this scan are put back in
// the order of the end offsets of their first hits, so "first hit first" holds across the paths.
//
// The cache file is "<cache_dir>/<key>.hsdb". The key hashes everything the database depends on
// (our format, hs_version(), the platform, every expression with its flags and id), so a changed
// pattern or an upgraded Hyperscan simply misses. The file carries a SHA-256 of the serialized
// database because hs_deserialize_database does not notice every damaged byte (a flipped byte
// near the end loaded fine when tried), and a damaged database must never reach hs_scan.
#include <hs/hs.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>
#include <utility>

#include "core/utf8.hpp"
#include "ksmg/hash.hpp"
#include "ksmg/match.hpp"
#include "ksmg/mime.hpp"
#include "match/patterns.hpp"
#include "match/words.hpp"

namespace ksmg::match {
namespace {

constexpr std::uint32_t kNoSlot = 0xffffffffu;
// Bump when the expressions built for entries change meaning, so old cache files miss.
constexpr std::string_view kCacheFormat = "ksmg-match-cache 2";
constexpr std::string_view kFileMagic = "KSMGHSDB 1\n";

std::uint64_t next_serial() {
  static std::atomic<std::uint64_t> serial{1};
  return serial.fetch_add(1, std::memory_order_relaxed);
}

std::string where(const Dictionary& d) { return d.file.empty() ? d.name : d.file; }

}  // namespace

// What the callback needs per Hyperscan id.
struct EntryRef {
  std::uint32_t dict = 0;
  std::uint32_t local = 0;
  std::uint32_t tokens_begin = 0;  // in Matcher::Compiled::tokens
  std::uint32_t tokens_count = 0;
  std::uint32_t byte_length = 0;  // detail::Compiled::byte_length
  bool check_left = false;
  bool check_right = false;
  double weight = 1.0;
};

struct Matcher::Compiled {
  std::uint64_t serial = next_serial();
  std::vector<Dictionary> dicts;
  std::vector<EntryRef> refs;         // by global entry id (== Hyperscan id)
  std::vector<std::uint32_t> tokens;  // detail::Compiled::tokens_reversed, one after another
  detail::WordTable words;            // entries that WordTable::fits (when the fast path is on)
  hs_database_t* db = nullptr;        // every other entry; null when there is none
  std::size_t db_bytes = 0;
  std::string key;
  std::string cache_problem;
  bool from_cache = false;

  Compiled() = default;
  Compiled(const Compiled&) = delete;
  Compiled& operator=(const Compiled&) = delete;
  ~Compiled() { hs_free_database(db); }

  // Matcher::compile with the word table used as `table` says (tests and benchmarks force it).
  static std::shared_ptr<const Matcher> make(std::vector<Dictionary> dicts,
                                             const CompileOptions& options, Error& err,
                                             detail::TableUse table);
};

namespace {

// in_table[i]: expression i is matched by the word table, not by the database.
std::string make_cache_key(const std::vector<detail::Compiled>& exprs,
                           const std::vector<bool>& in_table, const hs_platform_info_t& plat,
                           std::string_view version) {
  std::string m(kCacheFormat);
  m += "\nhs ";
  m += version;
  m += "\nplatform " + std::to_string(plat.tune) + " " + std::to_string(plat.cpu_features) +
       "\nmode block\n";
  for (std::size_t i = 0; i < exprs.size(); ++i) {
    // Length-prefixed, so that no pattern text can imitate a boundary between two patterns.
    m += std::to_string(i) + (in_table[i] ? " w " : " h ") + std::to_string(exprs[i].flags) + " " +
         std::to_string(exprs[i].expression.size()) + "\n" + exprs[i].expression + "\n";
  }
  return sha256_hex(m);
}

// Null when the file is missing; problem says why a present file was not used.
hs_database_t* load_cached(const std::filesystem::path& file, std::string& problem) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return nullptr;
  const std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  const std::size_t head = kFileMagic.size() + 65;
  if (bytes.size() <= head || !bytes.starts_with(kFileMagic) || bytes[head - 1] != '\n') {
    problem = "ignored a damaged cache file " + file.string();
    return nullptr;
  }
  const std::string_view payload = std::string_view(bytes).substr(head);
  if (sha256_hex(payload) != std::string_view(bytes).substr(kFileMagic.size(), 64)) {
    problem = "ignored a damaged cache file " + file.string();
    return nullptr;
  }
  hs_database_t* db = nullptr;
  if (hs_deserialize_database(payload.data(), payload.size(), &db) != HS_SUCCESS) {
    problem = "ignored a cache file Hyperscan cannot load: " + file.string();
    return nullptr;
  }
  return db;
}

// Temp file and rename, so that a reader never sees half a database.
// Returns "" or why the database was not stored.
std::string store_cached(const std::filesystem::path& dir, const std::filesystem::path& file,
                         const hs_database_t* db, std::uint64_t serial) {
  std::string problem;
  char* bytes = nullptr;
  std::size_t len = 0;
  if (hs_serialize_database(db, &bytes, &len) != HS_SUCCESS) return "cannot serialize the database";
  const std::string_view payload(bytes, len);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  const std::filesystem::path tmp =
      file.string() + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(serial);
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << kFileMagic << sha256_hex(payload) << '\n' << payload;
    out.close();
    if (!out) problem = "cannot write " + tmp.string();
  }
  std::free(bytes);  // hs_serialize_database allocates with the misc allocator, malloc by default
  if (problem.empty()) {
    std::filesystem::rename(tmp, file, ec);
    if (ec) problem = "cannot rename " + tmp.string() + ": " + ec.message();
  }
  if (!problem.empty()) std::filesystem::remove(tmp, ec);
  return problem;
}

}  // namespace

// The match callback's context; a friend of Hits.
struct HitRecorder {
  const Matcher::Compiled* c;
  Hits* hits;
  const char* text;
  std::size_t len;
  // End offset of the first hit of each entry new in this scan, in the order of touched_ from
  // where the scan began.
  std::vector<std::uint64_t>* first;

  static std::size_t back_one(const char* t, std::size_t pos) noexcept {
    --pos;
    while (pos > 0 && (static_cast<unsigned char>(t[pos]) & 0xC0) == 0x80) --pos;
    return pos;
  }

  bool whole(const EntryRef& r, std::size_t to) const noexcept {
    std::size_t n = 0;
    if (r.check_right && to < len &&
        detail::is_word_char(detail::decode_at(text + to, text + len, n)))
      return false;
    if (!r.check_left) return true;
    std::size_t pos = to;
    if (r.byte_length != 0) {
      pos = to - r.byte_length;
      if (pos == 0) return true;
      const auto prev = static_cast<unsigned char>(text[pos - 1]);
      if (prev < 0x80) return !detail::is_word_char(prev);
      return !detail::is_word_char(detail::decode_at(text + back_one(text, pos), text + len, n));
    }
    for (std::uint32_t k = 0; k < r.tokens_count; ++k) {
      if (k != 0) {
        while (pos > 0) {
          const std::size_t q = back_one(text, pos);
          if (!detail::is_space(detail::decode_at(text + q, text + len, n))) break;
          pos = q;
        }
      }
      for (std::uint32_t cp = c->tokens[r.tokens_begin + k]; cp != 0 && pos > 0; --cp)
        pos = back_one(text, pos);
    }
    if (pos == 0) return true;
    return !detail::is_word_char(detail::decode_at(text + back_one(text, pos), text + len, n));
  }

  void record(std::uint32_t id, std::size_t to) {
    const EntryRef& r = c->refs[id];
    Hits& h = *hits;
    DictionaryHits& d = h.dicts_[r.dict];
    std::uint32_t& slot = h.slot_[id];
    if (slot == kNoSlot) {
      slot = static_cast<std::uint32_t>(d.entries.size());
      d.entries.push_back(r.local);
      d.entry_matches.push_back(0);
      ++d.distinct_entries;
      d.weight += r.weight;
      h.touched_.push_back(id);
      first->push_back(to);
    }
    ++d.entry_matches[slot];
    ++d.matches;
  }

  static int on_match(unsigned id, unsigned long long /*from*/, unsigned long long to,
                      unsigned /*flags*/, void* ctx) {
    auto& self = *static_cast<HitRecorder*>(ctx);
    const EntryRef& r = self.c->refs[id];
    if ((r.check_left || r.check_right) && !self.whole(r, static_cast<std::size_t>(to))) return 0;
    self.record(id, static_cast<std::size_t>(to));
    return 0;
  }

  static void on_word(void* ctx, std::uint32_t id, std::size_t to) {
    static_cast<HitRecorder*>(ctx)->record(id, to);
  }

  // Puts the entries new in this scan (touched_ from t0 on; each one the tail of its
  // dictionary's entries) in the order of their first hits' end offsets, ties in the order they
  // were found. tmp is a buffer kept in the Scratch.
  void order_first_hits(std::size_t t0, std::vector<std::uint64_t>& tmp) {
    std::vector<std::uint64_t>& f = *first;
    if (std::is_sorted(f.begin(), f.end())) return;
    Hits& h = *hits;
    const std::size_t n = f.size();
    tmp.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      f[i] = (f[i] << 32) | i;  // offsets and counts fit: scan refuses text over UINT_MAX
      const std::uint32_t id = h.touched_[t0 + i];
      const DictionaryHits& d = h.dicts_[c->refs[id].dict];
      tmp[i] = (std::uint64_t{id} << 32) | d.entry_matches[h.slot_[id]];
    }
    std::sort(f.begin(), f.end());
    for (std::size_t i = n; i-- > 0;) {
      DictionaryHits& d = h.dicts_[c->refs[h.touched_[t0 + i]].dict];
      d.entries.pop_back();
      d.entry_matches.pop_back();
    }
    for (std::size_t k = 0; k < n; ++k) {
      const std::uint64_t saved = tmp[f[k] & 0xffffffffu];
      const auto id = static_cast<std::uint32_t>(saved >> 32);
      const EntryRef& r = c->refs[id];
      DictionaryHits& d = h.dicts_[r.dict];
      h.slot_[id] = static_cast<std::uint32_t>(d.entries.size());
      d.entries.push_back(r.local);
      d.entry_matches.push_back(static_cast<std::uint32_t>(saved & 0xffffffffu));
      h.touched_[t0 + k] = id;
    }
  }
};

Matcher::Matcher(std::unique_ptr<Compiled> c) : c_(std::move(c)) {}
Matcher::~Matcher() = default;

bool Matcher::from_cache() const noexcept { return c_->from_cache; }
std::string_view Matcher::cache_key() const noexcept { return c_->key; }
const std::string& Matcher::cache_problem() const noexcept { return c_->cache_problem; }
const std::vector<Dictionary>& Matcher::dictionaries() const noexcept { return c_->dicts; }
std::size_t Matcher::database_bytes() const noexcept { return c_->db_bytes; }

std::shared_ptr<const Matcher> Matcher::compile(std::vector<Dictionary> dicts,
                                                const CompileOptions& options, Error& err) {
  return Compiled::make(std::move(dicts), options, err, detail::TableUse::automatic);
}

std::shared_ptr<const Matcher> detail::compile_hyperscan_only(std::vector<Dictionary> dicts,
                                                              const CompileOptions& options,
                                                              Error& err) {
  return Matcher::Compiled::make(std::move(dicts), options, err, detail::TableUse::never);
}

std::shared_ptr<const Matcher> detail::compile_word_table_always(std::vector<Dictionary> dicts,
                                                                 const CompileOptions& options,
                                                                 Error& err) {
  return Matcher::Compiled::make(std::move(dicts), options, err, detail::TableUse::always);
}

std::shared_ptr<const Matcher> Matcher::Compiled::make(std::vector<Dictionary> dicts,
                                                       const CompileOptions& options, Error& err,
                                                       detail::TableUse table) {
  auto c = std::make_unique<Compiled>();
  // Splitting every word of the text costs the same for ten entries as for ten thousand, while
  // Hyperscan slows down as literals are added: below kMinTableWords it is the faster path.
  // in_table[global id]: the entry fits the word table, and the table is used.
  std::vector<bool> in_table;
  for (const Dictionary& d : dicts)
    for (const Entry& e : d.entries) in_table.push_back(detail::WordTable::fits(e));
  const auto fitting = static_cast<std::size_t>(std::count(in_table.begin(), in_table.end(), true));
  if (table == detail::TableUse::never ||
      (table == detail::TableUse::automatic && fitting < detail::kMinTableWords))
    in_table.assign(in_table.size(), false);
  std::vector<detail::Compiled> exprs;
  for (std::uint32_t d = 0; d < dicts.size(); ++d) {
    for (std::uint32_t i = 0; i < dicts[d].entries.size(); ++i) {
      const Entry& e = dicts[d].entries[i];
      detail::Compiled x;
      std::string message;
      if (!detail::compile_entry(e, x, message)) {
        err = Error{where(dicts[d]), e.line, "dictionary '" + dicts[d].name + "': " + message};
        return nullptr;
      }
      EntryRef r;
      r.dict = d;
      r.local = i;
      r.check_left = x.check_left;
      r.check_right = x.check_right;
      r.byte_length = x.byte_length;
      r.weight = e.weight;
      r.tokens_begin = static_cast<std::uint32_t>(c->tokens.size());
      r.tokens_count = static_cast<std::uint32_t>(x.tokens_reversed.size());
      c->tokens.insert(c->tokens.end(), x.tokens_reversed.begin(), x.tokens_reversed.end());
      const auto id = static_cast<std::uint32_t>(c->refs.size());
      c->refs.push_back(r);
      exprs.push_back(std::move(x));
      if (in_table[id]) c->words.add(e, id);
    }
  }
  c->dicts = std::move(dicts);
  c->words.build();

  hs_platform_info_t plat{};
  if (hs_populate_platform(&plat) != HS_SUCCESS) {
    err = Error{"", 0, "Hyperscan cannot describe this platform"};
    return nullptr;
  }
  c->key = make_cache_key(exprs, in_table, plat,
                          options.version_for_tests.empty()
                              ? std::string_view(hs_version())
                              : std::string_view(options.version_for_tests));
  // The database holds what the word table does not; its ids are the global ones.
  std::vector<std::uint32_t> hs_ids;
  for (std::uint32_t i = 0; i < exprs.size(); ++i)
    if (!in_table[i]) hs_ids.push_back(i);
  if (hs_ids.empty()) return std::shared_ptr<const Matcher>(new Matcher(std::move(c)));

  const std::filesystem::path dir(options.cache_dir);
  const std::filesystem::path file = dir / (c->key + ".hsdb");
  if (!options.cache_dir.empty()) {
    c->db = load_cached(file, c->cache_problem);
    c->from_cache = c->db != nullptr;
  }
  if (c->db == nullptr) {
    std::vector<const char*> patterns;
    std::vector<unsigned> flags, ids;
    for (const std::uint32_t i : hs_ids) {
      patterns.push_back(exprs[i].expression.c_str());
      flags.push_back(exprs[i].flags);
      ids.push_back(i);
    }
    hs_compile_error_t* cerr = nullptr;
    if (hs_compile_multi(patterns.data(), flags.data(), ids.data(),
                         static_cast<unsigned>(patterns.size()), HS_MODE_BLOCK, &plat, &c->db,
                         &cerr) != HS_SUCCESS) {
      const std::string msg = cerr != nullptr ? cerr->message : "unknown error";
      if (cerr != nullptr && cerr->expression >= 0 &&
          static_cast<std::size_t>(cerr->expression) < hs_ids.size()) {
        const EntryRef& r = c->refs[hs_ids[static_cast<std::size_t>(cerr->expression)]];
        const Dictionary& d = c->dicts[r.dict];
        const Entry& e = d.entries[r.local];
        err = Error{where(d), e.line,
                    "dictionary '" + d.name + "': Hyperscan rejects " +
                        std::string(to_string(e.kind)) + " '" + e.pattern + "': " + msg};
      } else {
        err = Error{"", 0, "Hyperscan cannot compile the dictionaries: " + msg};
      }
      hs_free_compile_error(cerr);
      c->db = nullptr;
      return nullptr;
    }
    if (!options.cache_dir.empty()) {
      std::string problem = store_cached(dir, file, c->db, c->serial);
      if (!problem.empty())
        c->cache_problem += (c->cache_problem.empty() ? "" : "; ") + std::move(problem);
    }
  }
  if (hs_database_size(c->db, &c->db_bytes) != HS_SUCCESS) c->db_bytes = 0;
  return std::shared_ptr<const Matcher>(new Matcher(std::move(c)));
}

bool Matcher::scan(std::string_view text, Scratch& scratch, Hits& hits) const {
  const Compiled& c = *c_;
  if (hits.matcher_ != c.serial) {
    hits.matcher_ = c.serial;
    hits.dicts_.assign(c.dicts.size(), DictionaryHits{});
    for (std::uint32_t d = 0; d < c.dicts.size(); ++d) hits.dicts_[d].dictionary = d;
    hits.slot_.assign(c.refs.size(), kNoSlot);
    hits.touched_.clear();
  }
  if ((c.db == nullptr && c.words.empty()) || text.empty()) return true;
  if (text.size() > UINT_MAX) return false;  // hs_scan takes an unsigned length
  if (c.db != nullptr && scratch.fitted_ != c.serial) {
    // Grows an existing scratch only when this database needs more.
    if (hs_alloc_scratch(c.db, &scratch.s_) != HS_SUCCESS) return false;
    scratch.fitted_ = c.serial;
  }
  // Hyperscan's UTF-8 mode is undefined on invalid UTF-8. The check skips ASCII eight bytes at
  // a time; repairing (U+FFFD per maximal subpart, as decoders do) runs only on bad input.
  if (!mime::is_valid_utf8(text)) {
    std::string& r = scratch.repaired_;
    r.clear();
    r.reserve(text.size() + 16);
    const auto* p = reinterpret_cast<const unsigned char*>(text.data());
    const unsigned char* const end = p + text.size();
    while (p < end) {
      std::size_t subpart = 0;
      const std::size_t n = core::utf8_sequence_length(p, end, subpart);
      if (n != 0) {
        r.append(reinterpret_cast<const char*>(p), n);
        p += n;
      } else {
        r.append("\xEF\xBF\xBD");
        p += subpart;
      }
    }
    text = r;
  }
  scratch.first_.clear();
  const std::size_t t0 = hits.touched_.size();
  HitRecorder rec{&c, &hits, text.data(), text.size(), &scratch.first_};
  c.words.scan(text, scratch.fold_, &HitRecorder::on_word, &rec);
  const std::size_t from_words = hits.touched_.size() - t0;
  const bool ok =
      c.db == nullptr || hs_scan(c.db, text.data(), static_cast<unsigned>(text.size()), 0,
                                 scratch.s_, &HitRecorder::on_match, &rec) == HS_SUCCESS;
  if (from_words != 0 && hits.touched_.size() - t0 > from_words)
    rec.order_first_hits(t0, scratch.order_);
  return ok;
}

Scratch::Scratch(const Matcher& m) {
  const Matcher::Compiled& c = *m.c_;
  if (c.db != nullptr && hs_alloc_scratch(c.db, &s_) == HS_SUCCESS) fitted_ = c.serial;
}
Scratch::~Scratch() { hs_free_scratch(s_); }
Scratch::Scratch(Scratch&& o) noexcept
    : s_(std::exchange(o.s_, nullptr)),
      fitted_(std::exchange(o.fitted_, 0)),
      repaired_(std::move(o.repaired_)),
      fold_(std::move(o.fold_)),
      first_(std::move(o.first_)),
      order_(std::move(o.order_)) {}
Scratch& Scratch::operator=(Scratch&& o) noexcept {
  if (this != &o) {
    hs_free_scratch(s_);
    s_ = std::exchange(o.s_, nullptr);
    fitted_ = std::exchange(o.fitted_, 0);
    repaired_ = std::move(o.repaired_);
    fold_ = std::move(o.fold_);
    first_ = std::move(o.first_);
    order_ = std::move(o.order_);
  }
  return *this;
}

std::vector<const DictionaryHits*> Hits::found() const {
  std::vector<const DictionaryHits*> out;
  for (const DictionaryHits& d : dicts_)
    if (!d.entries.empty()) out.push_back(&d);
  return out;
}

const DictionaryHits* Hits::dictionary(std::uint32_t index) const noexcept {
  if (index >= dicts_.size() || dicts_[index].entries.empty()) return nullptr;
  return &dicts_[index];
}

void Hits::clear() noexcept {
  for (const std::uint32_t id : touched_) slot_[id] = kNoSlot;
  touched_.clear();
  for (DictionaryHits& d : dicts_) {
    d.distinct_entries = 0;
    d.matches = 0;
    d.weight = 0;
    d.entries.clear();
    d.entry_matches.clear();
  }
}

}  // namespace ksmg::match

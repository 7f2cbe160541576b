// words.hpp — owns the fast path of the content dictionaries (internal): single whole words
// matched by looking up every word of the text in a flat hash table instead of in Hyperscan.
//
// A word entry goes here only when a token-equality test is exactly what Hyperscan plus the
// whole-word check would find: kind word, whole word, and every code point a gluing word
// character (is_word_char: letter, digit, mark or '_' of a script written with spaces), so both
// of its edges are checked and no match can start or end inside a token of the text. A token of
// the text is a maximal run of such characters. Keys are folded: ASCII lower case for ASCII-only
// entries (Hyperscan's byte mode), per code point u_foldCase(c, U_FOLD_CASE_DEFAULT) (simple case
// folding, Hyperscan's UTF-8 caseless mode) for the others; the two agree on ASCII, so one table
// holds both. Each key lists its entries with what they still demand of a token that has the
// key: exactly the same bytes (case-sensitive entries), only ASCII characters (case-insensitive
// entries written in ASCII: "kelvin" does not find "KELVIN" with a KELVIN SIGN), or nothing.
//
// Self-contained (standard headers and the public API only), so the benchmark can include it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ksmg/match.hpp"

namespace ksmg::match::detail {

// When the word table is used: Matcher::compile uses it when at least kMinTableWords entries
// fit it (below that, Hyperscan alone is faster: measured in bench_match.cpp).
enum class TableUse : std::uint8_t { automatic, always, never };
inline constexpr std::size_t kMinTableWords = 1000;

// Compiles like Matcher::compile but puts every entry in Hyperscan, as before the fast path
// existed: the reference the tests compare the fast path with, and the benchmark's baseline.
[[nodiscard]] std::shared_ptr<const Matcher> compile_hyperscan_only(std::vector<Dictionary> dicts,
                                                                    const CompileOptions& options,
                                                                    Error& err);
// Compiles like Matcher::compile but puts every entry that fits in the word table, however few.
[[nodiscard]] std::shared_ptr<const Matcher> compile_word_table_always(
    std::vector<Dictionary> dicts, const CompileOptions& options, Error& err);

class WordTable {
 public:
  // Longest entry (in bytes, as written and as folded) the table takes; longer ones stay in
  // Hyperscan.
  static constexpr std::size_t kMaxWordBytes = 255;

  // True when e (valid UTF-8, as compile_entry accepted it) belongs in the table.
  [[nodiscard]] static bool fits(const Entry& e);
  // Adds an entry that fits(), under its global id. Then build() once, before any scan.
  void add(const Entry& e, std::uint32_t id);
  void build();

  [[nodiscard]] bool empty() const noexcept { return entries_ == 0; }
  [[nodiscard]] std::size_t entries() const noexcept { return entries_; }

  // Calls on_hit(ctx, id, end) for every entry that equals a token of text (valid UTF-8), token
  // by token in text order, entries of one token in id order; end is the byte offset just past
  // the token. buf is a buffer the caller keeps between scans (no allocation per token).
  using OnHit = void (*)(void* ctx, std::uint32_t id, std::size_t end);
  void scan(std::string_view text, std::string& buf, OnHit on_hit, void* ctx) const;

 private:
  enum Need : std::uint8_t { nothing, ascii, same_bytes, kMulti = 0x80 };
  struct Item {
    std::uint32_t id = 0;
    std::uint32_t raw = 0;  // same_bytes: offset of the entry as written in arena_
    std::uint16_t raw_len = 0;
    Need need = nothing;
    bool last = false;  // the last item of its key
  };
  // 16 bytes; keys of up to 8 bytes are compared without leaving the slot, and a key with one
  // entry that needs no byte comparison has it inline.
  struct Slot {
    std::uint64_t head = 0;  // the first 8 bytes of the key, zero padded
    std::uint32_t ref = 0;   // kind kMulti: first of its items_; else the entry id
    std::uint16_t tag = 0;   // top bits of the hash
    std::uint8_t len = 0;    // key length; 0: empty slot
    std::uint8_t kind = 0;   // Need of the inline entry, or kMulti
  };
  struct Pending {
    std::string key, raw;
    std::uint32_t id;
    Need need;
  };
  struct Token;

  void probe(const Token& t, const unsigned char* key, OnHit on_hit, void* ctx) const;

  std::vector<Pending> pending_;
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> tails_;  // per slot: offset in arena_ of its key's bytes from 8 on
  // One bit per key at hash bits kBloomShift.. (32 KiB, stays in cache): most tokens that are
  // not keys stop here, before the table.
  static constexpr std::uint64_t kBloomBits = std::uint64_t{1} << 18;
  static constexpr int kBloomShift = 24;
  std::vector<std::uint64_t> bloom_;
  std::vector<Item> items_;
  std::string arena_;
  std::size_t entries_ = 0;
  std::uint64_t mask_ = 0;
  std::size_t max_len_ = 0;  // longest key
  // Prefilter: bit (min(len, 63), first byte) is set when some key has that length and start.
  std::array<std::uint64_t, 64 * 4> first_{};
};

}  // namespace ksmg::match::detail

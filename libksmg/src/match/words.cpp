// words.cpp — owns the word table of the fast path: folding, hashing, the flat open-addressing
// table and the one pass that splits the text into tokens and looks each one up.
//
// The hot path is ASCII: SSE2 classifies 64 bytes at a time, so token edges are found by counting
// trailing zeros; an ASCII token is lowered eight bytes at a time (SWAR) into the caller's
// buffer while it is hashed. A bitset over (length, first byte) and a 32 KiB one-bit-per-key
// filter over the hash drop most tokens that are not keys before the table is touched; the
// others are queued, their slots prefetched, and looked up 16 at a time (linear probing, the
// first 8 key bytes inline in the slot). Non-ASCII characters are decoded; whether they glue
// comes from a bitmap over the BMP (built once from is_word_char), and they are folded with
// u_foldCase.
#include "match/words.hpp"

#include <unicode/uchar.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <cstring>
#include <numeric>

#include "match/patterns.hpp"

namespace ksmg::match::detail {
namespace {

#if !defined(__SSE2__)
// The word bytes of ASCII, for the classifier where SSE2 is missing.
constexpr std::array<bool, 256> kAsciiWord = [] {
  std::array<bool, 256> t{};
  for (int c = 0; c < 128; ++c)
    t[c] = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  return t;
}();
#endif

constexpr std::array<unsigned char, 128> kLower = [] {
  std::array<unsigned char, 128> t{};
  for (int c = 0; c < 128; ++c)
    t[c] = static_cast<unsigned char>(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
  return t;
}();

// is_word_char over the BMP, one bit per code point.
const std::array<std::uint64_t, 1024>& bmp_word_bits() {
  static const auto bits = [] {
    std::array<std::uint64_t, 1024> b{};
    for (char32_t c = 0; c < 0x10000; ++c)
      if (is_word_char(c)) b[c >> 6] |= std::uint64_t{1} << (c & 63);
    return b;
  }();
  return bits;
}

inline bool glues(char32_t c, const std::array<std::uint64_t, 1024>& bmp) noexcept {
  if (c < 0x10000) return ((bmp[c >> 6] >> (c & 63)) & 1) != 0;
  return is_word_char(c);
}

// Code point at p in valid UTF-8 (p < end), n its length.
inline char32_t decode(const unsigned char* p, std::size_t& n) noexcept {
  const unsigned char b = p[0];
  if (b < 0xE0) {
    n = 2;
    return (char32_t(b & 0x1F) << 6) | (p[1] & 0x3F);
  }
  if (b < 0xF0) {
    n = 3;
    return (char32_t(b & 0x0F) << 12) | (char32_t(p[1] & 0x3F) << 6) | (p[2] & 0x3F);
  }
  n = 4;
  return (char32_t(b & 0x07) << 18) | (char32_t(p[1] & 0x3F) << 12) | (char32_t(p[2] & 0x3F) << 6) |
         (p[3] & 0x3F);
}

inline std::size_t encode(char32_t c, unsigned char* out) noexcept {
  if (c < 0x80) {
    out[0] = static_cast<unsigned char>(c);
    return 1;
  }
  if (c < 0x800) {
    out[0] = static_cast<unsigned char>(0xC0 | (c >> 6));
    out[1] = static_cast<unsigned char>(0x80 | (c & 0x3F));
    return 2;
  }
  if (c < 0x10000) {
    out[0] = static_cast<unsigned char>(0xE0 | (c >> 12));
    out[1] = static_cast<unsigned char>(0x80 | ((c >> 6) & 0x3F));
    out[2] = static_cast<unsigned char>(0x80 | (c & 0x3F));
    return 3;
  }
  out[0] = static_cast<unsigned char>(0xF0 | (c >> 18));
  out[1] = static_cast<unsigned char>(0x80 | ((c >> 12) & 0x3F));
  out[2] = static_cast<unsigned char>(0x80 | ((c >> 6) & 0x3F));
  out[3] = static_cast<unsigned char>(0x80 | (c & 0x3F));
  return 4;
}

inline char32_t fold(char32_t c) noexcept {
  return static_cast<char32_t>(u_foldCase(static_cast<UChar32>(c), U_FOLD_CASE_DEFAULT));
}

// Folds [b, e) (valid UTF-8) into out; false when the folded form is longer than limit. out must
// hold limit + 4 bytes.
bool fold_into(const unsigned char* b, const unsigned char* e, unsigned char* out,
               std::size_t limit, std::size_t& len) noexcept {
  std::size_t k = 0;
  for (const unsigned char* p = b; p < e;) {
    if (*p < 0x80) {
      out[k++] = kLower[*p++];
    } else {
      std::size_t n = 0;
      const char32_t c = decode(p, n);
      p += n;
      k += encode(fold(c), out + k);
    }
    if (k > limit) return false;
  }
  len = k;
  return true;
}

inline bool prefilter_bit(const std::array<std::uint64_t, 256>& bits, std::size_t len,
                          unsigned char first) noexcept {
  const std::size_t row = (len < 63 ? len : 63) * 4;
  return ((bits[row + (first >> 6)] >> (first & 63)) & 1) != 0;
}

std::string fold_string(std::string_view s, bool ascii_only) {
  std::string out;
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* const e = p + s.size();
  while (p < e) {
    if (*p < 0x80 || ascii_only) {
      out += static_cast<char>(*p < 0x80 ? kLower[*p] : *p);
      ++p;
    } else {
      std::size_t n = 0;
      const char32_t c = decode(p, n);
      p += n;
      unsigned char buf[4];
      out.append(reinterpret_cast<const char*>(buf), encode(fold(c), buf));
    }
  }
  return out;
}

bool is_ascii(std::string_view s) noexcept {
  return std::all_of(s.begin(), s.end(),
                     [](char ch) { return static_cast<unsigned char>(ch) < 0x80; });
}

}  // namespace

bool WordTable::fits(const Entry& e) {
  if (e.kind != EntryKind::word || !e.whole_word || e.pattern.empty() ||
      e.pattern.size() > kMaxWordBytes)
    return false;
  const auto* p = reinterpret_cast<const unsigned char*>(e.pattern.data());
  const auto* const end = p + e.pattern.size();
  while (p < end) {
    std::size_t n = 1;
    const char32_t c = *p < 0x80 ? char32_t{*p} : decode(p, n);
    if (!is_word_char(c)) return false;
    p += n;
  }
  return fold_string(e.pattern, false).size() <= kMaxWordBytes;
}

void WordTable::add(const Entry& e, std::uint32_t id) {
  const bool all_ascii = is_ascii(e.pattern);
  Need need = nothing;
  if (e.case_sensitive)
    need = same_bytes;
  else if (all_ascii)
    need = ascii;
  pending_.push_back(Pending{fold_string(e.pattern, all_ascii), e.pattern, id, need});
}

namespace {

// ASCII lower case of eight bytes below 0x80 (bytes from 0x80 up may carry into the bytes after
// them, which the caller masks off).
inline std::uint64_t lower8(std::uint64_t w) noexcept {
  constexpr std::uint64_t high = 0x8080808080808080ull;
  const std::uint64_t from_a = w + 0x3F3F3F3F3F3F3F3Full;  // high bit: byte >= 'A'
  const std::uint64_t past_z = w + 0x2525252525252525ull;  // high bit: byte > 'Z'
  return w | (((from_a & ~past_z) & high) >> 2);
}

inline std::uint64_t mix(std::uint64_t h, std::uint64_t w) noexcept {
  h = (h ^ w) * 0xC2B2AE3D27D4EB4Full;
  return h ^ (h >> 31);
}

inline std::uint64_t finish(std::uint64_t h) noexcept {
  h *= 0x9E3779B97F4A7C15ull;
  return h ^ (h >> 29);
}

constexpr std::size_t kBatch = 16;

// Which bytes of the text are ASCII word characters and which are not ASCII, 64 at a time, so
// that finding where tokens start and end takes a count of trailing zeros, not a branch per byte.
class ByteClasses {
 public:
  ByteClasses(const unsigned char* text, std::size_t size) : text_(text), size_(size) {}

  // First position from pos on that is an ASCII word byte or not ASCII; size when none.
  std::size_t next_start(std::size_t pos) {
    while (pos < size_) {
      fit(pos);
      const std::uint64_t x = (word_ | high_) >> (pos & 63);
      if (x != 0) return pos + static_cast<std::size_t>(__builtin_ctzll(x));
      pos = (pos | 63) + 1;
    }
    return size_;
  }
  // First position from pos on that is not an ASCII word byte; size when none.
  std::size_t next_non_word(std::size_t pos) {
    while (pos < size_) {
      fit(pos);
      const std::uint64_t x = ~word_ >> (pos & 63);
      if (x != 0) return std::min(size_, pos + static_cast<std::size_t>(__builtin_ctzll(x)));
      pos = (pos | 63) + 1;
    }
    return size_;
  }

 private:
  void fit(std::size_t pos) {
    const std::size_t block = pos >> 6;
    if (block == block_) return;
    block_ = block;
    const std::size_t off = block << 6;
    if (off + 64 <= size_) {
      classify(text_ + off);
    } else {
      unsigned char tail[64] = {};  // zeros: neither word bytes nor high ones
      std::memcpy(tail, text_ + off, size_ - off);
      classify(tail);
    }
  }

  void classify(const unsigned char* p) {
#if defined(__SSE2__)
    std::uint64_t word = 0, high = 0;
    for (int k = 0; k < 4; ++k) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * k));
      // Signed compares: bytes from 0x80 on are negative and fall outside every range.
      const __m128i folded = _mm_or_si128(v, _mm_set1_epi8(0x20));
      const __m128i letter = _mm_and_si128(_mm_cmpgt_epi8(folded, _mm_set1_epi8('a' - 1)),
                                           _mm_cmplt_epi8(folded, _mm_set1_epi8('z' + 1)));
      const __m128i digit = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('0' - 1)),
                                          _mm_cmplt_epi8(v, _mm_set1_epi8('9' + 1)));
      const __m128i w =
          _mm_or_si128(_mm_or_si128(letter, digit), _mm_cmpeq_epi8(v, _mm_set1_epi8('_')));
      word |= std::uint64_t{static_cast<std::uint16_t>(_mm_movemask_epi8(w))} << (16 * k);
      high |= std::uint64_t{static_cast<std::uint16_t>(_mm_movemask_epi8(v))} << (16 * k);
    }
    word_ = word;
    high_ = high;
#else
    word_ = high_ = 0;
    for (int i = 0; i < 64; ++i) {
      word_ |= std::uint64_t{kAsciiWord[p[i]]} << i;
      high_ |= std::uint64_t{p[i] >= 0x80} << i;
    }
#endif
  }

  const unsigned char* text_;
  std::size_t size_;
  std::size_t block_ = ~std::size_t{0};
  std::uint64_t word_ = 0, high_ = 0;
};

}  // namespace

// A token of the text waiting for its lookup; its key is in the buffer at key.
struct WordTable::Token {
  const unsigned char* raw;
  std::uint32_t raw_len;
  std::uint32_t len;  // of the key
  std::uint64_t hash;
  std::size_t end;  // offset in the text
  std::size_t key;  // offset in the buffer
  bool ascii;
};

void WordTable::build() {
  std::vector<std::size_t> order(pending_.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    if (pending_[a].key != pending_[b].key) return pending_[a].key < pending_[b].key;
    return pending_[a].id < pending_[b].id;
  });
  // Keys with their entries: [begin, end) of order.
  std::vector<std::pair<std::size_t, std::size_t>> keys;
  for (std::size_t i = 0; i < order.size(); ++i) {
    if (i == 0 || pending_[order[i]].key != pending_[order[i - 1]].key) keys.emplace_back(i, i);
    keys.back().second = i + 1;
  }
  std::size_t cap = 16;
  while (cap < keys.size() * 2) cap *= 2;  // load factor at most 1/2
  slots_.assign(cap, Slot{});
  tails_.assign(cap, 0);
  bloom_.assign(kBloomBits / 64, 0);
  mask_ = cap - 1;
  items_.clear();
  arena_.clear();
  max_len_ = 0;
  first_.fill(0);
  entries_ = pending_.size();
  std::vector<unsigned char> padded;
  for (const auto& [kb, ke] : keys) {
    const std::string& key = pending_[order[kb]].key;
    padded.assign(key.begin(), key.end());
    padded.resize((key.size() + 7) / 8 * 8, 0);
    std::uint64_t h = key.size() * 0x9E3779B97F4A7C15ull;
    for (std::size_t i = 0; i < padded.size(); i += 8) {
      std::uint64_t w;
      std::memcpy(&w, padded.data() + i, 8);
      h = mix(h, w);
    }
    h = finish(h);
    std::uint64_t at = h & mask_;
    while (slots_[at].len != 0) at = (at + 1) & mask_;
    Slot& slot = slots_[at];
    std::memcpy(&slot.head, padded.data(), 8 < padded.size() ? 8 : padded.size());
    slot.tag = static_cast<std::uint16_t>(h >> 48);
    const std::uint64_t bit = (h >> kBloomShift) & (kBloomBits - 1);
    bloom_[bit >> 6] |= std::uint64_t{1} << (bit & 63);
    slot.len = static_cast<std::uint8_t>(key.size());
    if (key.size() > 8) {
      tails_[at] = static_cast<std::uint32_t>(arena_.size());
      arena_.append(key, 8);
    }
    const Pending& only = pending_[order[kb]];
    if (ke - kb == 1 && only.need != same_bytes) {
      slot.ref = only.id;
      slot.kind = only.need;
    } else {
      slot.ref = static_cast<std::uint32_t>(items_.size());
      slot.kind = kMulti;
      for (std::size_t i = kb; i < ke; ++i) {
        const Pending& p = pending_[order[i]];
        Item it;
        it.id = p.id;
        it.need = p.need;
        it.last = i + 1 == ke;
        if (p.need == same_bytes) {
          it.raw = static_cast<std::uint32_t>(arena_.size());
          it.raw_len = static_cast<std::uint16_t>(p.raw.size());
          arena_ += p.raw;
        }
        items_.push_back(it);
      }
    }
    max_len_ = std::max(max_len_, key.size());
    const auto first = static_cast<unsigned char>(key[0]);
    const std::size_t row = std::min<std::size_t>(key.size(), 63) * 4;
    first_[row + (first >> 6)] |= std::uint64_t{1} << (first & 63);
  }
  pending_.clear();
  pending_.shrink_to_fit();
}

void WordTable::probe(const Token& t, const unsigned char* key, OnHit on_hit, void* ctx) const {
  std::uint64_t head;
  std::memcpy(&head, key, 8);
  const auto tag = static_cast<std::uint16_t>(t.hash >> 48);
  for (std::uint64_t at = t.hash & mask_;; at = (at + 1) & mask_) {
    const Slot& s = slots_[at];
    if (s.len == 0) return;
    if (s.head != head || s.tag != tag || s.len != t.len ||
        (t.len > 8 && std::memcmp(arena_.data() + tails_[at], key + 8, t.len - 8) != 0))
      continue;
    if (s.kind != kMulti) {
      if (s.kind != ascii || t.ascii) on_hit(ctx, s.ref, t.end);
      return;
    }
    for (const Item* it = items_.data() + s.ref;; ++it) {
      bool ok = true;
      if (it->need == ascii)
        ok = t.ascii;
      else if (it->need == same_bytes)
        ok =
            it->raw_len == t.raw_len && std::memcmp(arena_.data() + it->raw, t.raw, t.raw_len) == 0;
      if (ok) on_hit(ctx, it->id, t.end);
      if (it->last) break;
    }
    return;
  }
}

void WordTable::scan(std::string_view text, std::string& buf, OnHit on_hit, void* ctx) const {
  if (entries_ == 0 || text.empty()) return;
  // Room for a batch of keys, each padded to 8 bytes, plus the folding overshoot.
  const std::size_t stride = (max_len_ + 8 + 7) / 8 * 8 + 8;
  if (buf.size() < stride * kBatch) buf.resize(stride * kBatch);
  auto* const keys = reinterpret_cast<unsigned char*>(buf.data());
  const auto& bmp = bmp_word_bits();
  const auto* const begin = reinterpret_cast<const unsigned char*>(text.data());
  const auto* const end = begin + text.size();
  Token batch[kBatch];
  std::size_t n_batch = 0;
  auto flush = [&] {
    for (std::size_t i = 0; i < n_batch; ++i) probe(batch[i], keys + batch[i].key, on_hit, ctx);
    n_batch = 0;
  };
  ByteClasses classes(begin, text.size());
  std::size_t pos = 0;
  for (;;) {
    pos = classes.next_start(pos);
    if (pos >= text.size()) break;
    const unsigned char* const start = begin + pos;
    bool is_ascii_token = true;
    if (*start >= 0x80) {
      std::size_t n = 0;
      const bool word = glues(decode(start, n), bmp);
      pos += n;
      if (!word) continue;
      is_ascii_token = false;
    }
    for (;;) {
      pos = classes.next_non_word(pos);
      if (pos >= text.size() || begin[pos] < 0x80) break;
      std::size_t n = 0;
      if (!glues(decode(begin + pos, n), bmp)) break;
      is_ascii_token = false;
      pos += n;
    }
    const unsigned char* const p = begin + pos;
    Token& t = batch[n_batch];
    t.raw = start;
    t.raw_len = static_cast<std::uint32_t>(p - start);
    t.end = static_cast<std::size_t>(p - begin);
    t.ascii = is_ascii_token;
    t.key = n_batch * stride;
    unsigned char* const key = keys + t.key;
    std::uint64_t h;
    if (is_ascii_token) {
      const std::size_t len = t.raw_len;
      if (len > max_len_ || !prefilter_bit(first_, len, kLower[*start])) continue;
      h = len * 0x9E3779B97F4A7C15ull;
      for (std::size_t i = 0; i < len; i += 8) {
        std::uint64_t w = 0;
        if (start + i + 8 <= end)
          std::memcpy(&w, start + i, 8);
        else
          std::memcpy(&w, start + i, static_cast<std::size_t>(end - start) - i);
        if (len - i < 8) w &= (std::uint64_t{1} << (8 * (len - i))) - 1;
        w = lower8(w);
        std::memcpy(key + i, &w, 8);
        h = mix(h, w);
      }
      t.len = t.raw_len;
    } else {
      std::size_t len = 0;
      if (!fold_into(start, p, key, max_len_, len) || !prefilter_bit(first_, len, key[0])) continue;
      std::memset(key + len, 0, 8);
      h = len * 0x9E3779B97F4A7C15ull;
      for (std::size_t i = 0; i < len; i += 8) {
        std::uint64_t w;
        std::memcpy(&w, key + i, 8);
        h = mix(h, w);
      }
      t.len = static_cast<std::uint32_t>(len);
    }
    t.hash = finish(h);
    const std::uint64_t bit = (t.hash >> kBloomShift) & (kBloomBits - 1);
    if (((bloom_[bit >> 6] >> (bit & 63)) & 1) == 0) continue;
    __builtin_prefetch(&slots_[t.hash & mask_]);
    if (++n_batch == kBatch) flush();
  }
  flush();
}

}  // namespace ksmg::match::detail

// charset.cpp — owns ksmg::mime::to_utf8: any declared charset to valid UTF-8.
//
// Charset labels in mail are as messy as on the web, and mail clients read them the way
// browsers do, so labels are resolved with the WHATWG Encoding Standard's table first
// (us-ascii and iso-8859-1 are windows-1252, gb2312 is GB18030, euc-kr is windows-949, ...)
// and with ICU's alias matching after that. windows-1252 and x-user-defined are decoded here
// without ICU (they are the most common and ICU's windows-1252 lacks the WHATWG C1 mapping);
// everything else goes through ICU with a converter cache per thread, because ucnv_open is
// far too slow for the hot path and a UConverter must never be shared between threads.
#include <unicode/ucnv.h>
#include <unicode/ucnv_cb.h>
#include <unicode/utypes.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "core/ascii.hpp"
#include "core/utf8.hpp"
#include "ksmg/mime.hpp"

namespace ksmg::mime {
namespace {

using core::Utf8Out;
using mime::is_valid_utf8;

// How bytes of a resolved label are decoded.
enum class Kind : std::uint8_t {
  unknown,  // neither the table nor ICU knows it
  ascii,    // us-ascii and no label: 8-bit bytes are a mismatch, read as UTF-8 or 1252
  utf8,
  windows1252,   // also iso-8859-1, latin1, ...: every byte is defined
  user_defined,  // WHATWG x-user-defined: 0x80..0xFF to U+F780..U+F7FF
  utf16,         // byte order from the BOM or the content
  utf32,
  icu,  // any other ICU converter, including UTF-16BE/LE and UTF-32BE/LE
};

struct Label {
  std::string_view label;
  Kind kind;
  std::string_view icu;  // converter name for Kind::icu
};

// WHATWG Encoding Standard labels (https://encoding.spec.whatwg.org/#names-and-labels), mapped
// to the ICU converter that implements that encoding's decoder; plus mail-only labels.
// The "replacement" labels (iso-2022-kr, hz-gb-2312, iso-2022-cn) are decoded for real: a
// scanner wants the text that legacy mail readers display, and there is no HTML to inject into.
constexpr auto kLabels = [] {
  auto a = std::to_array<Label>({
      {"unicode-1-1-utf-8", Kind::utf8, {}},
      {"unicode11utf8", Kind::utf8, {}},
      {"unicode20utf8", Kind::utf8, {}},
      {"utf-8", Kind::utf8, {}},
      {"utf8", Kind::utf8, {}},
      {"x-unicode20utf8", Kind::utf8, {}},
      {"866", Kind::icu, "ibm866"},
      {"cp866", Kind::icu, "ibm866"},
      {"csibm866", Kind::icu, "ibm866"},
      {"ibm866", Kind::icu, "ibm866"},
      {"csisolatin2", Kind::icu, "iso-8859-2"},
      {"iso-8859-2", Kind::icu, "iso-8859-2"},
      {"iso-ir-101", Kind::icu, "iso-8859-2"},
      {"iso8859-2", Kind::icu, "iso-8859-2"},
      {"iso88592", Kind::icu, "iso-8859-2"},
      {"iso_8859-2", Kind::icu, "iso-8859-2"},
      {"iso_8859-2:1987", Kind::icu, "iso-8859-2"},
      {"l2", Kind::icu, "iso-8859-2"},
      {"latin2", Kind::icu, "iso-8859-2"},
      {"csisolatin3", Kind::icu, "iso-8859-3"},
      {"iso-8859-3", Kind::icu, "iso-8859-3"},
      {"iso-ir-109", Kind::icu, "iso-8859-3"},
      {"iso8859-3", Kind::icu, "iso-8859-3"},
      {"iso88593", Kind::icu, "iso-8859-3"},
      {"iso_8859-3", Kind::icu, "iso-8859-3"},
      {"iso_8859-3:1988", Kind::icu, "iso-8859-3"},
      {"l3", Kind::icu, "iso-8859-3"},
      {"latin3", Kind::icu, "iso-8859-3"},
      {"csisolatin4", Kind::icu, "iso-8859-4"},
      {"iso-8859-4", Kind::icu, "iso-8859-4"},
      {"iso-ir-110", Kind::icu, "iso-8859-4"},
      {"iso8859-4", Kind::icu, "iso-8859-4"},
      {"iso88594", Kind::icu, "iso-8859-4"},
      {"iso_8859-4", Kind::icu, "iso-8859-4"},
      {"iso_8859-4:1988", Kind::icu, "iso-8859-4"},
      {"l4", Kind::icu, "iso-8859-4"},
      {"latin4", Kind::icu, "iso-8859-4"},
      {"csisolatincyrillic", Kind::icu, "iso-8859-5"},
      {"cyrillic", Kind::icu, "iso-8859-5"},
      {"iso-8859-5", Kind::icu, "iso-8859-5"},
      {"iso-ir-144", Kind::icu, "iso-8859-5"},
      {"iso8859-5", Kind::icu, "iso-8859-5"},
      {"iso88595", Kind::icu, "iso-8859-5"},
      {"iso_8859-5", Kind::icu, "iso-8859-5"},
      {"iso_8859-5:1988", Kind::icu, "iso-8859-5"},
      {"arabic", Kind::icu, "iso-8859-6"},
      {"asmo-708", Kind::icu, "iso-8859-6"},
      {"csiso88596e", Kind::icu, "iso-8859-6"},
      {"csiso88596i", Kind::icu, "iso-8859-6"},
      {"csisolatinarabic", Kind::icu, "iso-8859-6"},
      {"ecma-114", Kind::icu, "iso-8859-6"},
      {"iso-8859-6", Kind::icu, "iso-8859-6"},
      {"iso-8859-6-e", Kind::icu, "iso-8859-6"},
      {"iso-8859-6-i", Kind::icu, "iso-8859-6"},
      {"iso-ir-127", Kind::icu, "iso-8859-6"},
      {"iso8859-6", Kind::icu, "iso-8859-6"},
      {"iso88596", Kind::icu, "iso-8859-6"},
      {"iso_8859-6", Kind::icu, "iso-8859-6"},
      {"iso_8859-6:1987", Kind::icu, "iso-8859-6"},
      {"csisolatingreek", Kind::icu, "iso-8859-7"},
      {"ecma-118", Kind::icu, "iso-8859-7"},
      {"elot_928", Kind::icu, "iso-8859-7"},
      {"greek", Kind::icu, "iso-8859-7"},
      {"greek8", Kind::icu, "iso-8859-7"},
      {"iso-8859-7", Kind::icu, "iso-8859-7"},
      {"iso-ir-126", Kind::icu, "iso-8859-7"},
      {"iso8859-7", Kind::icu, "iso-8859-7"},
      {"iso88597", Kind::icu, "iso-8859-7"},
      {"iso_8859-7", Kind::icu, "iso-8859-7"},
      {"iso_8859-7:1987", Kind::icu, "iso-8859-7"},
      {"sun_eu_greek", Kind::icu, "iso-8859-7"},
      // -i (logical order) and -e / visual differ only in rendering direction, not in bytes.
      {"csiso88598e", Kind::icu, "iso-8859-8"},
      {"csisolatinhebrew", Kind::icu, "iso-8859-8"},
      {"hebrew", Kind::icu, "iso-8859-8"},
      {"iso-8859-8", Kind::icu, "iso-8859-8"},
      {"iso-8859-8-e", Kind::icu, "iso-8859-8"},
      {"iso-ir-138", Kind::icu, "iso-8859-8"},
      {"iso8859-8", Kind::icu, "iso-8859-8"},
      {"iso88598", Kind::icu, "iso-8859-8"},
      {"iso_8859-8", Kind::icu, "iso-8859-8"},
      {"iso_8859-8:1988", Kind::icu, "iso-8859-8"},
      {"visual", Kind::icu, "iso-8859-8"},
      {"csiso88598i", Kind::icu, "iso-8859-8"},
      {"iso-8859-8-i", Kind::icu, "iso-8859-8"},
      {"logical", Kind::icu, "iso-8859-8"},
      {"csisolatin6", Kind::icu, "iso-8859-10"},
      {"iso-8859-10", Kind::icu, "iso-8859-10"},
      {"iso-ir-157", Kind::icu, "iso-8859-10"},
      {"iso8859-10", Kind::icu, "iso-8859-10"},
      {"iso885910", Kind::icu, "iso-8859-10"},
      {"l6", Kind::icu, "iso-8859-10"},
      {"latin6", Kind::icu, "iso-8859-10"},
      {"iso-8859-13", Kind::icu, "iso-8859-13"},
      {"iso8859-13", Kind::icu, "iso-8859-13"},
      {"iso885913", Kind::icu, "iso-8859-13"},
      {"iso-8859-14", Kind::icu, "iso-8859-14"},
      {"iso8859-14", Kind::icu, "iso-8859-14"},
      {"iso885914", Kind::icu, "iso-8859-14"},
      {"csisolatin9", Kind::icu, "iso-8859-15"},
      {"iso-8859-15", Kind::icu, "iso-8859-15"},
      {"iso8859-15", Kind::icu, "iso-8859-15"},
      {"iso885915", Kind::icu, "iso-8859-15"},
      {"iso_8859-15", Kind::icu, "iso-8859-15"},
      {"l9", Kind::icu, "iso-8859-15"},
      {"cskoi8r", Kind::icu, "koi8-r"},
      {"koi", Kind::icu, "koi8-r"},
      {"koi8", Kind::icu, "koi8-r"},
      {"koi8-r", Kind::icu, "koi8-r"},
      {"koi8_r", Kind::icu, "koi8-r"},
      {"koi8-ru", Kind::icu, "koi8-u"},
      {"koi8-u", Kind::icu, "koi8-u"},
      {"csmacintosh", Kind::icu, "macintosh"},
      {"mac", Kind::icu, "macintosh"},
      {"macintosh", Kind::icu, "macintosh"},
      {"x-mac-roman", Kind::icu, "macintosh"},
      {"dos-874", Kind::icu, "windows-874"},
      {"iso-8859-11", Kind::icu, "windows-874"},
      {"iso8859-11", Kind::icu, "windows-874"},
      {"iso885911", Kind::icu, "windows-874"},
      {"tis-620", Kind::icu, "windows-874"},
      {"windows-874", Kind::icu, "windows-874"},
      {"cp1250", Kind::icu, "windows-1250"},
      {"windows-1250", Kind::icu, "windows-1250"},
      {"x-cp1250", Kind::icu, "windows-1250"},
      {"cp1251", Kind::icu, "windows-1251"},
      {"windows-1251", Kind::icu, "windows-1251"},
      {"x-cp1251", Kind::icu, "windows-1251"},
      {"ansi_x3.4-1968", Kind::ascii, {}},
      {"ascii", Kind::ascii, {}},
      {"us-ascii", Kind::ascii, {}},
      {"cp1252", Kind::windows1252, {}},
      {"cp819", Kind::windows1252, {}},
      {"csisolatin1", Kind::windows1252, {}},
      {"ibm819", Kind::windows1252, {}},
      {"iso-8859-1", Kind::windows1252, {}},
      {"iso-ir-100", Kind::windows1252, {}},
      {"iso8859-1", Kind::windows1252, {}},
      {"iso88591", Kind::windows1252, {}},
      {"iso_8859-1", Kind::windows1252, {}},
      {"iso_8859-1:1987", Kind::windows1252, {}},
      {"l1", Kind::windows1252, {}},
      {"latin1", Kind::windows1252, {}},
      {"windows-1252", Kind::windows1252, {}},
      {"x-cp1252", Kind::windows1252, {}},
      {"cp1253", Kind::icu, "windows-1253"},
      {"windows-1253", Kind::icu, "windows-1253"},
      {"x-cp1253", Kind::icu, "windows-1253"},
      {"cp1254", Kind::icu, "windows-1254"},
      {"csisolatin5", Kind::icu, "windows-1254"},
      {"iso-8859-9", Kind::icu, "windows-1254"},
      {"iso-ir-148", Kind::icu, "windows-1254"},
      {"iso8859-9", Kind::icu, "windows-1254"},
      {"iso88599", Kind::icu, "windows-1254"},
      {"iso_8859-9", Kind::icu, "windows-1254"},
      {"iso_8859-9:1989", Kind::icu, "windows-1254"},
      {"l5", Kind::icu, "windows-1254"},
      {"latin5", Kind::icu, "windows-1254"},
      {"windows-1254", Kind::icu, "windows-1254"},
      {"x-cp1254", Kind::icu, "windows-1254"},
      {"cp1255", Kind::icu, "windows-1255"},
      {"windows-1255", Kind::icu, "windows-1255"},
      {"x-cp1255", Kind::icu, "windows-1255"},
      {"cp1256", Kind::icu, "windows-1256"},
      {"windows-1256", Kind::icu, "windows-1256"},
      {"x-cp1256", Kind::icu, "windows-1256"},
      {"cp1257", Kind::icu, "windows-1257"},
      {"windows-1257", Kind::icu, "windows-1257"},
      {"x-cp1257", Kind::icu, "windows-1257"},
      {"cp1258", Kind::icu, "windows-1258"},
      {"windows-1258", Kind::icu, "windows-1258"},
      {"x-cp1258", Kind::icu, "windows-1258"},
      {"x-mac-cyrillic", Kind::icu, "x-mac-cyrillic"},
      {"x-mac-ukrainian", Kind::icu, "x-mac-cyrillic"},
      // WHATWG's GBK decoder is the GB18030 decoder: gb2312 mail routinely uses GBK characters.
      {"chinese", Kind::icu, "gb18030"},
      {"csgb2312", Kind::icu, "gb18030"},
      {"csiso58gb231280", Kind::icu, "gb18030"},
      {"gb2312", Kind::icu, "gb18030"},
      {"gb_2312", Kind::icu, "gb18030"},
      {"gb_2312-80", Kind::icu, "gb18030"},
      {"gbk", Kind::icu, "gb18030"},
      {"iso-ir-58", Kind::icu, "gb18030"},
      {"x-gbk", Kind::icu, "gb18030"},
      {"gb18030", Kind::icu, "gb18030"},
      {"x-euc-cn", Kind::icu, "gb18030"},
      {"euc-cn", Kind::icu, "gb18030"},
      // WHATWG Big5 is Big5-HKSCS; ICU's plain "big5" maps HKSCS bytes to private use.
      {"big5", Kind::icu, "big5-hkscs"},
      {"big5-hkscs", Kind::icu, "big5-hkscs"},
      {"cn-big5", Kind::icu, "big5-hkscs"},
      {"csbig5", Kind::icu, "big5-hkscs"},
      {"x-x-big5", Kind::icu, "big5-hkscs"},
      {"cseucpkdfmtjapanese", Kind::icu, "euc-jp"},
      {"euc-jp", Kind::icu, "euc-jp"},
      {"x-euc-jp", Kind::icu, "euc-jp"},
      {"csiso2022jp", Kind::icu, "iso-2022-jp"},
      {"iso-2022-jp", Kind::icu, "iso-2022-jp"},
      {"csshiftjis", Kind::icu, "windows-31j"},
      {"ms932", Kind::icu, "windows-31j"},
      {"ms_kanji", Kind::icu, "windows-31j"},
      {"shift-jis", Kind::icu, "windows-31j"},
      {"shift_jis", Kind::icu, "windows-31j"},
      {"sjis", Kind::icu, "windows-31j"},
      {"windows-31j", Kind::icu, "windows-31j"},
      {"x-sjis", Kind::icu, "windows-31j"},
      {"cseuckr", Kind::icu, "windows-949"},
      {"csksc56011987", Kind::icu, "windows-949"},
      {"euc-kr", Kind::icu, "windows-949"},
      {"iso-ir-149", Kind::icu, "windows-949"},
      {"korean", Kind::icu, "windows-949"},
      {"ks_c_5601-1987", Kind::icu, "windows-949"},
      {"ks_c_5601-1989", Kind::icu, "windows-949"},
      {"ksc5601", Kind::icu, "windows-949"},
      {"ksc_5601", Kind::icu, "windows-949"},
      {"ks_c_5601", Kind::icu, "windows-949"},
      {"windows-949", Kind::icu, "windows-949"},
      {"csiso2022kr", Kind::icu, "iso-2022-kr"},
      {"iso-2022-kr", Kind::icu, "iso-2022-kr"},
      {"hz-gb-2312", Kind::icu, "hz-gb-2312"},
      {"iso-2022-cn", Kind::icu, "iso-2022-cn"},
      {"iso-2022-cn-ext", Kind::icu, "iso-2022-cn-ext"},
      {"unicodefffe", Kind::icu, "utf-16be"},
      {"utf-16be", Kind::icu, "utf-16be"},
      {"utf-16le", Kind::icu, "utf-16le"},
      {"unicodefeff", Kind::icu, "utf-16le"},
      {"csunicode", Kind::utf16, {}},
      {"iso-10646-ucs-2", Kind::utf16, {}},
      {"ucs-2", Kind::utf16, {}},
      {"unicode", Kind::utf16, {}},
      {"utf-16", Kind::utf16, {}},
      {"utf16", Kind::utf16, {}},
      {"utf-32", Kind::utf32, {}},
      {"utf32", Kind::utf32, {}},
      {"ucs-4", Kind::utf32, {}},
      {"iso-10646-ucs-4", Kind::utf32, {}},
      {"utf-32be", Kind::icu, "utf-32be"},
      {"utf-32le", Kind::icu, "utf-32le"},
      {"utf-7", Kind::icu, "utf-7"},
      {"utf7", Kind::icu, "utf-7"},
      {"unicode-1-1-utf-7", Kind::icu, "utf-7"},
      {"csunicode11utf7", Kind::icu, "utf-7"},
      {"x-user-defined", Kind::user_defined, {}},
  });
  std::sort(a.begin(), a.end(), [](const Label& x, const Label& y) { return x.label < y.label; });
  return a;
}();

const Label* find_label(std::string_view name) noexcept {
  const auto* it = std::lower_bound(kLabels.begin(), kLabels.end(), name,
                                    [](const Label& l, std::string_view n) { return l.label < n; });
  return it != kLabels.end() && it->label == name ? it : nullptr;
}

bool is_ascii(std::string_view s) noexcept {
  const char* p = s.data();
  std::size_t n = s.size();
  // Blocks of 32 bytes OR-ed together vectorise well and exit early on the first 8-bit block.
  while (n >= 32) {
    std::uint64_t w[4];
    std::memcpy(w, p, 32);
    if (((w[0] | w[1] | w[2] | w[3]) & 0x8080808080808080ull) != 0) return false;
    p += 32;
    n -= 32;
  }
  unsigned acc = 0;
  for (std::size_t i = 0; i < n; ++i) acc |= static_cast<unsigned char>(p[i]);
  return acc < 0x80;
}

// windows-1252 per WHATWG: 0x80..0x9F from the Microsoft table, the five holes as C1 controls.
constexpr std::array<char16_t, 32> kWin1252High = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178};

void decode_single_byte(std::string_view in, Utf8Out& w, bool user_defined) {
  const char* p = in.data();
  const char* const end = p + in.size();
  while (p < end) {
    const char* run = p;
    while (p < end && static_cast<unsigned char>(*p) < 0x80) ++p;
    if (p != run && !w.utf8(std::string_view(run, static_cast<std::size_t>(p - run)))) return;
    if (p == end) return;
    const auto b = static_cast<unsigned char>(*p++);
    char32_t cp;
    if (user_defined)
      cp = 0xF780 + (b - 0x80);
    else
      cp = b < 0xA0 ? kWin1252High[b - 0x80] : b;
    if (!w.code_point(cp)) return;
  }
}

// Invalid UTF-8 with each maximal invalid subpart replaced by U+FFFD (WHATWG / Unicode §3.9).
void decode_utf8_lossy(std::string_view in, Utf8Out& w) {
  const auto* p = reinterpret_cast<const unsigned char*>(in.data());
  const unsigned char* const end = p + in.size();
  while (p < end) {
    const unsigned char* run = p;
    while (p < end && *p < 0x80) ++p;
    if (p != run &&
        !w.utf8(std::string_view(reinterpret_cast<const char*>(run), std::size_t(p - run))))
      return;
    if (p == end) return;
    std::size_t bad = 0;
    if (const std::size_t n = core::utf8_sequence_length(p, end, bad); n != 0) {
      if (!w.bytes(reinterpret_cast<const char*>(p), n)) return;
      p += n;
    } else {
      if (!w.replacement()) return;
      p += bad;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Per-thread cache of resolved labels and opened converters.

struct InvalidFlag {
  bool seen = false;
};

// Replaces every unassigned or illegal sequence by U+FFFD and notes it. ICU's own substitution
// would give U+001A for single-byte charsets whose substitution byte is 0x1A.
void U_CALLCONV on_invalid(const void* context, UConverterToUnicodeArgs* args,
                           const char* /*code_units*/, int32_t /*length*/,
                           UConverterCallbackReason reason, UErrorCode* err) {
  if (reason != UCNV_UNASSIGNED && reason != UCNV_ILLEGAL && reason != UCNV_IRREGULAR) return;
  static_cast<InvalidFlag*>(const_cast<void*>(context))->seen = true;
  static const UChar kReplacement = 0xFFFD;
  *err = U_ZERO_ERROR;
  ucnv_cbToUWriteUChars(args, &kReplacement, 1, 0, err);
}

constexpr std::size_t kMaxLabel = 40;

struct Resolved {
  std::array<char, kMaxLabel> key{};
  std::size_t key_len = 0;
  bool used = false;
  Kind kind = Kind::unknown;
  bool ascii_compatible = false;  // pure ASCII input decodes to itself
  UConverter* cnv = nullptr;
  InvalidFlag invalid;

  [[nodiscard]] std::string_view name() const noexcept { return {key.data(), key_len}; }
  void release() noexcept {
    if (cnv != nullptr) ucnv_close(cnv);
    cnv = nullptr;
    used = false;
  }
};

bool decodes_ascii_as_itself(UConverter* c) {
  // IBM PC code pages swap 0x1A, 0x1C and 0x7F with other controls; those are left out so that
  // the fast path follows WHATWG (ASCII bytes are ASCII), while ISO-2022, HZ, UTF-7 and EBCDIC
  // fail here because ESC, '~', '+' or letters decode differently.
  char src[128];
  std::size_t n = 0;
  for (int b = 0; b < 128; ++b)
    if (b != 0x1A && b != 0x1C && b != 0x7F) src[n++] = static_cast<char>(b);
  UChar dst[256];
  UErrorCode e = U_ZERO_ERROR;
  ucnv_resetToUnicode(c);
  const int32_t len = ucnv_toUChars(c, dst, 256, src, static_cast<int32_t>(n), &e);
  ucnv_resetToUnicode(c);
  if (U_FAILURE(e) || len != static_cast<int32_t>(n)) return false;
  for (std::size_t i = 0; i < n; ++i)
    if (dst[i] != static_cast<unsigned char>(src[i])) return false;
  return true;
}

class ConverterCache {
 public:
  ConverterCache() = default;
  ConverterCache(const ConverterCache&) = delete;
  ConverterCache& operator=(const ConverterCache&) = delete;
  ~ConverterCache() {
    for (Resolved& r : entries_) r.release();
  }

  // The entry stays valid until the next call to get().
  Resolved& get(std::string_view key) {
    for (Resolved& r : entries_)
      if (r.used && r.name() == key) return r;
    Resolved& r = entries_[next_];
    next_ = (next_ + 1) % entries_.size();
    r.release();
    r.used = true;
    std::memcpy(r.key.data(), key.data(), key.size());
    r.key_len = key.size();
    resolve(r, key);
    return r;
  }

 private:
  // name must already be restricted to [a-z0-9._:+-] (see normalize_label): ucnv_open would
  // honour converter options after a "," and load a converter file from a path with "/".
  static void open_icu(Resolved& r, std::string_view name) {
    r.kind = Kind::unknown;
    std::array<char, kMaxLabel + 1> z{};  // NUL-terminated copy for ICU
    if (name.empty() || name.size() > kMaxLabel) return;
    std::memcpy(z.data(), name.data(), name.size());
    UErrorCode e = U_ZERO_ERROR;
    UConverter* c = ucnv_open(z.data(), &e);
    if (U_FAILURE(e) || c == nullptr) return;
    // ICU's own names for what this file decodes itself.
    const char* canon = ucnv_getName(c, &e);
    const std::string_view cn = U_SUCCESS(e) && canon != nullptr ? canon : "";
    if (cn == "UTF-8" || cn == "US-ASCII" || cn == "ISO-8859-1" || cn == "UTF-16" ||
        cn == "UTF-32") {
      ucnv_close(c);
      r.kind = cn == "UTF-8"      ? Kind::utf8
               : cn == "US-ASCII" ? Kind::ascii
               : cn == "UTF-16"   ? Kind::utf16
               : cn == "UTF-32"   ? Kind::utf32
                                  : Kind::windows1252;
      return;
    }
    ucnv_setToUCallBack(c, on_invalid, &r.invalid, nullptr, nullptr, &e);
    if (U_FAILURE(e)) {
      ucnv_close(c);
      return;
    }
    r.kind = Kind::icu;
    r.cnv = c;
    r.ascii_compatible = decodes_ascii_as_itself(c);
  }

  static void resolve(Resolved& r, std::string_view key) {
    r.kind = Kind::unknown;
    r.ascii_compatible = false;
    if (key.empty()) {
      r.kind = Kind::ascii;
      return;
    }
    const Label* l = find_label(key);
    // Mail-only spellings the tables miss: "x-koi8-r", "win-1251".
    if (l == nullptr && key.starts_with("x-")) l = find_label(key.substr(2));
    if (l == nullptr && key.starts_with("win-") && key.size() - 4 + 8 <= kMaxLabel) {
      std::array<char, kMaxLabel> alt{};
      std::memcpy(alt.data(), "windows-", 8);
      std::memcpy(alt.data() + 8, key.data() + 4, key.size() - 4);
      l = find_label(std::string_view(alt.data(), key.size() + 4));
    }
    if (l != nullptr) {
      r.kind = l->kind;
      if (l->kind == Kind::icu) open_icu(r, l->icu);
      return;
    }
    open_icu(r, key);
    if (r.kind == Kind::unknown && key.starts_with("x-")) open_icu(r, key.substr(2));
  }

  std::array<Resolved, 8> entries_{};
  std::size_t next_ = 0;
};

thread_local ConverterCache t_cache;

// Lower-cased label without quotes, blanks or an RFC 2231 "*language" suffix. False when it
// cannot be a charset name (its characters are then never passed to ICU).
bool normalize_label(std::string_view in, std::array<char, kMaxLabel>& buf, std::size_t& len) {
  std::string_view s = core::trim(in);
  while (!s.empty() && (s.front() == '"' || s.front() == '\'')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == '"' || s.back() == '\'')) s.remove_suffix(1);
  if (const std::size_t star = s.find('*'); star != std::string_view::npos) s = s.substr(0, star);
  s = core::trim(s);
  if (s.size() > kMaxLabel) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = core::to_lower(s[i]);
    const bool ok = (c >= 'a' && c <= 'z') || core::is_digit(c) || c == '-' || c == '_' ||
                    c == '.' || c == ':' || c == '+';
    if (!ok) return false;
    buf[i] = c;
  }
  len = s.size();
  return true;
}

// Runs an ICU converter over the whole input. Returns false when ICU met invalid bytes.
bool decode_icu(Resolved& r, std::string_view in, Utf8Out& w) {
  UConverter* c = r.cnv;
  ucnv_resetToUnicode(c);
  r.invalid.seen = false;
  const char* src = in.data();
  const char* const src_end = src + in.size();
  std::array<UChar, 4096> buf;
  bool failed = false;
  for (;;) {
    UChar* t = buf.data();
    UErrorCode e = U_ZERO_ERROR;
    ucnv_toUnicode(c, &t, buf.data() + buf.size(), &src, src_end, nullptr, true, &e);
    if (!w.utf16(buf.data(), static_cast<std::size_t>(t - buf.data()))) break;
    if (e == U_BUFFER_OVERFLOW_ERROR) continue;
    if (U_FAILURE(e)) failed = true;
    w.finish16();
    break;
  }
  ucnv_resetToUnicode(c);
  return !failed && !r.invalid.seen;
}

void copy_utf8(std::string_view in, Decoded& d, std::size_t max_bytes) {
  Utf8Out w(d.data, max_bytes);
  w.utf8(in);
  if (w.limited()) d.limits.add(Limit::decoded_size);
}

void decode_fallback(std::string_view in, Decoded& d, std::size_t max_bytes) {
  if (is_valid_utf8(in)) {
    copy_utf8(in, d, max_bytes);
    return;
  }
  Utf8Out w(d.data, max_bytes, in.size());
  decode_single_byte(in, w, false);
  if (w.limited()) d.limits.add(Limit::decoded_size);
}

// Byte order of UTF-16/32 without a BOM: ASCII-heavy text leaves zero bytes on one side.
// Ties (CJK text) go to little endian, as in WHATWG and on Windows, where such mail comes from.
bool guess_big_endian(std::string_view in, std::size_t unit) {
  const std::size_t n = std::min<std::size_t>(in.size(), 4096) / unit * unit;
  std::size_t lo_first = 0, hi_first = 0;
  for (std::size_t i = 0; i < n; i += unit) {
    if (in[i] != 0 && in[i + unit - 1] == 0) ++lo_first;
    if (in[i] == 0 && in[i + unit - 1] != 0) ++hi_first;
  }
  return hi_first > lo_first;
}

}  // namespace

Decoded to_utf8(std::string_view charset, std::string_view bytes, std::size_t max_bytes) {
  Decoded d;
  std::array<char, kMaxLabel> buf{};
  std::size_t len = 0;
  Resolved* r = nullptr;
  if (normalize_label(charset, buf, len)) r = &t_cache.get(std::string_view(buf.data(), len));
  const Kind declared = r != nullptr ? r->kind : Kind::unknown;
  if (declared == Kind::unknown) d.defects.add(Defect::unknown_charset);

  // WHATWG BOM sniffing: a byte order mark wins over the label.
  std::string_view in = bytes;
  std::string_view forced;
  auto starts = [&](std::string_view bom) { return in.starts_with(bom); };
  using namespace std::string_view_literals;
  // A UTF-32LE BOM starts like a UTF-16LE one: only UTF-32 labels read it as UTF-32.
  auto utf32_label = [&] {
    if (declared == Kind::utf32) return true;
    if (declared != Kind::icu || r->cnv == nullptr) return false;
    UErrorCode e = U_ZERO_ERROR;
    const char* name = ucnv_getName(r->cnv, &e);
    return U_SUCCESS(e) && name != nullptr && std::string_view(name).starts_with("UTF-32");
  };
  if (starts("\xFF\xFE\x00\x00"sv) && utf32_label()) {
    forced = "utf-32le";
    in.remove_prefix(4);
  } else if (starts("\x00\x00\xFE\xFF"sv) && utf32_label()) {
    forced = "utf-32be";
    in.remove_prefix(4);
  } else if (starts("\xEF\xBB\xBF"sv)) {
    forced = "utf-8";
    in.remove_prefix(3);
  } else if (starts("\xFE\xFF"sv)) {
    forced = "utf-16be";
    in.remove_prefix(2);
  } else if (starts("\xFF\xFE"sv)) {
    forced = "utf-16le";
    in.remove_prefix(2);
  } else if (declared == Kind::utf16) {
    forced = guess_big_endian(in, 2) ? "utf-16be" : "utf-16le";
  } else if (declared == Kind::utf32) {
    forced = guess_big_endian(in, 4) ? "utf-32be" : "utf-32le";
  }
  Kind kind = declared;
  if (!forced.empty()) {
    r = &t_cache.get(forced);
    kind = r->kind;
  }

  switch (kind) {
    case Kind::unknown:
      decode_fallback(in, d, max_bytes);
      return d;
    case Kind::ascii:
      if (!is_ascii(in)) {
        d.defects.add(Defect::charset_mismatch);
        decode_fallback(in, d, max_bytes);
      } else {
        copy_utf8(in, d, max_bytes);
      }
      return d;
    case Kind::utf8:
      if (is_valid_utf8(in)) {
        copy_utf8(in, d, max_bytes);
      } else {
        d.defects.add(Defect::charset_mismatch);
        Utf8Out w(d.data, max_bytes, in.size());
        decode_utf8_lossy(in, w);
        if (w.limited()) d.limits.add(Limit::decoded_size);
      }
      return d;
    case Kind::windows1252:
    case Kind::user_defined: {
      if (is_ascii(in)) {
        copy_utf8(in, d, max_bytes);
        return d;
      }
      Utf8Out w(d.data, max_bytes, in.size());
      decode_single_byte(in, w, kind == Kind::user_defined);
      if (w.limited()) d.limits.add(Limit::decoded_size);
      return d;
    }
    case Kind::utf16:
    case Kind::utf32:  // resolved to an explicit byte order above; unreachable
    case Kind::icu:
      break;
  }
  if (r == nullptr || r->cnv == nullptr) {  // defensive: ICU data without UTF-16/32
    d.defects.add(Defect::charset_mismatch);
    decode_fallback(in, d, max_bytes);
    return d;
  }
  if (r->ascii_compatible && is_ascii(in)) {
    copy_utf8(in, d, max_bytes);
    return d;
  }
  Utf8Out w(d.data, max_bytes, in.size());
  const bool clean = decode_icu(*r, in, w);
  if (clean) {
    if (w.limited()) d.limits.add(Limit::decoded_size);
    return d;
  }
  d.defects.add(Defect::charset_mismatch);
  if (is_valid_utf8(in)) {
    // Mislabelled UTF-8 is the usual reason a declared charset does not fit.
    d.data.clear();
    copy_utf8(in, d, max_bytes);
  } else if (w.limited()) {
    d.limits.add(Limit::decoded_size);
  }
  return d;
}

}  // namespace ksmg::mime

// tnef.cpp — owns archive::unpack_tnef: the attachments (and the RTF/HTML body) of a TNEF stream
// (winmail.dat, application/vnd.ms-tnef), read by our own bounded parser.
//
// Why not libytnef (Debian libytnef0 2.0, the packaged TNEF library): evaluated on tests/data/tnef
// and clam.tnef, it printf()s "ERROR: ..." to stdout even with Debug = 0 (a library inside a mail
// server must not write to the server's stdout), rejects clam.tnef outright on a checksum
// mismatch (so the ClamAV test executable is never seen), drops christmas.tnef's 375 KB JPEG
// and MAPI_OBJECT.tnef's embedded object on fixed allocation caps, and has a long CVE history.
// TNEF is a flat list of length-prefixed attributes; reading it ourselves is a few hundred
// lines in which every length is checked against the bytes that are really there.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <exception>
#include <string>
#include <string_view>

#include "archive/cursor.hpp"
#include "archive/members.hpp"
#include "ksmg/archive.hpp"
#include "ksmg/mime.hpp"

namespace ksmg::archive {

namespace {

constexpr std::uint32_t kSignature = 0x223E9F78;
using detail::kMaxMemberNameBytes;

// Attribute ids (type << 16 | tag), MS-OXTNEF 2.1.3.1.
constexpr std::uint32_t kAttAttachData = 0x0006800F;
constexpr std::uint32_t kAttAttachTitle = 0x00018010;
constexpr std::uint32_t kAttAttachRenddata = 0x00069002;
constexpr std::uint32_t kAttMapiProps = 0x00069003;
constexpr std::uint32_t kAttAttachment = 0x00069005;
constexpr std::uint32_t kAttOemCodepage = 0x00069007;

constexpr std::uint8_t kLevelMessage = 1;
constexpr std::uint8_t kLevelAttachment = 2;

// MAPI property types and the tags read here.
constexpr std::uint16_t kPtString8 = 0x001E;
constexpr std::uint16_t kPtUnicode = 0x001F;
constexpr std::uint16_t kPtBinary = 0x0102;
constexpr std::uint16_t kPtObject = 0x000D;
constexpr std::uint16_t kMvFlag = 0x1000;

constexpr std::uint16_t kPrRtfCompressed = 0x1009;
constexpr std::uint16_t kPrBodyHtml = 0x1013;
constexpr std::uint16_t kPrDisplayName = 0x3001;
constexpr std::uint16_t kPrAttachDataObj = 0x3701;
constexpr std::uint16_t kPrAttachFilename = 0x3704;
constexpr std::uint16_t kPrAttachLongFilename = 0x3707;

using detail::Cursor;

// MAPI values are padded to 4 bytes; the padding of the last value may be missing.
void skip_padding(Cursor& c, std::size_t n) noexcept {
  (void)c.skip(std::min(c.left(), (4 - n % 4) % 4));
}

// A string-ish property value as stored (8-bit in the stream's codepage, or UTF-16LE).
struct Text {
  std::string_view bytes;
  bool unicode = false;
  bool present = false;
};

struct Value {
  std::uint16_t type = 0;
  std::string_view bytes;
  bool present = false;
};

struct Pending {
  bool open = false;
  Text title;          // attAttachTitle (8.3 name for old clients, "Untitled Attachment", ...)
  Text long_filename;  // PR_ATTACH_LONG_FILENAME
  Text filename;       // PR_ATTACH_FILENAME
  Text display_name;   // PR_DISPLAY_NAME
  std::string_view att_data;
  bool has_att_data = false;
  Value data_obj;  // PR_ATTACH_DATA_OBJ: PT_BINARY file bytes, or PT_OBJECT (IID + storage)
};

struct Bodies {
  Value rtf_compressed;
  Value html;
};

// Size of a fixed-size MAPI type as stored in TNEF (before padding to 4), 0 when unknown.
std::size_t fixed_size(std::uint16_t base) noexcept {
  switch (base) {
    case 0x0000:  // PT_UNSPECIFIED
    case 0x0001:  // PT_NULL
    case 0x0003:  // PT_LONG
    case 0x0004:  // PT_FLOAT
    case 0x000A:  // PT_ERROR
      return 4;
    case 0x0002:  // PT_SHORT
    case 0x000B:  // PT_BOOLEAN
      return 2;
    case 0x0005:  // PT_DOUBLE
    case 0x0006:  // PT_CURRENCY
    case 0x0007:  // PT_APPTIME
    case 0x0014:  // PT_I8
    case 0x0040:  // PT_SYSTIME
      return 8;
    case 0x0048:  // PT_CLSID
      return 16;
    default:
      return 0;
  }
}

bool is_variable(std::uint16_t base) noexcept {
  return base == kPtString8 || base == kPtUnicode || base == kPtBinary || base == kPtObject;
}

// Walks a MAPI property list (attMAPIProps / attAttachment), calling on(tag, type, first value)
// for each property with a standard (non-named) tag. Every iteration consumes at least four
// bytes, so hostile counts end at the end of the buffer. False when the list is malformed.
template <class On>
bool walk_mapi(std::string_view block, On&& on) {
  Cursor c(block);
  std::uint32_t count = 0;
  if (!c.u32(count)) return false;
  for (std::uint32_t i = 0; i < count; ++i) {
    std::uint16_t type = 0, tag = 0;
    if (!c.u16(type) || !c.u16(tag)) return false;
    if (tag >= 0x8000) {  // named property: GUID, kind, then an id or a UTF-16 name
      std::uint32_t kind = 0, v = 0;
      if (!c.skip(16) || !c.u32(kind) || !c.u32(v)) return false;
      if (kind == 1) {
        if (!c.skip(v)) return false;
        skip_padding(c, v);
      }
    }
    const auto base = static_cast<std::uint16_t>(type & ~kMvFlag);
    const bool variable = is_variable(base);
    const std::size_t fixed = variable ? 0 : fixed_size(base);
    if (!variable && fixed == 0) return false;  // unknown type: its size is unknown too
    std::uint32_t values = 1;
    // Variable-size values carry a count even when single-valued (MS-OXTNEF 2.1.3.4.1).
    if (((type & kMvFlag) != 0 || variable) && !c.u32(values)) return false;
    for (std::uint32_t k = 0; k < values; ++k) {
      std::string_view v;
      if (variable) {
        std::uint32_t len = 0;
        if (!c.u32(len) || !c.take(len, v)) return false;
        skip_padding(c, len);
      } else {
        if (!c.take(fixed, v)) return false;
        skip_padding(c, fixed);
      }
      if (k == 0 && tag < 0x8000) on(tag, base, v);
    }
  }
  return true;
}

void set_text(Text& t, std::uint16_t type, std::string_view v) {
  if (type != kPtString8 && type != kPtUnicode) return;
  t = Text{v, type == kPtUnicode, true};
}

// Cuts a stored string at its terminator (a NUL byte, or a NUL UTF-16 unit).
std::string_view until_nul(std::string_view s, bool unicode) noexcept {
  if (!unicode) return s.substr(0, std::min(s.find('\0'), s.size()));
  for (std::size_t i = 0; i + 1 < s.size(); i += 2)
    if (s[i] == '\0' && s[i + 1] == '\0') return s.substr(0, i);
  return s.substr(0, s.size() & ~std::size_t{1});
}

std::string decode_name(const Text& t, std::uint32_t codepage) {
  const std::string_view raw = until_nul(t.bytes, t.unicode);
  if (raw.empty()) return {};
  std::string charset = "utf-16le";
  if (!t.unicode) charset = codepage == 65001 ? "utf-8" : "cp" + std::to_string(codepage);
  // Decoding a few KiB is enough for a 1 KiB name; the cap keeps a hostile name cheap.
  return mime::to_utf8(charset, raw.substr(0, 4 * kMaxMemberNameBytes), kMaxMemberNameBytes).data;
}

// A member named `name` with the given bytes (declared size: their length), within the budget.
bool add_member(Contents& out, Budget& budget, std::string name, std::string_view bytes) {
  Member m;
  m.name = std::move(name);
  m.declared_size = bytes.size();
  return detail::add_member(out, budget, std::move(m), bytes);
}

// Compressed RTF (MS-OXRTFCP): LZ77 over a 4 KiB ring primed with a fixed RTF prefix. Writes at
// most `cap` bytes (and no more than the header's raw size). Each 2-byte reference yields at
// most 17 bytes, so the work is linear in the input. The CRC is not checked: a wrong one still
// leaves RTF worth scanning.
bool decompress_rtf(std::string_view in, std::size_t cap, std::string& out) {
  static constexpr std::string_view kPrebuf =
      "{\\rtf1\\ansi\\mac\\deff0\\deftab720{\\fonttbl;}{\\f0\\fnil \\froman \\fswiss \\fmodern "
      "\\fscript \\fdecor MS Sans SerifSymbolArialTimes New RomanCourier{\\colortbl\\red0"
      "\\green0\\blue0\r\n\\par \\pard\\plain\\f0\\fs20\\b\\i\\u\\tab\\tx";
  Cursor c(in);
  std::uint32_t comp_size = 0, raw_size = 0, magic = 0, crc = 0;
  if (!c.u32(comp_size) || !c.u32(raw_size) || !c.u32(magic) || !c.u32(crc)) return false;
  const std::size_t limit = std::min<std::size_t>(cap, raw_size);
  std::string_view body = in.substr(c.pos());
  if (comp_size >= 12 && comp_size - 12 < body.size()) body = body.substr(0, comp_size - 12);
  if (magic == 0x414C454D) {  // "MELA": stored uncompressed
    out.assign(body.substr(0, limit));
    return true;
  }
  if (magic != 0x75465A4C) return false;  // "LZFu"
  unsigned char dict[4096];
  std::memcpy(dict, kPrebuf.data(), kPrebuf.size());
  std::size_t wpos = kPrebuf.size();
  std::size_t i = 0;
  while (i < body.size()) {
    const auto flags = static_cast<unsigned char>(body[i++]);
    for (int bit = 0; bit < 8; ++bit) {
      if (out.size() >= limit) return true;
      if (i >= body.size()) return true;  // the stream may end inside a control byte
      if ((flags & (1u << bit)) == 0) {
        const auto ch = static_cast<unsigned char>(body[i++]);
        out.push_back(static_cast<char>(ch));
        dict[wpos] = ch;
        wpos = (wpos + 1) % sizeof dict;
        continue;
      }
      if (i + 2 > body.size()) return false;
      const unsigned ref =
          (static_cast<unsigned char>(body[i]) << 8) | static_cast<unsigned char>(body[i + 1]);
      i += 2;
      std::size_t off = ref >> 4;
      const std::size_t len = (ref & 0xF) + 2;
      if (off == wpos) return true;  // the end marker
      for (std::size_t k = 0; k < len && out.size() < limit; ++k) {
        const unsigned char ch = dict[off];
        off = (off + 1) % sizeof dict;
        out.push_back(static_cast<char>(ch));
        dict[wpos] = ch;
        wpos = (wpos + 1) % sizeof dict;
      }
    }
  }
  return true;
}

class TnefReader {
 public:
  TnefReader(std::string_view data, Budget& budget) : data_(data), budget_(budget) {}

  Contents run() {
    out_.format = "tnef";
    Cursor c(data_);
    std::uint32_t sig = 0;
    std::uint16_t key = 0;
    if (!c.u32(sig) || sig != kSignature || !c.u16(key)) {
      out_.format.clear();  // not a TNEF stream at all
      return std::move(out_);
    }
    while (!stopped_ && c.left() > 0) {
      if (budget_.out_of_time()) {
        out_.limits.add(Limit::unpack_time);
        return std::move(out_);
      }
      std::uint8_t level = 0;
      std::uint32_t id = 0, len = 0;
      std::string_view value;
      std::uint16_t checksum = 0;
      // Writers leave a few stray bytes after the last attribute (garbage-at-end.tnef, clam.tnef);
      // fewer than an attribute header is trailing padding, not a broken stream.
      if (c.left() < 11) break;
      if (!c.u8(level) || !c.u32(id) || !c.u32(len) || !c.take(len, value) || !c.u16(checksum)) {
        fail("attribute runs past the end of the stream");
        break;
      }
      // Checksums are not verified: Outlook and other writers get them wrong (clam.tnef), and a
      // hostile sender can always make them right, so they tell a scanner nothing.
      if (level != kLevelMessage && level != kLevelAttachment) {
        fail("attribute with an unknown level");
        break;
      }
      attribute(level, id, value);
    }
    finish_attachment();
    emit_bodies();
    return std::move(out_);
  }

 private:
  void fail(const char* why) {
    if (!out_.corrupted) out_.error = why;
    out_.corrupted = true;
  }

  void attribute(std::uint8_t level, std::uint32_t id, std::string_view v) {
    if (id == kAttOemCodepage) {
      Cursor c(v);
      std::uint32_t cp = 0;
      if (c.u32(cp) && cp != 0) codepage_ = cp;
      return;
    }
    if (level == kLevelMessage) {
      if (id == kAttMapiProps) {
        const bool ok =
            walk_mapi(v, [&](std::uint16_t tag, std::uint16_t type, std::string_view x) {
              if (tag == kPrRtfCompressed && type == kPtBinary)
                bodies_.rtf_compressed = {type, x, true};
              if (tag == kPrBodyHtml && (type == kPtBinary || type == kPtString8))
                bodies_.html = {type, x, true};
            });
        if (!ok) fail("malformed message MAPI properties");
      }
      return;
    }
    if (id == kAttAttachRenddata) {  // starts the next attachment
      finish_attachment();
      pending_.open = true;
      return;
    }
    pending_.open = true;  // tolerate attachment attributes before any attAttachRenddata
    if (id == kAttAttachTitle) {
      pending_.title = Text{v, false, true};
    } else if (id == kAttAttachData) {
      pending_.att_data = v;
      pending_.has_att_data = true;
    } else if (id == kAttAttachment) {
      const bool ok = walk_mapi(v, [&](std::uint16_t tag, std::uint16_t type, std::string_view x) {
        switch (tag) {
          case kPrAttachLongFilename:
            set_text(pending_.long_filename, type, x);
            break;
          case kPrAttachFilename:
            set_text(pending_.filename, type, x);
            break;
          case kPrDisplayName:
            set_text(pending_.display_name, type, x);
            break;
          case kPrAttachDataObj:
            if (type == kPtBinary || type == kPtObject) pending_.data_obj = {type, x, true};
            break;
          default:
            break;
        }
      });
      if (!ok) fail("malformed attachment MAPI properties");
    }
  }

  // Name order follows what Outlook shows and what the reference lists expect: the long file
  // name, then the legacy title (which is what attachments without a file name are called,
  // e.g. "Untitled Attachment"), then the short file name, then the display name.
  std::string attachment_name() const {
    for (const Text* t :
         {&pending_.long_filename, &pending_.title, &pending_.filename, &pending_.display_name}) {
      if (!t->present) continue;
      std::string n = decode_name(*t, codepage_);
      if (!n.empty()) return n;
    }
    return {};
  }

  void finish_attachment() {
    if (!pending_.open || stopped_) {
      pending_ = {};
      return;
    }
    // Every distinct copy of the bytes is a member: a sender controls both attAttachData and
    // PR_ATTACH_DATA_OBJ, and scanning only the one a client would show lets the other hide a
    // payload. An embedded message or OLE object is PR_ATTACH_DATA_OBJ as PT_OBJECT: a 16-byte
    // interface id, then the object (a TNEF stream for IMessage, a CFB storage for IStorage);
    // attAttachData then holds a "This attachment is a MAPI 1.0 embedded object" stub. The
    // tnef tool and MimeKit list both too (christmas.list).
    std::string_view copies[2];
    std::size_t n = 0;
    if (pending_.has_att_data) copies[n++] = pending_.att_data;
    if (pending_.data_obj.present) {
      std::string_view obj = pending_.data_obj.bytes;
      if (pending_.data_obj.type == kPtObject)
        obj = obj.substr(std::min<std::size_t>(16, obj.size()));
      if (n == 0 || obj != copies[0]) copies[n++] = obj;
    }
    // Attachments without bytes (by reference, links) have nothing to scan.
    if (n > 0) {
      const std::string name = attachment_name();
      for (std::size_t i = 0; i < n && !stopped_; ++i)
        if (!add_member(out_, budget_, name, copies[i])) stopped_ = true;
    }
    pending_ = {};
  }

  void emit_bodies() {
    if (stopped_) return;
    if (bodies_.rtf_compressed.present) {
      const std::size_t used = budget_.bytes_used();
      const std::size_t left = budget_.limits().max_unpacked_bytes > used
                                   ? budget_.limits().max_unpacked_bytes - used
                                   : 0;
      // One byte over the smaller cap lets add_member see and mark the cut.
      const std::size_t cap = std::min(budget_.limits().max_member_bytes, left) + 1;
      std::string rtf;
      if (!decompress_rtf(bodies_.rtf_compressed.bytes, cap, rtf)) {
        fail("malformed compressed RTF body");
      }
      if (!rtf.empty() && !add_member(out_, budget_, "body.rtf", rtf)) return;
    }
    if (bodies_.html.present) {
      const std::string_view html = until_nul(bodies_.html.bytes, false);
      if (!html.empty()) (void)add_member(out_, budget_, "body.html", html);
    }
  }

  std::string_view data_;
  Budget& budget_;
  Contents out_;
  Pending pending_;
  Bodies bodies_;
  std::uint32_t codepage_ = 1252;
  bool stopped_ = false;
};

}  // namespace

Contents unpack_tnef(std::string_view data, Budget& budget) {
  try {
    return TnefReader(data, budget).run();
  } catch (const std::exception& e) {  // allocation failure: report, never throw
    Contents c;
    c.format = "tnef";
    c.corrupted = true;
    c.error = e.what();
    return c;
  }
}

}  // namespace ksmg::archive

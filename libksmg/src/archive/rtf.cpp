// rtf.cpp — owns archive::unpack_rtf: the objects embedded in an RTF document (\objdata hex),
// unwrapped from their OLE1 ObjectHeader and, for "Package" objects, from the OLE Package.
//
// One linear pass: the document is searched for the \objdata control word (whether or not an
// \object group surrounds it: exploit documents drop or mangle the rest), its group is
// hex-decoded the way Word reads it, and the search goes on after the group. Not an RTF parser.
//
// Decisions:
// - A Package object becomes a member named after its label (the file name) holding the file.
// - Any other class (Word.Document.8, Equation.3, ...) becomes a member with the NativeData,
//   usually a CFB storage that filetype recognises, named "": the class name is not a file
//   name, and a made-up "Equation.3.bin" would look like an extension mismatch.
// - objdata that is not an OLE1 ObjectHeader (or a linked object, which has no native data) is
//   returned whole, named "", without marking anything corrupted: it is still worth scanning,
//   and exploit documents deliberately bend the header.
// - A NativeData or Package size beyond the bytes present keeps the bytes present and marks the
//   member corrupted; an \objdata group the document never closes marks the container corrupted.
#include <algorithm>
#include <cstdint>
#include <exception>
#include <string>
#include <string_view>

#include "archive/cursor.hpp"
#include "archive/members.hpp"
#include "core/ascii.hpp"
#include "ksmg/archive.hpp"
#include "ksmg/mime.hpp"

namespace ksmg::archive {

namespace {

using detail::kMaxMemberNameBytes;
constexpr std::uint32_t kFormatEmbedded = 2;
constexpr std::uint16_t kPackageSignature = 0x0002;
// Document bytes scanned between two reads of the CPU clock.
constexpr std::size_t kTimeCheckBytes = 64u << 10;

using core::is_alpha;

using detail::Cursor;

// OLE1 strings: u32 length (terminating NUL included), then the bytes.
bool lstring(Cursor& c, std::string_view& out) noexcept {
  std::uint32_t n = 0;
  Cursor probe = c;
  if (!probe.u32(n) || !probe.take(n, out)) return false;
  c = probe;
  out = out.substr(0, std::min(out.find('\0'), out.size()));
  return true;
}

// What one objdata turned into.
struct Object {
  std::string name;
  std::string_view data;
  std::uint64_t declared = 0;
  bool corrupted = false;
};

// OLE1 ObjectHeader (MS-OLEDS 2.2.4) and, for Package, the OLE Package (label, paths, file).
Object parse_object(std::string_view raw) {
  Object whole{{}, raw, 0, false};
  Cursor c(raw);
  std::uint32_t version = 0, format = 0, native_size = 0;
  std::string_view class_name, topic, item;
  if (!c.u32(version) || !c.u32(format) || format != kFormatEmbedded || !lstring(c, class_name) ||
      !lstring(c, topic) || !lstring(c, item) || !c.u32(native_size))
    return whole;
  Object obj;
  obj.declared = native_size;
  obj.data = c.take_some(native_size);
  obj.corrupted = obj.data.size() < native_size;
  if (class_name != "Package") return obj;

  Cursor p(obj.data);
  std::uint16_t sig = 0, reserved = 0, kind = 0;
  std::uint32_t temp_len = 0, file_size = 0;
  std::string_view label, org_path, temp_path;
  if (!p.u16(sig) || sig != kPackageSignature || !p.cstring(label) || !p.cstring(org_path) ||
      !p.u16(reserved) || !p.u16(kind) || !p.u32(temp_len) || !p.take(temp_len, temp_path) ||
      !p.u32(file_size))
    return obj;  // a Package without the file layout: its native data is still scanned
  Object file;
  file.declared = file_size;
  file.data = p.take_some(file_size);
  file.corrupted = obj.corrupted || file.data.size() < file_size;
  std::string_view name = label;
  if (name.empty()) {  // fall back to the last component of the original path
    name = org_path;
    const std::size_t slash = name.find_last_of("\\/");
    if (slash != std::string_view::npos) name.remove_prefix(slash + 1);
  }
  // Package strings are in the ANSI codepage of the writer, most often windows-1252.
  file.name =
      mime::to_utf8("windows-1252", name.substr(0, kMaxMemberNameBytes), kMaxMemberNameBytes).data;
  return file;
}

class RtfReader {
 public:
  RtfReader(std::string_view doc, Budget& budget) : doc_(doc), budget_(budget) {}

  Contents run() {
    // Word accepts any document starting "{\rt" (exploits use "{\rtx" and the like).
    if (!doc_.starts_with("{\\rt")) return std::move(out_);
    out_.format = "rtf";
    std::size_t pos = 0;
    while (!stopped_) {
      const std::size_t at = doc_.find("\\objdata", pos);
      if (at == std::string_view::npos) break;
      pos = at + 8;
      if (pos < doc_.size() && is_alpha(doc_[pos])) continue;  // \objdatax: another word
      std::string hex_bytes;
      bool cut = false;
      const bool closed = decode_group(pos, hex_bytes, cut);
      if (stopped_) break;
      if (!closed) {
        out_.corrupted = true;
        out_.error = "\\objdata group is not closed";
      }
      if (!hex_bytes.empty()) emit(hex_bytes, cut);
      if (!closed) break;
    }
    return std::move(out_);
  }

 private:
  // Hex-decodes from just after \objdata to the '}' closing its group; pos ends after it. Skips
  // whitespace, control words (with their parameter and delimiting space), control symbols and
  // nested groups, which are other destinations. \binN inserts N raw bytes. An odd trailing
  // nibble is dropped. False when the document ends first.
  bool decode_group(std::size_t& pos, std::string& out, bool& cut) {
    const std::size_t cap = budget_.limits().max_member_bytes;
    int nested = 0;
    int high = -1;
    std::size_t next_check = pos + kTimeCheckBytes;
    // The delimiter of \objdata itself and its numeric parameter: "\objdata 0105..." has none,
    // and what follows the space is data already (issue_251.rtf starts "\objdata 11").
    if (pos < doc_.size() && doc_[pos] == ' ') ++pos;
    while (pos < doc_.size()) {
      if (pos >= next_check) {
        next_check = pos + kTimeCheckBytes;
        if (budget_.out_of_time()) {
          out_.limits.add(Limit::unpack_time);
          stopped_ = true;
          return true;
        }
      }
      const char ch = doc_[pos];
      if (ch == '{') {
        ++nested;
        ++pos;
        continue;
      }
      if (ch == '}') {
        ++pos;
        if (nested == 0) return true;
        --nested;
        continue;
      }
      if (ch == '\\') {
        const std::size_t word = pos + 1;
        std::size_t e = word;
        while (e < doc_.size() && is_alpha(doc_[e]) && e - word < 32) ++e;
        if (e == word) {  // control symbol: \'hh carries two more characters
          pos = word + 1;
          if (word < doc_.size() && doc_[word] == '\'') pos = std::min(doc_.size(), pos + 2);
          continue;
        }
        const std::string_view name = doc_.substr(word, e - word);
        const std::size_t num_start = e;
        if (e < doc_.size() && doc_[e] == '-') ++e;
        std::uint64_t param = 0;
        while (e < doc_.size() && core::is_digit(doc_[e]) && e - num_start < 11) {
          param = param * 10 + static_cast<unsigned>(doc_[e] - '0');
          ++e;
        }
        if (e < doc_.size() && doc_[e] == ' ') ++e;
        pos = e;
        if (name == "bin") {  // raw bytes, skipped in nested groups too: they may hold braces
          const std::size_t n = std::min<std::uint64_t>(param, doc_.size() - pos);
          if (nested == 0) {
            append(out, doc_.substr(pos, n), cap, cut);
            high = -1;
          }
          pos += n;
        }
        continue;
      }
      ++pos;
      if (nested != 0) continue;
      const int v = core::hex_value(ch);
      if (v < 0) continue;  // whitespace and stray characters
      if (high < 0) {
        high = v;
      } else {
        const char byte = static_cast<char>((high << 4) | v);
        append(out, std::string_view(&byte, 1), cap, cut);
        high = -1;
      }
    }
    return false;
  }

  static void append(std::string& out, std::string_view bytes, std::size_t cap, bool& cut) {
    const std::size_t room = out.size() < cap ? cap - out.size() : 0;
    if (bytes.size() > room) cut = true;
    out.append(bytes.substr(0, room));
  }

  void emit(const std::string& raw, bool cut) {
    const Object obj = parse_object(raw);
    Member m;
    m.name = obj.name;
    m.declared_size = obj.declared;
    m.corrupted = obj.corrupted && !cut;  // a cut of ours is a limit, not damage
    if (cut) m.limits.add(Limit::member_size);
    if (!detail::add_member(out_, budget_, std::move(m), obj.data)) stopped_ = true;
  }

  std::string_view doc_;
  Budget& budget_;
  Contents out_;
  bool stopped_ = false;
};

}  // namespace

Contents unpack_rtf(std::string_view data, Budget& budget) {
  try {
    return RtfReader(data, budget).run();
  } catch (const std::exception& e) {  // allocation failure: report, never throw
    Contents c;
    c.format = "rtf";
    c.corrupted = true;
    c.error = e.what();
    return c;
  }
}

}  // namespace ksmg::archive

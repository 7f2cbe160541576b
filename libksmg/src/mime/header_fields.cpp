// header_fields.cpp — Content-Type / Content-Disposition / Content-Transfer-Encoding parsing.
//
// Tolerant the way mail clients are (unquoted values with spaces, missing ';', RFC 2047
// inside quoted filenames), strict about bounds: a parameter list is read in one pass and
// at most max_params parameters are kept, so 80,000 parameters cost one linear scan.
// Where a parameter repeats, the first one wins and the repeat is a defect: a scanner and
// a mail client that pick different boundaries or filenames is how content gets hidden.
#include "mime/header_fields.hpp"

#include <algorithm>
#include <cstdint>
#include <vector>

#include "core/ascii.hpp"

namespace ksmg::mime::detail {
namespace {

// RFC 2045 tspecials plus whitespace and controls end a token.
constexpr bool is_token_char(char c) noexcept {
  const auto u = static_cast<unsigned char>(c);
  if (u <= 0x20 || u == 0x7f) return false;
  switch (c) {
    case '(':
    case ')':
    case '<':
    case '>':
    case '@':
    case ',':
    case ';':
    case ':':
    case '\\':
    case '"':
    case '/':
    case '[':
    case ']':
    case '?':
    case '=':
      return false;
    default:
      return true;
  }
}

class Cursor {
 public:
  explicit Cursor(std::string_view s) : s_(s) {}
  [[nodiscard]] bool done() const noexcept { return i_ >= s_.size(); }
  [[nodiscard]] char peek() const noexcept { return s_[i_]; }
  void advance() noexcept { ++i_; }

  // Skips whitespace and (possibly nested) comments.
  void skip_cfws() noexcept {
    while (i_ < s_.size()) {
      if (core::is_lwsp(s_[i_])) {
        ++i_;
      } else if (s_[i_] == '(') {
        int depth = 0;
        for (; i_ < s_.size(); ++i_) {
          const char c = s_[i_];
          if (c == '\\' && i_ + 1 < s_.size()) {
            ++i_;
          } else if (c == '(') {
            ++depth;
          } else if (c == ')' && --depth == 0) {
            ++i_;
            break;
          }
        }
      } else {
        break;
      }
    }
  }

  std::string_view token() noexcept {
    const std::size_t b = i_;
    while (i_ < s_.size() && is_token_char(s_[i_])) ++i_;
    return s_.substr(b, i_ - b);
  }

  // Reads a quoted string after its opening quote; false when it is unterminated.
  bool quoted(std::string& out) {
    for (; i_ < s_.size(); ++i_) {
      const char c = s_[i_];
      if (c == '"') {
        ++i_;
        return true;
      }
      if (c == '\\' && i_ + 1 < s_.size()) ++i_;
      out.push_back(s_[i_]);
    }
    return false;
  }

  // An unquoted value: up to ';', trailing whitespace trimmed (clients accept spaces).
  std::string_view bare_value() noexcept {
    const std::size_t b = i_;
    while (i_ < s_.size() && s_[i_] != ';') ++i_;
    return core::trim(s_.substr(b, i_ - b));
  }

 private:
  std::string_view s_;
  std::size_t i_ = 0;
};

// One parameter as written, before RFC 2231 sections are joined.
struct RawParam {
  std::string name;      // lower case, without the "*N*" suffix
  std::int64_t section;  // -1 when not sectioned
  bool extended;         // value is charset'lang'%XX encoded
  std::string value;
  std::size_t order;
};

bool parse_section_suffix(std::string_view name, RawParam& p) {
  p.section = -1;
  p.extended = false;
  if (name.empty()) return false;
  if (name.back() == '*') {
    p.extended = true;
    name.remove_suffix(1);
  }
  const std::size_t star = name.rfind('*');
  if (star != std::string_view::npos) {
    const std::string_view digits = name.substr(star + 1);
    if (digits.empty() || digits.size() > 9) return false;
    std::int64_t n = 0;
    for (char c : digits) {
      if (!core::is_digit(c)) return false;
      n = n * 10 + (c - '0');
    }
    p.section = n;
    name = name.substr(0, star);
  }
  if (name.empty()) return false;
  p.name = core::to_lower(name);
  return true;
}

// Joins RFC 2231 sections and decodes values; keeps the first of duplicate names.
void assemble(std::vector<RawParam>& raw, ContentType& out, DefectSet& defects) {
  std::stable_sort(raw.begin(), raw.end(), [](const RawParam& a, const RawParam& b) {
    if (a.name != b.name) return a.name < b.name;
    return a.section < b.section;
  });
  struct Joined {
    std::size_t order;
    Parameter param;
  };
  std::vector<Joined> joined;
  for (std::size_t i = 0; i < raw.size();) {
    std::size_t j = i;
    while (j < raw.size() && raw[j].name == raw[i].name) ++j;
    // [i, j): one name. Plain (section -1) entries sort first; RFC 2231 forms win over them.
    std::size_t first_sectioned = i;
    while (first_sectioned < j && raw[first_sectioned].section < 0 &&
           !raw[first_sectioned].extended)
      ++first_sectioned;
    std::string value;
    std::size_t order = raw[i].order;
    // A plain form beside the RFC 2231 one: clients differ on which counts (objects/tree.cpp
    // reads the structure both ways).
    if (first_sectioned != i && first_sectioned != j) defects.add(Defect::duplicate_parameter);
    if (first_sectioned == j) {
      if (j - i > 1) defects.add(Defect::duplicate_parameter);
      // The first one written wins, not the first after sorting.
      const RawParam* first = &raw[i];
      for (std::size_t k = i; k < j; ++k)
        if (raw[k].order < first->order) first = &raw[k];
      value = decode_header_words(first->value, &defects);
      order = first->order;
    } else {
      std::string bytes;
      std::string charset;
      std::int64_t expected = 0;
      bool first_section = true;
      for (std::size_t k = first_sectioned; k < j; ++k) {
        const RawParam& p = raw[k];
        if (p.section < 0) {  // name*=charset'lang'value, unsectioned extended
          if (!first_section) {
            defects.add(Defect::duplicate_parameter);
            continue;
          }
        } else if (p.section != expected) {
          defects.add(p.section < expected ? Defect::duplicate_parameter
                                           : Defect::invalid_parameter);
          if (p.section < expected) continue;
        }
        std::string_view v = p.value;
        if (p.extended && first_section) {
          const std::size_t q1 = v.find('\'');
          const std::size_t q2 = q1 == std::string_view::npos ? q1 : v.find('\'', q1 + 1);
          if (q2 != std::string_view::npos) {
            charset = std::string(v.substr(0, q1));
            v = v.substr(q2 + 1);
          } else {
            defects.add(Defect::invalid_parameter);
          }
        }
        if (p.extended) {
          if (!core::percent_decode(v, bytes)) defects.add(Defect::invalid_parameter);
        } else {
          bytes.append(v);
        }
        first_section = false;
        expected = p.section + 1;
      }
      if (charset.empty()) {
        value = decode_header_words(bytes, &defects);
      } else {
        Decoded d = to_utf8(charset, bytes);
        defects.add(d.defects);
        value = std::move(d.data);
      }
    }
    joined.push_back({order, Parameter{raw[i].name, std::move(value)}});
    i = j;
  }
  std::sort(joined.begin(), joined.end(),
            [](const Joined& a, const Joined& b) { return a.order < b.order; });
  out.params.reserve(joined.size());
  for (Joined& j : joined) out.params.push_back(std::move(j.param));
}

// The parameters every reader of the structure needs: structure-critical information survives
// every cap (kMaxStructureParamsPastCap).
bool is_structure_param(std::string_view lower_name) noexcept {
  return lower_name == "boundary" || lower_name == "charset" || lower_name == "name" ||
         lower_name == "filename";
}

// The parameters as written, up to the cap (and the structure's own past it).
std::vector<RawParam> read_raw_params(Cursor& c, std::size_t max_params, FieldStatus& st) {
  std::vector<RawParam> raw;
  std::size_t order = 0;
  std::size_t kept_past_cap = 0;
  while (true) {
    c.skip_cfws();
    if (c.done()) break;
    if (c.peek() == ';') {
      c.advance();
      continue;
    }
    const std::string_view name = c.token();
    if (name.empty()) {
      // Junk where a parameter should start: skip to the next ';'.
      st.defects.add(Defect::invalid_parameter);
      while (!c.done() && c.peek() != ';') c.advance();
      continue;
    }
    c.skip_cfws();
    if (c.done() || c.peek() != '=') {
      st.defects.add(Defect::invalid_parameter);
      while (!c.done() && c.peek() != ';') c.advance();
      continue;
    }
    c.advance();
    c.skip_cfws();
    RawParam p;
    if (!c.done() && c.peek() == '"') {
      c.advance();
      if (!c.quoted(p.value)) st.defects.add(Defect::invalid_parameter);
    } else {
      p.value = std::string(c.bare_value());
    }
    if (!parse_section_suffix(name, p)) {
      st.defects.add(Defect::invalid_parameter);
      continue;
    }
    if (raw.size() >= max_params) {
      // Past the cap the list is still read to its end, and the parameters that decide the
      // structure and the name of the part are still kept: 300 decoys before "boundary=" must
      // not turn a multipart into one opaque leaf.
      st.limits.add(Limit::content_params);
      if (!is_structure_param(p.name) || kept_past_cap == kMaxStructureParamsPastCap) continue;
      ++kept_past_cap;
    }
    p.order = order++;
    raw.push_back(std::move(p));
  }
  return raw;
}

FieldStatus parse_params(Cursor& c, ContentType& out, std::size_t max_params) {
  FieldStatus st;
  std::vector<RawParam> raw = read_raw_params(c, max_params, st);
  assemble(raw, out, st.defects);
  return st;
}

// "type/subtype": false when either token is missing.
bool read_type(Cursor& c, std::string_view& type, std::string_view& subtype) {
  c.skip_cfws();
  type = c.token();
  c.skip_cfws();
  if (!type.empty() && !c.done() && c.peek() == '/') {
    c.advance();
    c.skip_cfws();
    subtype = c.token();
  }
  return !type.empty() && !subtype.empty();
}

}  // namespace

bool is_structure_field(std::string_view name) noexcept {
  return core::iequals(name, "content-type") || core::iequals(name, "content-transfer-encoding") ||
         core::iequals(name, "content-disposition");
}

std::string unfold(std::string_view raw_value) {
  raw_value = core::trim(raw_value);
  std::string out;
  out.reserve(raw_value.size());
  for (char c : raw_value)
    if (c != '\r' && c != '\n') out.push_back(c);
  return out;
}

FieldStatus parse_content_type(std::string_view unfolded, ContentType& out,
                               std::size_t max_params) {
  Cursor c(unfolded);
  std::string_view type;
  std::string_view subtype;
  const bool ok = read_type(c, type, subtype);
  FieldStatus st = parse_params(c, out, max_params);
  if (ok) {
    out.type = core::to_lower(type);
    out.subtype = core::to_lower(subtype);
  } else {
    // RFC 2045 5.2: a syntactically invalid type means text/plain; the caller decides.
    st.defects.add(Defect::invalid_content_type);
    out.type.clear();
    out.subtype.clear();
  }
  return st;
}

FieldStatus parse_content_disposition(std::string_view unfolded, ContentType& out,
                                      std::size_t max_params) {
  Cursor c(unfolded);
  c.skip_cfws();
  out.type = core::to_lower(c.token());
  out.subtype.clear();
  return parse_params(c, out, max_params);
}

std::vector<std::string> parameter_readings(std::string_view unfolded, std::string_view lower_name,
                                            std::size_t max_params) {
  Cursor c(unfolded);
  std::string_view type;
  std::string_view subtype;
  (void)read_type(c, type, subtype);
  FieldStatus st;
  std::vector<RawParam> raw = read_raw_params(c, max_params, st);
  std::vector<std::string> out;
  auto add = [&out](std::string v) {
    if (std::find(out.begin(), out.end(), v) == out.end()) out.push_back(std::move(v));
  };
  for (const RawParam& p : raw)
    if (p.name == lower_name && p.section < 0 && !p.extended)
      add(decode_header_words(p.value, &st.defects));
  ContentType joined;
  assemble(raw, joined, st.defects);
  if (const auto v = joined.param(lower_name)) add(std::string(*v));
  return out;
}

bool is_plain_token(std::string_view raw_value) noexcept {
  while (!raw_value.empty() && core::is_wsp(raw_value.front())) raw_value.remove_prefix(1);
  return !raw_value.empty() && std::all_of(raw_value.begin(), raw_value.end(), is_token_char);
}

TransferEncoding parse_transfer_encoding(std::string_view unfolded) noexcept {
  std::string_view v = core::trim(unfolded);
  // Comments after the token happen ("base64 (encoded by ...)").
  const std::size_t end = v.find_first_of(" \t(;");
  if (end != std::string_view::npos) v = v.substr(0, end);
  if (core::iequals(v, "7bit")) return TransferEncoding::seven_bit;
  if (core::iequals(v, "8bit")) return TransferEncoding::eight_bit;
  if (core::iequals(v, "binary")) return TransferEncoding::binary;
  if (core::iequals(v, "base64")) return TransferEncoding::base64;
  if (core::iequals(v, "quoted-printable")) return TransferEncoding::quoted_printable;
  if (core::iequals(v, "x-uuencode") || core::iequals(v, "uuencode") || core::iequals(v, "x-uue") ||
      core::iequals(v, "uue"))
    return TransferEncoding::uuencode;
  return TransferEncoding::unknown;
}

}  // namespace ksmg::mime::detail

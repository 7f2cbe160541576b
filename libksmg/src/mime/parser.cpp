// parser.cpp — the MIME structure parser: one forward pass over the raw bytes.
//
// Why it is shaped this way:
// - No recursion: nesting is an explicit stack of open multiparts, capped by
//   ScanLimits::max_mime_depth, so 100,000 nested multiparts cost one pass, not a stack.
// - Every line is looked at once. A line can end a body only if it starts with "--" and
//   matches, exactly (trailing whitespace allowed, RFC 2046 5.1.1), the boundary of an open
//   multipart; a boundary string in the middle of a line never splits anything.
// - Whatever crosses a limit is marked and skipped forward, never re-scanned.
// - Views only: header fields and bodies point into the input buffer.
#include <algorithm>
#include <cstring>

#include "core/ascii.hpp"
#include "ksmg/mime.hpp"
#include "mime/header_fields.hpp"

namespace ksmg::mime {

using core::iequals;
using core::is_wsp;

class Parser {
 public:
  Parser(Message& m, const ScanLimits& limits)
      : m_(m), lim_(limits), bare_cr_ends_lines_(m.line_ends_ == LineEnds::lf_or_bare_cr) {}

  void run() {
    std::string_view raw = m_.raw_;
    if (raw.size() > lim_.max_message_bytes) {
      raw = raw.substr(0, lim_.max_message_bytes);
      m_.limits_.add(Limit::message_size);
    }
    data_ = raw.data();
    end_ = raw.size();
    std::size_t pos = 0;
    if (raw.starts_with("\xEF\xBB\xBF")) {  // a UTF-8 BOM some exporters write; GMime skips it
      m_.defects_.add(Defect::byte_order_mark);
      pos = 3;
    }
    if (raw.substr(pos).starts_with("From ")) {
      const Line first = line_at(pos);
      m_.mbox_from_ = raw.substr(pos, first.content_end - pos);
      m_.defects_.add(Defect::mbox_from_line);
      pos = first.next;
    }
    begin_.reserve(16);
    end_of_.reserve(16);
    parse(pos);
    finish_extents();
  }

 private:
  struct Line {
    std::size_t begin;        // first byte
    std::size_t content_end;  // before CR LF / LF
    std::size_t next;         // first byte of the next line
  };

  // An open multipart.
  struct Frame {
    std::string_view boundary;
    std::uint32_t part;
    std::uint32_t children = 0;
  };

  // Where a boundary line was found, and whose.
  struct Hit {
    Line line;
    std::size_t frame;  // index into frames_
    bool close;
  };

  Line line_at(std::size_t pos) const noexcept {
    if (bare_cr_ends_lines_) return line_at_any_break(pos);
    const void* nl = std::memchr(data_ + pos, '\n', end_ - pos);
    if (nl == nullptr) return {pos, end_, end_};
    const std::size_t lf = static_cast<std::size_t>(static_cast<const char*>(nl) - data_);
    const std::size_t ce = (lf > pos && data_[lf - 1] == '\r') ? lf - 1 : lf;
    return {pos, ce, lf + 1};
  }

  // The line at pos when a bare CR also ends one (LineEnds::lf_or_bare_cr).
  Line line_at_any_break(std::size_t pos) const noexcept {
    for (std::size_t i = pos; i < end_; ++i) {
      if (data_[i] == '\n') return {pos, i, i + 1};
      if (data_[i] == '\r') return {pos, i, i + 1 < end_ && data_[i + 1] == '\n' ? i + 2 : i + 1};
    }
    return {pos, end_, end_};
  }

  std::string_view text(std::size_t b, std::size_t e) const noexcept {
    return std::string_view(data_ + b, e - b);
  }

  // Does this line close or open one of the open multiparts? Innermost first, so a
  // child boundary that extends its parent's ("abc" / "abc-1") is matched correctly.
  bool match_boundary(const Line& l, Hit& hit) const noexcept {
    const std::size_t len = l.content_end - l.begin;
    if (len < 2 || data_[l.begin] != '-' || data_[l.begin + 1] != '-') return false;
    const std::string_view s = text(l.begin + 2, l.content_end);
    for (std::size_t k = frames_.size(); k-- > 0;) {
      const std::string_view b = frames_[k].boundary;
      if (!s.starts_with(b)) continue;
      std::string_view rest = s.substr(b.size());
      bool close = false;
      if (rest.starts_with("--")) {
        close = true;
        rest.remove_prefix(2);
      }
      if (std::all_of(rest.begin(), rest.end(), is_wsp)) {
        hit = {l, k, close};
        return true;
      }
    }
    return false;
  }

  // Scans lines from pos for a boundary of any open multipart.
  bool find_boundary(std::size_t pos, Hit& hit) const noexcept {
    if (frames_.empty()) return false;
    while (pos < end_) {
      // Only lines starting with "--" can be boundaries: jump from line start to line start.
      if (end_ - pos >= 2 && data_[pos] == '-' && data_[pos + 1] == '-') {
        const Line l = line_at(pos);
        if (match_boundary(l, hit)) return true;
        pos = l.next;
        continue;
      }
      if (bare_cr_ends_lines_) {
        pos = line_at_any_break(pos).next;
        continue;
      }
      const void* nl = std::memchr(data_ + pos, '\n', end_ - pos);
      if (nl == nullptr) return false;
      pos = static_cast<std::size_t>(static_cast<const char*>(nl) - data_) + 1;
    }
    return false;
  }

  // The line break before a boundary line belongs to the boundary (RFC 2046 5.1.1).
  std::size_t body_end_before(std::size_t line_begin, std::size_t body_begin) const noexcept {
    std::size_t e = line_begin;
    if (e > body_begin && data_[e - 1] == '\n') {
      --e;
      if (e > body_begin && data_[e - 1] == '\r') --e;
    } else if (bare_cr_ends_lines_ && e > body_begin && data_[e - 1] == '\r') {
      --e;
    }
    return e;
  }

  std::uint32_t new_part(std::uint32_t parent, std::uint32_t depth) {
    const auto index = static_cast<std::uint32_t>(m_.parts_.size());
    Part& p = m_.parts_.emplace_back();
    p.index = index;
    p.parent = parent;
    p.depth = depth;
    if (parent == kNoPart) {
      p.path = "0";
    } else {
      Part& par = m_.parts_[parent];
      par.children.push_back(index);
      const std::string n = std::to_string(par.children.size());
      p.path = parent == 0 ? n : par.path + '.' + n;
    }
    begin_.push_back(0);
    end_of_.push_back(0);
    return index;
  }

  // Reads the header block at pos into part (or only skips it when part is kNoPart).
  // Returns where the body starts; stops early at a boundary line of an open multipart.
  std::size_t parse_headers(std::size_t pos, std::uint32_t part) {
    DefectSet defects;
    LimitSet limits;
    const auto first_header = static_cast<std::uint32_t>(m_.headers_.size());
    std::uint32_t count = 0;
    std::uint32_t structure_past_cap = 0;  // structure fields kept past the field cap
    bool open_field = false;               // the last stored field may take continuation lines
    std::size_t field_begin = 0;
    std::size_t body = end_;
    bool first_line = true;
    std::size_t block_end = pos;
    while (pos < end_) {
      const Line l = line_at(pos);
      if (l.content_end == l.begin) {  // blank line: headers end
        body = l.next;
        break;
      }
      Hit hit;
      if (!frames_.empty() && match_boundary(l, hit)) {
        defects.add(Defect::boundary_in_headers);
        body = l.begin;
        break;
      }
      const char c0 = data_[l.begin];
      if (is_wsp(c0)) {
        if (first_line) defects.add(Defect::first_line_is_continuation);
        if (open_field) extend_field(field_begin, l, limits);
      } else {
        const std::string_view s = text(l.begin, l.content_end);
        std::string_view name;
        std::size_t value_begin = 0;
        if (!split_field(l, name, value_begin) && !split_folded_name(l, name, value_begin)) {
          // GMime and MimeKit step over a stray line between fields; a line that could be
          // a delimiter, or a first line that is no field, starts the body (as in Python).
          if (first_line || s.starts_with("--") || !next_is_field_or_fold(l.next)) {
            defects.add(Defect::missing_header_body_separator);
            body = l.begin;
            break;
          }
          defects.add(Defect::invalid_header_field);
          open_field = false;
        } else if (part == kNoPart) {
          open_field = false;
        } else if (!over_field_cap(count, name, structure_past_cap, limits)) {
          field_begin = l.begin;
          const std::size_t value_end = std::max(value_begin, l.content_end);
          m_.headers_.push_back({name, text(value_begin, value_end)});
          ++count;
          open_field = true;
          if (value_end - l.begin > lim_.max_header_line_bytes) {
            limits.add(Limit::header_line_length);
            if (!detail::is_structure_field(name)) {
              m_.headers_.back().raw_value =
                  text(value_begin, std::max(value_begin, l.begin + lim_.max_header_line_bytes));
              open_field = false;
            }
          }
        } else {
          open_field = false;
        }
      }
      scan_header_bytes(l, defects);
      first_line = false;
      block_end = l.content_end;
      pos = l.next;
    }
    if (part != kNoPart) {
      Part& p = m_.parts_[part];
      p.first_header = first_header;
      p.header_count = count;
      p.header_block = text(begin_[part], std::max(begin_[part], block_end));
      p.defects.add(defects);
      p.limits.add(limits);
    }
    return body;
  }

  // Is a field past the caps on fields (per entity, per message)? A structure field still
  // passes, up to kMaxStructureFieldsPastCap of them per entity; the cap is flagged either way.
  bool over_field_cap(std::uint32_t count, std::string_view name, std::uint32_t& structure_past_cap,
                      LimitSet& limits) const noexcept {
    if (count < lim_.max_header_fields && m_.headers_.size() < lim_.max_total_header_fields)
      return false;
    limits.add(Limit::header_fields);
    if (!detail::is_structure_field(name) ||
        structure_past_cap == detail::kMaxStructureFieldsPastCap)
      return true;
    ++structure_past_cap;
    return false;
  }

  // A continuation line: the stored field's value grows to cover it, within the line limit
  // unless it is a structure field (flagged, never cut).
  void extend_field(std::size_t field_begin, const Line& l, LimitSet& limits) {
    HeaderField& f = m_.headers_.back();
    const char* value_begin = f.raw_value.data();
    if (l.content_end - field_begin > lim_.max_header_line_bytes) {
      limits.add(Limit::header_line_length);
      if (detail::is_structure_field(f.name)) {
        f.raw_value = std::string_view(value_begin, data_ + l.content_end - value_begin);
        return;
      }
      f.raw_value = std::string_view(
          value_begin, data_ + field_begin + lim_.max_header_line_bytes - value_begin);
      return;
    }
    f.raw_value = std::string_view(value_begin, data_ + l.content_end - value_begin);
  }

  // "Name: value", also "Name : value" (RFC 5322 4.5.3 obsolete syntax).
  bool split_field(const Line& l, std::string_view& name, std::size_t& value_begin) const noexcept {
    const std::string_view s = text(l.begin, l.content_end);
    const std::size_t colon = s.find(':');
    if (colon == std::string_view::npos) return false;
    name = s.substr(0, colon);
    while (!name.empty() && is_wsp(name.back())) name.remove_suffix(1);
    value_begin = l.begin + colon + 1;
    return !name.empty() && valid_name(name);
  }

  // "Name" CRLF " : value": folding between the name and the colon unfolds to a field.
  bool split_folded_name(const Line& l, std::string_view& name,
                         std::size_t& value_begin) const noexcept {
    std::string_view s = text(l.begin, l.content_end);
    while (!s.empty() && is_wsp(s.back())) s.remove_suffix(1);
    if (s.empty() || !valid_name(s) || l.next >= end_ || !is_wsp(data_[l.next])) return false;
    const Line next = line_at(l.next);
    std::size_t i = next.begin;
    while (i < next.content_end && is_wsp(data_[i])) ++i;
    if (i >= next.content_end || data_[i] != ':') return false;
    name = s;
    value_begin = i + 1;  // the next line is read as this field's continuation
    return true;
  }

  bool next_is_field_or_fold(std::size_t pos) const noexcept {
    if (pos >= end_) return false;
    if (is_wsp(data_[pos])) return true;
    const Line l = line_at(pos);
    std::string_view name;
    std::size_t value_begin = 0;
    return split_field(l, name, value_begin);
  }

  static bool valid_name(std::string_view name) noexcept {
    for (char c : name) {
      const auto u = static_cast<unsigned char>(c);
      if (u <= 32 || u >= 127) return false;
    }
    return true;
  }

  void scan_header_bytes(const Line& l, DefectSet& defects) const noexcept {
    for (std::size_t i = l.begin; i < l.content_end; ++i) {
      const auto u = static_cast<unsigned char>(data_[i]);
      if (u >= 0x80) {
        defects.add(Defect::non_ascii_header);
      } else if (u == 0) {
        defects.add(Defect::nul_byte);
      } else if (u == '\r') {
        defects.add(Defect::bare_cr);
      }
    }
  }

  // Reads Content-Type, -Disposition and -Transfer-Encoding of a part whose headers are
  // parsed; digest_child selects the multipart/digest default (message/rfc822).
  void classify(Part& p, std::size_t body, bool digest_child) {
    const HeaderField* type_field = nullptr;
    std::size_t type_fields = 0;
    for (const HeaderField& f : m_.headers(p)) {
      if (iequals(f.name, "content-type")) {
        if (type_fields++ == 0) type_field = &f;
      } else if (iequals(f.name, "content-disposition") && p.disposition.empty()) {
        ContentType d;
        const auto st = detail::parse_content_disposition(detail::unfold(f.raw_value), d,
                                                          lim_.max_content_params);
        p.defects.add(st.defects);
        p.limits.add(st.limits);
        p.disposition = d.type.empty() ? std::string("unknown") : d.type;
        if (auto fn = d.param("filename")) p.filename = std::string(*fn);
      } else if (iequals(f.name, "content-transfer-encoding")) {
        // The first field counts; another that says something else, or one with more than
        // its token, is read otherwise by some client (objects/tree.cpp scans each reading).
        const std::string_view raw = core::trim(f.raw_value);
        const TransferEncoding e = detail::parse_transfer_encoding(raw);
        if (p.transfer_encoding == TransferEncoding::none) {
          p.transfer_encoding_raw = raw;
          p.transfer_encoding = e;
          if (e == TransferEncoding::unknown) p.defects.add(Defect::unknown_transfer_encoding);
        } else if (e != p.transfer_encoding) {
          p.defects.add(Defect::ambiguous_transfer_encoding);
        }
        if (!detail::is_plain_token(f.raw_value))
          p.defects.add(Defect::ambiguous_transfer_encoding);
      }
    }
    if (type_field != nullptr) {
      read_content_type(p, *type_field);
      if (type_fields > 1) {
        p.defects.add(Defect::duplicate_content_type);
        prefer_type_whose_boundary_opens(p, body);
      }
    }
    if (!p.content_type_explicit) {
      // RFC 2045 5.2 / RFC 2046 5.1.5; a broken field's parameters (charset) are kept.
      p.content_type.type = digest_child ? "message" : "text";
      p.content_type.subtype = digest_child ? "rfc822" : "plain";
    }
    if (auto cs = p.content_type.param("charset")) p.charset = core::to_lower(core::trim(*cs));
    if (p.filename.empty())
      if (auto n = p.content_type.param("name")) p.filename = std::string(*n);
  }

  void read_content_type(Part& p, const HeaderField& f) {
    p.content_type = {};
    const auto st = detail::parse_content_type(detail::unfold(f.raw_value), p.content_type,
                                               lim_.max_content_params);
    p.defects.add(st.defects);
    p.limits.add(st.limits);
    p.content_type_explicit = !p.content_type.type.empty();
  }

  // Mail clients disagree on which of two Content-Type fields counts (Python: the first,
  // GMime: the last). The first one stays unless it is a multipart whose delimiter does not
  // open the body while another field's does: then the structure that is really there wins,
  // so an attachment cannot hide behind a decoy field.
  void prefer_type_whose_boundary_opens(Part& p, std::size_t body) {
    if (delimiter_near(body, p.content_type.param("boundary"))) return;
    for (const HeaderField& f : m_.headers(p)) {
      if (!iequals(f.name, "content-type")) continue;
      ContentType other;
      detail::parse_content_type(detail::unfold(f.raw_value), other, lim_.max_content_params);
      if (other.type == "multipart" && delimiter_near(body, other.param("boundary"))) {
        read_content_type(p, f);
        return;
      }
    }
  }

  // Does "--boundary" start a line within the first kDelimiterProbe bytes of the body?
  // Bounded so that many parts with duplicate fields cannot make parsing quadratic.
  bool delimiter_near(std::size_t body, std::optional<std::string_view> boundary) const {
    static constexpr std::size_t kDelimiterProbe = 8192;
    if (!boundary || boundary->empty()) return false;
    const std::string_view window =
        text(body, std::min(end_, body + kDelimiterProbe + boundary->size() + 2));
    for (std::size_t at = window.find(*boundary); at != std::string_view::npos;
         at = window.find(*boundary, at + 1)) {
      if (at >= 2 && window[at - 1] == '-' && window[at - 2] == '-' &&
          (at == 2 || window[at - 3] == '\n'))
        return true;
    }
    return false;
  }

  static bool is_identity(TransferEncoding e) noexcept {
    return e == TransferEncoding::none || e == TransferEncoding::seven_bit ||
           e == TransferEncoding::eight_bit || e == TransferEncoding::binary;
  }

  // Parses the entity at pos and everything after it: headers, then what its type makes
  // of the body, then the entities that follow, until the end of input.
  void parse(std::size_t pos) {
    std::uint32_t parent = kNoPart;
    std::uint32_t depth = 0;
    bool digest_child = false;
    while (true) {
      // --- One entity begins at pos. ---
      std::uint32_t part = kNoPart;
      if (m_.parts_.size() < lim_.max_parts) {
        part = new_part(parent, depth);
        begin_[part] = pos;
      } else {
        m_.limits_.add(Limit::part_count);
        if (parent != kNoPart) m_.parts_[parent].limits.add(Limit::part_count);
      }
      const std::size_t body = parse_headers(pos, part);
      PartKind kind = PartKind::leaf;
      std::string_view boundary;
      if (part != kNoPart) {
        Part& p = m_.parts_[part];
        classify(p, body, digest_child);
        const std::string& type = p.content_type.type;
        const bool container =
            type == "multipart" || (type == "message" && (p.content_type.subtype == "rfc822" ||
                                                          p.content_type.subtype == "global"));
        if (container) {
          if (depth + 1 > lim_.max_mime_depth) {
            p.limits.add(Limit::mime_depth);
            m_.limits_.add(Limit::mime_depth);
          } else if (type == "multipart") {
            const auto b = p.content_type.param("boundary");
            if (!b) {
              p.defects.add(Defect::multipart_without_boundary);
            } else {
              // Blanks that end a boundary are also allowed after it on a delimiter line, so
              // without them both "--b" and "--b " delimit, as they do for Python and GMime.
              // An empty boundary delimits with "--" lines, as it does for every client.
              kind = PartKind::multipart;
              boundary = *b;
              while (!boundary.empty() && is_wsp(boundary.back())) boundary.remove_suffix(1);
              if (!is_identity(p.transfer_encoding))
                p.defects.add(Defect::transfer_encoding_on_container);
            }
          } else if (is_identity(p.transfer_encoding)) {
            kind = PartKind::message;
          } else {
            // An encoded embedded message cannot be parsed in place; the object tree
            // decodes it and parses it as mail of its own.
            p.defects.add(Defect::transfer_encoding_on_container);
          }
        }
        p.kind = kind;
      }
      begin_body(part, body);

      if (kind == PartKind::message) {
        parent = part;
        depth += 1;
        digest_child = false;
        pos = body;
        continue;
      }
      if (kind == PartKind::multipart) {
        frames_.push_back({boundary, part});
      }
      // Scan forward: a leaf's body, or a multipart's preamble.
      Hit hit;
      bool have_hit = false;  // an epilogue scan already found the next boundary
      std::size_t from = body;
      std::uint32_t current_leaf = kind == PartKind::leaf ? part : kNoPart;
      while (true) {
        if (!have_hit && !find_boundary(from, hit)) {
          if (current_leaf != kNoPart) end_of_[current_leaf] = end_;
          close_frames_above(0, end_, true);
          return;
        }
        have_hit = false;
        const std::size_t cut = body_end_before(hit.line.begin, from);
        if (current_leaf != kNoPart)
          end_of_[current_leaf] = std::max(cut, begin_body_of(current_leaf));
        current_leaf = kNoPart;
        close_frames_above(hit.frame + 1, hit.line.begin, false);
        Frame& f = frames_[hit.frame];
        Part& mp = m_.parts_[f.part];
        if (f.children == 0 && mp.preamble.data() == nullptr) {
          mp.preamble = text(begin_body_of(f.part), std::max(begin_body_of(f.part), cut));
        }
        if (!hit.close) {
          // Next child of frame f.
          ++f.children;
          parent = f.part;
          depth = mp.depth + 1;
          digest_child = mp.content_type.subtype == "digest";
          pos = hit.line.next;
          break;
        }
        // Close delimiter: the epilogue runs to the next boundary of an outer multipart.
        const std::uint32_t closed = f.part;
        const bool empty = f.children == 0;
        frames_.pop_back();
        if (empty) {
          // "--b--" with no "--b" before it: the body is all preamble; scan it as a leaf.
          mp.defects.add(Defect::start_boundary_not_found);
          demote_to_leaf(closed, hit.line.begin);
        }
        Hit outer;
        const std::size_t epi_begin = hit.line.next;
        std::size_t epi_end = end_;
        const bool found = find_boundary(epi_begin, outer);
        if (found) epi_end = body_end_before(outer.line.begin, epi_begin);
        // With no epilogue, the line break after "--b--" belongs to the next delimiter.
        const std::size_t closed_end =
            epi_end > epi_begin ? epi_end : std::min(hit.line.content_end, epi_end);
        if (!empty) m_.parts_[closed].epilogue = text(std::min(epi_begin, epi_end), epi_end);
        end_of_[closed] = std::max(end_of_[closed], closed_end);
        if (!found) {
          close_frames_above(0, end_, true);
          return;
        }
        // The outer boundary is handled as if it had ended a leaf.
        hit = outer;
        have_hit = true;
        from = epi_begin;
      }
    }
  }

  std::size_t begin_body_of(std::uint32_t part) const noexcept {
    const Part& p = m_.parts_[part];
    return static_cast<std::size_t>(p.body.data() - data_);
  }

  void begin_body(std::uint32_t part, std::size_t body) {
    if (part == kNoPart) return;
    m_.parts_[part].body = text(body, body);
    end_of_[part] = body;
  }

  // Multiparts still open above `keep` end here without their close delimiter.
  void close_frames_above(std::size_t keep, std::size_t at, bool at_eof) {
    while (frames_.size() > keep) {
      const Frame f = frames_.back();
      frames_.pop_back();
      Part& p = m_.parts_[f.part];
      p.defects.add(Defect::close_boundary_not_found);
      const std::size_t e = at_eof ? at : body_end_before(at, begin_body_of(f.part));
      end_of_[f.part] = std::max(end_of_[f.part], e);
      if (f.children == 0) {
        p.defects.add(Defect::start_boundary_not_found);
        demote_to_leaf(f.part, at);
      }
    }
  }

  // A multipart whose boundary never showed up is read as one leaf, so that nothing in
  // it escapes scanning (Python keeps it as a payload string too).
  void demote_to_leaf(std::uint32_t part, std::size_t at) {
    Part& p = m_.parts_[part];
    p.kind = PartKind::leaf;
    p.preamble = {};
    end_of_[part] = std::max(end_of_[part], body_end_before(at, begin_body_of(part)));
  }

  // Containers end where their last descendant ends; bodies become final views.
  void finish_extents() {
    for (std::size_t i = m_.parts_.size(); i-- > 1;) {
      const std::uint32_t par = m_.parts_[i].parent;
      end_of_[par] = std::max(end_of_[par], end_of_[i]);
    }
    for (Part& p : m_.parts_) {
      const std::size_t b = begin_body_of(p.index);
      p.body = text(b, std::max(b, end_of_[p.index]));
    }
  }

  Message& m_;
  const ScanLimits& lim_;
  const bool bare_cr_ends_lines_;
  const char* data_ = nullptr;
  std::size_t end_ = 0;
  std::vector<Frame> frames_;
  std::vector<std::size_t> begin_;   // per part: first header byte
  std::vector<std::size_t> end_of_;  // per part: end of body
};

Message Message::parse(std::string_view raw, const ScanLimits& limits, LineEnds line_ends) {
  Message m;
  m.raw_ = raw;
  m.scan_limits_ = limits;
  m.line_ends_ = line_ends;
  Parser(m, limits).run();
  return m;
}

Message Message::parse_owned(std::string raw, const ScanLimits& limits, LineEnds line_ends) {
  auto owned = std::make_shared<const std::string>(std::move(raw));
  Message m = parse(*owned, limits, line_ends);
  m.owned_ = std::move(owned);
  return m;
}

}  // namespace ksmg::mime

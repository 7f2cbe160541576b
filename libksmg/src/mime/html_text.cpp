// html_text.cpp — owns ksmg::mime::html_to_text: the visible text of an HTML body for the
// content filter, anti-spam and anti-phishing modules.
//
// One forward pass over the bytes with a small tokenizer modelled on the HTML Standard's
// (tags with quoted attributes, comments, raw-text elements, character references), without a
// DOM or any stack: hostile HTML (unterminated comments, a million '<', deep nesting) stays
// linear. Text of script, style, template, iframe, noembed and noframes is not visible and is
// dropped; title and noscript text is kept (spam filters want both). Not handled yet: text hidden
// by CSS (display:none, zero font size, white on white) and alt text of images.
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "core/ascii.hpp"
#include "core/utf8.hpp"
#include "ksmg/mime.hpp"
#include "mime/html_references.hpp"

namespace ksmg::mime {
namespace {

// What a tag does to the text around it.
enum class TagKind : std::uint8_t {
  inline_,      // no effect (a, b, span, font, ...)
  block,        // line break before and after
  paragraph,    // blank line before and after
  line_break,   // <br>: one more line break each time
  cell,         // td, th: a space between cells
  skip_raw,     // script, style, iframe, noembed, noframes: raw text, not shown
  keep_raw,     // xmp: raw text, shown as is
  keep_rcdata,  // title, textarea: text with character references but no tags
  template_,    // contents are inert, not rendered; may nest
  plaintext,    // the rest of the document is text
};

struct TagInfo {
  std::string_view name;
  TagKind kind;
};

constexpr auto kTags = [] {
  auto a = std::to_array<TagInfo>({
      {"address", TagKind::block},
      {"article", TagKind::block},
      {"aside", TagKind::block},
      {"blockquote", TagKind::block},
      {"body", TagKind::block},
      {"br", TagKind::line_break},
      {"caption", TagKind::block},
      {"center", TagKind::block},
      {"dd", TagKind::block},
      {"details", TagKind::block},
      {"dialog", TagKind::block},
      {"dir", TagKind::block},
      {"div", TagKind::block},
      {"dl", TagKind::block},
      {"dt", TagKind::block},
      {"fieldset", TagKind::block},
      {"figcaption", TagKind::block},
      {"figure", TagKind::block},
      {"footer", TagKind::block},
      {"form", TagKind::block},
      {"frameset", TagKind::block},
      {"h1", TagKind::paragraph},
      {"h2", TagKind::paragraph},
      {"h3", TagKind::paragraph},
      {"h4", TagKind::paragraph},
      {"h5", TagKind::paragraph},
      {"h6", TagKind::paragraph},
      {"header", TagKind::block},
      {"hgroup", TagKind::block},
      {"hr", TagKind::block},
      {"html", TagKind::block},
      {"iframe", TagKind::skip_raw},
      {"legend", TagKind::block},
      {"li", TagKind::block},
      {"listing", TagKind::block},
      {"main", TagKind::block},
      {"menu", TagKind::block},
      {"nav", TagKind::block},
      {"noembed", TagKind::skip_raw},
      {"noframes", TagKind::skip_raw},
      {"ol", TagKind::block},
      {"option", TagKind::block},
      {"p", TagKind::paragraph},
      {"plaintext", TagKind::plaintext},
      {"pre", TagKind::block},
      {"script", TagKind::skip_raw},
      {"section", TagKind::block},
      {"select", TagKind::block},
      {"style", TagKind::skip_raw},
      {"summary", TagKind::block},
      {"table", TagKind::block},
      {"tbody", TagKind::block},
      {"td", TagKind::cell},
      {"template", TagKind::template_},
      {"textarea", TagKind::keep_rcdata},
      {"tfoot", TagKind::block},
      {"th", TagKind::cell},
      {"thead", TagKind::block},
      {"title", TagKind::keep_rcdata},
      {"tr", TagKind::block},
      {"ul", TagKind::block},
      {"xmp", TagKind::keep_raw},
  });
  std::sort(a.begin(), a.end(), [](const TagInfo& x, const TagInfo& y) { return x.name < y.name; });
  return a;
}();

TagKind tag_kind(std::string_view lower_name) noexcept {
  const auto* it =
      std::lower_bound(kTags.begin(), kTags.end(), lower_name,
                       [](const TagInfo& t, std::string_view n) { return t.name < n; });
  return it != kTags.end() && it->name == lower_name ? it->kind : TagKind::inline_;
}

// Byte classes of the text loop.
enum : std::uint8_t { kText = 0, kLt, kAmp, kSpace, kOdd };

constexpr auto kClass = [] {
  std::array<std::uint8_t, 256> t{};
  t['<'] = kLt;
  t['&'] = kAmp;
  for (unsigned char c : {' ', '\t', '\n', '\r', '\f'}) t[c] = kSpace;
  t[0] = kOdd;     // NUL: dropped, as the HTML tree builder does
  t[0xC2] = kOdd;  // may start U+00A0, which counts as a blank here
  return t;
}();

using core::is_alpha;
constexpr bool is_html_space(char c) noexcept {
  return kClass[static_cast<unsigned char>(c)] == kSpace;
}

// Collapses blanks and turns block boundaries into line breaks; the byte cap is Utf8Out's.
class TextOut {
 public:
  TextOut(std::string& s, std::size_t cap) : out_(s, cap) {}

  void space() noexcept { pending_space_ |= !hidden_; }
  void line_break(int n, bool additive) noexcept {
    if (hidden_) return;
    pending_nl_ = additive ? std::min(pending_nl_ + n, 2) : std::max(pending_nl_, n);
  }
  void set_hidden(bool h) noexcept { hidden_ = h; }
  [[nodiscard]] bool limited() const noexcept { return out_.limited(); }

  // Appends non-blank text; false once the cap is reached.
  bool text(const char* p, std::size_t n) {
    if (hidden_ || n == 0) return !out_.limited();
    const std::string& s = out_.str();
    if (!s.empty()) {
      if (pending_nl_ > 0) {
        if (!out_.bytes("\n\n", static_cast<std::size_t>(pending_nl_))) return false;
      } else if (pending_space_ && s.back() != '\n') {
        if (!out_.bytes(" ", 1)) return false;
      }
    }
    pending_nl_ = 0;
    pending_space_ = false;
    return out_.utf8(std::string_view(p, n));
  }

 private:
  core::Utf8Out out_;
  int pending_nl_ = 0;
  bool pending_space_ = false;
  bool hidden_ = false;
};

class Converter {
 public:
  Converter(std::string_view html, TextOut& out) : s_(html), n_(html.size()), out_(out) {}

  void run() {
    std::size_t i = 0;
    while (i < n_ && !out_.limited()) {
      if (s_[i] == '<')
        i = tag(i);
      else
        i = text(i, n_, true);
    }
  }

 private:
  // Text from i up to the next '<' (or end); character references decoded when refs is set.
  std::size_t text(std::size_t i, std::size_t end, bool refs) {
    while (i < end) {
      const char c = s_[i];
      switch (kClass[static_cast<unsigned char>(c)]) {
        case kLt:
          if (tags_) return i;
          if (!out_.text("<", 1)) return end;
          ++i;
          break;
        case kAmp:
          if (refs) {
            i = reference(i);
          } else {
            if (!out_.text("&", 1)) return end;
            ++i;
          }
          break;
        case kSpace:
          out_.space();
          ++i;
          break;
        case kOdd:
          if (c == 0) {
            ++i;
          } else if (i + 1 < end && s_[i + 1] == '\xA0') {
            out_.space();
            i += 2;
          } else {
            if (!out_.text(&s_[i], 1)) return end;
            ++i;
          }
          break;
        default: {
          std::size_t j = i + 1;
          while (j < end && kClass[static_cast<unsigned char>(s_[j])] == kText) ++j;
          if (!out_.text(&s_[i], j - i)) return end;
          i = j;
        }
      }
      if (out_.limited()) return end;
    }
    return i;
  }

  void emit_value(std::string_view v) {
    // &nbsp;, &Tab;, &NewLine; are blanks for the reader.
    if (v == "\xC2\xA0" || (v.size() == 1 && is_html_space(v[0])))
      out_.space();
    else
      out_.text(v.data(), v.size());
  }

  // Character reference at s_[i] == '&'; returns where text continues.
  std::size_t reference(std::size_t i) {
    reference_.clear();
    const std::size_t next = detail::character_reference(s_, i, reference_);
    if (next == i) {  // no reference: the '&' is text
      out_.text("&", 1);
      return i + 1;
    }
    emit_value(reference_);
    return next;
  }

  std::size_t find_gt(std::size_t from) const noexcept {
    const std::size_t g = s_.find('>', from);
    return g == std::string_view::npos ? n_ : g + 1;
  }

  // "<!--" at i: the position after the comment (end of input when unterminated).
  std::size_t comment(std::size_t i) const noexcept {
    std::size_t j = i + 4;
    if (s_.compare(j, 1, ">") == 0) return j + 1;   // "<!-->"
    if (s_.compare(j, 2, "->") == 0) return j + 2;  // "<!--->"
    while (true) {
      const std::size_t k = s_.find("--", j);
      if (k == std::string_view::npos) return n_;
      std::size_t m = k + 2;
      while (m < n_ && s_[m] == '-') ++m;
      if (m < n_ && s_[m] == '>') return m + 1;
      if (s_.compare(m, 2, "!>") == 0) return m + 2;
      j = m;
    }
  }

  struct Tag {
    std::size_t end;  // after '>' (or end of input: the tag is then dropped)
    bool complete;
    std::array<char, 12> name{};
    std::size_t name_len = 0;  // 0 when longer than any name in kTags
    [[nodiscard]] std::string_view lower_name() const { return {name.data(), name_len}; }
  };

  // Tag name and attributes starting at the first letter of the name.
  Tag scan_tag(std::size_t j) const noexcept {
    Tag t{};
    const std::size_t name_begin = j;
    while (j < n_ && !is_html_space(s_[j]) && s_[j] != '/' && s_[j] != '>') ++j;
    if (j - name_begin <= t.name.size()) {
      t.name_len = j - name_begin;
      for (std::size_t k = 0; k < t.name_len; ++k) t.name[k] = core::to_lower(s_[name_begin + k]);
    }
    while (true) {
      while (j < n_ && (is_html_space(s_[j]) || s_[j] == '/')) ++j;
      if (j >= n_) break;
      if (s_[j] == '>') {
        t.end = j + 1;
        t.complete = true;
        return t;
      }
      ++j;  // first character of an attribute name, whatever it is ('=' included)
      while (j < n_ && !is_html_space(s_[j]) && s_[j] != '/' && s_[j] != '>' && s_[j] != '=') ++j;
      while (j < n_ && is_html_space(s_[j])) ++j;
      if (j >= n_ || s_[j] != '=') continue;
      ++j;
      while (j < n_ && is_html_space(s_[j])) ++j;
      if (j >= n_) break;
      if (s_[j] == '"' || s_[j] == '\'') {
        const std::size_t q = s_.find(s_[j], j + 1);
        if (q == std::string_view::npos) break;
        j = q + 1;
      } else {
        while (j < n_ && !is_html_space(s_[j]) && s_[j] != '>') ++j;
      }
    }
    t.end = n_;
    t.complete = false;
    return t;
  }

  // Start of the end tag "</name" (followed by a blank, '/', '>' or the end) from j, or n_.
  std::size_t find_end_tag(std::size_t j, std::string_view lower_name) const noexcept {
    while (true) {
      const std::size_t k = s_.find("</", j);
      if (k == std::string_view::npos) return n_;
      const std::size_t after = k + 2 + lower_name.size();
      if (core::istarts_with(s_.substr(k + 2), lower_name) &&
          (after >= n_ || is_html_space(s_[after]) || s_[after] == '/' || s_[after] == '>'))
        return k;
      j = k + 2;
    }
  }

  void block_effect(TagKind kind) {
    switch (kind) {
      case TagKind::block:
      case TagKind::keep_rcdata:
      case TagKind::keep_raw:
      case TagKind::plaintext:
        out_.line_break(1, false);
        break;
      case TagKind::paragraph:
        out_.line_break(2, false);
        break;
      case TagKind::line_break:
        out_.line_break(1, true);
        break;
      case TagKind::cell:
        out_.space();
        break;
      default:
        break;
    }
  }

  // '<' at i: returns the position after the markup (or after a literal '<').
  std::size_t tag(std::size_t i) {
    const char c1 = i + 1 < n_ ? s_[i + 1] : '\0';
    if (c1 == '!') {
      if (s_.compare(i, 4, "<!--") == 0) return comment(i);
      return find_gt(i + 2);  // doctype, CDATA, bogus comment
    }
    if (c1 == '?') return find_gt(i + 2);
    if (c1 == '/') {
      const char c2 = i + 2 < n_ ? s_[i + 2] : '\0';
      if (is_alpha(c2)) {
        const Tag t = scan_tag(i + 2);
        if (!t.complete) return n_;
        const TagKind kind = tag_kind(t.lower_name());
        if (kind == TagKind::template_) {
          if (template_depth_ > 0 && --template_depth_ == 0) out_.set_hidden(false);
        } else {
          block_effect(kind);
        }
        return t.end;
      }
      if (c2 == '>') return i + 3;
      if (i + 2 >= n_) {
        out_.text("</", 2);
        return n_;
      }
      return find_gt(i + 2);
    }
    if (!is_alpha(c1)) {
      out_.text("<", 1);
      return i + 1;
    }
    const Tag t = scan_tag(i + 1);
    if (!t.complete) return n_;
    const TagKind kind = tag_kind(t.lower_name());
    block_effect(kind);
    switch (kind) {
      case TagKind::template_:
        if (template_depth_++ == 0) out_.set_hidden(true);
        return t.end;
      case TagKind::skip_raw:
        return find_end_tag(t.end, t.lower_name());
      case TagKind::keep_raw:
      case TagKind::keep_rcdata: {
        const std::size_t stop = find_end_tag(t.end, t.lower_name());
        const bool saved = tags_;
        tags_ = false;
        text(t.end, stop, kind == TagKind::keep_rcdata);
        tags_ = saved;
        return stop;
      }
      case TagKind::plaintext:
        tags_ = false;
        text(t.end, n_, false);
        return n_;
      default:
        return t.end;
    }
  }

  std::string_view s_;
  std::size_t n_;
  TextOut& out_;
  std::string reference_;  // the value of the last character reference, reused
  bool tags_ = true;       // false inside raw text, where '<' is a character
  std::size_t template_depth_ = 0;
};

}  // namespace

Decoded html_to_text(std::string_view html, std::size_t max_bytes) {
  Decoded d;
  d.data.reserve(std::min(max_bytes, html.size() / 2 + 16));
  TextOut out(d.data, max_bytes);
  Converter(html, out).run();
  if (out.limited()) d.limits.add(Limit::decoded_size);
  // Input that was not valid UTF-8 passes through: repair it rather than hand it on.
  if (!mime::is_valid_utf8(d.data)) {
    Decoded fixed = to_utf8("utf-8", d.data, max_bytes);
    d.data = std::move(fixed.data);
    d.limits.add(fixed.limits);
  }
  return d;
}

}  // namespace ksmg::mime

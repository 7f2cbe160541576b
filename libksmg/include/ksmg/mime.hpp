// ksmg/mime.hpp — the parsed message: a tree of entities that are views into the raw bytes.
//
// Parsing is one linear pass with no recursion; bodies are decoded only when asked for.
// A parsed Message is immutable: any number of threads may read it and decode its parts.
// Hostile input never throws: irregularities become Defects, crossed limits become Limits.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ksmg/defects.hpp"
#include "ksmg/limits.hpp"

namespace ksmg::mime {

// One header field. Views point into Message::raw().
struct HeaderField {
  std::string_view name;       // as written, without the colon
  std::string_view raw_value;  // after the colon up to the end of the last folded line, CRLFs kept

  // The value with folding line breaks removed and surrounding whitespace trimmed.
  [[nodiscard]] std::string unfolded() const;
  // unfolded() with RFC 2047 encoded words decoded to UTF-8 and raw 8-bit text read as
  // UTF-8 (or windows-1252 when it is not valid UTF-8).
  [[nodiscard]] std::string decoded() const;
};

struct Parameter {
  std::string name;   // lower case
  std::string value;  // RFC 2231 continuations joined and decoded to UTF-8, RFC 2047 decoded
};

// Content-Type or Content-Disposition after parsing.
struct ContentType {
  std::string type;     // lower case, e.g. "text"; "disposition" fields use only type
  std::string subtype;  // lower case, e.g. "plain"
  std::vector<Parameter> params;

  [[nodiscard]] std::optional<std::string_view> param(std::string_view lower_name) const;
  [[nodiscard]] std::string mime_type() const { return type + '/' + subtype; }
};

enum class TransferEncoding : std::uint8_t {
  none,  // header absent
  seven_bit,
  eight_bit,
  binary,
  base64,
  quoted_printable,
  uuencode,  // x-uuencode, x-uue, uuencode, and bodies that carry "begin NNN name" lines
  unknown,   // anything else: the body is used as is
};
std::string_view to_string(TransferEncoding e) noexcept;

enum class PartKind : std::uint8_t { leaf, multipart, message };

inline constexpr std::uint32_t kNoPart = 0xffffffffu;

struct Part {
  std::uint32_t index = 0;         // position in Message::parts(), document order
  std::uint32_t parent = kNoPart;  // kNoPart for the root
  std::uint32_t depth = 0;         // root is 0
  PartKind kind = PartKind::leaf;
  std::string path;  // "0" for the root, then "1", "1.2", "1.2.1", ...

  std::uint32_t first_header = 0;  // range in Message::headers()
  std::uint32_t header_count = 0;

  std::string_view header_block;  // the raw header lines, without the blank separator line
  std::string_view body;          // encoded body (for containers: everything after headers)
  std::string_view preamble;      // multipart only
  std::string_view epilogue;      // multipart only

  ContentType content_type;  // defaulted per RFC 2045/2046 when absent or broken
  bool content_type_explicit = false;
  std::string charset;      // lower case; empty when none applies
  std::string disposition;  // "inline", "attachment", ... lower case; empty if absent
  std::string filename;     // Content-Disposition filename, else Content-Type name; UTF-8
  TransferEncoding transfer_encoding = TransferEncoding::none;
  std::string_view transfer_encoding_raw;

  std::vector<std::uint32_t> children;
  DefectSet defects;
  LimitSet limits;

  [[nodiscard]] bool is_leaf() const noexcept { return kind == PartKind::leaf; }
  [[nodiscard]] bool is_text() const noexcept { return content_type.type == "text"; }
};

// A mailbox from an address header.
struct Address {
  std::string display_name;  // decoded to UTF-8
  std::string address;       // local@domain as written (without angle brackets)
  std::string group;         // RFC 5322 group name it belongs to, if any
};

// Result of decoding: bytes plus what went wrong on the way.
struct Decoded {
  std::string data;
  DefectSet defects;
  LimitSet limits;
};

// Where lines end: at LF, after CR or not (RFC 5322 as GMime and MTAs read it), or also at a
// CR with no LF after it (Python's email). The object tree reads a message with bare CRs both
// ways, so that what either kind of client shows is scanned.
enum class LineEnds : std::uint8_t { lf, lf_or_bare_cr };

class Message {
 public:
  // Parses a buffer the caller keeps alive and unchanged for the life of the Message.
  [[nodiscard]] static Message parse(std::string_view raw, const ScanLimits& limits = {},
                                     LineEnds line_ends = LineEnds::lf);
  // Parses a buffer the Message takes ownership of.
  [[nodiscard]] static Message parse_owned(std::string raw, const ScanLimits& limits = {},
                                           LineEnds line_ends = LineEnds::lf);

  [[nodiscard]] std::string_view raw() const noexcept { return raw_; }
  [[nodiscard]] LineEnds line_ends() const noexcept { return line_ends_; }
  // The skipped mbox "From " line (without its line break), empty if there was none.
  [[nodiscard]] std::string_view mbox_from() const noexcept { return mbox_from_; }

  [[nodiscard]] const std::vector<Part>& parts() const noexcept { return parts_; }
  [[nodiscard]] const Part& root() const noexcept { return parts_.front(); }
  [[nodiscard]] std::span<const HeaderField> headers(const Part& p) const noexcept;
  [[nodiscard]] std::span<const HeaderField> headers() const noexcept { return headers(root()); }
  // First field of that name (ASCII case-insensitive) on the given part, or the root.
  [[nodiscard]] const HeaderField* header(std::string_view name) const noexcept;
  [[nodiscard]] const HeaderField* header(const Part& p, std::string_view name) const noexcept;
  // Every mailbox of every field of that name on the root (From, To, Cc, Reply-To, Sender, ...).
  [[nodiscard]] std::vector<Address> addresses(std::string_view header_name) const;

  // Message-level defects and limits plus those of every part.
  [[nodiscard]] DefectSet all_defects() const noexcept;
  [[nodiscard]] LimitSet all_limits() const noexcept;
  // Defects that belong to the message as a whole (mbox line, ...).
  [[nodiscard]] DefectSet defects() const noexcept { return defects_; }
  [[nodiscard]] LimitSet limits_exceeded() const noexcept { return limits_; }
  [[nodiscard]] const ScanLimits& scan_limits() const noexcept { return scan_limits_; }

  // Transfer-decoded body bytes of a part (containers decode to their raw body).
  [[nodiscard]] Decoded decode(const Part& p) const;
  // The body itself when its transfer encoding needs no decoding (none, 7bit, 8bit, binary or
  // unknown): a view into raw(), cut at max_decoded_bytes (then Limit::decoded_size is added to
  // `limits`). nullopt when the part must go through decode().
  [[nodiscard]] std::optional<std::string_view> body_as_is(const Part& p, LimitSet& limits) const;
  // Text of a text part in UTF-8: transfer-decoded, charset-converted; text/html also
  // converted to plain text when html_to_text is set. Non-text parts give empty data.
  [[nodiscard]] Decoded text(const Part& p, bool html_to_text = false) const;

 private:
  friend class Parser;
  Message() = default;

  std::shared_ptr<const std::string> owned_;
  std::string_view raw_;
  std::string_view mbox_from_;
  std::vector<Part> parts_;
  std::vector<HeaderField> headers_;
  DefectSet defects_;
  LimitSet limits_;
  ScanLimits scan_limits_;
  LineEnds line_ends_ = LineEnds::lf;
};

// Parses an address-list field value (RFC 5322, tolerant of common breakage).
// Appends to out; returns false and leaves what it could when the syntax is broken.
bool parse_address_list(std::string_view unfolded_value, std::vector<Address>& out);

// Decodes RFC 2047 encoded words of an unfolded header value to UTF-8.
[[nodiscard]] std::string decode_header_words(std::string_view value, DefectSet* defects = nullptr);

// Converts bytes in the named charset to UTF-8 with ICU; see Defect::unknown_charset and
// Defect::charset_mismatch for what happens with wrong declarations.
[[nodiscard]] Decoded to_utf8(std::string_view charset, std::string_view bytes,
                              std::size_t max_bytes = ScanLimits{}.max_decoded_bytes);

// Visible text of an HTML document (UTF-8 in, UTF-8 out): tags dropped, script/style
// skipped, character references decoded, block elements become line breaks.
[[nodiscard]] Decoded html_to_text(std::string_view html,
                                   std::size_t max_bytes = ScanLimits{}.max_decoded_bytes);

// Valid UTF-8 per RFC 3629 (no overlongs, no surrogates, nothing above U+10FFFF): the check
// the decoders run, for front-ends that take UTF-8 from the wire (SMTPUTF8 addresses).
[[nodiscard]] bool is_valid_utf8(std::string_view s) noexcept;

}  // namespace ksmg::mime

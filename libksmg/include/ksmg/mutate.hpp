// ksmg/mutate.hpp — what a verdict does to a message that is delivered (DESIGN.md "mutate"): one
// Plan of edits, made here once, that each front-end carries out its own way — the relay on the
// bytes it sends on (apply()), the milter as header and body changes it asks the MTA for.
//
//   const mutate::Plan plan = mutate::make_plan(raw, report.verdict, report.headers);
//   mutate::Rewrite r = mutate::apply(plan, raw);       // relay: r.fields_on_top, then r.message
//   for (const mutate::Edit& e : plan.edits) ...        // milter: SMFIR_CHGHEADER, ADDHEADER, ...
//
// The plan is made from the raw bytes with one walk over the header section, not from the
// scanner's parsed Message: the front-ends hold the bytes, not the Message (it lives and dies on
// a scanning thread); a refused message costs nothing; and the parser caps the fields it keeps
// (ScanLimits::max_header_fields), while every field a sender forged must go, however many come
// first. The walk takes the section to be every line up to the first blank one, a line starting
// with white space continuing the field before it, only LF ending a line: what the relay has
// always removed forged fields by, and, on the message the milter rebuilds from the fields its
// MTA sent, exactly those fields in the MTA's order (the indexes SMFIR_CHGHEADER names them by).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ksmg/verdict.hpp"

namespace ksmg::mutate {

// The Subject field body `value` (what follows the colon, folding kept) with `tag` in front:
// " Hello" → " [!!SPAM] Hello". The white space the value starts with stays in front. nullopt
// when there is nothing to do: an empty tag, or a subject that already starts with the tag (a
// message tagged by an earlier hop or a second scan is not tagged twice).
[[nodiscard]] std::optional<std::string> tag_subject(std::string_view value, std::string_view tag);

// The policy's warning (Extras::add_warning): the message becomes a multipart/mixed whose first
// part is the warning (text/plain, UTF-8) and whose second part is the original content, byte for
// byte, with the top-level Content-* fields it had (a message without a Content-Type gets
// RFC 2045's default, text/plain; charset=us-ascii). A reader sees the warning first and the
// original intact; a signature over the body no longer verifies, which is what a changed message
// should show.
struct WarningWrap {
  // The new top-level Content-Type value (without the field name and leading space), with a
  // boundary that occurs nowhere in the original.
  std::string content_type;
  std::string body;  // the new body: everything after the header section's blank line
};
[[nodiscard]] WarningWrap wrap_with_warning(std::string_view raw_message, std::string_view warning);

// The warning's text for a verdict: what could not be checked and why, in plain words.
[[nodiscard]] std::string warning_text(const verdict::Verdict& v);

// A byte range [begin, end) of the message a plan was made from.
struct Span {
  std::size_t begin = 0;
  std::size_t end = 0;
};

// Why an edit is in the plan. A front-end that cannot make every edit of a change that only
// makes sense whole (the warning: half a MIME structure is worse than none) makes none of it.
enum class Cause : std::uint8_t {
  forged_field,   // a field named like ours (verdict::is_verdict_field) that the sender wrote
  subject_tag,    // Extras::subject_tag
  verdict_field,  // our X-KSMG-* fields (ScanReport::headers)
  warning,        // Extras::add_warning (wrap_with_warning)
};

// Where an added field goes.
enum class Place : std::uint8_t {
  // In front of the message's own fields, where the trace fields of the hop that scanned it go
  // (RFC 5321 4.4): the relay writes them right under its Received field. A milter asks the MTA
  // to add them (SMFIR_ADDHEADER), which puts them where it adds fields.
  top,
  end,  // at the end of the header section, before the blank line
};

// One change to the message; which members count depends on its kind. A new kind of change (a
// disclaimer, an attachment removed) is one more Kind: apply() and the milter's switch over Kind
// say how each front-end makes it, and the compiler names every switch that misses it.
struct Edit {
  enum class Kind : std::uint8_t {
    remove_field,  // name, index, bytes: the field's lines with their line breaks
    change_field,  // name, index, bytes: the old value; text: the new one
    add_field,     // name, text: the value (without the space after the colon), place
    replace_body,  // text: everything after the header section's blank line
  };
  Kind kind = Kind::add_field;
  Cause cause = Cause::verdict_field;
  // remove_field, change_field: the name as written (the bytes before the colon); add_field: the
  // name to write.
  std::string name;
  // remove_field, change_field: which field of that name, from 1, counting every field whose
  // name is the same in ASCII case-insensitive comparison (SMFIR_CHGHEADER's index).
  std::uint32_t index = 0;
  // remove_field: the whole field; change_field: its value, everything after the colon up to
  // the last line's line break, folding included.
  Span bytes;
  // change_field: the new value, like `bytes` (its leading white space and folding are the
  // message's); add_field: the value; replace_body: the new body.
  std::string text;
  Place place = Place::end;  // add_field only
};

// The edits in the order a milter sends them: the forged fields removed from the last to the
// first (an index-based removal leaves the indexes of earlier fields of that name alone), the
// subject tagged (or a Subject added), our fields added, then the warning (its Content-* fields
// removed from the last to the first, MIME-Version when missing and the new Content-Type added,
// the body replaced). apply() makes them in one pass over the message whatever their order.
// A plan holds byte ranges of the message it was made from: it is applied to that message only.
// The ranges of its edits never overlap, and at most one edit replaces the body.
struct Plan {
  std::vector<Edit> edits;
  std::size_t section_end = 0;  // where the header section's blank line starts (or the end)
  std::size_t body_begin = 0;   // after the blank line (or the end)
};

// What is asked of a delivered message, the plan's input.
struct Changes {
  std::string_view subject_tag{};        // "" for none
  std::optional<std::string> warning{};  // the warning's text, when the message is wrapped
  // Our X-KSMG-* fields (ScanReport::headers), added on top.
  std::span<const std::pair<std::string, std::string>> verdict_fields{};
};
[[nodiscard]] Plan make_plan(std::string_view raw, const Changes& changes);

// The plan for delivering `raw` under `v`: its subject tag, its warning (warning_text()), and
// `verdict_fields`. Made whatever the action: a front-end asks for it when it delivers.
[[nodiscard]] Plan make_plan(std::string_view raw, const verdict::Verdict& v,
                             std::span<const std::pair<std::string, std::string>> verdict_fields);

// A plan carried out on the bytes of the message it was made from, for a front-end that sends
// the message on itself (the relay), in two pieces so that a message whose own bytes stay as
// they are is not copied: the fields placed on top, then the message.
struct Rewrite {
  std::string fields_on_top;  // "Name: value" CRLF for each Place::top field, in plan order
  // The message with every other edit made; nullopt when there is none (the original goes on).
  std::optional<std::string> message;
};
[[nodiscard]] Rewrite apply(const Plan& plan, std::string_view raw);

}  // namespace ksmg::mutate

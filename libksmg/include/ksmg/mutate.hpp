// ksmg/mutate.hpp — changes a front-end makes to a message on the verdict's behalf (DESIGN.md
// "mutate"): the subject tag and the warning. Functions here compute the new text; how it reaches
// the message (a rewritten header in the relay, SMFIR_CHGHEADER in the milter) is the front-end's.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "ksmg/verdict.hpp"

namespace ksmg::mutate {

// The Subject field body `value` (what follows the colon, folding kept) with `tag` in front:
// " Hello" → " [!!SPAM] Hello". The white space the value starts with stays in front. nullopt
// when there is nothing to do: an empty tag, or a subject that already starts with the tag (a
// message tagged by an earlier hop or a second scan is not tagged twice).
[[nodiscard]] std::optional<std::string> tag_subject(std::string_view value, std::string_view tag);

// The same on a whole message, for front-ends that hold it (the relay): the first Subject field
// of the header section tagged, or "Subject: tag" added at its end when there is none. nullopt
// when nothing changes.
[[nodiscard]] std::optional<std::string> tag_subject_of_message(std::string_view raw_message,
                                                                std::string_view tag);

}  // namespace ksmg::mutate

namespace ksmg::mutate {

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

// The whole message with the wrap applied, for front-ends that hold the message (the relay): the
// top-level Content-* fields removed, MIME-Version (when missing) and the new Content-Type added
// at the end of the header section, then the new body. The milter makes the same change with
// header edits and a body replacement instead.
[[nodiscard]] std::string apply_warning_wrap(std::string_view raw_message, const WarningWrap& wrap);

}  // namespace ksmg::mutate

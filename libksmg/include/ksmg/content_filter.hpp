// ksmg/content_filter.hpp — the content filter: where in a message the dictionaries look,
// expressions over their hits, and conditions that combine expressions with filters on the
// objects of the message (name, size, true type, category, flags, depth) and on the sender.
//
// A ContentFilter is compiled once from its rules (the Engine does it from the configuration),
// is immutable and shared by every thread; each thread brings a ContentScratch. One scan reads
// a message's texts and object tree and returns the content filter's ModuleResult: status
// `triggered` with one finding per condition that fired (in rule order), then one finding per
// dictionary entry found; `clean` when no condition fired.
//
// Expression language (one line of text; words are case-sensitive names):
//
//   expr    := or
//   or      := and ("or" and)*
//   and     := unary ("and" unary)*
//   unary   := "not" unary | "(" expr ")" | term
//   term    := NAME                        a dictionary with any hit, or a named expression
//            | NAME "." FIELD CMP NUMBER   FIELD: count (occurrences), distinct (entries found),
//                                          weight (sum of the weights of the entries found)
//   CMP     := ">=" | ">" | "<=" | "<" | "==" | "!="
//
//   e.g.  "confidential.count >= 3 and not public"      "(drugs or pharma.weight > 4.5)"
//
// A NAME is a dictionary of the filter or an expression defined before the one that uses it
// (so there are no cycles). Counts are over every place the dictionary looks in.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ksmg/filetype.hpp"
#include "ksmg/limits.hpp"
#include "ksmg/match.hpp"
#include "ksmg/objects.hpp"
#include "ksmg/verdict.hpp"

namespace ksmg::match {

// Where a dictionary looks.
enum class Place : std::uint8_t {
  subject,           // the decoded Subject
  headers,           // every other header field of the message, "Name: decoded value"; only
                     // for dictionaries that ask for it (PlaceSet::by_default)
  body,              // the message's text parts: decoded, in UTF-8, HTML turned into text
  attachment_names,  // names of attachments and of everything unpacked from them
  attachment_text,   // text and HTML objects that are not the body (text attachments,
                     // text members of archives, parts of attached messages)
};
inline constexpr std::array<Place, 5> kAllPlaces{Place::subject, Place::headers, Place::body,
                                                 Place::attachment_names, Place::attachment_text};
std::string_view to_string(Place p) noexcept;
[[nodiscard]] std::optional<Place> place_from_string(std::string_view s) noexcept;

class PlaceSet {
 public:
  [[nodiscard]] static constexpr PlaceSet all() noexcept {
    PlaceSet s;
    s.bits_ = (1u << kAllPlaces.size()) - 1;
    return s;
  }
  // Where a dictionary looks unless told: everywhere but the other header fields. Trace and
  // signature fields (Received, DKIM-Signature, ...) are as long as a short body, are written by
  // servers rather than by the sender, and make a company or product name in a dictionary match
  // every message that passed through its own servers; headers are for dictionaries written for
  // them.
  [[nodiscard]] static constexpr PlaceSet by_default() noexcept {
    PlaceSet s = all();
    s.bits_ &= static_cast<std::uint8_t>(~bit(Place::headers));
    return s;
  }
  constexpr void add(Place p) noexcept { bits_ |= bit(p); }
  [[nodiscard]] constexpr bool has(Place p) const noexcept { return (bits_ & bit(p)) != 0; }
  [[nodiscard]] constexpr bool empty() const noexcept { return bits_ == 0; }
  [[nodiscard]] constexpr std::uint8_t bits() const noexcept { return bits_; }
  friend constexpr bool operator==(PlaceSet, PlaceSet) = default;

 private:
  static constexpr std::uint8_t bit(Place p) noexcept {
    return static_cast<std::uint8_t>(1u << static_cast<unsigned>(p));
  }
  std::uint8_t bits_ = 0;
};

// A dictionary of the filter with the places it looks in.
struct FilterDictionary {
  Dictionary dictionary;
  PlaceSet places = PlaceSet::by_default();
};

struct NamedExpression {
  std::string name;
  std::string text;  // in the expression language above
  std::size_t line = 0;
};

// What an object must be for a condition to see it. Every list that is not empty must match
// (any of its items); the ranges always apply. Globs: '*' any run, '?' one character, ASCII
// case-insensitive ("*.exe", "application/vnd.ms-*").
struct ObjectFilter {
  std::vector<std::string> names;           // on the object's name (the file name only)
  std::vector<std::string> declared_types;  // on the declared MIME type of MIME leaves
  std::vector<std::string> true_types;      // on the true MIME type
  std::vector<filetype::Category> categories;
  objects::FlagSet flags;  // any of them
  std::uint64_t min_size = 0;
  std::uint64_t max_size = std::numeric_limits<std::uint64_t>::max();
  std::uint32_t min_depth = 0;  // 1: only what was unpacked from an attachment
  std::uint32_t max_depth = std::numeric_limits<std::uint32_t>::max();

  [[nodiscard]] bool matches(const objects::Object& o) const;
};

// A rule of the content filter: it fires when every part it has holds.
struct Condition {
  std::string name;
  std::string expression;              // "" = no expression
  std::optional<ObjectFilter> object;  // some object of the message matches it
  bool from_outside = false;           // the sender is not of the organization's domains
  // What firing means; nullopt: the action table's content_filter "triggered" entry.
  std::optional<verdict::Decision> decision;
  std::size_t line = 0;
};

struct FilterRules {
  std::vector<FilterDictionary> dictionaries;
  std::vector<NamedExpression> expressions;
  std::vector<Condition> conditions;
  // What a condition without an action of its own means (the Engine takes it from the action
  // table's content_filter "triggered" entry).
  verdict::Decision triggered{verdict::Action::reject, {}};
};

// A rules error: the file and line of the rule at fault (dictionary errors: the dictionary's
// file and line), and the column inside an expression when the expression is at fault.
struct RulesError {
  std::string file;
  std::size_t line = 0;
  std::size_t column = 0;  // 1-based column in the expression text; 0 when not an expression
  std::string rule;        // "condition 'exe-in-zip'", "expression 'leak'", "dictionary 'x'"
  std::string message;
  [[nodiscard]] std::string to_string() const;
};

// Checks an expression against the names it may use; false with err.column and err.message
// set when it does not parse or names something unknown. Used by the configuration reader, so
// that a wrong expression is reported with its line before anything is compiled.
bool check_expression(std::string_view text, const std::vector<std::string>& dictionaries,
                      const std::vector<std::string>& earlier_expressions, RulesError& err);

// What a scan needs to know about the message beyond its bytes.
struct MessageContext {
  bool from_outside = true;  // decided by the engine from the sender and the organization
};

class ContentScratch;

class ContentFilter {
 public:
  // Compiles the dictionaries (one Matcher per distinct set of places) and the expressions.
  // `file` names the configuration in errors about expressions and conditions.
  [[nodiscard]] static std::shared_ptr<const ContentFilter> compile(FilterRules rules,
                                                                    std::string_view file,
                                                                    const CompileOptions& options,
                                                                    RulesError& err);
  ~ContentFilter();
  ContentFilter(const ContentFilter&) = delete;
  ContentFilter& operator=(const ContentFilter&) = delete;

  [[nodiscard]] const FilterRules& rules() const noexcept;
  // The compiled dictionary sets, for reports (cache use, database sizes).
  [[nodiscard]] std::vector<const Matcher*> matchers() const;

  // message: null when the input is a plain file (its tree comes from ObjectTree::of_file).
  // limits: those the message was parsed and the tree built with (the engine's); they bound
  // the text made of objects (charset conversion, HTML to text), with or without a message.
  [[nodiscard]] verdict::ModuleResult scan(const mime::Message* message,
                                           const objects::ObjectTree& tree,
                                           const MessageContext& context, const ScanLimits& limits,
                                           ContentScratch& scratch) const;

  struct Compiled;  // internal

 private:
  explicit ContentFilter(std::unique_ptr<Compiled> c);
  std::unique_ptr<Compiled> c_;
};

// Per-thread state of content filter scans (Hyperscan scratch, hit tallies, text buffers).
class ContentScratch {
 public:
  ContentScratch();
  ~ContentScratch();
  ContentScratch(ContentScratch&&) noexcept;
  ContentScratch& operator=(ContentScratch&&) noexcept;
  ContentScratch(const ContentScratch&) = delete;
  ContentScratch& operator=(const ContentScratch&) = delete;

  struct State;  // internal

 private:
  friend class ContentFilter;
  std::unique_ptr<State> s_;
};

}  // namespace ksmg::match

// content_filter.cpp — owns the content filter: which texts of a message each place stands for,
// one Matcher per set of places, the hit tallies per dictionary, and the conditions that turn
// tallies, objects and the sender into a ModuleResult.
//
// Dictionaries that look in the same places share one Hyperscan database; a place is scanned
// only by the databases that look there, and each (database, place) pair keeps its own Hits so
// that a finding can say where its words were.
#include "ksmg/content_filter.hpp"

#include <algorithm>
#include <cstdio>
#include <span>
#include <string>
#include <tuple>
#include <utility>

#include "core/ascii.hpp"
#include "core/utf8.hpp"
#include "match/expression.hpp"

namespace ksmg::match {
namespace {

// Findings for single dictionary entries, per scan; the rest is summed up in one more.
constexpr std::size_t kMaxEntryFindings = 64;
// Words of an entry shown in a condition's detail.
constexpr std::size_t kMaxWordsInDetail = 5;

constexpr std::array<std::string_view, kAllPlaces.size()> kPlaceNames{
    "subject", "headers", "body", "attachment_names", "attachment_text"};

// ASCII case-insensitive glob: '*' any run of characters, '?' one byte. Iterative, linear in
// practice: on a mismatch only the last '*' is retried.
bool glob_matches(std::string_view pattern, std::string_view text) noexcept {
  std::size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (p < pattern.size() &&
               (pattern[p] == '?' || core::to_lower(pattern[p]) == core::to_lower(text[t]))) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool any_glob(const std::vector<std::string>& patterns, std::string_view text) noexcept {
  return std::any_of(patterns.begin(), patterns.end(),
                     [&](const std::string& g) { return glob_matches(g, text); });
}

std::string plural(std::uint64_t n, std::string_view word) {
  std::string s = std::to_string(n) + " " + std::string(word);
  if (n != 1) s += word.ends_with("ch") ? "es" : "s";
  return s;
}

std::string number(double v) {
  char buf[32];
  const int n = std::snprintf(buf, sizeof buf, "%g", v);
  return std::string(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
}

}  // namespace

std::string_view to_string(Place p) noexcept { return kPlaceNames[static_cast<std::size_t>(p)]; }

std::optional<Place> place_from_string(std::string_view s) noexcept {
  for (const Place p : kAllPlaces)
    if (to_string(p) == s) return p;
  return std::nullopt;
}

std::string RulesError::to_string() const {
  std::string s = file.empty() ? std::string("<rules>") : file;
  if (line != 0) s += ":" + std::to_string(line);
  s += ": ";
  if (!rule.empty()) s += rule + ": ";
  if (column != 0) s += "column " + std::to_string(column) + ": ";
  return s + message;
}

bool ObjectFilter::matches(const objects::Object& o) const {
  if (o.size() < min_size || o.size() > max_size) return false;
  if (o.depth < min_depth || o.depth > max_depth) return false;
  if (!flags.empty() && (flags.bits() & o.flags.bits()) == 0) return false;
  if (!categories.empty() &&
      std::find(categories.begin(), categories.end(), o.true_type.category) == categories.end())
    return false;
  if (!names.empty() && !any_glob(names, o.name)) return false;
  if (!declared_types.empty() && !any_glob(declared_types, o.declared_type)) return false;
  if (!true_types.empty() && !any_glob(true_types, o.true_type.mime_type)) return false;
  return true;
}

// Dictionaries that look in the same places, compiled together.
struct PlaceGroup {
  PlaceSet places;
  std::shared_ptr<const Matcher> matcher;
  std::vector<std::uint32_t> dictionaries;  // global index of each of the matcher's dictionaries
};

struct CompiledCondition {
  std::optional<detail::Expression> expression;
  // Dictionaries its expression names, directly or through named expressions: their words
  // explain why it fired.
  std::vector<std::uint32_t> dictionaries;
};

struct ContentFilter::Compiled {
  FilterRules rules;
  std::vector<PlaceGroup> groups;
  PlaceSet wanted;  // places some group looks in
  std::vector<detail::Expression> expressions;
  std::vector<CompiledCondition> conditions;
  // Global dictionary index → (group, index in the group's matcher).
  std::vector<std::pair<std::uint32_t, std::uint32_t>> where_compiled;
};

// One entry found, summed over the places of its dictionary.
struct EntryCount {
  std::uint32_t entry = 0;
  std::uint32_t alternative = 0;  // while collecting: which alternative of its set, else 0
  std::uint64_t count = 0;
  std::uint8_t places = 0;  // PlaceSet bits
};

struct ContentScratch::State {
  struct GroupState {
    Scratch scratch;
    std::array<Hits, kAllPlaces.size()> hits;
    std::vector<Hits> alternatives;  // body text per alternative, as State::alternatives lists
  };
  // The alternatives of multipart/alternative parts in the body: (the multipart's part index,
  // which of its children). A text is counted once, however many forms it is sent in.
  std::vector<std::pair<std::uint32_t, std::uint32_t>> alternatives;
  std::vector<GroupState> groups;
  std::vector<detail::Tally> tallies;
  // Per dictionary with hits: its entries found, at found[found_begin[i], found_begin[i + 1]).
  std::vector<EntryCount> found;
  std::vector<std::size_t> found_begin;
  std::vector<EntryCount> collecting;
  // Values of the named expressions in order (not vector<bool>: expressions read a span).
  std::unique_ptr<bool[]> expression_values;
  std::size_t expression_capacity = 0;
  // Per dictionary: its words explain a condition that fired, so its entries are listed.
  std::vector<bool> reported;
  std::string text;
};

ContentScratch::ContentScratch() : s_(std::make_unique<State>()) {}
ContentScratch::~ContentScratch() = default;
ContentScratch::ContentScratch(ContentScratch&&) noexcept = default;
ContentScratch& ContentScratch::operator=(ContentScratch&&) noexcept = default;

ContentFilter::ContentFilter(std::unique_ptr<Compiled> c) : c_(std::move(c)) {}
ContentFilter::~ContentFilter() = default;

const FilterRules& ContentFilter::rules() const noexcept { return c_->rules; }

std::vector<const Matcher*> ContentFilter::matchers() const {
  std::vector<const Matcher*> out;
  for (const PlaceGroup& g : c_->groups) out.push_back(g.matcher.get());
  return out;
}

std::shared_ptr<const ContentFilter> ContentFilter::compile(FilterRules rules,
                                                            std::string_view file,
                                                            const CompileOptions& options,
                                                            RulesError& err) {
  auto c = std::make_unique<Compiled>();
  std::vector<std::string> dictionary_names;
  for (const FilterDictionary& d : rules.dictionaries)
    dictionary_names.push_back(d.dictionary.name);

  // Groups in order of first appearance, so that compiling the same rules twice gives the same
  // databases (and cache keys).
  std::vector<std::vector<Dictionary>> group_dicts;
  c->where_compiled.resize(rules.dictionaries.size());
  for (std::uint32_t i = 0; i < rules.dictionaries.size(); ++i) {
    const FilterDictionary& d = rules.dictionaries[i];
    if (d.places.empty()) {
      err = RulesError{d.dictionary.file, 0, 0, "dictionary '" + d.dictionary.name + "'",
                       "it looks nowhere (no places)"};
      return nullptr;
    }
    std::size_t g = 0;
    while (g < c->groups.size() && c->groups[g].places != d.places) ++g;
    if (g == c->groups.size()) {
      c->groups.push_back(PlaceGroup{d.places, nullptr, {}});
      group_dicts.emplace_back();
    }
    for (const Place p : kAllPlaces)
      if (d.places.has(p)) c->wanted.add(p);
    c->where_compiled[i] = {static_cast<std::uint32_t>(g),
                            static_cast<std::uint32_t>(c->groups[g].dictionaries.size())};
    c->groups[g].dictionaries.push_back(i);
    group_dicts[g].push_back(d.dictionary);
  }
  for (std::size_t g = 0; g < c->groups.size(); ++g) {
    Error e;
    c->groups[g].matcher = Matcher::compile(std::move(group_dicts[g]), options, e);
    if (c->groups[g].matcher == nullptr) {
      err = RulesError{e.file, e.line, 0, "", e.message};
      return nullptr;
    }
  }

  std::vector<std::string> earlier;
  std::vector<std::vector<std::uint32_t>> expression_dictionaries;  // per named expression
  for (const NamedExpression& ne : rules.expressions) {
    detail::Expression x;
    std::size_t column = 0;
    std::string message;
    if (!detail::Expression::parse(ne.text, dictionary_names, earlier, x, column, message)) {
      err = RulesError{std::string(file), ne.line, column, "expression '" + ne.name + "'",
                       std::move(message)};
      return nullptr;
    }
    std::vector<std::uint32_t> dicts = x.dictionaries_used();
    for (const std::uint32_t k : x.expressions_used())
      dicts.insert(dicts.end(), expression_dictionaries[k].begin(),
                   expression_dictionaries[k].end());
    std::sort(dicts.begin(), dicts.end());
    dicts.erase(std::unique(dicts.begin(), dicts.end()), dicts.end());
    expression_dictionaries.push_back(std::move(dicts));
    c->expressions.push_back(std::move(x));
    earlier.push_back(ne.name);
  }
  for (const Condition& cond : rules.conditions) {
    CompiledCondition cc;
    if (!cond.expression.empty()) {
      cc.expression.emplace();
      std::size_t column = 0;
      std::string message;
      if (!detail::Expression::parse(cond.expression, dictionary_names, earlier, *cc.expression,
                                     column, message)) {
        err = RulesError{std::string(file), cond.line, column, "condition '" + cond.name + "'",
                         std::move(message)};
        return nullptr;
      }
      cc.dictionaries = cc.expression->dictionaries_used();
      for (const std::uint32_t k : cc.expression->expressions_used())
        cc.dictionaries.insert(cc.dictionaries.end(), expression_dictionaries[k].begin(),
                               expression_dictionaries[k].end());
      std::sort(cc.dictionaries.begin(), cc.dictionaries.end());
      cc.dictionaries.erase(std::unique(cc.dictionaries.begin(), cc.dictionaries.end()),
                            cc.dictionaries.end());
    }
    if (cond.expression.empty() && !cond.object && !cond.from_outside) {
      err = RulesError{std::string(file), cond.line, 0, "condition '" + cond.name + "'",
                       "it tests nothing (give it an expression, an object or from_outside)"};
      return nullptr;
    }
    c->conditions.push_back(std::move(cc));
  }
  c->rules = std::move(rules);
  return std::shared_ptr<const ContentFilter>(new ContentFilter(std::move(c)));
}

namespace {

// Between the fields or names joined into one text: a line of its own holding a character that
// is neither whitespace nor part of a word, so that no phrase, word or '.'-based regex runs
// from one field into the next, and one scan does the work of many small ones.
constexpr std::string_view kFieldSeparator = "\n\x01\n";

// Text of an object that is not a part of the message itself: UTF-8 as is, else read as
// windows-1252 (members carry no charset); HTML made into text.
std::string object_text(const objects::Object& o, const ScanLimits& limits) {
  std::string text;
  if (mime::is_valid_utf8(o.data))
    text.assign(o.data);
  else
    text = mime::to_utf8("windows-1252", o.data, limits.max_decoded_bytes).data;
  if (o.true_type.category == filetype::Category::html)
    text = mime::html_to_text(text, limits.max_decoded_bytes).data;
  return text;
}

bool is_attachment(const mime::Part& p) noexcept {
  return p.disposition == "attachment" || !p.filename.empty();
}

// Where the text of a leaf of the message goes: attachment_text for text attachments and
// anything inside an attached message, else the body; for body text inside a
// multipart/alternative, which alternative it belongs to.
struct LeafPlace {
  Place place = Place::body;
  std::uint32_t alternative_of = mime::kNoPart;  // the multipart/alternative part
  std::uint32_t alternative = 0;                 // its child on the way to the leaf
};

LeafPlace place_of(const mime::Message& m, const mime::Part& leaf) {
  LeafPlace where;
  if (is_attachment(leaf)) where.place = Place::attachment_text;
  const auto& parts = m.parts();
  std::uint32_t child = leaf.index;
  for (std::uint32_t up = leaf.parent; up != mime::kNoPart; child = up, up = parts[up].parent) {
    const mime::Part& p = parts[up];
    if (p.kind == mime::PartKind::message) {
      where.place = Place::attachment_text;
      where.alternative_of = mime::kNoPart;
      return where;
    }
    if (where.alternative_of == mime::kNoPart && p.content_type.type == "multipart" &&
        p.content_type.subtype == "alternative") {
      where.alternative_of = up;
      where.alternative = child;
    }
  }
  if (where.place != Place::body) where.alternative_of = mime::kNoPart;
  return where;
}

// The header fields of an entity other than its Subject, "Name: value" joined by
// kFieldSeparator, plus the Subject when with_subject is set.
void header_text(const mime::Message& m, const mime::Part& p, bool with_subject, std::string& out) {
  out.clear();
  for (const mime::HeaderField& f : m.headers(p)) {
    if (!with_subject && core::iequals(f.name, "Subject")) continue;
    if (!out.empty()) out += kFieldSeparator;
    out += f.name;
    out += ": ";
    out += f.decoded();
  }
}

// A slot of ContentScratch::State::alternatives, or none: the text is not body text inside a
// multipart/alternative.
constexpr std::size_t kNoAlternative = ~std::size_t{0};

// Scans a text of a place with every database that looks there, into the place's Hits or, for
// body text inside a multipart/alternative, into the Hits of its slot. False when a database
// failed to scan it.
bool scan_text(const ContentFilter::Compiled& c, ContentScratch::State& s, Place place,
               std::string_view text, std::size_t alternative = kNoAlternative) {
  if (text.empty()) return true;
  bool ok = true;
  for (std::size_t g = 0; g < c.groups.size(); ++g) {
    if (!c.groups[g].places.has(place)) continue;
    auto& gs = s.groups[g];
    Hits* into = &gs.hits[static_cast<std::size_t>(place)];
    if (alternative != kNoAlternative) {
      if (gs.alternatives.size() <= alternative) gs.alternatives.resize(alternative + 1);
      into = &gs.alternatives[alternative];
    }
    ok = c.groups[g].matcher->scan(text, gs.scratch, *into) && ok;
  }
  return ok;
}

// Phase 1: every text of the places some dictionary looks in, from the message (when there is
// one) and from the objects of its tree, scanned into s.groups. False when a dictionary scan
// failed; the other texts are still scanned, so that what they hold is reported.
bool scan_texts(const ContentFilter::Compiled& c, ContentScratch::State& s,
                const mime::Message* message, const objects::ObjectTree& tree,
                const ScanLimits& limits) {
  s.groups.resize(c.groups.size());
  s.alternatives.clear();
  for (auto& gs : s.groups) {
    for (Hits& h : gs.hits) h.clear();
    for (Hits& h : gs.alternatives) h.clear();
  }
  const PlaceSet wanted = c.wanted;

  bool ok = true;
  if (message != nullptr) {
    if (wanted.has(Place::subject))
      if (const mime::HeaderField* subject = message->header("Subject"))
        ok &= scan_text(c, s, Place::subject, subject->decoded());
    if (wanted.has(Place::headers)) {
      header_text(*message, message->root(), false, s.text);
      ok &= scan_text(c, s, Place::headers, s.text);
    }
    for (const mime::Part& p : message->parts()) {
      // The header of an attached message is part of the attachment's text.
      if (p.kind == mime::PartKind::message && !p.children.empty() &&
          wanted.has(Place::attachment_text)) {
        header_text(*message, message->parts()[p.children.front()], true, s.text);
        ok &= scan_text(c, s, Place::attachment_text, s.text);
      }
      if (!p.is_leaf() || !p.is_text()) continue;
      const LeafPlace where = place_of(*message, p);
      if (!wanted.has(where.place)) continue;
      std::size_t slot = kNoAlternative;
      if (where.alternative_of != mime::kNoPart) {
        slot = s.alternatives.size();
        s.alternatives.emplace_back(where.alternative_of, where.alternative);
      }
      ok &= scan_text(c, s, where.place, message->text(p, true).data, slot);
    }
  }
  if (wanted.has(Place::attachment_names)) {
    s.text.clear();
    for (const objects::Object& o : tree.objects()) {
      // Another client's decoding of a leaf carries the leaf's name, which counts once.
      if (o.name.empty() || o.origin == objects::Origin::other_decoding) continue;
      if (!s.text.empty()) s.text += kFieldSeparator;
      s.text += o.name;
    }
    ok &= scan_text(c, s, Place::attachment_names, s.text);
  }
  if (wanted.has(Place::attachment_text)) {
    for (const objects::Object& o : tree.objects()) {
      // Text leaves of the message itself were read above, with their charsets.
      const bool own_part = message != nullptr && o.origin == objects::Origin::mime_part &&
                            o.parent == objects::kNoObject && o.declared_type.starts_with("text/");
      const auto cat = o.true_type.category;
      if (!own_part && (cat == filetype::Category::text || cat == filetype::Category::html))
        ok &= scan_text(c, s, Place::attachment_text, object_text(o, limits));
    }
  }
  return ok;
}

// The entries of dictionary i found in any of its places, into s.collecting: one EntryCount
// per (place, entry), except that the alternatives of one multipart/alternative count as one
// text (each entry as often as in the richest of them).
void collect_entries(const ContentFilter::Compiled& c, ContentScratch::State& s, std::uint32_t i) {
  const auto body_bit = static_cast<std::uint8_t>(1u << static_cast<unsigned>(Place::body));
  const auto [g, local] = c.where_compiled[i];
  const auto& gs = s.groups[g];
  std::vector<EntryCount>& col = s.collecting;
  col.clear();
  for (std::size_t p = 0; p < kAllPlaces.size(); ++p)
    if (const DictionaryHits* d = gs.hits[p].dictionary(local))
      for (std::size_t k = 0; k < d->entries.size(); ++k)
        col.push_back({d->entries[k], 0, d->entry_matches[k], static_cast<std::uint8_t>(1u << p)});
  const std::size_t plain = col.size();
  for (std::size_t a = 0; a < gs.alternatives.size() && a < s.alternatives.size(); ++a)
    if (const DictionaryHits* d = gs.alternatives[a].dictionary(local))
      for (std::size_t k = 0; k < d->entries.size(); ++k)
        col.push_back(
            {d->entries[k], static_cast<std::uint32_t>(a), d->entry_matches[k], body_bit});
  if (col.size() == plain) return;
  // Alternatives: per (multipart, entry) keep the largest count of any one alternative.
  auto set_of = [&](const EntryCount& e) { return s.alternatives[e.alternative].first; };
  std::sort(col.begin() + static_cast<std::ptrdiff_t>(plain), col.end(),
            [&](const EntryCount& x, const EntryCount& y) {
              return std::tuple(set_of(x), x.entry, y.count) <
                     std::tuple(set_of(y), y.entry, x.count);
            });
  std::size_t out = plain;
  for (std::size_t k = plain; k < col.size(); ++k)
    if (k == plain || set_of(col[k]) != set_of(col[out - 1]) || col[k].entry != col[out - 1].entry)
      col[out++] = col[k];
  col.resize(out);
}

// Phase 2: per dictionary, its Tally over the places it looks in (what expressions read) and
// its entries found, in entry order, at s.found[s.found_begin[i], s.found_begin[i + 1]).
void tally_hits(const ContentFilter::Compiled& c, ContentScratch::State& s) {
  const std::size_t dictionaries = c.rules.dictionaries.size();
  s.tallies.assign(dictionaries, detail::Tally{});
  s.found.clear();
  s.found_begin.assign(dictionaries + 1, 0);
  for (std::uint32_t i = 0; i < dictionaries; ++i) {
    s.found_begin[i] = s.found.size();
    collect_entries(c, s, i);
    std::vector<EntryCount>& col = s.collecting;
    if (col.empty()) continue;
    std::sort(col.begin(), col.end(),
              [](const EntryCount& x, const EntryCount& y) { return x.entry < y.entry; });
    detail::Tally& t = s.tallies[i];
    const Dictionary& dict = c.rules.dictionaries[i].dictionary;
    for (const EntryCount& e : col) {
      t.count += e.count;
      if (s.found.size() > s.found_begin[i] && s.found.back().entry == e.entry) {
        s.found.back().count += e.count;
        s.found.back().places |= e.places;
        continue;
      }
      s.found.push_back(e);
      ++t.distinct;
      t.weight += dict.entries[e.entry].weight;
    }
  }
  s.found_begin[dictionaries] = s.found.size();
}

// The entries of dictionary i found by tally_hits().
std::span<const EntryCount> found_of(const ContentScratch::State& s, std::uint32_t i) {
  return std::span<const EntryCount>(s.found.data() + s.found_begin[i],
                                     s.found_begin[i + 1] - s.found_begin[i]);
}

// Phase 3: the named expressions in order, each over the tallies and the expressions before it.
std::span<const bool> evaluate_expressions(const ContentFilter::Compiled& c,
                                           ContentScratch::State& s) {
  if (s.expression_capacity < c.expressions.size()) {
    s.expression_values = std::make_unique<bool[]>(c.expressions.size());
    s.expression_capacity = c.expressions.size();
  }
  const std::span<bool> values(s.expression_values.get(), c.expressions.size());
  for (std::size_t k = 0; k < c.expressions.size(); ++k)
    values[k] = c.expressions[k].evaluate(s.tallies, values.first(k));
  return values;
}

// The words of a dictionary as a finding's detail: "secret x3, classified".
std::string words_of(const ContentFilter::Compiled& c, const ContentScratch::State& s,
                     std::uint32_t i) {
  std::string out;
  std::size_t shown = 0;
  for (const EntryCount& e : found_of(s, i)) {
    if (shown++ == kMaxWordsInDetail) {
      out += ", ...";
      break;
    }
    out += (out.empty() ? "" : ", ") + c.rules.dictionaries[i].dictionary.entries[e.entry].pattern;
    if (e.count > 1) out += " x" + std::to_string(e.count);
  }
  return out;
}

// Phase 4: one finding per condition that fired, in rule order, and the decisions of those
// that fired merged into the result's. The dictionaries whose words explain a condition that
// fired are marked in s.reported, for report_entries().
void fire_conditions(const ContentFilter::Compiled& c, ContentScratch::State& s,
                     std::span<const bool> values, const objects::ObjectTree& tree,
                     const MessageContext& context, verdict::ModuleResult& result) {
  std::optional<verdict::Decision> decision;
  s.reported.assign(c.rules.dictionaries.size(), false);
  for (std::size_t k = 0; k < c.rules.conditions.size(); ++k) {
    const Condition& cond = c.rules.conditions[k];
    const CompiledCondition& cc = c.conditions[k];
    if (cond.from_outside && !context.from_outside) continue;
    if (cc.expression && !cc.expression->evaluate(s.tallies, values)) continue;
    const objects::Object* hit = nullptr;
    if (cond.object) {
      for (const objects::Object& o : tree.objects())
        if (cond.object->matches(o)) {
          hit = &o;
          break;
        }
      if (hit == nullptr) continue;
    }
    verdict::Finding f;
    f.what = cond.name;
    std::vector<std::string> why;
    if (hit != nullptr) {
      f.where = hit->path;
      why.push_back(std::string(hit->true_type.mime_type) + " [" +
                    std::string(filetype::to_string(hit->true_type.category)) + "], " +
                    plural(hit->size(), "byte"));
    }
    if (cc.expression) {
      std::string words;
      for (const std::uint32_t i : cc.dictionaries) {
        if (s.tallies[i].count == 0) continue;
        s.reported[i] = true;
        words += (words.empty() ? "" : "; ") + c.rules.dictionaries[i].dictionary.name + ": " +
                 words_of(c, s, i);
      }
      why.push_back("expression true" + (words.empty() ? std::string() : " (" + words + ")"));
    }
    if (cond.from_outside) why.emplace_back("sender outside");
    for (const std::string& w : why) f.detail += (f.detail.empty() ? "" : "; ") + w;
    result.findings.push_back(std::move(f));
    if (!decision) decision.emplace();
    verdict::merge(*decision, cond.decision ? *cond.decision : c.rules.triggered);
  }
  if (decision) {
    result.status = verdict::Status::triggered;
    result.decision = std::move(decision);
  }
}

// Phase 5: the entries behind the conditions that fired, each with where it was seen and how
// often; beyond kMaxEntryFindings, one finding says how many were left out.
void report_entries(const ContentFilter::Compiled& c, const ContentScratch::State& s,
                    verdict::ModuleResult& result) {
  std::size_t entry_findings = 0, left_out = 0;
  for (std::uint32_t i = 0; i < c.rules.dictionaries.size(); ++i) {
    if (!s.reported[i]) continue;
    const Dictionary& dict = c.rules.dictionaries[i].dictionary;
    for (const EntryCount& e : found_of(s, i)) {
      if (entry_findings == kMaxEntryFindings) {
        ++left_out;
        continue;
      }
      ++entry_findings;
      std::string where;
      for (const Place p : kAllPlaces)
        if ((e.places >> static_cast<unsigned>(p)) & 1u)
          where += (where.empty() ? "" : ", ") + std::string(to_string(p));
      std::string detail = plural(e.count, "match");
      if (dict.entries[e.entry].weight != 1.0)
        detail += ", weight " + number(dict.entries[e.entry].weight);
      result.findings.push_back(verdict::Finding{
          std::move(where), "dictionary " + dict.name + ": " + dict.entries[e.entry].pattern,
          std::move(detail)});
    }
  }
  if (left_out != 0)
    result.findings.push_back(
        verdict::Finding{"", "more dictionary entries", std::to_string(left_out) + " not listed"});
}

}  // namespace

verdict::ModuleResult ContentFilter::scan(const mime::Message* message,
                                          const objects::ObjectTree& tree,
                                          const MessageContext& context, const ScanLimits& limits,
                                          ContentScratch& scratch) const {
  const Compiled& c = *c_;
  ContentScratch::State& s = *scratch.s_;
  verdict::ModuleResult result;
  result.module = verdict::Module::content_filter;
  result.status = verdict::Status::clean;
  const bool scanned = scan_texts(c, s, message, tree, limits);
  tally_hits(c, s);
  const std::span<const bool> values = evaluate_expressions(c, s);
  fire_conditions(c, s, values, tree, context, result);
  report_entries(c, s, result);
  if (!scanned) {
    result.status = verdict::Status::error;
    result.decision.reset();
    result.info = "a dictionary scan failed";
  }
  return result;
}

}  // namespace ksmg::match

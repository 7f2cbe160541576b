// plan.cpp — owns the plan of edits a verdict makes to a delivered message, and carrying it out
// on the message's bytes (ksmg/mutate.hpp).
#include <algorithm>
#include <iterator>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/ascii.hpp"
#include "ksmg/mutate.hpp"
#include "mutate/header_section.hpp"

namespace ksmg::mutate {

namespace {

Edit removal(Cause cause, const detail::FieldLines& f, std::uint32_t index) {
  Edit e;
  e.kind = Edit::Kind::remove_field;
  e.cause = cause;
  e.name = std::string(f.name);
  e.index = index;
  e.bytes = f.bytes;
  return e;
}

Edit addition(Cause cause, std::string name, std::string value, Place place) {
  Edit e;
  e.kind = Edit::Kind::add_field;
  e.cause = cause;
  e.name = std::move(name);
  e.text = std::move(value);
  e.place = place;
  return e;
}

void append_field(std::string& out, const Edit& added) {
  out.append(added.name).append(": ").append(added.text).append("\r\n");
}

}  // namespace

Plan make_plan(std::string_view raw, const Changes& changes) {
  const bool warning = changes.warning.has_value();
  std::vector<Edit> forged;         // in the message's order
  std::vector<Edit> content_moves;  // the top-level Content-* fields, when the warning moves them
  detail::ContentFields content;
  std::optional<detail::FieldLines> subject;
  bool has_mime_version = false;
  // Only fields the plan removes are counted: all fields of their names are removed (ours, or
  // Content-* under the warning), so the count among them is the index among all. Empty, and
  // free, for a message that forges nothing and gets no warning.
  std::unordered_map<std::string, std::uint32_t> count_by_name;
  const auto index_of = [&](std::string_view name) {
    return ++count_by_name[core::to_lower(name)];
  };

  detail::HeaderWalk walk(raw);
  while (const std::optional<detail::FieldLines> f = walk.next()) {
    if (verdict::is_verdict_field(f->name)) {
      forged.push_back(removal(Cause::forged_field, *f, index_of(f->name)));
    } else if (detail::is_content_field(f->name)) {
      if (!warning) continue;
      content.add(*f);
      content_moves.push_back(removal(Cause::warning, *f, index_of(f->name)));
    } else if (core::iequals(f->name, "Subject")) {
      if (!subject) subject = f;
    } else if (detail::names(f->name, "MIME-Version")) {
      has_mime_version = true;
    }
  }

  Plan plan;
  plan.section_end = walk.section_end();
  plan.body_begin = walk.body_begin();
  plan.edits.reserve(forged.size() + 1 + changes.verdict_fields.size() + content_moves.size() + 3);
  std::move(forged.rbegin(), forged.rend(), std::back_inserter(plan.edits));

  const std::string_view tag = changes.subject_tag;
  if (!tag.empty() && !subject) {
    plan.edits.push_back(addition(Cause::subject_tag, "Subject", std::string(tag), Place::end));
  } else if (!tag.empty()) {
    const Span value = subject->value;
    if (auto tagged = tag_subject(raw.substr(value.begin, value.end - value.begin), tag)) {
      Edit e;
      e.kind = Edit::Kind::change_field;
      e.cause = Cause::subject_tag;
      e.name = std::string(subject->name);
      e.index = 1;  // the first Subject, the one readers show
      e.bytes = value;
      e.text = std::move(*tagged);
      plan.edits.push_back(std::move(e));
    }
  }

  for (const auto& [name, value] : changes.verdict_fields)
    plan.edits.push_back(addition(Cause::verdict_field, name, value, Place::top));

  if (warning) {
    WarningWrap wrap = detail::wrap_with_warning(raw, content, plan.body_begin, *changes.warning);
    std::move(content_moves.rbegin(), content_moves.rend(), std::back_inserter(plan.edits));
    if (!has_mime_version)
      plan.edits.push_back(addition(Cause::warning, "MIME-Version", "1.0", Place::end));
    plan.edits.push_back(
        addition(Cause::warning, "Content-Type", std::move(wrap.content_type), Place::end));
    Edit body;
    body.kind = Edit::Kind::replace_body;
    body.cause = Cause::warning;
    body.text = std::move(wrap.body);
    plan.edits.push_back(std::move(body));
  }
  return plan;
}

Plan make_plan(std::string_view raw, const verdict::Verdict& v,
               std::span<const std::pair<std::string, std::string>> verdict_fields) {
  Changes changes{v.extras.subject_tag, std::nullopt, verdict_fields};
  if (v.extras.add_warning) changes.warning = warning_text(v);
  return make_plan(raw, changes);
}

Rewrite apply(const Plan& plan, std::string_view raw) {
  Rewrite out;
  // Removed and changed fields, put in the message's order so that one pass copies around them.
  struct Replacement {
    Span bytes;
    std::string_view text;
  };
  std::vector<Replacement> replacements;
  bool adds_at_end = false;
  const Edit* new_body = nullptr;
  for (const Edit& e : plan.edits) {
    switch (e.kind) {
      case Edit::Kind::remove_field:
        replacements.push_back({e.bytes, {}});
        break;
      case Edit::Kind::change_field:
        replacements.push_back({e.bytes, e.text});
        break;
      case Edit::Kind::add_field:
        if (e.place == Place::top)
          append_field(out.fields_on_top, e);
        else
          adds_at_end = true;
        break;
      case Edit::Kind::replace_body:
        new_body = &e;
        break;
    }
  }
  if (replacements.empty() && !adds_at_end && new_body == nullptr) return out;

  std::sort(
      replacements.begin(), replacements.end(),
      [](const Replacement& a, const Replacement& b) { return a.bytes.begin < b.bytes.begin; });
  std::string& m = out.message.emplace();
  m.reserve(plan.section_end + 256 +
            (new_body != nullptr ? new_body->text.size() : raw.size() - plan.section_end));
  std::size_t copied = 0;
  for (const Replacement& r : replacements) {
    m.append(raw.substr(copied, r.bytes.begin - copied)).append(r.text);
    copied = r.bytes.end;
  }
  m.append(raw.substr(copied, plan.section_end - copied));
  // A header section that ends the input may lack its last line break.
  if ((adds_at_end || new_body != nullptr) && !m.empty() && m.back() != '\n') m += "\r\n";
  for (const Edit& e : plan.edits)
    if (e.kind == Edit::Kind::add_field && e.place == Place::end) append_field(m, e);
  if (new_body != nullptr)
    m.append("\r\n").append(new_body->text);
  else
    m.append(raw.substr(plan.section_end));
  return out;
}

}  // namespace ksmg::mutate

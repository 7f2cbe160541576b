// test_mutate.cpp — what a verdict does to a delivered message (ksmg/mutate.hpp): the subject tag
// (put in front once, white space and folding kept), the plan's edits (the sender's X-KSMG-*
// fields removed with the indexes a milter names them by, the subject tagged or added, our fields
// added, the warning's changes) in the order a milter sends them, and apply() giving the relay the
// very bytes it sent before the plan existed (tests/data/mutate).
#include <gtest/gtest.h>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ksmg/mutate.hpp"
#include "ksmg/verdict.hpp"
#include "test_data.hpp"

namespace {

namespace fs = std::filesystem;
namespace mutate = ksmg::mutate;
namespace verdict = ksmg::verdict;
using ksmg::mutate::Cause;
using ksmg::mutate::Edit;
using ksmg::mutate::Place;
using ksmg::mutate::tag_subject;

using Fields = std::vector<std::pair<std::string, std::string>>;

// The message as the relay sends it with only the subject tag asked for; nullopt when its bytes
// stay as they are.
std::optional<std::string> tagged(std::string_view raw, std::string_view tag) {
  return mutate::apply(mutate::make_plan(raw, mutate::Changes{.subject_tag = tag}), raw).message;
}

std::string_view bytes_of(std::string_view raw, mutate::Span s) {
  return raw.substr(s.begin, s.end - s.begin);
}

TEST(SubjectTag, GoesInFrontKeepingTheLeadingSpace) {
  EXPECT_EQ(tag_subject(" Hello", "[!!SPAM]"), " [!!SPAM] Hello");
  EXPECT_EQ(tag_subject("Hello", "[!!SPAM]"), "[!!SPAM] Hello");
  EXPECT_EQ(tag_subject(" Long\r\n\tfolded", "[S]"), " [S] Long\r\n\tfolded");
  EXPECT_EQ(tag_subject(" =?UTF-8?B?0J/RgNC40LLQtdGC?=", "[S]"),
            " [S] =?UTF-8?B?0J/RgNC40LLQtdGC?=");
}

TEST(SubjectTag, EmptySubjectGetsTheTagAlone) {
  EXPECT_EQ(tag_subject("", "[S]"), "[S]");
  EXPECT_EQ(tag_subject(" ", "[S]"), " [S]");
}

TEST(SubjectTag, NeverTwice) {
  EXPECT_FALSE(tag_subject(" [!!SPAM] Hello", "[!!SPAM]"));
  EXPECT_FALSE(tag_subject("[!!SPAM]", "[!!SPAM]"));
  EXPECT_FALSE(tag_subject(" Hello", ""));
  EXPECT_EQ(tag_subject(" [!!Probable Spam] Hello", "[!!SPAM]"),
            " [!!SPAM] [!!Probable Spam] Hello");
}

TEST(SubjectTag, OfAWholeMessage) {
  EXPECT_EQ(tagged("From: a@b\r\nsubject: Hi\r\n\r\nSubject: body\r\n", "[S]"),
            "From: a@b\r\nsubject: [S] Hi\r\n\r\nSubject: body\r\n");
  EXPECT_EQ(tagged("Subject: Long\r\n\tfolded\r\nTo: c@d\r\n\r\nx", "[S]"),
            "Subject: [S] Long\r\n\tfolded\r\nTo: c@d\r\n\r\nx");
  // No Subject: one is added at the end of the header section, never in the body.
  EXPECT_EQ(tagged("From: a@b\r\n\r\nSubject: in body\r\n", "[S]"),
            "From: a@b\r\nSubject: [S]\r\n\r\nSubject: in body\r\n");
  EXPECT_EQ(tagged("From: a@b\n\nbody", "[S]"), "From: a@b\nSubject: [S]\r\n\nbody");
  EXPECT_FALSE(tagged("Subject: [S] Hi\r\n\r\n", "[S]"));
  EXPECT_EQ(tagged("", "[S]"), "Subject: [S]\r\n");
  EXPECT_EQ(tagged("Subject:", "[S]"), "Subject:[S]");
}

TEST(MutationPlan, ForgedFieldsGoFromTheLastToTheFirstWithTheirIndexes) {
  const std::string raw =
      "X-KSMG-AntiVirus: forged 1\r\n"
      "Subject: hi\r\n"
      "x-ksmg-antivirus: forged 2,\r\n"
      "\tfolded\r\n"
      " twice\r\n"
      "X-KSMG-Rule-ID: forged\r\n"
      "Received: from x\r\n"
      "X-Ksmg-AntiVirus : forged 3\r\n"
      "\r\n"
      "X-KSMG-AntiVirus: in the body, not a field\r\n";
  const mutate::Plan plan = mutate::make_plan(raw, mutate::Changes{});
  ASSERT_EQ(plan.edits.size(), 4u);
  struct Want {
    std::string_view name;
    std::uint32_t index;
    std::string_view bytes;
  };
  const Want want[] = {
      // The name as written, up to the colon: the space before it is the name's, as an MTA
      // that hands a milter such a field names it.
      {"X-Ksmg-AntiVirus ", 1, "X-Ksmg-AntiVirus : forged 3\r\n"},
      {"X-KSMG-Rule-ID", 1, "X-KSMG-Rule-ID: forged\r\n"},
      {"x-ksmg-antivirus", 2, "x-ksmg-antivirus: forged 2,\r\n\tfolded\r\n twice\r\n"},
      {"X-KSMG-AntiVirus", 1, "X-KSMG-AntiVirus: forged 1\r\n"},
  };
  for (std::size_t i = 0; i < plan.edits.size(); ++i) {
    SCOPED_TRACE(i);
    const Edit& e = plan.edits[i];
    EXPECT_EQ(e.kind, Edit::Kind::remove_field);
    EXPECT_EQ(e.cause, Cause::forged_field);
    EXPECT_EQ(e.name, want[i].name);
    EXPECT_EQ(e.index, want[i].index);
    EXPECT_EQ(bytes_of(raw, e.bytes), want[i].bytes);
  }
  EXPECT_EQ(bytes_of(raw, {plan.section_end, plan.body_begin}), "\r\n");
  const mutate::Rewrite r = mutate::apply(plan, raw);
  EXPECT_EQ(r.fields_on_top, "");
  EXPECT_EQ(r.message,
            "Subject: hi\r\nReceived: from x\r\n\r\n"
            "X-KSMG-AntiVirus: in the body, not a field\r\n");
}

TEST(MutationPlan, TheSubjectIsTaggedWhereItIsOrAdded) {
  const std::string raw = "From: a@b\r\nsubject:  Long\r\n\tfolded\r\nSubject: second\r\n\r\nx";
  const mutate::Plan plan = mutate::make_plan(raw, mutate::Changes{.subject_tag = "[S]"});
  ASSERT_EQ(plan.edits.size(), 1u);
  const Edit& e = plan.edits[0];
  EXPECT_EQ(e.kind, Edit::Kind::change_field);
  EXPECT_EQ(e.cause, Cause::subject_tag);
  EXPECT_EQ(e.name, "subject");
  EXPECT_EQ(e.index, 1u);  // the first Subject, whatever the case of its name
  EXPECT_EQ(bytes_of(raw, e.bytes), "  Long\r\n\tfolded");
  EXPECT_EQ(e.text, "  [S] Long\r\n\tfolded");

  const mutate::Plan added = mutate::make_plan("From: a@b\r\n\r\nx", {.subject_tag = "[S]"});
  ASSERT_EQ(added.edits.size(), 1u);
  EXPECT_EQ(added.edits[0].kind, Edit::Kind::add_field);
  EXPECT_EQ(added.edits[0].name, "Subject");
  EXPECT_EQ(added.edits[0].text, "[S]");
  EXPECT_EQ(added.edits[0].place, Place::end);

  EXPECT_TRUE(mutate::make_plan("Subject: [S] x\r\n\r\n", {.subject_tag = "[S]"}).edits.empty());
  EXPECT_TRUE(mutate::make_plan(raw, mutate::Changes{}).edits.empty());
}

TEST(MutationPlan, TheWarningMovesTheContentFieldsAndReplacesTheBody) {
  const std::string raw =
      "From: a@b\r\n"
      "Content-Type: text/plain;\r\n"
      " charset=us-ascii\r\n"
      "Content-Transfer-Encoding: 7bit\r\n"
      "content-type: text/html\r\n"
      "\r\n"
      "body\r\n";
  const std::string warning = "Careful.\n";
  const mutate::Plan plan = mutate::make_plan(raw, {.warning = warning});
  const mutate::WarningWrap wrap = mutate::wrap_with_warning(raw, warning);
  ASSERT_EQ(plan.edits.size(), 6u);
  for (const Edit& e : plan.edits) EXPECT_EQ(e.cause, Cause::warning);
  EXPECT_EQ(plan.edits[0].kind, Edit::Kind::remove_field);
  EXPECT_EQ(plan.edits[0].name, "content-type");
  EXPECT_EQ(plan.edits[0].index, 2u);
  EXPECT_EQ(plan.edits[1].name, "Content-Transfer-Encoding");
  EXPECT_EQ(plan.edits[1].index, 1u);
  EXPECT_EQ(plan.edits[2].name, "Content-Type");
  EXPECT_EQ(plan.edits[2].index, 1u);
  EXPECT_EQ(bytes_of(raw, plan.edits[2].bytes),
            "Content-Type: text/plain;\r\n charset=us-ascii\r\n");
  // No MIME-Version: one comes before the new Content-Type.
  EXPECT_EQ(plan.edits[3].kind, Edit::Kind::add_field);
  EXPECT_EQ(plan.edits[3].name, "MIME-Version");
  EXPECT_EQ(plan.edits[3].text, "1.0");
  EXPECT_EQ(plan.edits[4].name, "Content-Type");
  EXPECT_EQ(plan.edits[4].text, wrap.content_type);
  EXPECT_EQ(plan.edits[5].kind, Edit::Kind::replace_body);
  EXPECT_EQ(plan.edits[5].text, wrap.body);

  const mutate::Plan with_version =
      mutate::make_plan("MIME-Version : 1.0\r\n\r\nx", {.warning = warning});
  ASSERT_EQ(with_version.edits.size(), 2u);
  EXPECT_EQ(with_version.edits[0].name, "Content-Type");
}

TEST(MutationPlan, EditsComeInTheOrderAMilterSendsThem) {
  const std::string raw =
      "Content-Type: text/plain\r\nX-KSMG-Rule-ID: forged\r\nX-KSMG-AntiVirus: forged\r\n\r\nx";
  const Fields ours{{"X-KSMG-Rule-ID", "default"}, {"X-KSMG-Message-Action", "delivered"}};
  const mutate::Plan plan =
      mutate::make_plan(raw, {.subject_tag = "[S]", .warning = "w", .verdict_fields = ours});
  std::vector<Cause> causes;
  for (const Edit& e : plan.edits) causes.push_back(e.cause);
  EXPECT_EQ(causes,
            (std::vector<Cause>{Cause::forged_field, Cause::forged_field, Cause::subject_tag,
                                Cause::verdict_field, Cause::verdict_field, Cause::warning,
                                Cause::warning, Cause::warning, Cause::warning}));
  EXPECT_EQ(plan.edits[0].name, "X-KSMG-AntiVirus");
  EXPECT_EQ(plan.edits[3].name, "X-KSMG-Rule-ID");
  EXPECT_EQ(plan.edits[3].text, "default");
  EXPECT_EQ(plan.edits[3].place, Place::top);
}

TEST(MutationPlan, OnlyOurFieldsLeaveTheMessageUncopied) {
  const std::string raw = "Subject: hi\r\n\r\nbody\r\n";
  const Fields ours{{"X-KSMG-Rule-ID", "default"}, {"X-KSMG-AntiVirus-Status", "Clean"}};
  const mutate::Rewrite r = mutate::apply(mutate::make_plan(raw, {.verdict_fields = ours}), raw);
  EXPECT_EQ(r.fields_on_top, "X-KSMG-Rule-ID: default\r\nX-KSMG-AntiVirus-Status: Clean\r\n");
  EXPECT_FALSE(r.message);
}

TEST(MutationPlan, AHeaderSectionWithoutItsLastLineBreakIsEndedBeforeAnAddition) {
  EXPECT_EQ(tagged("From: a@b", "[S]"), "From: a@b\r\nSubject: [S]\r\n");
}

// The verdict the fixtures of tests/data/mutate were made with (SOURCE.md).
verdict::Verdict fixture_verdict(std::string_view tag, bool warning) {
  verdict::Verdict v;
  verdict::ModuleResult r;
  r.module = verdict::Module::antivirus;
  r.status = verdict::Status::encrypted;
  r.findings = {{"2", "encrypted archive", ""}};
  r.info = "ClamAV 1.0";
  v.modules.push_back(r);
  v.action = verdict::Action::deliver;
  v.reason = "antivirus: encrypted (2/report.zip)";
  v.decided_by = {{verdict::Module::antivirus, verdict::Status::encrypted}};
  v.rule_ids = {"default"};
  v.extras.subject_tag = std::string(tag);
  v.extras.add_warning = warning;
  return v;
}

TEST(MutationPlan, TheRelaySendsTheBytesItSentBeforeThePlan) {
  const fs::path dir = ksmg::test::data_dir() / "mutate";
  struct Scenario {
    std::string_view name;
    std::string_view tag;
    bool warning;
  };
  constexpr Scenario kScenarios[] = {{"deliver", "", false},
                                     {"tag", "[!!SPAM]", false},
                                     {"warning", "", true},
                                     {"tag-warning", "[!!SPAM]", true}};
  std::size_t inputs = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string file = entry.path().filename().string();
    if (!file.ends_with(".in.eml")) continue;
    ++inputs;
    const std::string stem = file.substr(0, file.size() - std::string_view(".in.eml").size());
    const std::string raw = ksmg::test::read_file(entry.path());
    ASSERT_FALSE(raw.empty()) << file;
    for (const Scenario& s : kScenarios) {
      SCOPED_TRACE(stem + "." + std::string(s.name));
      const verdict::Verdict v = fixture_verdict(s.tag, s.warning);
      const Fields ours = verdict::x_headers(v);
      const mutate::Rewrite r = mutate::apply(mutate::make_plan(raw, v, ours), raw);
      const std::string sent = r.fields_on_top + (r.message ? *r.message : raw);
      EXPECT_EQ(sent, ksmg::test::read_file(dir / (stem + "." + std::string(s.name) + ".eml")));
    }
  }
  EXPECT_EQ(inputs, 10u);
}

}  // namespace

// test_verdict.cpp — the verdict: vocabulary round trips, which module statuses are valid, the
// built-in action table, aggregation (severity, ties, merged extras, the reason), the X-KSMG
// headers, which must stay one printable line whatever bytes a finding carries, and the SMTP
// replies both front-ends give for a refused message or a failure to carry out a verdict.
#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "ksmg/mime.hpp"
#include "ksmg/verdict.hpp"

namespace {

using namespace ksmg::verdict;  // NOLINT: the test reads better with the vocabulary unqualified

ModuleResult result(Module m, Status s, std::vector<Finding> f = {}) {
  ModuleResult r;
  r.module = m;
  r.status = s;
  r.findings = std::move(f);
  return r;
}

std::string header(const Verdict& v, std::string_view name) {
  for (const auto& [n, value] : x_headers(v))
    if (n == name) return value;
  return "<absent>";
}

TEST(Verdict, NamesRoundTrip) {
  for (int i = 0; i <= static_cast<int>(Status::fail); ++i) {
    const auto s = static_cast<Status>(i);
    EXPECT_EQ(status_from_string(to_string(s)), s) << to_string(s);
  }
  for (Action a : {Action::deliver, Action::tempfail, Action::discard, Action::reject})
    EXPECT_EQ(action_from_string(to_string(a)), a);
  EXPECT_FALSE(status_from_string("Infected").has_value());  // configuration keys are exact
  EXPECT_EQ(header_name(Module::content_filter), "ContentFiltering");
}

TEST(Verdict, EachModuleHasItsOwnStatuses) {
  EXPECT_TRUE(valid_status(Module::antivirus, Status::infected));
  EXPECT_FALSE(valid_status(Module::antivirus, Status::spam));
  EXPECT_TRUE(valid_status(Module::antispam, Status::mass_mail));
  EXPECT_FALSE(valid_status(Module::antispam, Status::infected));
  EXPECT_TRUE(valid_status(Module::antiphishing, Status::malicious_link));
  EXPECT_TRUE(valid_status(Module::content_filter, Status::triggered));
  EXPECT_TRUE(valid_status(Module::auth, Status::fail));
  EXPECT_FALSE(valid_status(Module::auth, Status::clean));
  for (Module m : kAllModules) {
    EXPECT_TRUE(valid_status(m, Status::not_scanned));
    EXPECT_TRUE(valid_status(m, Status::error));
  }
}

TEST(Verdict, CleanMessageIsDeliveredWithoutReason) {
  const Verdict v =
      aggregate({result(Module::antivirus, Status::clean), result(Module::antispam, Status::clean)},
                ActionTable::defaults());
  EXPECT_EQ(v.action, Action::deliver);
  EXPECT_FALSE(v.decided_by.has_value());
  EXPECT_TRUE(v.reason.empty());
  EXPECT_EQ(header(v, "X-KSMG-Message-Action"), "delivered");
  EXPECT_EQ(header(v, "X-KSMG-AntiVirus-Status"), "Clean");
}

TEST(Verdict, InfectedIsRejectedAndSaysWhereAndWhat) {
  const Verdict v = aggregate(
      {result(Module::antispam, Status::spam),
       result(Module::antivirus, Status::infected, {{"2/a.zip/eicar.com", "EICAR-Test-File", ""}})},
      ActionTable::defaults());
  EXPECT_EQ(v.action, Action::reject);
  ASSERT_TRUE(v.decided_by.has_value());
  EXPECT_EQ(v.decided_by->first, Module::antivirus);
  EXPECT_EQ(v.reason, "antivirus: infected (EICAR-Test-File in 2/a.zip/eicar.com)");
  EXPECT_TRUE(v.extras.backup);
  EXPECT_EQ(v.extras.subject_tag, "[!!SPAM]");  // extras of every result are merged
  EXPECT_EQ(header(v, "X-KSMG-Message-Action"), "rejected, AntiVirus");
  EXPECT_EQ(header(v, "X-KSMG-AntiVirus-Status"), "Infected, EICAR-Test-File");
  EXPECT_EQ(header(v, "X-KSMG-AntiSpam-Status"), "Spam");
}

TEST(Verdict, MostSevereWinsAndTiesGoToTheFirst) {
  const ActionTable t = ActionTable::defaults();
  const Verdict v = aggregate(
      {result(Module::antivirus, Status::error),
       result(Module::content_filter, Status::triggered, {{"", "forbidden-words", "dictionary"}})},
      t);
  EXPECT_EQ(v.action, Action::reject);  // reject > tempfail
  EXPECT_EQ(v.decided_by->first, Module::content_filter);
  const Verdict tie = aggregate(
      {result(Module::antiphishing, Status::phishing), result(Module::antivirus, Status::infected)},
      t);
  EXPECT_EQ(tie.decided_by->first, Module::antiphishing);
}

TEST(Verdict, SpamTagAloneGivesTheReason) {
  const Verdict v =
      aggregate({result(Module::antivirus, Status::clean), result(Module::antispam, Status::spam)},
                ActionTable::defaults());
  EXPECT_EQ(v.action, Action::deliver);
  ASSERT_TRUE(v.decided_by.has_value());
  EXPECT_EQ(v.decided_by->first, Module::antispam);
  EXPECT_EQ(v.reason, "antispam: spam");
  EXPECT_EQ(header(v, "X-KSMG-Message-Action"), "delivered, AntiSpam");
}

TEST(Verdict, TableEntriesCanBeChanged) {
  ActionTable t = ActionTable::defaults();
  Decision d;
  d.action = Action::discard;
  d.extras.notify_admin = true;
  t.set(Module::antivirus, Status::encrypted, d);
  const Verdict v = aggregate({result(Module::antivirus, Status::encrypted)}, t);
  EXPECT_EQ(v.action, Action::discard);
  EXPECT_TRUE(v.extras.notify_admin);
  EXPECT_FALSE(v.extras.backup);
  EXPECT_EQ(header(v, "X-KSMG-Message-Action"), "deleted, AntiVirus");
}

TEST(Verdict, QuarantineComesWithTheDeliveryThatAsksForIt) {
  ActionTable t = ActionTable::defaults();
  Decision hold;
  hold.extras.quarantine = true;
  t.set(Module::antispam, Status::spam, hold);
  const Verdict held = aggregate({result(Module::antispam, Status::spam)}, t);
  EXPECT_EQ(held.action, Action::deliver);
  EXPECT_TRUE(held.extras.quarantine);
  ASSERT_TRUE(held.decided_by.has_value());  // extras alone decide among deliveries
  EXPECT_EQ(held.decided_by->first, Module::antispam);
  const Verdict clean = aggregate({result(Module::antispam, Status::clean)}, t);
  EXPECT_FALSE(clean.extras.quarantine);
}

// Issue 17, principle 1: what a limit left unread is never delivered as it is.
ModuleResult cut_by(std::initializer_list<ksmg::Limit> limits) {
  ModuleResult r = result(Module::antivirus, Status::not_scanned);
  for (const ksmg::Limit l : limits) r.limits.add(l);
  return r;
}

TEST(VerdictLimits, StructureNoHonestSenderWritesIsRejected) {
  for (const ksmg::Limit l : kStructureLimits) {
    const Verdict v = aggregate({cut_by({l})}, ActionTable::defaults());
    EXPECT_EQ(v.action, Action::reject) << ksmg::to_string(l);
    EXPECT_TRUE(v.extras.backup) << ksmg::to_string(l);
  }
}

TEST(VerdictLimits, VolumeKeepsTheOriginalInQuarantine) {
  for (const ksmg::Limit l : kVolumeLimits) {
    const Verdict v = aggregate({cut_by({l})}, ActionTable::defaults());
    EXPECT_EQ(v.action, Action::deliver) << ksmg::to_string(l);
    EXPECT_TRUE(v.extras.quarantine) << ksmg::to_string(l);
    EXPECT_TRUE(v.extras.backup) << ksmg::to_string(l);
  }
}

TEST(VerdictLimits, ASpentDnsBudgetDeliversWithNothingAdded) {
  for (const ksmg::Limit l : kLookupLimits) {
    const Verdict v = aggregate({cut_by({l})}, ActionTable::defaults());
    EXPECT_EQ(v.action, Action::deliver) << ksmg::to_string(l);
    EXPECT_FALSE(v.extras.quarantine || v.extras.backup || v.extras.add_warning)
        << ksmg::to_string(l);
  }
}

TEST(VerdictLimits, EveryLimitIsInOneDefaultList) {
  for (const ksmg::Limit l : ksmg::kAllLimits) {
    const auto in = [l](const auto& list) {
      return std::count(std::begin(list), std::end(list), l);
    };
    EXPECT_EQ(in(kStructureLimits) + in(kVolumeLimits) + in(kLookupLimits), 1)
        << ksmg::to_string(l);
    EXPECT_EQ(ksmg::limit_from_string(ksmg::to_string(l)), l);
  }
}

TEST(VerdictLimits, EveryLimitHasADefaultAndTheWorstOfSeveralWins) {
  const ActionTable t = ActionTable::defaults();
  for (const ksmg::Limit l : ksmg::kAllLimits)
    EXPECT_TRUE(t.get(l).has_value()) << ksmg::to_string(l);
  const Verdict v = aggregate({cut_by({ksmg::Limit::member_size, ksmg::Limit::content_params})}, t);
  EXPECT_EQ(v.action, Action::reject);
  EXPECT_TRUE(v.extras.quarantine);  // the extras of both are kept
}

TEST(VerdictLimits, ALimitWithoutAnEntryFallsBackToNotScanned) {
  ActionTable t;  // nothing set for limits
  Decision warn;
  warn.extras.add_warning = true;
  t.set(Module::antivirus, Status::not_scanned, warn);
  const Verdict v = aggregate({cut_by({ksmg::Limit::header_fields})}, t);
  EXPECT_EQ(v.action, Action::deliver);
  EXPECT_TRUE(v.extras.add_warning);
  // A found infection is worse than any limit's decision, and limits never make it better.
  ModuleResult infected = cut_by({ksmg::Limit::member_size});
  infected.status = Status::infected;
  EXPECT_EQ(aggregate({infected}, ActionTable::defaults()).action, Action::reject);
}

TEST(VerdictHeaders, AttackerBytesNeverBreakTheHeaderBlock) {
  const std::string evil = "x.exe\r\nBcc: victim@example.org\r\n\r\nbody\x01\x7f";
  const Verdict v = aggregate({result(Module::antivirus, Status::infected, {{"1", evil, ""}})},
                              ActionTable::defaults(), {"rule-1\r\nX-Injected: 1"});
  for (const auto& [name, value] : x_headers(v)) {
    EXPECT_EQ(name.rfind("X-KSMG-", 0), 0u);
    for (const char c : value) {
      const auto b = static_cast<unsigned char>(c);
      EXPECT_TRUE(b >= 0x20 && b < 0x7F) << name << ": " << value;
    }
    EXPECT_LE(value.size(), kMaxHeaderValue);
  }
}

TEST(VerdictHeaders, NonAsciiIsEncodedAndDecodesBack) {
  const std::string name = "счёт-фактура №17.exe";
  const std::string safe = header_safe(name);
  EXPECT_EQ(safe.rfind("=?UTF-8?B?", 0), 0u) << safe;
  EXPECT_EQ(ksmg::mime::decode_header_words(safe), name);
  // Invalid UTF-8 is shown as U+FFFD, never passed through.
  EXPECT_EQ(ksmg::mime::decode_header_words(header_safe("a\xff"
                                                        "b")),
            "a\xEF\xBF\xBD"
            "b");
  // Long values are cut on a character boundary within the cap.
  std::string longname;
  for (int i = 0; i < 500; ++i) longname += "ж";
  const std::string cut = header_safe(longname);
  EXPECT_LE(cut.size(), kMaxHeaderValue);
  const std::string back = ksmg::mime::decode_header_words(cut);
  EXPECT_FALSE(back.empty());
  EXPECT_EQ(back.size() % 2, 0u);  // whole two-byte characters only
}

TEST(VerdictHeaders, OurFieldsAreToldByNameInAnyCase) {
  EXPECT_TRUE(is_verdict_field("X-KSMG-AntiVirus"));
  EXPECT_TRUE(is_verdict_field("x-ksmg-antivirus-status"));
  EXPECT_TRUE(is_verdict_field("X-Ksmg-Rule-ID: forged\r\n"));  // a header line works too
  EXPECT_FALSE(is_verdict_field("X-KSMG"));
  EXPECT_FALSE(is_verdict_field("X-KSM-AntiVirus"));
  EXPECT_FALSE(is_verdict_field("Subject: X-KSMG-AntiVirus"));
  EXPECT_FALSE(is_verdict_field(""));
}

TEST(VerdictReply, RefusedMessagesAreAnsweredWithTheReason) {
  Verdict v;
  v.action = Action::reject;
  v.reason = "antivirus: infected (EICAR in 2/eicar.com)";
  std::optional<SmtpReply> r = smtp_reply(v);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->code, 550);
  EXPECT_EQ(r->enhanced, "5.7.1");
  EXPECT_EQ(r->text, "Message rejected: antivirus: infected (EICAR in 2/eicar.com)");
  v.action = Action::tempfail;
  v.reason.clear();  // the policy decided without a module's finding
  r = smtp_reply(v);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->code, 451);
  EXPECT_EQ(r->enhanced, "4.7.1");
  EXPECT_EQ(r->text, "Message deferred: policy");
}

TEST(VerdictReply, TakenMessagesAreTheFrontEndsToAnswer) {
  Verdict v;
  v.reason = "content_filter: triggered";
  for (Action a : {Action::deliver, Action::discard}) {
    v.action = a;
    EXPECT_FALSE(smtp_reply(v)) << to_string(a);
  }
}

TEST(VerdictReply, FailuresKeepTheMessageWithItsSender) {
  const SmtpReply scan = smtp_reply(Failure::scan_failed);
  EXPECT_EQ(scan.code, 451);
  EXPECT_EQ(scan.enhanced, "4.3.0");
  EXPECT_EQ(scan.text, "Error: temporary scanning failure, try again later");
  const SmtpReply backup = smtp_reply(Failure::backup_failed);
  EXPECT_EQ(backup.code, 451);
  EXPECT_EQ(backup.enhanced, "4.3.0");
  EXPECT_EQ(backup.text, "Error: cannot keep a copy, try again later");
  const SmtpReply hold = smtp_reply(Failure::quarantine_refused);
  EXPECT_EQ(hold.code, 451);
  EXPECT_EQ(hold.enhanced, "4.7.1");
  EXPECT_EQ(hold.text, "Message deferred: cannot quarantine");
}

}  // namespace

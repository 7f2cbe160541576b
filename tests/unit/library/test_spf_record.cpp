// test_spf_record.cpp — the SPF record grammar and macro expansion (auth/spf_record.hpp), without
// DNS: RFC 7208's own examples (the macro table of 7.4), each mechanism, modifier, qualifier and
// CIDR form, malformed records, and the openspf suites (tests/data/spf, converted to JSON by
// to_json.py): every permerror a record's syntax decides is refused, every other SPF record of
// their zone data is read.
#include <gtest/gtest.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "auth/spf_record.hpp"
#include "test_data.hpp"

namespace {

using namespace ksmg::auth::spf;

Record parsed(std::string_view text) {
  Record r;
  const ParseResult result = parse_record(text, r);
  EXPECT_TRUE(result.ok) << text << ": " << result.reason;
  return r;
}

std::string refusal(std::string_view text) {
  Record r;
  const ParseResult result = parse_record(text, r);
  EXPECT_FALSE(result.ok) << text;
  EXPECT_FALSE(result.reason.empty()) << text;
  return result.reason;
}

TEST(SpfRecord, SelectsVersionFollowedBySpaceOrEnd) {
  EXPECT_TRUE(is_spf_record("v=spf1"));
  EXPECT_TRUE(is_spf_record("v=spf1 -all"));
  EXPECT_TRUE(is_spf_record("V=SPF1 -all"));
  EXPECT_FALSE(is_spf_record("v=spf10 -all"));
  EXPECT_FALSE(is_spf_record("v=spf1-all"));
  EXPECT_FALSE(is_spf_record(" v=spf1 -all"));
  EXPECT_FALSE(is_spf_record("v=spf2 -all"));
  EXPECT_FALSE(is_spf_record("spf2.0/pra -all"));
  refusal("v=spf10 -all");
}

TEST(SpfRecord, ReadsEveryMechanismWithItsQualifier) {
  const Record r = parsed(
      "v=spf1 +a -mx ~ptr ?include:_spf.example.com exists:%{i}.x.example.com ip4:192.0.2.0/24 "
      "ip6:2001:db8::/32 all");
  ASSERT_EQ(r.mechanisms.size(), 8u);
  const MechanismKind kinds[] = {MechanismKind::a,       MechanismKind::mx,     MechanismKind::ptr,
                                 MechanismKind::include, MechanismKind::exists, MechanismKind::ip4,
                                 MechanismKind::ip6,     MechanismKind::all};
  const Qualifier qualifiers[] = {Qualifier::pass,    Qualifier::fail, Qualifier::softfail,
                                  Qualifier::neutral, Qualifier::pass, Qualifier::pass,
                                  Qualifier::pass,    Qualifier::pass};
  for (std::size_t i = 0; i < 8; ++i) {
    EXPECT_EQ(r.mechanisms[i].kind, kinds[i]) << i;
    EXPECT_EQ(r.mechanisms[i].qualifier, qualifiers[i]) << i;
  }
  EXPECT_EQ(r.mechanisms[0].domain_spec, "");
  EXPECT_EQ(r.mechanisms[3].domain_spec, "_spf.example.com");
  EXPECT_EQ(r.mechanisms[4].domain_spec, "%{i}.x.example.com");
  EXPECT_EQ(r.mechanisms[5].ip4_prefix, 24);
  EXPECT_EQ(r.mechanisms[5].network[0], 192);
  EXPECT_EQ(r.mechanisms[5].network[3], 0);
  EXPECT_EQ(r.mechanisms[6].ip6_prefix, 32);
  EXPECT_EQ(r.mechanisms[6].network[0], 0x20);
  EXPECT_EQ(r.mechanisms[6].network[1], 0x01);
  EXPECT_EQ(r.mechanisms[6].network[3], 0xb8);
  EXPECT_TRUE(r.unknown_modifiers.empty());
  EXPECT_FALSE(r.redirect);
  // Mechanism names are case-insensitive; terms are separated by one or more spaces.
  EXPECT_EQ(parsed("v=spf1   MX   Include:example.com  IP4:1.2.3.4 -ALL  ").mechanisms.size(), 4u);
  EXPECT_TRUE(parsed("v=spf1").mechanisms.empty());
}

TEST(SpfRecord, ReadsDualCidrLengths) {
  const auto one = [](std::string_view text) { return parsed(text).mechanisms.at(0); };
  Mechanism m = one("v=spf1 a/24//64");
  EXPECT_EQ(m.domain_spec, "");
  EXPECT_EQ(m.ip4_prefix, 24);
  EXPECT_EQ(m.ip6_prefix, 64);
  m = one("v=spf1 mx:example.com//0");
  EXPECT_EQ(m.domain_spec, "example.com");
  EXPECT_EQ(m.ip4_prefix, 32);
  EXPECT_EQ(m.ip6_prefix, 0);
  m = one("v=spf1 a:%{d}/0");
  EXPECT_EQ(m.domain_spec, "%{d}");
  EXPECT_EQ(m.ip4_prefix, 0);
  EXPECT_EQ(m.ip6_prefix, 128);
  m = one("v=spf1 ip4:10.0.0.1");
  EXPECT_EQ(m.ip4_prefix, 32);
  m = one("v=spf1 ip6:::ffff:1.2.3.4/128");
  EXPECT_EQ(m.ip6_prefix, 128);
  EXPECT_EQ(m.network[15], 4);
  for (const char* bad :
       {"v=spf1 a/33", "v=spf1 a//129", "v=spf1 a/024", "v=spf1 a//064", "v=spf1 a/24/64",
        "v=spf1 a//64//64", "v=spf1 mx:example.com/", "v=spf1 ip4:1.2.3.4/33",
        "v=spf1 ip4:1.2.3.4/", "v=spf1 ip4:1.2.3.4//24", "v=spf1 ip6:::1/129", "v=spf1 ip6:::1//64",
        "v=spf1 ip4:1.2.3.4/8a", "v=spf1 ptr/24", "v=spf1 include:a.com/24"})
    refusal(bad);
}

TEST(SpfRecord, ReadsModifiers) {
  Record r = parsed("v=spf1 -all redirect=_spf.example.com exp=explain.%{d} moo.cow-far_out=x:y/z");
  ASSERT_TRUE(r.redirect);
  EXPECT_EQ(*r.redirect, "_spf.example.com");
  ASSERT_TRUE(r.explanation);
  EXPECT_EQ(*r.explanation, "explain.%{d}");
  ASSERT_EQ(r.unknown_modifiers.size(), 1u);
  EXPECT_EQ(r.unknown_modifiers[0].name, "moo.cow-far_out");
  EXPECT_EQ(r.unknown_modifiers[0].value, "x:y/z");
  r = parsed("v=spf1 REDIRECT=example.com Exp=e.example.com unknown=");
  EXPECT_TRUE(r.redirect && r.explanation);
  EXPECT_EQ(r.unknown_modifiers.size(), 1u);
  EXPECT_NE(refusal("v=spf1 redirect=a.example.com redirect=b.example.com").find("twice"),
            std::string::npos);
  EXPECT_NE(refusal("v=spf1 exp=a.example.com EXP=b.example.com").find("twice"), std::string::npos);
  for (const char* bad :
       {"v=spf1 redirect=", "v=spf1 exp=", "v=spf1 redirect=-all", "v=spf1 +redirect=example.com",
        "v=spf1 =all", "v=spf1 1up=foo", "v=spf1 foo=%abc", "v=spf1 exp=%{r}.example.com",
        "v=spf1 redirect:example.com"})
    refusal(bad);
}

TEST(SpfRecord, RefusesMalformedRecordsWithAReason) {
  EXPECT_NE(refusal("v=spf1 ip4:1.2.3.4 -all moo").find("unknown mechanism"), std::string::npos);
  EXPECT_NE(refusal("v=spf1 a:foo-bar").find("top label"), std::string::npos);
  EXPECT_NE(refusal("v=spf1 ip4:1.2.3").find("network"), std::string::npos);
  EXPECT_NE(refusal("v=spf1 exists:%{x}.example.com").find("macro letter"), std::string::npos);
  for (const char* bad : {"v=spf1 -all.",
                          "v=spf1 -all:x",
                          "v=spf1 -all/8",
                          "v=spf1 ptr:",
                          "v=spf1 a:",
                          "v=spf1 include",
                          "v=spf1 include:",
                          "v=spf1 exists",
                          "v=spf1 ip4",
                          "v=spf1 ip6",
                          "v=spf1 ip4:1.2.3.4:8080",
                          "v=spf1 ip4:01.2.3.4",
                          "v=spf1 ip4:256.1.1.1",
                          "v=spf1 ip6::CAFE::BABE",
                          "v=spf1 a:museum",
                          "v=spf1 a:museum.",
                          "v=spf1 a:abc.123",
                          "v=spf1 a:example.-com",
                          "v=spf1 a:example.com-",
                          "v=spf1 a:example.com:8080",
                          "v=spf1 a:x.example.com\t-all",
                          "v=spf1 a:x.example.com\r-all",
                          "v=spf1 \x80"
                          "a",
                          "v=spf1 exists:%{d0}.example.com",
                          "v=spf1 exists:%{d}%",
                          "v=spf1 exists:%(d).x.com",
                          "v=spf1 exists:%{d.x.com",
                          "v=spf1 exists:%{dr!}.x.com",
                          "v=spf1 exists:%{}.x.com",
                          "v=spf1 a:%{c}.example.com",
                          "v=spf1 a:%{t}.example.com",
                          "v=spf1 ?"})
    refusal(bad);
  // A domain-spec ending in a macro needs no top label; a top label may be "123-456".
  parsed("v=spf1 exists:%{ir}.%{v}._spf.%{d2} a:%{d} mx:example.123-456 a:example.com. ?all");
  parsed("v=spf1 exists:%%%_%-.%{D5R-+,/_=}.example.com");
}

TEST(SpfRecord, BoundsTheTermCount) {
  std::string record = "v=spf1";
  for (std::size_t i = 0; i < kMaxRecordTerms; ++i) record += " ip4:192.0.2.1";
  EXPECT_EQ(parsed(record).mechanisms.size(), kMaxRecordTerms);
  EXPECT_NE(refusal(record + " -all").find("terms"), std::string::npos);
}

// RFC 7208 7.4, with the inputs its text gives.
MacroInputs rfc_inputs(std::string_view ip) {
  MacroInputs in;
  in.sender_local = "strong-bad";
  in.sender_domain = "email.example.com";
  in.domain = "email.example.com";
  in.client_ip = ip;
  in.helo = "mx.example.org";
  return in;
}

std::string expanded(std::string_view spec, const MacroInputs& in,
                     MacroContext context = MacroContext::domain_spec) {
  std::string out;
  std::string reason;
  EXPECT_TRUE(expand_macros(spec, in, context, out, reason)) << spec << ": " << reason;
  return out;
}

TEST(SpfMacros, ExpandsEveryLineOfTheRfcTable) {
  const MacroInputs v4 = rfc_inputs("192.0.2.3");
  const std::pair<const char*, const char*> table[] = {
      {"%{s}", "strong-bad@email.example.com"},
      {"%{o}", "email.example.com"},
      {"%{d}", "email.example.com"},
      {"%{d4}", "email.example.com"},
      {"%{d3}", "email.example.com"},
      {"%{d2}", "example.com"},
      {"%{d1}", "com"},
      {"%{dr}", "com.example.email"},
      {"%{d2r}", "example.email"},
      {"%{l}", "strong-bad"},
      {"%{l-}", "strong.bad"},
      {"%{lr}", "strong-bad"},
      {"%{lr-}", "bad.strong"},
      {"%{l1r-}", "strong"},
      {"%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com"},
      {"%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com"},
      {"%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "bad.strong.lp.3.2.0.192.in-addr._spf.example.com"},
      {"%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "3.2.0.192.in-addr.strong.lp._spf.example.com"},
      {"%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net"},
  };
  for (const auto& [spec, want] : table) EXPECT_EQ(expanded(spec, v4), want) << spec;
  EXPECT_EQ(expanded("%{ir}.%{v}._spf.%{d2}", rfc_inputs("2001:db8::cb01")),
            "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com");
}

TEST(SpfMacros, ExpandsTheOtherLettersAndEscapes) {
  MacroInputs in = rfc_inputs("2001:DB8:0:0:0:0:0:CB01");
  in.receiver = "gw.example.net";
  in.timestamp = 1234567890;
  EXPECT_EQ(expanded("%{h}", in), "mx.example.org");
  EXPECT_EQ(expanded("%{p}", in), "unknown");
  EXPECT_EQ(expanded("%{v}", rfc_inputs("192.0.2.3")), "in-addr");
  // Uppercase letters are URL-escaped (RFC 3986 unreserved characters kept).
  EXPECT_EQ(expanded("%{S}", in), "strong-bad%40email.example.com");
  EXPECT_EQ(expanded("%%%_%-", in), "% %20");
  EXPECT_EQ(expanded("%{d1000}", in), "email.example.com");
  EXPECT_EQ(expanded("%{sr-.}", in), "com.example.bad@email.strong");
  // c, r and t only in explanations, where spaces are literal.
  EXPECT_EQ(expanded("%{c} is not %{r} at %{t}", in, MacroContext::explanation),
            "2001:db8::cb01 is not gw.example.net at 1234567890");
  EXPECT_EQ(expanded("%{c}", rfc_inputs("192.0.2.3"), MacroContext::explanation), "192.0.2.3");
  std::string out;
  std::string reason;
  EXPECT_FALSE(expand_macros("%{c}.example.com", in, MacroContext::domain_spec, out, reason));
  EXPECT_FALSE(expand_macros("a b", in, MacroContext::domain_spec, out, reason));
  EXPECT_FALSE(
      expand_macros("%{i}", rfc_inputs("not-an-ip"), MacroContext::domain_spec, out, reason));
  EXPECT_FALSE(expand_macros("%{q}", in, MacroContext::explanation, out, reason));
  EXPECT_FALSE(expand_macros("%{s-@}", in, MacroContext::explanation, out, reason));
}

TEST(SpfMacros, TruncatesLongNamesFromTheLeftAndRefusesBombs) {
  const std::string label(60, 'x');
  const std::string local = label + "." + label + "." + label;
  MacroInputs in = rfc_inputs("192.0.2.3");
  in.sender_local = local;
  // 560 octets in nine 60-octet labels and example.com: whole labels go from the left until at most
  // 253 are left.
  const std::string name = expanded("%{l}.%{l}.%{l}.example.com", in);
  EXPECT_LE(name.size(), kMaxExpandedDomainBytes);
  EXPECT_EQ(name, local + ".example.com");
  std::string bomb = "v=spf1 exists:";
  for (int i = 0; i < 200; ++i) bomb += "%{s}";
  const Record r = parsed(bomb);
  std::string out;
  std::string reason;
  EXPECT_FALSE(
      expand_macros(r.mechanisms.at(0).domain_spec, in, MacroContext::domain_spec, out, reason));
  EXPECT_NE(reason.find("exceeds"), std::string::npos);
  EXPECT_LE(out.size(), kMaxExpansionBytes);
}

// The openspf suites: their records, and which permerrors their syntax decides (to_json.py).
struct SuiteCounts {
  int syntax_cases = 0, syntax_refused = 0, valid_records = 0, valid_read = 0;
};

SuiteCounts check_suite(const std::string& file) {
  SuiteCounts counts;
  const std::string text = ksmg::test::read_file(ksmg::test::data_dir() / "spf" / file);
  const nlohmann::json suite = nlohmann::json::parse(text);
  for (const auto& scenario : suite.at("scenarios")) {
    // The SPF records a check_host() would select for a domain: TXT, else the suite's type SPF.
    const auto records_of = [&](const std::string& domain) {
      std::vector<std::string> txt, spf;
      for (const auto& rec : scenario.at("records")) {
        const std::string record = rec.at("text");
        if (rec.at("domain") != domain || !is_spf_record(record)) continue;
        (rec.at("type") == "TXT" ? txt : spf).push_back(record);
      }
      return txt.empty() ? spf : txt;
    };
    std::set<std::string> faulty_domains;
    for (const auto& test : scenario.at("tests")) {
      if (!test.contains("syntax_error_domain")) continue;
      const std::string domain = test.at("syntax_error_domain");
      faulty_domains.insert(domain);
      ++counts.syntax_cases;
      const std::vector<std::string> records = records_of(domain);
      Record r;
      const bool refused = records.size() == 1 && !parse_record(records[0], r).ok;
      counts.syntax_refused += refused;
      EXPECT_TRUE(refused) << file << " " << test.at("name").get<std::string>() << ": "
                           << (records.empty() ? "(no record)" : records[0]);
    }
    for (const auto& rec : scenario.at("records")) {
      const std::string record = rec.at("text");
      if (!is_spf_record(record) || faulty_domains.count(rec.at("domain"))) continue;
      ++counts.valid_records;
      Record r;
      const ParseResult result = parse_record(record, r);
      counts.valid_read += result.ok;
      EXPECT_TRUE(result.ok) << file << " " << rec.at("domain").get<std::string>() << ": " << record
                             << ": " << result.reason;
    }
  }
  return counts;
}

// Both suites: every syntax permerror refused, every other SPF record read.
void expect_suite(const std::string& file, int syntax_cases) {
  const SuiteCounts c = check_suite(file);
  EXPECT_EQ(c.syntax_cases, syntax_cases);
  EXPECT_EQ(c.syntax_refused, c.syntax_cases);
  EXPECT_EQ(c.valid_read, c.valid_records);
  std::printf("%s: syntax permerrors refused %d/%d, valid records read %d/%d\n", file.c_str(),
              c.syntax_refused, c.syntax_cases, c.valid_read, c.valid_records);
}

TEST(SpfSuites, Rfc7208SyntaxPermerrorsAndValidRecords) { expect_suite("rfc7208-tests.json", 64); }

TEST(SpfSuites, Rfc4408SyntaxPermerrorsAndValidRecords) { expect_suite("rfc4408-tests.json", 62); }

}  // namespace

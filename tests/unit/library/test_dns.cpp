// test_dns.cpp — the DNS layer: addresses (parsing, RFC 5952 text, CIDR, reverse names), the
// static resolver's answers (NXDOMAIN, NODATA, timeouts, CNAME chains and loops), the master-file
// reader on a realistic zone and on bad input, and the per-message budget of dns::Lookups.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "ksmg/dns.hpp"
#include "test_data.hpp"

namespace {

using ksmg::Limit;
using ksmg::ScanLimits;
using ksmg::dns::Address;
using ksmg::dns::Answer;
using ksmg::dns::Lookups;
using ksmg::dns::Resolver;
using ksmg::dns::StaticResolver;
using ksmg::dns::Status;
using ksmg::dns::Type;
using Clock = std::chrono::steady_clock;

Answer ask(Resolver& r, std::string_view name, Type type) {
  return r.resolve(name, type, Clock::now() + std::chrono::seconds(1));
}

Address ip(std::string_view text) {
  const std::optional<Address> a = Address::parse(text);
  EXPECT_TRUE(a.has_value()) << text;
  return a.value_or(Address{});
}

std::vector<std::string> texts_of(const std::vector<Address>& addresses) {
  std::vector<std::string> out;
  for (const Address& a : addresses) out.push_back(a.to_string());
  return out;
}

TEST(DnsAddress, ReadsBothFamilies) {
  const Address v4 = ip("192.0.2.1");
  EXPECT_TRUE(v4.is_v4());
  EXPECT_EQ(v4.size(), 4u);
  EXPECT_EQ(v4, Address::v4({192, 0, 2, 1}));
  const Address v6 = ip("2001:DB8::1");
  EXPECT_FALSE(v6.is_v4());
  EXPECT_EQ(v6.size(), 16u);
  EXPECT_EQ(v6, Address::v6({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}));
  // An IPv4-mapped address stays IPv6 (SPF's ip6: sees it so; ip4: does not).
  EXPECT_FALSE(ip("::ffff:192.0.2.1").is_v4());
  EXPECT_NE(ip("::ffff:192.0.2.1"), v4);
}

TEST(DnsAddress, RefusesWhatIsNoAddress) {
  for (const std::string_view bad :
       {"", "192.0.2", "192.0.2.256", "192.0.2.1.5", "01.2.3.4", " 192.0.2.1", "192.0.2.1 ",
        "192.0.2.1:25", "[2001:db8::1]", "2001:db8::1%eth0", "2001:db8:::1", "1:2:3:4:5:6:7:8:9",
        "g::1", "example.com", "2001:db8::1/64",
        "0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0001"})
    EXPECT_FALSE(Address::parse(bad).has_value()) << bad;
  EXPECT_FALSE(Address::parse(std::string_view("192.0.2.1\0x", 11)).has_value());
}

TEST(DnsAddress, WritesRfc5952Text) {
  // RFC 5952 4: lower case, no leading zeros, the longest run of zeros (the first of equal ones)
  // shortened, never a single zero field; 5: IPv4-mapped in mixed notation.
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1"},
      {"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},
      {"2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"},
      {"2001:0:0:1:0:0:0:1", "2001:0:0:1::1"},
      {"::", "::"},
      {"::1", "::1"},
      {"::2", "::2"},
      {"1::", "1::"},
      {"fe80::0:0:1", "fe80::1"},
      {"::ffff:192.0.2.1", "::ffff:192.0.2.1"},
      {"::ffff:c000:0201", "::ffff:192.0.2.1"},
      {"192.0.2.1", "192.0.2.1"},
      {"0.0.0.0", "0.0.0.0"},
  };
  for (const auto& [in, out] : cases) EXPECT_EQ(ip(in).to_string(), out) << in;
}

TEST(DnsAddress, MatchesNetworks) {
  EXPECT_TRUE(ip("192.0.2.77").in_network(ip("192.0.2.0"), 24));
  EXPECT_FALSE(ip("192.0.3.77").in_network(ip("192.0.2.0"), 24));
  EXPECT_TRUE(ip("192.0.2.77").in_network(ip("192.0.2.64"), 26));  // .64 - .127
  EXPECT_FALSE(ip("192.0.2.128").in_network(ip("192.0.2.64"), 26));
  EXPECT_TRUE(ip("192.0.2.1").in_network(ip("192.0.2.1"), 32));
  EXPECT_FALSE(ip("192.0.2.1").in_network(ip("192.0.2.1"), 33));
  EXPECT_TRUE(ip("203.0.113.9").in_network(ip("0.0.0.0"), 0));
  EXPECT_TRUE(ip("2001:db8:1::5").in_network(ip("2001:db8::"), 32));
  EXPECT_TRUE(ip("2001:db8:ffff::").in_network(ip("2001:db8:8000::"), 33));
  EXPECT_FALSE(ip("2001:db8:7fff::").in_network(ip("2001:db8:8000::"), 33));
  EXPECT_TRUE(ip("::1").in_network(ip("::"), 0));
  EXPECT_FALSE(ip("::1").in_network(ip("::"), 129));
  // Never across families, not even IPv4-mapped.
  EXPECT_FALSE(ip("192.0.2.1").in_network(ip("::ffff:192.0.2.0"), 120));
  EXPECT_FALSE(ip("::ffff:192.0.2.1").in_network(ip("192.0.2.0"), 24));
  EXPECT_FALSE(ip("192.0.2.1").in_network(ip("::"), 0));
}

TEST(DnsAddress, NamesItsReversePointer) {
  EXPECT_EQ(ip("192.0.2.1").reverse_name(), "1.2.0.192.in-addr.arpa");
  // RFC 3596 2.5's own example.
  EXPECT_EQ(ip("4321:0:1:2:3:4:567:89ab").reverse_name(),
            "b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.0.0.0.0.1.2.3.4.ip6.arpa");
}

TEST(DnsNames, TypesAndStatuses) {
  EXPECT_EQ(to_string(Type::aaaa), "AAAA");
  EXPECT_EQ(to_string(Type::txt), "TXT");
  EXPECT_EQ(to_string(Status::nxdomain), "nxdomain");
  EXPECT_EQ(to_string(Status::servfail), "servfail");
}

TEST(DnsStatic, TellsTheKindsOfAnswerApart) {
  StaticResolver z;
  ASSERT_TRUE(z.add("example.com", Type::txt, "v=spf1 -all", 300));
  ASSERT_TRUE(z.add("example.com", Type::txt, "other", 60));
  ASSERT_TRUE(z.add("a.b.example.org", Type::a, "192.0.2.1"));
  ASSERT_TRUE(z.add_timeout("slow.example.net"));

  Answer a = ask(z, "EXAMPLE.com.", Type::txt);
  EXPECT_EQ(a.status, Status::answer);
  EXPECT_EQ(a.texts, (std::vector<std::string>{"v=spf1 -all", "other"}));
  EXPECT_EQ(a.ttl, 60u);  // the smallest
  EXPECT_EQ(ask(z, "example.com", Type::mx).status, Status::nodata);
  EXPECT_EQ(ask(z, "www.example.com", Type::txt).status, Status::nxdomain);
  EXPECT_EQ(ask(z, "example.co", Type::txt).status, Status::nxdomain);
  // Names above a record exist (empty non-terminals, RFC 8020); those beside it do not.
  EXPECT_EQ(ask(z, "b.example.org", Type::a).status, Status::nodata);
  EXPECT_EQ(ask(z, "org", Type::txt).status, Status::nodata);
  EXPECT_EQ(ask(z, "c.example.org", Type::a).status, Status::nxdomain);
  EXPECT_EQ(ask(z, "x.a.b.example.org", Type::a).status, Status::nxdomain);
  EXPECT_EQ(ask(z, "slow.example.net", Type::txt).status, Status::timeout);
  EXPECT_EQ(ask(z, "SLOW.example.net.", Type::a).status, Status::timeout);
  EXPECT_EQ(ask(z, "", Type::a).status, Status::nxdomain);
  EXPECT_EQ(ask(z, ".", Type::a).status, Status::nxdomain);
}

TEST(DnsStatic, ReadsEachTypesData) {
  StaticResolver z;
  EXPECT_TRUE(z.add("h.example", Type::a, "192.0.2.1"));
  EXPECT_TRUE(z.add("h.example", Type::aaaa, "2001:db8::1"));
  EXPECT_TRUE(z.add("h.example", Type::mx, "10 Mail.Example."));
  EXPECT_TRUE(z.add("h.example", Type::mx, "0 ."));  // a null MX (RFC 7505)
  EXPECT_TRUE(z.add("1.2.0.192.in-addr.arpa", Type::ptr, "h.example."));
  EXPECT_FALSE(z.add("h.example", Type::a, "2001:db8::1"));
  EXPECT_FALSE(z.add("h.example", Type::aaaa, "192.0.2.1"));
  EXPECT_FALSE(z.add("h.example", Type::mx, "mail.example"));
  EXPECT_FALSE(z.add("h.example", Type::mx, "65536 mail.example"));
  EXPECT_FALSE(z.add("h.example", Type::ptr, "a..b"));
  EXPECT_FALSE(z.add("h..example", Type::a, "192.0.2.1"));
  EXPECT_FALSE(z.add(std::string(64, 'x') + ".example", Type::a, "192.0.2.1"));
  EXPECT_FALSE(z.add(std::string(254, 'x'), Type::a, "192.0.2.1"));
  EXPECT_FALSE(z.add("", Type::a, "192.0.2.1"));
  // 65279 bytes need 256 length bytes: 65535 in all, the most RDATA holds.
  EXPECT_TRUE(z.add("big.example", Type::txt, std::string(65279, 'x')));
  EXPECT_FALSE(z.add("big.example", Type::txt, std::string(65280, 'x')));

  const Answer mx = ask(z, "h.example", Type::mx);
  ASSERT_EQ(mx.exchanges.size(), 2u);
  EXPECT_EQ(mx.exchanges[0].preference, 10);
  EXPECT_EQ(mx.exchanges[0].exchange, "Mail.Example");  // the case the zone gave
  EXPECT_EQ(mx.exchanges[1].exchange, "");
  EXPECT_EQ(texts_of(ask(z, "h.example", Type::a).addresses),
            std::vector<std::string>{"192.0.2.1"});
  EXPECT_EQ(texts_of(ask(z, "h.example", Type::aaaa).addresses),
            std::vector<std::string>{"2001:db8::1"});
  EXPECT_EQ(ask(z, ip("192.0.2.1").reverse_name(), Type::ptr).names,
            std::vector<std::string>{"h.example"});
}

TEST(DnsStatic, FollowsCnameChainsAndStopsLoops) {
  StaticResolver z;
  ASSERT_TRUE(z.add("www.example", Type::cname, "web.example", 600));
  ASSERT_TRUE(z.add("web.example", Type::cname, "Host.Example", 900));
  ASSERT_TRUE(z.add("host.example", Type::a, "192.0.2.8", 1200));
  ASSERT_TRUE(z.add("dangling.example", Type::cname, "nowhere.example"));
  ASSERT_TRUE(z.add("to-slow.example", Type::cname, "slow.example"));
  ASSERT_TRUE(z.add_timeout("slow.example"));
  ASSERT_TRUE(z.add("loop1.example", Type::cname, "loop2.example"));
  ASSERT_TRUE(z.add("loop2.example", Type::cname, "LOOP1.example"));
  ASSERT_TRUE(z.add("self.example", Type::cname, "self.example"));
  // RFC 1034 3.6.2: nothing beside a CNAME.
  EXPECT_FALSE(z.add("www.example", Type::a, "192.0.2.9"));
  EXPECT_FALSE(z.add("www.example", Type::cname, "other.example"));
  EXPECT_FALSE(z.add("host.example", Type::cname, "other.example"));

  const Answer a = ask(z, "www.example", Type::a);
  EXPECT_EQ(a.status, Status::answer);
  EXPECT_EQ(texts_of(a.addresses), std::vector<std::string>{"192.0.2.8"});
  EXPECT_EQ(a.ttl, 600u);  // the smallest along the chain
  EXPECT_EQ(ask(z, "www.example", Type::txt).status, Status::nodata);
  const Answer c = ask(z, "www.example", Type::cname);  // not followed when asked for
  EXPECT_EQ(c.names, std::vector<std::string>{"web.example"});
  EXPECT_EQ(ask(z, "dangling.example", Type::a).status, Status::nxdomain);
  EXPECT_EQ(ask(z, "to-slow.example", Type::a).status, Status::timeout);
  EXPECT_EQ(ask(z, "loop1.example", Type::a).status, Status::servfail);
  EXPECT_EQ(ask(z, "self.example", Type::txt).status, Status::servfail);

  // A chain of exactly kMaxCnameLinks links is followed; one more is not.
  StaticResolver chain;
  const auto link = [](std::size_t i) { return "l" + std::to_string(i) + ".example"; };
  for (std::size_t i = 0; i < ksmg::dns::kMaxCnameLinks + 1; ++i)
    ASSERT_TRUE(chain.add(link(i), Type::cname, link(i + 1)));
  ASSERT_TRUE(chain.add(link(ksmg::dns::kMaxCnameLinks + 1), Type::a, "192.0.2.1"));
  EXPECT_EQ(ask(chain, link(1), Type::a).status, Status::answer);
  EXPECT_EQ(ask(chain, link(0), Type::a).status, Status::servfail);
}

TEST(DnsStatic, ResolvesFromManyThreadsWhileRecordsAreAdded) {
  StaticResolver z;
  for (int i = 0; i < 200; ++i)
    ASSERT_TRUE(
        z.add("h" + std::to_string(i) + ".example", Type::a, "192.0.2." + std::to_string(i)));
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&z, &wrong] {
      for (int round = 0; round < 50; ++round)
        for (int i = 0; i < 200; ++i) {
          const Answer a = ask(z, "H" + std::to_string(i) + ".example", Type::a);
          if (a.status != Status::answer || a.addresses.size() != 1 ||
              a.addresses[0] != Address::v4({192, 0, 2, static_cast<std::uint8_t>(i)}))
            ++wrong;
        }
    });
  threads.emplace_back([&z] {
    for (int i = 0; i < 2000; ++i)
      (void)z.add("new" + std::to_string(i) + ".example", Type::txt, "x");
  });
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(ask(z, "new1999.example", Type::txt).status, Status::answer);
}

TEST(DnsMasterFile, ReadsARealisticZone) {
  std::string error;
  std::optional<StaticResolver> zone = StaticResolver::from_master_file(
      ksmg::test::read_file(ksmg::test::data_dir() / "dns/example.zone"), error);
  ASSERT_TRUE(zone.has_value()) << error;
  StaticResolver& z = *zone;

  Answer a = ask(z, "example.com", Type::a);
  EXPECT_EQ(texts_of(a.addresses), std::vector<std::string>{"192.0.2.10"});
  EXPECT_EQ(a.ttl, 300u);
  EXPECT_EQ(ask(z, "example.com", Type::aaaa).ttl, 3600u);  // $TTL 1h
  const Answer mx = ask(z, "example.com", Type::mx);
  ASSERT_EQ(mx.exchanges.size(), 2u);
  EXPECT_EQ(mx.exchanges[0].exchange, "mail.example.com");
  EXPECT_EQ(mx.exchanges[1].preference, 20);
  EXPECT_EQ(mx.exchanges[1].exchange, "mail.backup.example.net");
  EXPECT_EQ(ask(z, "example.com", Type::txt).texts,
            std::vector<std::string>{
                "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 include:_spf.example.net -all"});
  // A blank owner repeats the one before; the text of an address is read in any case.
  EXPECT_EQ(texts_of(ask(z, "mail.example.com", Type::aaaa).addresses),
            std::vector<std::string>{"2001:db8::25"});
  EXPECT_EQ(texts_of(ask(z, "www.example.com", Type::a).addresses),
            std::vector<std::string>{"192.0.2.10"});
  const Answer key = ask(z, "sel._domainkey.example.com", Type::txt);
  ASSERT_EQ(key.texts.size(), 1u);
  EXPECT_EQ(key.texts[0].rfind("v=DKIM1; k=rsa; p=MIGf", 0), 0u);
  EXPECT_EQ(key.texts[0].substr(key.texts[0].size() - 6), "RaG+HA");
  EXPECT_EQ(ask(z, "quoted.example.com", Type::txt).texts,
            std::vector<std::string>{"a \"quoted\" word\\ and ABC"});
  EXPECT_EQ(ask(z, "_dmarc.example.com", Type::txt).texts.size(), 1u);
  EXPECT_EQ(ask(z, "ns1.example.com", Type::a).status, Status::answer);
  EXPECT_EQ(ask(z, "10.2.0.192.in-addr.arpa", Type::ptr).names,
            std::vector<std::string>{"example.com"});
  // The SOA and NS owner exists; TIMEOUT names time out; the rest does not exist.
  EXPECT_EQ(ask(z, "example.com", Type::ptr).status, Status::nodata);
  EXPECT_EQ(ask(z, "slow.example.com", Type::txt).status, Status::timeout);
  EXPECT_EQ(ask(z, "lame.sub.example.com", Type::a).status, Status::timeout);
  EXPECT_EQ(ask(z, "sub.example.com", Type::a).status, Status::nodata);
  EXPECT_EQ(ask(z, "nothing.example.com", Type::txt).status, Status::nxdomain);
  EXPECT_EQ(ask(z, "slow", Type::txt).status, Status::nxdomain);  // names were made absolute
}

TEST(DnsMasterFile, WithoutAnOriginNamesAreAbsolute) {
  std::string error;
  std::optional<StaticResolver> z;
  z = StaticResolver::from_master_file(
      "example.org TXT \"v=spf1 a -all\"\n"
      "example.org A 192.0.2.1 ; TTL and class left out\n"
      "\n"
      "  ; a comment alone\n"
      "e.example.org\t7200 IN TXT two words\r\n"
      "t.example.org TIMEOUT",
      error);
  ASSERT_TRUE(z.has_value()) << error;
  EXPECT_EQ(ask(*z, "example.org", Type::txt).texts, std::vector<std::string>{"v=spf1 a -all"});
  const Answer two = ask(*z, "e.example.org", Type::txt);
  EXPECT_EQ(two.texts, std::vector<std::string>{"twowords"});  // character-strings joined
  EXPECT_EQ(two.ttl, 7200u);
  EXPECT_EQ(ask(*z, "t.example.org", Type::a).status, Status::timeout);
}

TEST(DnsMasterFile, NamesTheLineOfEachError) {
  const std::pair<std::string, std::string_view> cases[] = {
      {"a.example A 192.0.2.1\nb.example A 192.0.2.300\n", "line 2: "},
      {"a.example A 192.0.2.1\n\n  AAAA 192.0.2.1\n", "line 3: "},
      {"  A 192.0.2.1\n", "line 1: no owner name"},
      {"$ORIGIN example.\n$INCLUDE other.zone\n", "line 2: $INCLUDE"},
      {"$GENERATE 1-10 x A 192.0.2.$\n", "line 1: unknown directive"},
      {"$TTL forever\n", "line 1: 'forever' is not a TTL"},
      {"a.example 99999999999 A 192.0.2.1\n", "line 1: '99999999999' is not a TTL"},
      {"a.example CH TXT x\n", "line 1: class CH"},
      {"a.example IN HINFO x y\n", "line 1: type HINFO is not read"},
      {"a.example IN\n", "line 1: no type"},
      {"a.example MX 10\n", "line 1: MX takes 2 values, not 1"},
      {"a.example A 192.0.2.1 192.0.2.2\n", "line 1: A takes 1 value, not 2"},
      {"a.example TIMEOUT now\n", "line 1: TIMEOUT takes 0 values"},
      {"a.example TXT\n", "line 1: TXT without a string"},
      {"a.example TXT \"" + std::string(256, 'x') + "\"\n", "line 1: a TXT string over 255"},
      {"a.example TXT \"open\n", "line 1: quoted string not closed"},
      {"a.example TXT \"\\25x\"\n", "line 1: '\\' not followed by three digits"},
      {"a.example TXT \"\\256\"\n", "line 1: '\\DDD' over 255"},
      {"a.example TXT (\n x\n", "line 1: '(' never closed"},
      {"a.example TXT ( ( x ) )\n", "line 1: '(' inside parentheses"},
      {"\n\na.example TXT x )\n", "line 3: ')' without '('"},
      {"a.example CNAME b.example\na.example A 192.0.2.1\n", "line 2: a CNAME beside other data"},
      {"a..example A 192.0.2.1\n", "line 1: 'a..example' is not a domain name"},
      {"@ A 192.0.2.1\n", "line 1: '@' is not a domain name"},
      {"a\\.b.example A 192.0.2.1\n", "line 1: 'a.b.example' is not read as a name"},
      {"a.example SOA ns hostmaster 1 2 3 4\n", "line 1: SOA takes 7 values"},
      {"a.example A 192.0.2.1\n" + std::string(70000, 'x') + "\n", "line 2: line too long"},
  };
  for (const auto& [text, want] : cases) {
    std::string error;
    EXPECT_FALSE(StaticResolver::from_master_file(text, error).has_value()) << text;
    EXPECT_EQ(error.rfind(want, 0), 0u) << "got: " << error << "\nwanted: " << want;
  }
}

TEST(DnsMasterFile, BoundsRecordsAndTxtData) {
  std::string many;
  for (std::size_t i = 0; i <= ksmg::dns::kMaxStaticRecords; ++i) many += "a.example A 192.0.2.1\n";
  std::string error;
  EXPECT_FALSE(StaticResolver::from_master_file(many, error).has_value());
  EXPECT_EQ(error, "line 100001: more than 100000 records");

  // 257 strings of 255 bytes are 65792 bytes of RDATA: over 65535.
  std::string txt = "big.example TXT (\n";
  for (int i = 0; i < 257; ++i) txt += "\"" + std::string(255, 'y') + "\"\n";
  txt += ")\n";
  EXPECT_FALSE(StaticResolver::from_master_file(txt, error).has_value());
  EXPECT_EQ(error, "line 1: TXT data over 65535 bytes");
  // 255 of them (65280 bytes) are read, joined.
  txt = "big.example TXT (\n";
  for (int i = 0; i < 255; ++i) txt += "\"" + std::string(255, 'y') + "\"\n";
  txt += ")\n";
  std::optional<StaticResolver> z = StaticResolver::from_master_file(txt, error);
  ASSERT_TRUE(z.has_value()) << error;
  EXPECT_EQ(ask(*z, "big.example", Type::txt).texts.at(0).size(), 255u * 255u);
}

// Records the deadline each query is given, and answers from a static zone.
class DeadlineRecorder final : public Resolver {
 public:
  explicit DeadlineRecorder(StaticResolver& zone) : zone_(zone) {}
  Answer resolve(std::string_view name, Type type, Clock::time_point deadline) override {
    deadlines.push_back(deadline);
    return zone_.resolve(name, type, deadline);
  }
  std::vector<Clock::time_point> deadlines;

 private:
  StaticResolver& zone_;
};

TEST(DnsLookups, CountsQueriesAgainstTheLimit) {
  StaticResolver z;
  ASSERT_TRUE(z.add("example.com", Type::txt, "v=spf1 -all"));
  ScanLimits limits;
  limits.max_dns_lookups = 3;
  Lookups lookups(z, limits);
  EXPECT_EQ(lookups.query("example.com", Type::txt).status, Status::answer);
  EXPECT_EQ(lookups.query("missing.example.com", Type::txt).status, Status::nxdomain);
  EXPECT_EQ(lookups.query("example.com", Type::mx).status, Status::nodata);
  EXPECT_TRUE(lookups.limits().empty());
  // The fourth is not asked.
  const Answer over = lookups.query("example.com", Type::txt);
  EXPECT_EQ(over.status, Status::timeout);
  EXPECT_TRUE(over.texts.empty());
  EXPECT_EQ(lookups.count(), 3u);
  EXPECT_TRUE(lookups.limits().has(Limit::dns_lookups));
  EXPECT_FALSE(lookups.limits().has(Limit::dns_time));
}

TEST(DnsLookups, GivesEveryQueryTheDeadlineOfTheFirst) {
  StaticResolver z;
  ASSERT_TRUE(z.add_timeout("slow.example"));
  DeadlineRecorder recorder(z);
  ScanLimits limits;
  limits.max_dns_ms = 5000;
  Lookups lookups(recorder, limits);
  const Clock::time_point before = Clock::now();
  // A server that does not answer is no budget crossed.
  EXPECT_EQ(lookups.query("slow.example", Type::txt).status, Status::timeout);
  EXPECT_EQ(lookups.query("slow.example", Type::a).status, Status::timeout);
  ASSERT_EQ(recorder.deadlines.size(), 2u);
  EXPECT_EQ(recorder.deadlines[0], recorder.deadlines[1]);
  EXPECT_GE(recorder.deadlines[0], before + std::chrono::milliseconds(5000));
  EXPECT_LE(recorder.deadlines[0], Clock::now() + std::chrono::milliseconds(5000));
  EXPECT_TRUE(lookups.limits().empty());
}

TEST(DnsLookups, StopsAskingOnceTheTimeIsSpent) {
  StaticResolver z;
  ASSERT_TRUE(z.add("example.com", Type::a, "192.0.2.1"));
  DeadlineRecorder recorder(z);
  ScanLimits limits;
  limits.max_dns_ms = 0;
  Lookups spent(recorder, limits);
  EXPECT_EQ(spent.query("example.com", Type::a).status, Status::timeout);
  EXPECT_TRUE(recorder.deadlines.empty());  // never asked
  EXPECT_TRUE(spent.limits().has(Limit::dns_time));
  EXPECT_EQ(spent.count(), 0u);

  limits.max_dns_ms = 20;
  Lookups brief(recorder, limits);
  EXPECT_EQ(brief.query("example.com", Type::a).status, Status::answer);
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  EXPECT_EQ(brief.query("example.com", Type::a).status, Status::timeout);
  EXPECT_EQ(recorder.deadlines.size(), 1u);
  EXPECT_TRUE(brief.limits().has(Limit::dns_time));
  EXPECT_FALSE(brief.limits().has(Limit::dns_lookups));
}

TEST(DnsLookups, CountsQueriesFromManyThreadsExactly) {
  StaticResolver z;
  ASSERT_TRUE(z.add("example.com", Type::a, "192.0.2.1"));
  ScanLimits limits;
  limits.max_dns_lookups = 100;
  Lookups lookups(z, limits);
  std::atomic<int> answered{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i)
        if (lookups.query("example.com", Type::a).status == Status::answer) ++answered;
    });
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(answered.load(), 100);
  EXPECT_EQ(lookups.count(), 100u);
  EXPECT_TRUE(lookups.limits().has(Limit::dns_lookups));
}

}  // namespace

// test_relay_config.cpp — the relay's [relay] section and its routing: the documented example
// holds the defaults, mistakes name their line and key, and the routing table decides who may
// relay and where each domain goes.
#include <gtest/gtest.h>

#include "relay_config.hpp"
#include "routing.hpp"

namespace {

using ksmg::policy::ConfigError;
using ksmg::relay::Network;
using ksmg::relay::parse_ip;
using ksmg::relay::RelaySettings;
using ksmg::relay::Route;

ConfigError error_of(std::string_view text) {
  RelaySettings s;
  ConfigError e;
  EXPECT_FALSE(ksmg::relay::parse_relay_settings(text, "r.toml", s, e));
  return e;
}

RelaySettings settings_of(std::string_view text) {
  RelaySettings s;
  ConfigError e;
  EXPECT_TRUE(ksmg::relay::parse_relay_settings(text, "/etc/ksmg/ksmg.toml", s, e))
      << e.to_string();
  return s;
}

TEST(RelayConfig, TheDocumentedExampleHoldsTheDefaults) {
  RelaySettings s;
  ConfigError e;
  ASSERT_TRUE(
      ksmg::relay::load_relay_settings(std::string(KSMG_SOURCE_DIR) + "/examples/ksmg.toml", s, e))
      << e.to_string();
  const RelaySettings d;
  ASSERT_EQ(s.listen.size(), d.listen.size());
  EXPECT_EQ(s.listen[0].host, d.listen[0].host);
  EXPECT_EQ(s.listen[0].port, d.listen[0].port);
  EXPECT_EQ(s.hostname, d.hostname);
  EXPECT_EQ(s.data_dir, d.data_dir);
  EXPECT_EQ(s.backup_dir, d.backup_dir);
  EXPECT_EQ(s.scan_threads, d.scan_threads);
  EXPECT_EQ(s.max_message_bytes, d.max_message_bytes);
  EXPECT_EQ(s.max_recipients, d.max_recipients);
  EXPECT_EQ(s.max_line_bytes, d.max_line_bytes);
  EXPECT_EQ(s.max_connections, d.max_connections);
  EXPECT_EQ(s.max_connections_per_client, d.max_connections_per_client);
  EXPECT_EQ(s.max_errors, d.max_errors);
  EXPECT_EQ(s.max_inflight_bytes, d.max_inflight_bytes);
  EXPECT_EQ(s.idle_timeout, d.idle_timeout);
  EXPECT_EQ(s.data_timeout, d.data_timeout);
  EXPECT_EQ(s.next_hop_connect_timeout, d.next_hop_connect_timeout);
  EXPECT_EQ(s.next_hop_timeout, d.next_hop_timeout);
  EXPECT_EQ(s.shutdown_grace, d.shutdown_grace);
  EXPECT_EQ(s.routing.relay_domains, d.routing.relay_domains);
  EXPECT_EQ(s.routing.trusted_networks.size(), d.routing.trusted_networks.size());
  EXPECT_TRUE(s.routing.transport.empty());
  EXPECT_FALSE(s.routing.default_route.has_value());
  EXPECT_EQ(s.tls.level, d.tls.level);
  EXPECT_EQ(s.tls.client_certificate, d.tls.client_certificate);
  EXPECT_EQ(s.tls.min_protocol, d.tls.min_protocol);
  EXPECT_EQ(s.tls.ciphers, d.tls.ciphers);
}

TEST(RelayConfig, ReadsEveryKindOfValue) {
  const RelaySettings s = settings_of(R"(
[relay]
listen = ["0.0.0.0:25", "[::]:25"]
max_message_bytes = "10M"
idle_timeout_seconds = 60
relay_domains = ["Example.ORG.", ".example.net"]
trusted_networks = ["192.0.2.0/24", "2001:db8::/32"]
data_dir = "state"
[relay.tls]
level = "require"
client_certificate = "request"
[relay.transport]
"*" = "smtp:[192.0.2.10]:2525"
"example.org" = { next_hop = "mail.example.org:25", tls = "require-verify" }
"local.test" = "maildir:mail"
)");
  ASSERT_EQ(s.listen.size(), 2u);
  EXPECT_EQ(s.listen[1].host, "::");
  EXPECT_EQ(s.listen[1].port, 25);
  EXPECT_EQ(s.max_message_bytes, 10u << 20);
  EXPECT_EQ(s.idle_timeout, std::chrono::seconds(60));
  EXPECT_EQ(s.routing.relay_domains, (std::vector<std::string>{"example.org", ".example.net"}));
  EXPECT_EQ(s.data_dir, "/etc/ksmg/state");
  EXPECT_EQ(s.tls.level, ksmg::relay::ServerTls::require);
  EXPECT_EQ(s.tls.client_certificate, ksmg::relay::ClientCertificate::request);
  ASSERT_TRUE(s.routing.default_route.has_value());
  EXPECT_EQ(s.routing.default_route->to_string(), "smtp:192.0.2.10:2525");
  const Route* org = s.routing.route_for("example.org");
  ASSERT_NE(org, nullptr);
  EXPECT_EQ(org->host, "mail.example.org");
  EXPECT_EQ(org->tls, ksmg::relay::OutboundTls::require_verify);
  const Route* local = s.routing.route_for("local.test");
  ASSERT_NE(local, nullptr);
  EXPECT_EQ(local->kind, Route::Kind::maildir);
  EXPECT_EQ(local->maildir, "/etc/ksmg/mail");
}

TEST(RelayConfig, MistakesNameLineAndKey) {
  ConfigError e = error_of("[relay]\nmax_recipient = 5\n");
  EXPECT_EQ(e.line, 2u);
  EXPECT_EQ(e.key, "relay.max_recipient");
  e = error_of("[relay]\nlisten = [\"localhost:25\"]\n");
  EXPECT_EQ(e.key, "relay.listen");
  e = error_of("[relay]\nmax_line_bytes = 100\n");
  EXPECT_NE(e.message.find("512"), std::string::npos);
  e = error_of("[relay.tls]\nlevel = \"maybe\"\n");
  EXPECT_EQ(e.key, "relay.tls.level");
  e = error_of("[relay.tls]\nclient_certificate = \"require\"\n");
  EXPECT_NE(e.message.find("ca_file"), std::string::npos);
  e = error_of("[relay.tls]\ncert_file = \"a.pem\"\n");
  EXPECT_NE(e.message.find("key_file"), std::string::npos);
  e = error_of("[relay.transport]\n\"example.org\" = \"smtp:host:99999\"\n");
  EXPECT_EQ(e.key, "relay.transport.example.org");
  e = error_of("[relay.transport]\n\"example.org\" = { next_hop = \"h:25\", tls = \"always\" }\n");
  EXPECT_EQ(e.key, "relay.transport.example.org.tls");
  e = error_of("[relay]\ntrusted_networks = [\"10.0.0.0/33\"]\n");
  EXPECT_EQ(e.key, "relay.trusted_networks");
  e = error_of("[relay]\nidle_timeout_seconds = 0\n");
  EXPECT_EQ(e.key, "relay.idle_timeout_seconds");
}

TEST(RelayConfig, WithoutRoutesEveryMessageGoesToTheMaildirOfDataDir) {
  RelaySettings s;
  s.data_dir = "/srv/relay";
  ksmg::relay::complete_settings(s);
  ASSERT_TRUE(s.routing.default_route.has_value());
  EXPECT_EQ(s.routing.default_route->to_string(), "maildir:/srv/relay/maildir");
  EXPECT_EQ(s.backup_dir, "/srv/relay/backup");
  EXPECT_EQ(s.tls.data_dir, "/srv/relay");
  // Loopback is trusted unless the file says otherwise.
  EXPECT_TRUE(s.routing.is_trusted(*parse_ip("127.0.0.1")));
  EXPECT_TRUE(s.routing.is_trusted(*parse_ip("::1")));
  EXPECT_FALSE(s.routing.is_trusted(*parse_ip("192.0.2.1")));
}

TEST(RelayRouting, NetworksMatchByPrefixInBothFamilies) {
  const Network v4 = *Network::parse("192.0.2.0/24");
  EXPECT_TRUE(v4.contains(*parse_ip("192.0.2.77")));
  EXPECT_FALSE(v4.contains(*parse_ip("192.0.3.1")));
  EXPECT_TRUE(v4.contains(*parse_ip("::ffff:192.0.2.5")));  // IPv4-mapped form
  const Network v6 = *Network::parse("2001:db8::/33");
  EXPECT_TRUE(v6.contains(*parse_ip("2001:db8:7fff::1")));
  EXPECT_FALSE(v6.contains(*parse_ip("2001:db8:8000::1")));
  EXPECT_TRUE(Network::parse("0.0.0.0/0")->contains(*parse_ip("203.0.113.9")));
  EXPECT_FALSE(Network::parse("192.0.2.0/"));
  EXPECT_FALSE(Network::parse("example.org/24"));
  EXPECT_FALSE(Network::parse("::/129"));
}

TEST(RelayRouting, RelayDomainsCoverSubdomainsOnlyWithALeadingDot) {
  ksmg::relay::RoutingTable t;
  t.relay_domains = {"example.org", ".example.net"};
  EXPECT_TRUE(t.is_relay_domain("example.org"));
  EXPECT_FALSE(t.is_relay_domain("sub.example.org"));
  EXPECT_FALSE(t.is_relay_domain("badexample.org"));
  EXPECT_TRUE(t.is_relay_domain("a.b.example.net"));
  EXPECT_FALSE(t.is_relay_domain("example.net"));
  EXPECT_FALSE(t.is_relay_domain("xexample.net"));
}

TEST(RelayRouting, TheNearestTransportEntryWins) {
  ksmg::relay::RoutingTable t;
  t.transport["example.org"] = *Route::parse("a:25");
  t.transport[".example.org"] = *Route::parse("b:25");
  t.transport[".deep.example.org"] = *Route::parse("c:25");
  EXPECT_EQ(t.route_for("example.org")->host, "a");
  EXPECT_EQ(t.route_for("x.example.org")->host, "b");
  EXPECT_EQ(t.route_for("x.deep.example.org")->host, "c");
  EXPECT_EQ(t.route_for("other.test"), nullptr);
  t.default_route = *Route::parse("d:25");
  EXPECT_EQ(t.route_for("other.test")->host, "d");
}

TEST(RelayRouting, RoutesParseEveryWrittenForm) {
  EXPECT_EQ(Route::parse("smtp:[2001:db8::1]:2525")->to_string(), "smtp:[2001:db8::1]:2525");
  EXPECT_EQ(Route::parse("mx.example.org")->port, 25);
  EXPECT_EQ(Route::parse("[192.0.2.1]")->host, "192.0.2.1");
  EXPECT_EQ(Route::parse("maildir:/var/mail/x")->kind, Route::Kind::maildir);
  EXPECT_FALSE(Route::parse("smtp:host:0"));
  EXPECT_FALSE(Route::parse("2001:db8::1:25"));  // IPv6 needs brackets
  EXPECT_FALSE(Route::parse("maildir:"));
  EXPECT_FALSE(Route::parse("[::1"));
}

}  // namespace

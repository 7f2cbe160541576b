// test_milter_config.cpp — ksmg-milter's [milter] section and socket notation: the documented
// example holds the defaults, Sendmail's and Postfix's socket spellings both read, mistakes name
// their line and key.
#include <gtest/gtest.h>

#include "milter_config.hpp"

namespace {

using ksmg::milter::FallbackAction;
using ksmg::milter::MilterSettings;
using ksmg::milter::parse_socket_spec;
using ksmg::milter::SocketSpec;
using ksmg::policy::ConfigError;

ConfigError error_of(std::string_view text) {
  MilterSettings s;
  ConfigError e;
  EXPECT_FALSE(ksmg::milter::parse_milter_settings(text, "m.toml", s, e));
  return e;
}

TEST(MilterConfig, TheDocumentedExampleHoldsTheDefaults) {
  MilterSettings s;
  ConfigError e;
  ASSERT_TRUE(ksmg::milter::load_milter_settings(
      std::string(KSMG_SOURCE_DIR) + "/examples/ksmg.toml", s, e))
      << e.to_string();
  const MilterSettings d;
  ASSERT_EQ(s.listen.size(), 1u);
  EXPECT_EQ(s.listen[0].to_string(), d.listen[0].to_string());
  EXPECT_EQ(s.unix_socket_mode, d.unix_socket_mode);
  EXPECT_EQ(s.data_dir, d.data_dir);
  EXPECT_EQ(s.scan_threads, d.scan_threads);
  EXPECT_EQ(s.max_connections, d.max_connections);
  EXPECT_EQ(s.max_packet_bytes, d.max_packet_bytes);
  EXPECT_EQ(s.max_message_bytes, d.max_message_bytes);
  EXPECT_EQ(s.max_recipients, d.max_recipients);
  EXPECT_EQ(s.max_inflight_bytes, d.max_inflight_bytes);
  EXPECT_EQ(s.idle_timeout, d.idle_timeout);
  EXPECT_EQ(s.shutdown_grace, d.shutdown_grace);
  EXPECT_EQ(s.scan_failure_action, d.scan_failure_action);
  EXPECT_EQ(s.oversize_action, d.oversize_action);
}

TEST(MilterConfig, SocketsInSendmailAndPostfixNotation) {
  auto a = parse_socket_spec("inet:8895@127.0.0.1");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->kind, SocketSpec::Kind::inet);
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 8895);
  auto b = parse_socket_spec("inet:127.0.0.1:8895");  // Postfix's smtpd_milters spelling
  ASSERT_TRUE(b);
  EXPECT_EQ(b->to_string(), "inet:8895@127.0.0.1");
  auto c = parse_socket_spec("inet6:8895@::1");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->host, "::1");
  EXPECT_EQ(c->to_string(), "inet6:8895@::1");
  auto d = parse_socket_spec("inet6:8895@[::1]");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->host, "::1");
  auto u = parse_socket_spec("unix:/run/ksmg/milter.sock");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->kind, SocketSpec::Kind::unix_path);
  EXPECT_EQ(u->path, "/run/ksmg/milter.sock");
  EXPECT_EQ(parse_socket_spec("local:/x.sock")->path, "/x.sock");
  for (const char* bad :
       {"", "inet:", "inet:8895", "inet:0@127.0.0.1", "inet:70000@127.0.0.1", "inet:8895@localhost",
        "inet:x@127.0.0.1", "unix:", "tcp:8895@1.2.3.4", "inet6:8895@127.0.0.1", "inet:8895@"})
    EXPECT_FALSE(parse_socket_spec(bad)) << bad;
}

TEST(MilterConfig, ValuesAreReadAndPathsResolved) {
  MilterSettings s;
  ConfigError e;
  ASSERT_TRUE(ksmg::milter::parse_milter_settings(R"(
[milter]
listen = "unix:run/milter.sock"
unix_socket_mode = 0o666
max_packet_bytes = "256K"
scan_failure_action = "reject"
oversize_action = "accept"
idle_timeout_seconds = 60
)",
                                                  "/etc/ksmg/ksmg.toml", s, e))
      << e.to_string();
  ASSERT_EQ(s.listen.size(), 1u);
  EXPECT_EQ(s.listen[0].path, "/etc/ksmg/run/milter.sock");
  EXPECT_EQ(s.unix_socket_mode, 0666u);
  EXPECT_EQ(s.max_packet_bytes, 256u * 1024);
  EXPECT_EQ(s.scan_failure_action, FallbackAction::reject);
  EXPECT_EQ(s.oversize_action, FallbackAction::accept);
  EXPECT_EQ(s.idle_timeout.count(), 60);
  ksmg::milter::complete_settings(s);
  EXPECT_EQ(s.backup_dir, "/var/lib/ksmg-milter/backup");
}

TEST(MilterConfig, MistakesNameTheirKeyAndLine) {
  ConfigError e = error_of("[milter]\nlisten = [\"inet:8895@localhost\"]\n");
  EXPECT_EQ(e.key, "milter.listen");
  EXPECT_EQ(e.line, 2u);
  e = error_of("[milter]\n\nmax_packet_bytes = 1000\n");
  EXPECT_EQ(e.key, "milter.max_packet_bytes");
  EXPECT_EQ(e.line, 3u);
  e = error_of("[milter]\nscan_failure_action = \"ignore\"\n");
  EXPECT_EQ(e.key, "milter.scan_failure_action");
  e = error_of("[milter]\nlisten = []\n");
  EXPECT_EQ(e.key, "milter.listen");
  e = error_of("[milter]\nunix_socket_mode = 0o1777\n");
  EXPECT_EQ(e.key, "milter.unix_socket_mode");
  e = error_of("[milter]\nmax_conections = 5\n");
  EXPECT_EQ(e.key, "milter.max_conections");
  EXPECT_NE(e.message.find("unknown key"), std::string::npos);
  e = error_of("milter = 5\n");
  EXPECT_EQ(e.key, "milter");
}

}  // namespace

// relay_config.cpp — owns reading [relay] (relay_config.hpp): every key known, typed and
// range-checked; errors carry the file, line, column and key like the library's.
#include "relay_config.hpp"

#include <array>
#include <filesystem>
#include <utility>

#include "config_section.hpp"
#include "smtp_syntax.hpp"

namespace ksmg::relay {

namespace {

class Reader : public frontend::SectionReader {
 public:
  using SectionReader::SectionReader;

  bool read(const toml::table& root, RelaySettings& out);

  static bool read_line_limit(Reader& r, const std::string& key, const toml::node& node,
                              RelaySettings& out) {
    if (!r.size_value(key, node, out.max_line_bytes)) return false;
    // RFC 5321 4.5.3.1.4: a command line may be 512 octets; less would refuse valid mail.
    return out.max_line_bytes >= 512 || r.fail(node, key, "must be at least 512");
  }

  bool read_listen(const std::string& key, const toml::node& node,
                   std::vector<ListenAddress>& out) {
    out.clear();
    if (!string_array(key, node, [&](const toml::node& item, const std::string& text) {
          const auto a = parse_listen_address(text);
          if (!a)
            return fail(item, key,
                        "expected a numeric address and port such as "
                        "\"127.0.0.1:2525\" or \"[::1]:2525\"");
          out.push_back(*a);
          return true;
        }))
      return false;
    return !out.empty() || fail(node, key, "expected at least one address");
  }

  bool read_domains(const std::string& key, const toml::node& node, std::vector<std::string>& out) {
    out.clear();
    return string_array(key, node, [&](const toml::node& item, const std::string& text) {
      std::string d = smtp::domain_of("x@" + text);
      if (d.empty() || d == "." || d.find_first_of(" @\t,") != std::string::npos)
        return fail(item, key, "expected a domain such as \"example.org\" or \".example.org\"");
      out.push_back(std::move(d));
      return true;
    });
  }

  bool read_networks(const std::string& key, const toml::node& node, RoutingTable& routing) {
    routing.trusted_networks.clear();
    return string_array(key, node, [&](const toml::node& item, const std::string& text) {
      const auto n = Network::parse(text);
      if (!n) return fail(item, key, "expected a network such as \"192.0.2.0/24\" or \"::1\"");
      routing.trusted_networks.push_back(*n);
      return true;
    });
  }

  bool read_route(const std::string& key, const toml::node& node, Route& out) {
    std::string text;
    std::string tls;
    if (const auto* t = node.as_table()) {
      for (const auto& [k, v] : *t) {
        const std::string sub = key + "." + std::string(k.str());
        if (k.str() == "next_hop") {
          if (!string_value(sub, v, text)) return false;
        } else if (k.str() == "tls") {
          if (!string_value(sub, v, tls)) return false;
          if (!outbound_tls_from_string(tls))
            return fail(v, sub, "expected none, opportunistic, require or require-verify");
        } else {
          return fail(v, sub, "unknown key (expected next_hop or tls)");
        }
      }
      if (text.empty()) return fail(node, key, "next_hop is missing");
    } else if (!string_value(key, node, text)) {
      return false;
    }
    const auto route = Route::parse(text);
    if (!route)
      return fail(node, key,
                  "expected a next hop such as \"smtp:[192.0.2.1]:25\", \"mail.example.org:25\" "
                  "or \"maildir:/var/mail/ksmg\"");
    out = *route;
    if (out.kind == Route::Kind::maildir) out.maildir = resolve(out.maildir);
    if (!tls.empty()) out.tls = *outbound_tls_from_string(tls);
    return true;
  }

  bool read_transport(const std::string& key, const toml::node& node, RoutingTable& routing) {
    const auto* t = node.as_table();
    if (t == nullptr) return fail(node, key, "expected a table of domain = next hop");
    for (const auto& [k, v] : *t) {
      const std::string domain(k.str());
      const std::string sub = key + "." + domain;
      Route route;
      if (!read_route(sub, v, route)) return false;
      if (domain == "*") {
        routing.default_route = route;
        continue;
      }
      std::string d = smtp::domain_of("x@" + domain);
      if (d.empty()) return fail(k.source(), sub, "expected a domain, \".domain\" or \"*\"");
      routing.transport[d] = route;
    }
    return true;
  }

  bool read_tls(const std::string& key, const toml::node& node, TlsSettings& out) {
    const auto* t = node.as_table();
    if (t == nullptr) return fail(node, key, "expected a table");
    for (const auto& [k, v] : *t) {
      const std::string name(k.str());
      const std::string sub = key + "." + name;
      std::string text;
      if (name == "level") {
        if (!string_value(sub, v, text)) return false;
        const auto level = server_tls_from_string(text);
        if (!level) return fail(v, sub, "expected none, accept or require");
        out.level = *level;
      } else if (name == "client_certificate") {
        if (!string_value(sub, v, text)) return false;
        const auto mode = client_certificate_from_string(text);
        if (!mode) return fail(v, sub, "expected none, request or require");
        out.client_certificate = *mode;
      } else if (name == "cert_file") {
        if (!path_value(sub, v, out.cert_file)) return false;
      } else if (name == "key_file") {
        if (!path_value(sub, v, out.key_file)) return false;
      } else if (name == "ca_file") {
        if (!path_value(sub, v, out.ca_file)) return false;
      } else if (name == "outbound_ca_file") {
        if (!path_value(sub, v, out.outbound_ca_file)) return false;
      } else if (name == "min_protocol") {
        if (!string_value(sub, v, out.min_protocol)) return false;
        if (out.min_protocol != "TLSv1.2" && out.min_protocol != "TLSv1.3")
          return fail(v, sub, "expected TLSv1.2 or TLSv1.3");
      } else if (name == "ciphers") {
        if (!string_value(sub, v, out.ciphers)) return false;
      } else {
        return fail(v, sub,
                    "unknown key (expected level, client_certificate, cert_file, key_file, "
                    "ca_file, outbound_ca_file, min_protocol or ciphers)");
      }
    }
    if ((out.cert_file.empty()) != (out.key_file.empty()))
      return fail(node, key, "cert_file and key_file go together (or neither: self-signed)");
    if (out.client_certificate == ClientCertificate::require && out.ca_file.empty())
      return fail(node, key, "client_certificate = \"require\" needs ca_file");
    return true;
  }
};

using Keys = frontend::SectionKeys<Reader, RelaySettings>;

// Every key of [relay] (examples/ksmg.toml documents each one).
constexpr auto kRelayKeys = std::to_array<Keys::Key>({
    {"listen", [](Reader& r, const std::string& key, const toml::node& node,
                  RelaySettings& out) { return r.read_listen(key, node, out.listen); }},
    {"hostname", &Keys::string<&RelaySettings::hostname>},
    {"data_dir", &Keys::path<&RelaySettings::data_dir>},
    {"backup_dir", &Keys::path<&RelaySettings::backup_dir>},
    {"scan_threads", &Keys::count_or_zero<&RelaySettings::scan_threads>},
    {"max_message_bytes", &Keys::size<&RelaySettings::max_message_bytes>},
    {"max_recipients", &Keys::count<&RelaySettings::max_recipients>},
    {"max_line_bytes", &Reader::read_line_limit},
    {"max_connections", &Keys::count<&RelaySettings::max_connections>},
    {"max_connections_per_client", &Keys::count<&RelaySettings::max_connections_per_client>},
    {"max_errors", &Keys::count<&RelaySettings::max_errors>},
    {"max_inflight_bytes", &Keys::size<&RelaySettings::max_inflight_bytes>},
    {"idle_timeout_seconds", &Keys::seconds<&RelaySettings::idle_timeout>},
    {"data_timeout_seconds", &Keys::seconds<&RelaySettings::data_timeout>},
    {"next_hop_connect_seconds", &Keys::seconds<&RelaySettings::next_hop_connect_timeout>},
    {"next_hop_timeout_seconds", &Keys::seconds<&RelaySettings::next_hop_timeout>},
    {"shutdown_grace_seconds", &Keys::seconds<&RelaySettings::shutdown_grace>},
    {"relay_domains",
     [](Reader& r, const std::string& key, const toml::node& node, RelaySettings& out) {
       return r.read_domains(key, node, out.routing.relay_domains);
     }},
    {"trusted_networks",
     [](Reader& r, const std::string& key, const toml::node& node, RelaySettings& out) {
       return r.read_networks(key, node, out.routing);
     }},
    {"transport", [](Reader& r, const std::string& key, const toml::node& node,
                     RelaySettings& out) { return r.read_transport(key, node, out.routing); }},
    {"tls", [](Reader& r, const std::string& key, const toml::node& node,
               RelaySettings& out) { return r.read_tls(key, node, out.tls); }},
});

bool Reader::read(const toml::table& root, RelaySettings& out) {
  return read_section(*this, root, "relay", kRelayKeys, out);
}

}  // namespace

std::optional<ListenAddress> parse_listen_address(std::string_view text) {
  const auto route = Route::parse(text);
  if (!route || route->kind != Route::Kind::smtp || !parse_ip(route->host)) return std::nullopt;
  // A listen address needs its port: Route::parse would have defaulted it to 25.
  if (!text.ends_with(":" + std::to_string(route->port))) return std::nullopt;
  return ListenAddress{route->host, route->port};
}

std::vector<Network> loopback_networks() {
  return {*Network::parse("127.0.0.0/8"), *Network::parse("::1")};
}

void complete_settings(RelaySettings& settings) {
  RoutingTable& r = settings.routing;
  if (!r.default_route && r.transport.empty()) {
    Route maildir;
    maildir.kind = Route::Kind::maildir;
    maildir.maildir = (std::filesystem::path(settings.data_dir) / "maildir").string();
    r.default_route = maildir;
  }
  if (settings.backup_dir.empty())
    settings.backup_dir = (std::filesystem::path(settings.data_dir) / "backup").string();
  if (settings.tls.data_dir.empty()) settings.tls.data_dir = settings.data_dir;
}

bool parse_relay_settings(std::string_view text, std::string_view file_name, RelaySettings& out,
                          policy::ConfigError& err) {
  const std::optional<toml::table> root = frontend::parse_config_text(text, file_name, err);
  return root && Reader(file_name, err).read(*root, out);
}

bool load_relay_settings(const std::string& path, RelaySettings& out, policy::ConfigError& err) {
  const std::optional<toml::table> root = frontend::read_config_file(path, err);
  return root && Reader(path, err).read(*root, out);
}

}  // namespace ksmg::relay

// milter_config.cpp — owns reading [milter] and the socket notation (milter_config.hpp).
#include "milter_config.hpp"

#include <array>
#include <charconv>
#include <filesystem>

#include "config_section.hpp"

namespace ksmg::milter {

namespace {

std::optional<std::uint16_t> parse_port(std::string_view text) {
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value == 0 || value > 65535)
    return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

bool is_numeric_address(std::string_view host, bool v6) {
  if (host.empty()) return false;
  const std::string_view allowed = v6 ? "0123456789abcdefABCDEF:." : "0123456789.";
  return host.find_first_not_of(allowed) == std::string_view::npos &&
         (v6 ? host.find(':') != std::string_view::npos : true);
}

class Reader : public frontend::SectionReader {
 public:
  using SectionReader::SectionReader;

  bool read(const toml::table& root, MilterSettings& out);

  static bool read_socket_mode(Reader& r, const std::string& key, const toml::node& node,
                               MilterSettings& out) {
    const auto* i = node.as_integer();
    if (i == nullptr || i->get() < 0 || i->get() > 0777)
      return r.fail(node, key, "expected a file mode such as 0o660");
    out.unix_socket_mode = static_cast<std::uint32_t>(i->get());
    return true;
  }

  static bool read_packet_limit(Reader& r, const std::string& key, const toml::node& node,
                                MilterSettings& out) {
    if (!r.size_value(key, node, out.max_packet_bytes)) return false;
    // A body chunk of Sendmail and Postfix is 64 KB: less would end every connection.
    return out.max_packet_bytes >= 65536 || r.fail(node, key, "must be at least 65536");
  }

  bool read_listen(const std::string& key, const toml::node& node, std::vector<SocketSpec>& out) {
    out.clear();
    auto add = [&](const toml::node& item, const std::string& text) {
      auto spec = parse_socket_spec(text);
      if (!spec)
        return fail(item, key,
                    "expected \"inet:PORT@ADDRESS\", \"inet6:PORT@ADDRESS\" or "
                    "\"unix:/path\" (numeric addresses)");
      if (spec->kind == SocketSpec::Kind::unix_path) spec->path = resolve(spec->path);
      out.push_back(std::move(*spec));
      return true;
    };
    if (const auto* s = node.as_string()) {
      if (!add(node, s->get())) return false;
    } else if (!string_array(key, node, add)) {
      return false;
    }
    return !out.empty() || fail(node, key, "expected at least one socket");
  }

  bool fallback_value(const std::string& key, const toml::node& node, FallbackAction& out) {
    std::string text;
    if (!string_value(key, node, text)) return false;
    const auto a = fallback_from_string(text);
    if (!a) return fail(node, key, "expected accept, tempfail or reject");
    out = *a;
    return true;
  }
};

using Keys = frontend::SectionKeys<Reader, MilterSettings>;

// Every key of [milter] (examples/ksmg.toml documents each one).
constexpr auto kMilterKeys = std::to_array<Keys::Key>({
    {"listen", [](Reader& r, const std::string& key, const toml::node& node,
                  MilterSettings& out) { return r.read_listen(key, node, out.listen); }},
    {"unix_socket_mode", &Reader::read_socket_mode},
    {"data_dir", &Keys::path<&MilterSettings::data_dir>},
    {"backup_dir", &Keys::path<&MilterSettings::backup_dir>},
    {"scan_threads", &Keys::count_or_zero<&MilterSettings::scan_threads>},
    {"max_connections", &Keys::count<&MilterSettings::max_connections>},
    {"max_packet_bytes", &Reader::read_packet_limit},
    {"max_message_bytes", &Keys::size<&MilterSettings::max_message_bytes>},
    {"max_recipients", &Keys::count<&MilterSettings::max_recipients>},
    {"max_inflight_bytes", &Keys::size<&MilterSettings::max_inflight_bytes>},
    {"idle_timeout_seconds", &Keys::seconds<&MilterSettings::idle_timeout>},
    {"shutdown_grace_seconds", &Keys::seconds<&MilterSettings::shutdown_grace>},
    {"scan_failure_action",
     [](Reader& r, const std::string& key, const toml::node& node, MilterSettings& out) {
       return r.fallback_value(key, node, out.scan_failure_action);
     }},
    {"oversize_action",
     [](Reader& r, const std::string& key, const toml::node& node, MilterSettings& out) {
       return r.fallback_value(key, node, out.oversize_action);
     }},
});

bool Reader::read(const toml::table& root, MilterSettings& out) {
  return read_section(*this, root, "milter", kMilterKeys, out);
}

}  // namespace

std::string SocketSpec::to_string() const {
  if (kind == Kind::unix_path) return "unix:" + path;
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "inet6:" : "inet:") + std::to_string(port) + "@" + host;
}

std::optional<SocketSpec> parse_socket_spec(std::string_view text) {
  const auto colon = text.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  const std::string_view scheme = text.substr(0, colon);
  const std::string_view rest = text.substr(colon + 1);
  SocketSpec spec;
  if (scheme == "unix" || scheme == "local") {
    if (rest.empty() || rest.find('\0') != std::string_view::npos) return std::nullopt;
    spec.kind = SocketSpec::Kind::unix_path;
    spec.path = std::string(rest);
    return spec;
  }
  if (scheme != "inet" && scheme != "inet6") return std::nullopt;
  const bool v6 = scheme == "inet6";
  std::string_view host;
  std::optional<std::uint16_t> port;
  if (const auto at = rest.find('@'); at != std::string_view::npos) {
    port = parse_port(rest.substr(0, at));  // Sendmail: inet:PORT@HOST
    host = rest.substr(at + 1);
  } else if (const auto last = rest.rfind(':'); !v6 && last != std::string_view::npos) {
    host = rest.substr(0, last);  // Postfix: inet:HOST:PORT
    port = parse_port(rest.substr(last + 1));
  }
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (!port || !is_numeric_address(host, v6 || host.find(':') != std::string_view::npos))
    return std::nullopt;
  spec.host = std::string(host);
  spec.port = *port;
  return spec;
}

std::optional<FallbackAction> fallback_from_string(std::string_view s) noexcept {
  if (s == "accept") return FallbackAction::accept;
  if (s == "tempfail") return FallbackAction::tempfail;
  if (s == "reject") return FallbackAction::reject;
  return std::nullopt;
}

std::string_view to_string(FallbackAction a) noexcept {
  switch (a) {
    case FallbackAction::accept:
      return "accept";
    case FallbackAction::tempfail:
      return "tempfail";
    case FallbackAction::reject:
      return "reject";
  }
  return "tempfail";
}

void complete_settings(MilterSettings& settings) {
  if (settings.backup_dir.empty())
    settings.backup_dir = (std::filesystem::path(settings.data_dir) / "backup").string();
}

bool parse_milter_settings(std::string_view text, std::string_view file_name, MilterSettings& out,
                           policy::ConfigError& err) {
  const std::optional<toml::table> root = frontend::parse_config_text(text, file_name, err);
  return root && Reader(file_name, err).read(*root, out);
}

bool load_milter_settings(const std::string& path, MilterSettings& out, policy::ConfigError& err) {
  const std::optional<toml::table> root = frontend::read_config_file(path, err);
  return root && Reader(path, err).read(*root, out);
}

}  // namespace ksmg::milter

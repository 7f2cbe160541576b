// routing.cpp — owns relay domains, trusted networks and the transport map (routing.hpp).
#include "routing.hpp"

#include <arpa/inet.h>

#include <charconv>

namespace ksmg::relay {

namespace {

// "a.b.example.org" -> "b.example.org", ..., "org"; "" after the last label.
std::string_view parent_of(std::string_view domain) {
  const auto dot = domain.find('.');
  return dot == std::string_view::npos ? std::string_view{} : domain.substr(dot + 1);
}

std::optional<std::uint16_t> parse_port(std::string_view text) {
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value == 0 || value > 65535)
    return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

}  // namespace

std::optional<std::array<std::uint8_t, 16>> parse_ip(std::string_view text) {
  if (text.size() > 64) return std::nullopt;
  const std::string s(text);
  std::array<std::uint8_t, 16> out{};
  in_addr v4{};
  if (inet_pton(AF_INET, s.c_str(), &v4) == 1) {
    out[10] = 0xff;
    out[11] = 0xff;
    const auto* b = reinterpret_cast<const std::uint8_t*>(&v4.s_addr);
    for (int i = 0; i < 4; ++i) out[12 + i] = b[i];
    return out;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, s.c_str(), &v6) == 1) {
    for (int i = 0; i < 16; ++i) out[i] = v6.s6_addr[i];
    return out;
  }
  return std::nullopt;
}

std::optional<Network> Network::parse(std::string_view text) {
  const auto slash = text.find('/');
  const std::string_view addr = text.substr(0, slash);
  const auto ip = parse_ip(addr);
  if (!ip) return std::nullopt;
  const bool v4 = addr.find(':') == std::string_view::npos;
  unsigned bits = v4 ? 32 : 128;
  if (slash != std::string_view::npos) {
    const std::string_view p = text.substr(slash + 1);
    const auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), bits);
    if (ec != std::errc{} || end != p.data() + p.size() || p.empty() || bits > (v4 ? 32u : 128u))
      return std::nullopt;
  }
  Network n;
  n.address = *ip;
  n.prefix = v4 ? bits + 96 : bits;
  return n;
}

bool Network::contains(const std::array<std::uint8_t, 16>& ip) const noexcept {
  unsigned bits = prefix;
  for (std::size_t i = 0; i < 16 && bits > 0; ++i) {
    const unsigned take = bits >= 8 ? 8 : bits;
    const auto mask = static_cast<std::uint8_t>(0xff << (8 - take));
    if ((ip[i] & mask) != (address[i] & mask)) return false;
    bits -= take;
  }
  return true;
}

std::optional<Route> Route::parse(std::string_view text) {
  Route r;
  if (text.starts_with("maildir:")) {
    r.kind = Kind::maildir;
    r.maildir = std::string(text.substr(8));
    if (r.maildir.empty()) return std::nullopt;
    return r;
  }
  if (text.starts_with("smtp:")) text.remove_prefix(5);
  std::string_view host;
  std::string_view port;
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = text.substr(1, close - 1);
    const std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (!rest.starts_with(':')) return std::nullopt;
      port = rest.substr(1);
    }
  } else {
    const auto colon = text.rfind(':');
    if (colon != std::string_view::npos && text.find(':') != colon) return std::nullopt;
    host = text.substr(0, colon);
    if (colon != std::string_view::npos) port = text.substr(colon + 1);
  }
  if (host.empty() || host.find_first_of(" \t\r\n") != std::string_view::npos) return std::nullopt;
  r.host = std::string(host);
  if (!port.empty()) {
    const auto p = parse_port(port);
    if (!p) return std::nullopt;
    r.port = *p;
  }
  return r;
}

std::string Route::to_string() const {
  if (kind == Kind::maildir) return "maildir:" + maildir;
  const bool v6 = host.find(':') != std::string::npos;
  return "smtp:" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

bool RoutingTable::is_relay_domain(std::string_view domain) const {
  for (const std::string& d : relay_domains) {
    if (d == domain) return true;
    if (d.starts_with('.') && domain.size() > d.size() && domain.ends_with(d)) return true;
  }
  return false;
}

bool RoutingTable::is_trusted(const std::array<std::uint8_t, 16>& client) const {
  for (const Network& n : trusted_networks)
    if (n.contains(client)) return true;
  return false;
}

const Route* RoutingTable::route_for(std::string_view domain) const {
  if (const auto it = transport.find(domain); it != transport.end()) return &it->second;
  for (std::string_view d = parent_of(domain); !d.empty(); d = parent_of(d)) {
    const std::string key = "." + std::string(d);
    if (const auto it = transport.find(key); it != transport.end()) return &it->second;
  }
  return default_route ? &*default_route : nullptr;
}

}  // namespace ksmg::relay

// routing.hpp — who may send through the relay and where each recipient goes: relay domains
// (mail for them is accepted from anyone), trusted client networks (may relay anywhere), and the
// transport map (recipient domain -> next hop: an SMTP host:port with its outbound TLS, or a
// maildir), with a default route.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tls.hpp"

namespace ksmg::relay {

// One client network in CIDR notation; IPv4 addresses also match their IPv4-mapped IPv6 form.
struct Network {
  std::array<std::uint8_t, 16> address{};  // IPv6, or IPv4-mapped
  unsigned prefix = 0;                     // in bits of the 128

  // "192.0.2.0/24", "2001:db8::/32", "127.0.0.1" (a host); nullopt when malformed.
  [[nodiscard]] static std::optional<Network> parse(std::string_view text);
  [[nodiscard]] bool contains(const std::array<std::uint8_t, 16>& ip) const noexcept;
};

// A numeric address as the 16 bytes Network::contains takes; nullopt when not an address.
[[nodiscard]] std::optional<std::array<std::uint8_t, 16>> parse_ip(std::string_view text);

struct Route {
  enum class Kind : std::uint8_t { smtp, maildir };
  Kind kind = Kind::smtp;
  std::string host;  // smtp: a name or numeric address (brackets removed)
  std::uint16_t port = 25;
  std::string maildir;  // maildir: the folder (tmp/, new/, cur/ are made under it)
  OutboundTls tls = OutboundTls::opportunistic;

  // "smtp:HOST:PORT", "smtp:[HOST]:PORT", "HOST:PORT", "maildir:/path"; nullopt when malformed.
  [[nodiscard]] static std::optional<Route> parse(std::string_view text);
  [[nodiscard]] std::string to_string() const;
  bool operator==(const Route&) const = default;
};

class RoutingTable {
 public:
  // Domains lower case without a trailing dot; ".example.org" also covers every subdomain.
  std::vector<std::string> relay_domains;
  std::vector<Network> trusted_networks;
  std::map<std::string, Route, std::less<>> transport;  // domain (or ".domain") -> route
  std::optional<Route> default_route;

  // Mail for this domain is accepted from anyone.
  [[nodiscard]] bool is_relay_domain(std::string_view domain) const;
  [[nodiscard]] bool is_trusted(const std::array<std::uint8_t, 16>& client) const;
  // The route for a recipient domain: the exact domain, then ".parent" entries from the
  // nearest, then the default; null when there is none.
  [[nodiscard]] const Route* route_for(std::string_view domain) const;
};

}  // namespace ksmg::relay

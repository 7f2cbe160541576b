// address.cpp — dns::Address: IP addresses as SPF (ip4:, ip6:, the client's address), DNS lists
// (reversed names) and A/AAAA answers use them.
//
// Reading is inet_pton's (strict: no leading zeros, no scope ids); writing IPv6 is done here,
// since glibc's inet_ntop writes ::0.0.0.2 where RFC 5952 wants ::2.
#include <arpa/inet.h>

#include <cstring>

#include "ksmg/dns.hpp"

namespace ksmg::dns {
namespace {

// Longer text is no address (INET6_ADDRSTRLEN counts the NUL).
constexpr std::size_t kMaxAddressText = INET6_ADDRSTRLEN - 1;
constexpr char kHexDigits[] = "0123456789abcdef";

}  // namespace

std::optional<Address> Address::parse(std::string_view text) noexcept {
  if (text.empty() || text.size() > kMaxAddressText) return std::nullopt;
  char buffer[kMaxAddressText + 1];
  std::memcpy(buffer, text.data(), text.size());
  buffer[text.size()] = '\0';
  if (std::strlen(buffer) != text.size()) return std::nullopt;  // a NUL inside
  Address a;
  if (text.find(':') == std::string_view::npos) {
    if (inet_pton(AF_INET, buffer, a.bytes_.data()) != 1) return std::nullopt;
    return a;
  }
  if (inet_pton(AF_INET6, buffer, a.bytes_.data()) != 1) return std::nullopt;
  a.v4_ = false;
  return a;
}

Address Address::v4(const std::array<std::uint8_t, 4>& bytes) noexcept {
  Address a;
  std::memcpy(a.bytes_.data(), bytes.data(), bytes.size());
  return a;
}

Address Address::v6(const std::array<std::uint8_t, 16>& bytes) noexcept {
  Address a;
  a.bytes_ = bytes;
  a.v4_ = false;
  return a;
}

bool Address::in_network(const Address& network, unsigned prefix_bits) const noexcept {
  if (v4_ != network.v4_ || prefix_bits > size() * 8) return false;
  const std::size_t whole = prefix_bits / 8;
  if (std::memcmp(bytes_.data(), network.bytes_.data(), whole) != 0) return false;
  const unsigned rest = prefix_bits % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xFF << (8 - rest));
  return (bytes_[whole] & mask) == (network.bytes_[whole] & mask);
}

std::string Address::to_string() const {
  std::string out;
  auto dotted_quad = [&](std::size_t from) {
    for (std::size_t i = from; i < from + 4; ++i) {
      if (i != from) out += '.';
      out += std::to_string(bytes_[i]);
    }
  };
  if (v4_) {
    dotted_quad(0);
    return out;
  }
  std::array<unsigned, 8> words{};
  for (std::size_t i = 0; i < 8; ++i) words[i] = (bytes_[2 * i] << 8) | bytes_[2 * i + 1];
  // RFC 5952 4.2: the longest run of two or more zero words (the first of equals) becomes "::".
  std::size_t best_start = 8, best_length = 1;
  for (std::size_t i = 0; i < 8;) {
    std::size_t j = i;
    while (j < 8 && words[j] == 0) ++j;
    if (j - i > best_length) best_start = i, best_length = j - i;
    i = j == i ? i + 1 : j;
  }
  // RFC 5952 5: an IPv4-mapped address ends in its dotted quad.
  const bool mapped = best_start == 0 && best_length == 5 && words[5] == 0xFFFF;
  const std::size_t hex_words = mapped ? 6 : 8;
  for (std::size_t i = 0; i < hex_words; ++i) {
    if (i == best_start) {
      out += "::";
      i += best_length - 1;
      continue;
    }
    if (!out.empty() && out.back() != ':') out += ':';
    bool leading = true;
    for (int shift = 12; shift >= 0; shift -= 4) {
      const unsigned nibble = (words[i] >> shift) & 0xF;
      if (leading && nibble == 0 && shift != 0) continue;
      leading = false;
      out += kHexDigits[nibble];
    }
  }
  if (mapped) {
    out += ':';
    dotted_quad(12);
  }
  return out;
}

std::string Address::reverse_name() const {
  std::string out;
  if (v4_) {
    for (std::size_t i = 4; i-- > 0;) {
      out += std::to_string(bytes_[i]);
      out += '.';
    }
    return out + "in-addr.arpa";
  }
  for (std::size_t i = 16; i-- > 0;) {
    out += kHexDigits[bytes_[i] & 0xF];
    out += '.';
    out += kHexDigits[bytes_[i] >> 4];
    out += '.';
  }
  return out + "ip6.arpa";
}

}  // namespace ksmg::dns

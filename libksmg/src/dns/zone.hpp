// zone.hpp — the records a StaticResolver holds (internal): shared by the resolver and the
// master-file reader, which needs to know why a record was refused to say so with its line.
#pragma once

#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ksmg/dns.hpp"

namespace ksmg::dns {

struct StaticResolver::Zone {
  enum class Added : std::uint8_t { added, bad_name, bad_data, cname_beside_data, full };

  // A record in presentation form (see StaticResolver::add).
  Added add(std::string_view name, Type type, std::string_view data, std::uint32_t ttl);
  // The name exists; with `timeout`, every query of it times out.
  Added mark(std::string_view name, bool timeout);
  [[nodiscard]] Answer resolve(std::string_view name, Type type) const;

 private:
  struct Record {
    Type type = Type::a;
    std::uint32_t ttl = 0;
    std::string name_or_text;  // CNAME, PTR, MX exchange; TXT text
    Address address;           // A, AAAA
    std::uint16_t preference = 0;
  };
  struct Node {
    bool timeout = false;
    bool has_cname = false;
    std::vector<Record> records;
  };
  // The node of a valid name, created with those of every name above it.
  Node& node_for(std::string_view lowered);

  mutable std::shared_mutex mutex_;
  // By lower-case name, no trailing dot; at most kMaxStaticRecords names and those above them.
  std::unordered_map<std::string, Node> nodes_;
  std::size_t count_ = 0;  // records and marks, up to kMaxStaticRecords
};

// A domain name as written in a record or query, without its trailing dot; nullopt when it is
// none (empty, an empty label, a label over 63 bytes or a name over 253, RFC 1035 2.3.4).
// `root_allowed` lets "." stand for the root, returned as "" (a null MX, RFC 7505).
[[nodiscard]] std::optional<std::string_view> domain_name(std::string_view text,
                                                          bool root_allowed = false) noexcept;

}  // namespace ksmg::dns

// static_resolver.cpp — StaticResolver: DNS answered from records held in memory, with the
// distinctions a real server makes (NXDOMAIN, NODATA, empty non-terminals, CNAME chains) so
// that SPF and the other checks behave under tests as they will on the network.
//
// Names are kept lower-cased in one hash map; a reader-writer lock lets every scanning thread
// resolve at once. A CNAME chain is followed a bounded number of links (kMaxCnameLinks), which
// also ends any loop.
#include <algorithm>
#include <limits>
#include <mutex>

#include "core/ascii.hpp"
#include "dns/zone.hpp"

namespace ksmg::dns {
namespace {

constexpr std::size_t kMaxNameBytes = 253;  // RFC 1035 2.3.4: 255 on the wire
constexpr std::size_t kMaxLabelBytes = 63;
constexpr std::size_t kMaxTxtPieceBytes = 255;

// Wire bytes of TXT RDATA carrying `text` split in 255-byte character-strings.
std::size_t txt_rdata_bytes(std::size_t text_bytes) {
  const std::size_t pieces =
      std::max<std::size_t>(1, (text_bytes + kMaxTxtPieceBytes - 1) / kMaxTxtPieceBytes);
  return text_bytes + pieces;
}

// "10 mx.example.com": the preference and the exchange.
std::optional<std::pair<std::uint16_t, std::string_view>> mx_data(std::string_view data) {
  data = core::trim(data);
  std::size_t i = 0;
  std::uint32_t preference = 0;
  while (i < data.size() && core::is_digit(data[i])) {
    preference = preference * 10 + static_cast<std::uint32_t>(data[i] - '0');
    if (preference > std::numeric_limits<std::uint16_t>::max()) return std::nullopt;
    ++i;
  }
  if (i == 0 || i == data.size() || !core::is_wsp(data[i])) return std::nullopt;
  const std::optional<std::string_view> exchange = domain_name(core::trim(data.substr(i)), true);
  if (!exchange) return std::nullopt;
  return std::pair{static_cast<std::uint16_t>(preference), *exchange};
}

}  // namespace

std::optional<std::string_view> domain_name(std::string_view text, bool root_allowed) noexcept {
  if (text == ".") return root_allowed ? std::optional<std::string_view>("") : std::nullopt;
  if (!text.empty() && text.back() == '.') text.remove_suffix(1);
  if (text.empty() || text.size() > kMaxNameBytes) return std::nullopt;
  std::size_t label = 0;
  for (const char c : text) {
    if (c != '.') {
      if (++label > kMaxLabelBytes) return std::nullopt;
      continue;
    }
    if (label == 0) return std::nullopt;
    label = 0;
  }
  if (label == 0) return std::nullopt;
  return text;
}

StaticResolver::Zone::Node& StaticResolver::Zone::node_for(std::string_view lowered) {
  auto [it, created] = nodes_.try_emplace(std::string(lowered));
  Node& node = it->second;  // stays where it is; the iterator may not, past a rehash
  // The names above it exist too (RFC 8020), made once, with the first name below them.
  for (std::string_view above = lowered; created;) {
    const std::size_t dot = above.find('.');
    if (dot == std::string_view::npos) break;
    above.remove_prefix(dot + 1);
    created = nodes_.try_emplace(std::string(above)).second;
  }
  return node;
}

StaticResolver::Zone::Added StaticResolver::Zone::add(std::string_view name, Type type,
                                                      std::string_view data, std::uint32_t ttl) {
  const std::optional<std::string_view> owner = domain_name(name);
  if (!owner) return Added::bad_name;
  Record r;
  r.type = type;
  r.ttl = ttl;
  switch (type) {
    case Type::a:
    case Type::aaaa: {
      const std::optional<Address> a = Address::parse(data);
      if (!a || a->is_v4() != (type == Type::a)) return Added::bad_data;
      r.address = *a;
      break;
    }
    case Type::mx: {
      const auto mx = mx_data(data);
      if (!mx) return Added::bad_data;
      r.preference = mx->first;
      r.name_or_text = mx->second;
      break;
    }
    case Type::cname:
    case Type::ptr: {
      const std::optional<std::string_view> target = domain_name(data);
      if (!target) return Added::bad_data;
      r.name_or_text = *target;
      break;
    }
    case Type::txt:
      if (txt_rdata_bytes(data.size()) > kMaxTxtRdataBytes) return Added::bad_data;
      r.name_or_text = data;
      break;
  }
  const std::unique_lock lock(mutex_);
  if (count_ >= kMaxStaticRecords) return Added::full;
  Node& node = node_for(core::to_lower(*owner));
  // RFC 1034 3.6.2: a name with a CNAME has no other data (one CNAME, nothing beside it).
  if (node.has_cname || (type == Type::cname && !node.records.empty()))
    return Added::cname_beside_data;
  node.has_cname = type == Type::cname;
  node.records.push_back(std::move(r));
  ++count_;
  return Added::added;
}

StaticResolver::Zone::Added StaticResolver::Zone::mark(std::string_view name, bool timeout) {
  const std::optional<std::string_view> owner = domain_name(name);
  if (!owner) return Added::bad_name;
  const std::unique_lock lock(mutex_);
  if (count_ >= kMaxStaticRecords) return Added::full;
  Node& node = node_for(core::to_lower(*owner));
  node.timeout = node.timeout || timeout;
  ++count_;
  return Added::added;
}

Answer StaticResolver::Zone::resolve(std::string_view name, Type type) const {
  Answer answer;
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  std::string key = core::to_lower(name);
  std::uint32_t ttl = std::numeric_limits<std::uint32_t>::max();
  const std::shared_lock lock(mutex_);
  for (std::size_t links = 0;; ++links) {
    const auto it = nodes_.find(key);
    if (it == nodes_.end()) {
      answer.status = Status::nxdomain;
      return answer;
    }
    const Node& node = it->second;
    if (node.timeout) {
      answer.status = Status::timeout;
      return answer;
    }
    const Record* cname = nullptr;
    bool found = false;
    for (const Record& r : node.records) {
      if (r.type == Type::cname) cname = &r;
      if (r.type != type) continue;
      found = true;
      ttl = std::min(ttl, r.ttl);
      switch (type) {
        case Type::a:
        case Type::aaaa:
          answer.addresses.push_back(r.address);
          break;
        case Type::mx:
          answer.exchanges.push_back({r.preference, r.name_or_text});
          break;
        case Type::txt:
          answer.texts.push_back(r.name_or_text);
          break;
        case Type::cname:
        case Type::ptr:
          answer.names.push_back(r.name_or_text);
          break;
      }
    }
    if (cname == nullptr || type == Type::cname) {
      answer.status = found ? Status::answer : Status::nodata;
      answer.ttl = found ? ttl : 0;
      return answer;
    }
    if (links == kMaxCnameLinks) {
      answer.status = Status::servfail;
      return answer;
    }
    ttl = std::min(ttl, cname->ttl);
    key = core::to_lower(cname->name_or_text);
  }
}

StaticResolver::StaticResolver() : zone_(std::make_unique<Zone>()) {}
StaticResolver::~StaticResolver() = default;
StaticResolver::StaticResolver(StaticResolver&&) noexcept = default;
StaticResolver& StaticResolver::operator=(StaticResolver&&) noexcept = default;

bool StaticResolver::add(std::string_view name, Type type, std::string_view data,
                         std::uint32_t ttl) {
  return zone_->add(name, type, data, ttl) == Zone::Added::added;
}

bool StaticResolver::add_timeout(std::string_view name) {
  return zone_->mark(name, true) == Zone::Added::added;
}

Answer StaticResolver::resolve(std::string_view name, Type type,
                               std::chrono::steady_clock::time_point /*deadline*/) {
  return zone_->resolve(name, type);
}

}  // namespace ksmg::dns

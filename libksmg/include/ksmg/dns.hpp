// ksmg/dns.hpp — the one way the library asks DNS: a Resolver interface that sender
// authentication (SPF, DKIM keys, DMARC policies), anti-spam (DNS lists) and anti-phishing (URI
// lists) all use, a static resolver for tests and `ksmg scan --dns-file`, and the per-message
// budget every lookup goes through.
//
// Usage:
//   ksmg::dns::StaticResolver zone;                       // or a production resolver
//   zone.add("example.com", ksmg::dns::Type::txt, "v=spf1 -all");
//   ksmg::dns::Lookups lookups(zone, limits);             // one per message
//   const ksmg::dns::Answer a = lookups.query("example.com", ksmg::dns::Type::txt);
//   if (a.status == ksmg::dns::Status::answer) ... a.texts ...
//
// Lookups are synchronous: a check that needs DNS runs on a scan-pool thread, never on a
// relay or milter I/O thread, and waits at most until its message's DNS time runs out. SPF, the
// heaviest user, follows chains of records (include, redirect, MX then A) one after another, and
// a synchronous interface keeps it a plain function; the front-ends overlap that time with the
// DATA transfer by starting the check when MAIL FROM arrives. Answers that differ in kind
// (NXDOMAIN, NODATA, SERVFAIL, a timeout) are told apart: SPF's results depend on which.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ksmg/limits.hpp"

namespace ksmg::dns {

// Record types the modules ask for (RFC 1035, 3596).
enum class Type : std::uint16_t { a = 1, cname = 5, ptr = 12, mx = 15, txt = 16, aaaa = 28 };
[[nodiscard]] std::string_view to_string(Type t) noexcept;  // "A", "AAAA", "TXT", ...

enum class Status : std::uint8_t {
  answer,    // records of the type asked for (in Answer)
  nxdomain,  // the name does not exist (RCODE 3)
  nodata,    // the name exists, without records of that type
  servfail,  // the server failed, refused or answered malformed; a CNAME loop or too long chain
  timeout,   // no answer in time, or the message's DNS budget is spent (see Lookups)
};
[[nodiscard]] std::string_view to_string(Status s) noexcept;  // "answer", "nxdomain", ...

// An IPv4 or IPv6 address; IPv4 is kept as such (not as ::ffff:a.b.c.d).
class Address {
 public:
  // "192.0.2.1", "2001:db8::1", "::ffff:192.0.2.1" (an IPv6 address); nullopt for anything
  // else (no ports, brackets, scope ids, leading zeros in a dotted quad).
  [[nodiscard]] static std::optional<Address> parse(std::string_view text) noexcept;
  [[nodiscard]] static Address v4(const std::array<std::uint8_t, 4>& bytes) noexcept;
  [[nodiscard]] static Address v6(const std::array<std::uint8_t, 16>& bytes) noexcept;

  [[nodiscard]] bool is_v4() const noexcept { return v4_; }
  // 4 bytes for IPv4, 16 for IPv6, network order.
  [[nodiscard]] const std::uint8_t* bytes() const noexcept { return bytes_.data(); }
  [[nodiscard]] std::size_t size() const noexcept { return v4_ ? 4 : 16; }
  // Whether the first `prefix_bits` bits equal those of `network` (same family only; false for
  // a prefix longer than the address, 0 matches every address of the family).
  [[nodiscard]] bool in_network(const Address& network, unsigned prefix_bits) const noexcept;
  // Dotted quad, or RFC 5952 text for IPv6 ("2001:db8::1", lower case, longest zero run).
  [[nodiscard]] std::string to_string() const;
  // The name a PTR query asks: "1.2.0.192.in-addr.arpa", "...ip6.arpa" (nibbles, RFC 3596).
  [[nodiscard]] std::string reverse_name() const;

  friend bool operator==(const Address&, const Address&) = default;

 private:
  std::array<std::uint8_t, 16> bytes_{};
  bool v4_ = true;
};

struct Mx {
  std::uint16_t preference = 0;
  std::string exchange;  // a domain name, no trailing dot
};

// One answer. Only the member for the type asked is filled; names have no trailing dot and
// keep the case the zone gave them.
struct Answer {
  Status status = Status::timeout;
  // Of an answer, the smallest TTL of its records (the CNAMEs followed included); of a negative
  // answer, how long it may be cached (a real resolver's SOA minimum; 0 from StaticResolver).
  std::uint32_t ttl = 0;
  std::vector<std::string> texts;  // TXT: each record's character-strings joined (RFC 7208 3.3)
  std::vector<Address> addresses;  // A, AAAA
  std::vector<Mx> exchanges;       // MX, in the order of the answer
  std::vector<std::string> names;  // PTR, CNAME
};

// Where answers come from. Thread-safe: one Resolver serves every scanning thread.
class Resolver {
 public:
  virtual ~Resolver() = default;
  // Asks once; waits at most until `deadline`, then gives Status::timeout. CNAMEs are followed
  // (at most kMaxCnameLinks links) for every type but CNAME itself.
  [[nodiscard]] virtual Answer resolve(std::string_view name, Type type,
                                       std::chrono::steady_clock::time_point deadline) = 0;
};

// CNAME links followed for one query; a longer chain, or a loop, answers Status::servfail
// (BIND and Unbound stop at about this depth too).
inline constexpr std::size_t kMaxCnameLinks = 8;

// Bounds of StaticResolver and of the master files it reads (they are test and command-line
// input, but read as hostile as any other).
inline constexpr std::size_t kMaxStaticRecords = 100000;  // records (and TIMEOUT marks) held
inline constexpr std::size_t kMaxZoneLineBytes = 65536;   // one line of a master file
// A TXT record's joined text: RDATA is at most 65535 bytes, each <character-string> a length
// byte and up to 255 bytes (RFC 1035 3.3).
inline constexpr std::size_t kMaxTxtRdataBytes = 65535;

// Records held in memory: what tests load and what `ksmg scan --dns-file` reads. A name is NXDOMAIN
// unless a record or TIMEOUT mark was added for it or for a name below it (an empty non-terminal
// is NODATA, RFC 8020); a name that exists without records of the type asked is NODATA; a name
// marked with add_timeout answers every query with a timeout at once (it stands for a server that
// never answers, without making tests wait); nothing is ever asked of the network. Names match
// without regard to ASCII case, a trailing dot ignored; there are no wildcards. Answers come at
// once, so `deadline` is not consulted. Thread-safe: resolve() may run on many threads while
// records are added.
class StaticResolver final : public Resolver {
 public:
  StaticResolver();
  ~StaticResolver() override;
  StaticResolver(StaticResolver&&) noexcept;
  StaticResolver& operator=(StaticResolver&&) noexcept;

  // Records in RFC 1035 master-file syntax (see master_file.cpp for what is read); nullopt, with
  // `error` set to "line N: what", when the text is malformed or over a bound. TIMEOUT is a
  // pseudo-type with no data: "name TIMEOUT" marks the name with add_timeout. SOA and NS
  // records are read (their names then exist) but never answered.
  [[nodiscard]] static std::optional<StaticResolver> from_master_file(std::string_view text,
                                                                      std::string& error);

  // One record in presentation form: A "192.0.2.1", AAAA "2001:db8::1", TXT the text (one
  // string, already joined), MX "10 mx.example.com", PTR and CNAME a name. False when `name`
  // or `data` does not read as that type, when the name would hold a CNAME beside other data
  // (RFC 1034 3.6.2), or past kMaxStaticRecords. Duplicates are kept, as added.
  bool add(std::string_view name, Type type, std::string_view data, std::uint32_t ttl = 3600);
  bool add_timeout(std::string_view name);

  [[nodiscard]] Answer resolve(std::string_view name, Type type,
                               std::chrono::steady_clock::time_point deadline) override;

 private:
  // The master-file reader fills the zone itself, to name the reason a record is refused.
  friend class MasterFileReader;
  struct Zone;
  std::unique_ptr<Zone> zone_;
};

// One message's DNS: every module asks through it. It counts lookups against
// ScanLimits::max_dns_lookups and gives each the deadline max_dns_ms after the first one; past
// either, a query answers Status::timeout without being asked and the limit (dns_lookups,
// dns_time) is recorded in limits(). Thread-safe, so checks of one message may run side by side.
class Lookups {
 public:
  Lookups(Resolver& resolver, const ScanLimits& limits) noexcept;

  [[nodiscard]] Answer query(std::string_view name, Type type);

  // Queries handed to the resolver so far.
  [[nodiscard]] std::size_t count() const;
  // The limits crossed so far.
  [[nodiscard]] LimitSet limits() const;

 private:
  Resolver& resolver_;
  const std::size_t max_lookups_;
  const std::chrono::milliseconds max_time_;
  mutable std::mutex mutex_;
  std::size_t count_ = 0;
  std::optional<std::chrono::steady_clock::time_point> deadline_;
  LimitSet crossed_;
};

}  // namespace ksmg::dns

// names.cpp — the names of DNS record types (as master files and logs write them) and of the
// kinds of answer (as JSON and logs give them).
#include "ksmg/dns.hpp"

namespace ksmg::dns {

std::string_view to_string(Type t) noexcept {
  switch (t) {
    case Type::a:
      return "A";
    case Type::cname:
      return "CNAME";
    case Type::ptr:
      return "PTR";
    case Type::mx:
      return "MX";
    case Type::txt:
      return "TXT";
    case Type::aaaa:
      return "AAAA";
  }
  return "unknown_type";
}

std::string_view to_string(Status s) noexcept {
  switch (s) {
    case Status::answer:
      return "answer";
    case Status::nxdomain:
      return "nxdomain";
    case Status::nodata:
      return "nodata";
    case Status::servfail:
      return "servfail";
    case Status::timeout:
      return "timeout";
  }
  return "unknown_status";
}

}  // namespace ksmg::dns

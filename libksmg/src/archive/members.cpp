// members.cpp — owns detail::add_member, the one way a reader turns in-memory bytes into a
// member under the Budget (libarchive's reader counts block by block instead).
#include "archive/members.hpp"

#include <algorithm>
#include <utility>

namespace ksmg::archive::detail {

bool add_member(Contents& out, Budget& budget, Member m, std::string_view bytes) {
  if (!budget.take_member()) {
    out.limits.add(Limit::archive_members);
    return false;
  }
  std::size_t want = bytes.size();
  if (want > budget.limits().max_member_bytes) {
    want = budget.limits().max_member_bytes;
    m.limits.add(Limit::member_size);
  }
  const std::size_t got = budget.take_bytes(want);
  m.data.assign(bytes.substr(0, got));
  const bool starved = got < want;
  if (starved) {
    m.limits.add(Limit::unpacked_size);
    out.limits.add(Limit::unpacked_size);
  }
  out.members.push_back(std::move(m));
  return !starved;
}

}  // namespace ksmg::archive::detail

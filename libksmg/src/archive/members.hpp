// members.hpp — what every container reader shares (internal): the cap on member names and
// adding a member whose bytes are already in memory within the message's Budget.
#pragma once

#include <cstddef>
#include <string_view>

#include "ksmg/archive.hpp"

namespace ksmg::archive::detail {

// Bytes of a member name kept (UTF-8); longer names are cut.
inline constexpr std::size_t kMaxMemberNameBytes = 1024;

// Appends `m` with up to `bytes` as its data: counts one member (Limit::archive_members on `out`
// when none is left), keeps at most max_member_bytes (Limit::member_size) and what the
// message's unpacked allowance grants (Limit::unpacked_size, also on `out`). `m` comes with its
// name, declared size and flags. Returns false when the container must stop here.
bool add_member(Contents& out, Budget& budget, Member m, std::string_view bytes);

}  // namespace ksmg::archive::detail

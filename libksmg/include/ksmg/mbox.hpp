// ksmg/mbox.hpp — splitting a Unix mbox into its messages (mboxo / mboxrd "From " lines).
#pragma once

#include <string_view>
#include <vector>

namespace ksmg::mbox {

// True when the buffer starts with an mbox "From " separator line.
[[nodiscard]] bool looks_like_mbox(std::string_view data) noexcept;

// Views of each message of an mbox, each starting with its "From " line (which
// Message::parse skips and records). ">From " quoting inside bodies is left as it is.
[[nodiscard]] std::vector<std::string_view> split(std::string_view data);

}  // namespace ksmg::mbox

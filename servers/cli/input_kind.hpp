// input_kind.hpp — owns how the CLI decides what an input file is: a mail message (or mbox) to
// read as mail, or any other file to scan as one attachment named after the file. Shared by
// `ksmg objects` and `ksmg scan`, so both commands treat the same file the same way.
#pragma once

#include <string>
#include <string_view>

namespace ksmg::cli {

// True when the bytes open with a mail header block (as a mail client reads an .eml file,
// whatever its fields carry), or are an mbox.
[[nodiscard]] bool is_mail(std::string_view data);

// The last component of a path ("dir/sub/a.zip" -> "a.zip"): the name a non-mail file is
// scanned under.
[[nodiscard]] std::string base_name(const std::string& path);

}  // namespace ksmg::cli

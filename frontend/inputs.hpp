// inputs.hpp — what the front-ends read messages from: files, directories (recursively), mbox
// files.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace ksmg::frontend {

struct InputFile {
  std::string path;
  std::string data;      // whole file
  bool readable = true;  // false: data is empty and error says why
  std::string error;
};

// Expands directories (sorted, recursive, regular files only) and reads each file.
// Calls `each` for every file in order; unreadable paths are reported, never skipped silently.
void for_each_input(const std::vector<std::string>& paths,
                    const std::function<void(InputFile&)>& each);

// Messages held by one file: one view per mbox message, or the whole file.
std::vector<std::string_view> messages_in(std::string_view file_data);

}  // namespace ksmg::frontend

// filetype/zip.hpp — the ZIP structure check the archive module asks of the filetype module's
// bounded ZIP reader (one ZIP parser in the library): whether the two places a zip names its
// entries, the central directory and the local headers, tell the same story.
#pragma once

#include <cstddef>
#include <string_view>

namespace ksmg::filetype::detail {

struct ZipLayout {
  // An end of central directory record was found (anywhere in the input) with a directory
  // that can be read, or an empty archive's lone end record.
  bool directory_found = false;
  // Where that end record, its comment included, ends: what a reader that starts from the
  // central directory sees of the input.
  std::size_t directory_end = 0;
  // The end record ends the input; the directory lists exactly the entries it announces; the
  // local headers, walked from offset 0 with the directory's sizes, are those entries, back to
  // back, with nothing between them and nothing between the last one and the directory.
  bool agrees = false;
};

// Reads the layout of a zip; bounded by the reader's entry cap (a directory beyond it does not
// agree). Linear in the input.
[[nodiscard]] ZipLayout zip_layout(std::string_view data);

}  // namespace ksmg::filetype::detail

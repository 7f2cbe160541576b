// input_kind.cpp — owns the CLI's mail-or-file decision and the attachment name of a file (see
// input_kind.hpp).
#include "input_kind.hpp"

#include "ksmg/filetype.hpp"

namespace ksmg::cli {

bool is_mail(std::string_view data) {
  return filetype::opens_with_header_block(data) ||
         filetype::Detector().detect(data).mime_type == "application/mbox";
}

std::string base_name(const std::string& path) {
  const std::size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace ksmg::cli

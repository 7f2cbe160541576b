// mbox.cpp — splitting a Unix mbox at its "From " separator lines.
//
// A separator is a "From " line at the start of input or after a blank line. Requiring the
// blank line (as mutt does) keeps an unquoted "From " line inside a body from cutting a
// single message in two; writers that quote such lines (">From ") are unaffected.
#include "ksmg/mbox.hpp"

namespace ksmg::mbox {

bool looks_like_mbox(std::string_view data) noexcept { return data.starts_with("From "); }

std::vector<std::string_view> split(std::string_view data) {
  std::vector<std::string_view> out;
  if (!looks_like_mbox(data)) {
    if (!data.empty()) out.push_back(data);
    return out;
  }
  std::size_t begin = 0;
  for (std::size_t pos = data.find("\nFrom ", 1); pos != std::string_view::npos;
       pos = data.find("\nFrom ", pos + 1)) {
    std::size_t blank = pos;  // the '\n' that ends the line before the separator
    if (blank > 0 && data[blank - 1] == '\r') --blank;
    if (blank == 0 || data[blank - 1] != '\n') continue;  // not after a blank line
    out.push_back(data.substr(begin, blank - begin));
    begin = pos + 1;
  }
  out.push_back(data.substr(begin));
  return out;
}

}  // namespace ksmg::mbox

// dispatch.cpp — owns the choice of reader for a true type (container_of) and the dispatch to it.
#include <array>

#include "ksmg/archive.hpp"

namespace ksmg::archive {

std::string_view to_string(Container c) noexcept {
  switch (c) {
    case Container::none:
      return "none";
    case Container::archive:
      return "archive";
    case Container::tnef:
      return "tnef";
    case Container::rtf:
      return "rtf";
    case Container::html:
      return "html";
  }
  return "none";
}

Container container_of(const filetype::TrueType& type) noexcept {
  const std::string_view m = type.mime_type;
  if (m == "application/vnd.ms-tnef") return Container::tnef;
  if (m == "text/rtf" || m == "application/rtf") return Container::rtf;
  if (m == "text/html") return Container::html;
  // Java and Android packages are zips whose classes a scanner must see; Office documents are
  // zips too, but their parts are not attachments (macros come from filetype).
  static constexpr std::array<std::string_view, 3> kZipPackages{
      "application/java-archive", "application/vnd.android.package-archive",
      "application/x-xpinstall"};
  for (const std::string_view z : kZipPackages)
    if (m == z) return Container::archive;
  if (type.category == filetype::Category::archive) return Container::archive;
  return Container::none;
}

Contents unpack(std::string_view data, const filetype::TrueType& type, Budget& budget,
                PasswordSource* passwords) {
  switch (container_of(type)) {
    case Container::archive:
      return unpack_archive(data, budget, passwords);
    case Container::tnef:
      return unpack_tnef(data, budget);
    case Container::rtf:
      return unpack_rtf(data, budget);
    case Container::html:
      return unpack_html_data(data, budget);
    case Container::none:
      break;
  }
  return {};
}

}  // namespace ksmg::archive

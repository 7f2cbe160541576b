// mismatch.cpp — owns name_type_mismatch: does a file's extension, or its declared MIME type,
// disagree with what its bytes are?
//
// The point is disguise (an executable called invoice.pdf, a macro document renamed to .docx),
// not pedantry: kinds of text are not told apart (a .txt that is HTML, a .js our classifier
// calls plain text), nor formats within images or archives, and an unknown true type or an
// unknown extension says nothing.
#include <array>
#include <utility>

#include "core/ascii.hpp"
#include "ksmg/objects.hpp"

namespace ksmg::objects {

namespace {

using filetype::Category;

// Extensions a mail client or a desktop opens by type. Legacy binary Office formats and the
// macro-enabled OOXML ones say "may have macros"; the other Office ones promise none.
constexpr std::array<std::pair<std::string_view, Category>, 110> kExtensions{{
    {"exe", Category::executable},
    {"dll", Category::executable},
    {"scr", Category::executable},
    {"com", Category::executable},
    {"pif", Category::executable},
    {"cpl", Category::executable},
    {"sys", Category::executable},
    {"msi", Category::executable},
    {"jar", Category::executable},
    {"apk", Category::executable},
    {"class", Category::executable},
    {"lnk", Category::executable},
    {"wasm", Category::executable},
    {"swf", Category::executable},
    {"js", Category::script},
    {"jse", Category::script},
    {"vbs", Category::script},
    {"vbe", Category::script},
    {"wsf", Category::script},
    {"wsh", Category::script},
    {"ps1", Category::script},
    {"psm1", Category::script},
    {"bat", Category::script},
    {"cmd", Category::script},
    {"sh", Category::script},
    {"py", Category::script},
    {"pl", Category::script},
    {"php", Category::script},
    {"hta", Category::script},
    {"reg", Category::script},
    {"doc", Category::office_document_with_macros},
    {"dot", Category::office_document_with_macros},
    {"xls", Category::office_document_with_macros},
    {"xlt", Category::office_document_with_macros},
    {"xla", Category::office_document_with_macros},
    {"ppt", Category::office_document_with_macros},
    {"pps", Category::office_document_with_macros},
    {"pot", Category::office_document_with_macros},
    {"docx", Category::office_document},
    {"dotx", Category::office_document},
    {"xlsx", Category::office_document},
    {"xltx", Category::office_document},
    {"xlsb", Category::office_document},
    {"pptx", Category::office_document},
    {"ppsx", Category::office_document},
    {"potx", Category::office_document},
    {"odt", Category::office_document},
    {"ods", Category::office_document},
    {"odp", Category::office_document},
    {"rtf", Category::office_document},
    {"slk", Category::office_document_with_macros},
    {"docm", Category::office_document_with_macros},
    {"dotm", Category::office_document_with_macros},
    {"xlsm", Category::office_document_with_macros},
    {"xltm", Category::office_document_with_macros},
    {"xlam", Category::office_document_with_macros},
    {"pptm", Category::office_document_with_macros},
    {"ppsm", Category::office_document_with_macros},
    {"potm", Category::office_document_with_macros},
    {"zip", Category::archive},
    {"7z", Category::archive},
    {"rar", Category::archive},
    {"tar", Category::archive},
    {"gz", Category::archive},
    {"tgz", Category::archive},
    {"bz2", Category::archive},
    {"tbz", Category::archive},
    {"xz", Category::archive},
    {"txz", Category::archive},
    {"zst", Category::archive},
    {"lz4", Category::archive},
    {"lz", Category::archive},
    {"cab", Category::archive},
    {"iso", Category::archive},
    {"cpio", Category::archive},
    {"lzh", Category::archive},
    {"lha", Category::archive},
    {"arj", Category::archive},
    {"ace", Category::archive},
    {"deb", Category::archive},
    {"rpm", Category::archive},
    {"dmg", Category::archive},
    {"pdf", Category::pdf},
    {"jpg", Category::image},
    {"jpeg", Category::image},
    {"png", Category::image},
    {"gif", Category::image},
    {"bmp", Category::image},
    {"tif", Category::image},
    {"tiff", Category::image},
    {"ico", Category::image},
    {"webp", Category::image},
    {"svg", Category::image},
    {"mp3", Category::audio_video},
    {"wav", Category::audio_video},
    {"mp4", Category::audio_video},
    {"avi", Category::audio_video},
    {"mov", Category::audio_video},
    {"mkv", Category::audio_video},
    {"ogg", Category::audio_video},
    {"flac", Category::audio_video},
    {"txt", Category::text},
    {"csv", Category::text},
    {"log", Category::text},
    {"xml", Category::text},
    {"json", Category::text},
    {"eml", Category::text},
    {"htm", Category::html},
    {"html", Category::html},
    {"ics", Category::calendar},
}};

bool is_textual(Category c) noexcept {
  return c == Category::text || c == Category::html || c == Category::script ||
         c == Category::calendar;
}

bool is_office(Category c) noexcept {
  return c == Category::office_document || c == Category::office_document_with_macros;
}

// Whether content of category `actual` may honestly go by a name or type of category `claimed`.
// strict_macros: an extension without "m" promises no macros; declared types do not (mail
// clients send .xlsm as application/vnd.ms-excel all the time).
bool compatible(Category claimed, const filetype::TrueType& t, bool strict_macros) noexcept {
  const Category actual = t.category;
  if (claimed == actual) return true;
  if (actual == Category::other) return true;  // we do not know what it is
  if (is_textual(claimed) && is_textual(actual)) return true;
  if (is_office(claimed) && is_office(actual))
    return !strict_macros || claimed == Category::office_document_with_macros;
  // OOXML, ODF, jar and apk are zips: calling them an archive hides nothing.
  if (claimed == Category::archive)
    return is_office(actual) || t.mime_type == "application/java-archive" ||
           t.mime_type == "application/vnd.android.package-archive";
  return false;
}

std::string_view extension_of(std::string_view name) noexcept {
  const std::size_t slash = name.find_last_of("/\\");
  if (slash != std::string_view::npos) name.remove_prefix(slash + 1);
  const std::size_t dot = name.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return {};
  return name.substr(dot + 1);
}

}  // namespace

bool name_type_mismatch(std::string_view name, std::string_view declared_type,
                        const filetype::TrueType& true_type) noexcept {
  const std::string_view ext = extension_of(name);
  if (!ext.empty() && ext.size() <= 5) {
    for (const auto& [e, claimed] : kExtensions) {
      if (core::iequals(e, ext)) {
        if (!compatible(claimed, true_type, true)) return true;
        break;
      }
    }
  }
  if (!declared_type.empty()) {
    const Category claimed = filetype::category_of(declared_type);
    // Generic declarations (application/octet-stream, x-download, ...) claim nothing.
    if (claimed != Category::other && !compatible(claimed, true_type, false)) return true;
  }
  return false;
}

}  // namespace ksmg::objects

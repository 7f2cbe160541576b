// html_references.hpp — HTML character references (internal to the library): "&amp;", "&#58;",
// "&#x3a;", legacy names without ';', as the HTML Standard's tokenizer reads them. Shared by the
// HTML-to-text converter and by every reader that must see what a browser sees in markup (the
// data: URLs of archive/html_data.cpp).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace ksmg::mime::detail {

// The character reference at s[i] == '&': appends its value (UTF-8) to out and returns where
// the text continues; returns i and appends nothing when no reference starts there (the '&' is
// then text).
std::size_t character_reference(std::string_view s, std::size_t i, std::string& out);

// s with every character reference decoded, as a browser reads an attribute value.
[[nodiscard]] std::string decode_character_references(std::string_view s);

}  // namespace ksmg::mime::detail

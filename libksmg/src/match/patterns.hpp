// patterns.hpp — owns how a dictionary entry becomes a Hyperscan expression and what the match
// callback must still check for it (internal): literal escaping, phrase separators, and the
// Unicode character classes behind whole-word checks, which the parser and the matcher share.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ksmg/match.hpp"

namespace ksmg::match::detail {

// Unicode White_Space: what separates the words of a phrase, in the file and in the text.
bool is_space(char32_t c) noexcept;
// A character that continues a word: letter, digit, mark or '_' of a script written with spaces.
// Han, kana, Thai and the like never glue to a neighbour (their words are not space-separated).
bool is_word_char(char32_t c) noexcept;

// Code point at p (valid UTF-8, p < end); n receives its length.
char32_t decode_at(const char* p, const char* end, std::size_t& n) noexcept;

// One entry ready for Hyperscan.
struct Compiled {
  std::string expression;
  unsigned flags = 0;
  bool check_left = false;   // the callback must check the character before the match
  bool check_right = false;  // ... and after it
  // Code points of each word of a word or phrase, last first: walking back over them (and the
  // whitespace between) from the end of a match finds its start. Empty when not needed.
  std::vector<std::uint32_t> tokens_reversed;
  // Bytes every match has (ASCII words in byte mode), 0 when it varies: the start of a match
  // is then found without walking back.
  std::uint32_t byte_length = 0;
};

// False with a message when the entry cannot be expressed (empty, invalid UTF-8, ...). Regexes
// are passed through; Hyperscan validates them when the database is compiled.
bool compile_entry(const Entry& e, Compiled& out, std::string& message);

}  // namespace ksmg::match::detail

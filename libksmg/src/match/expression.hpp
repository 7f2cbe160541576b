// expression.hpp — owns the content filter's expression language (grammar in
// ksmg/content_filter.hpp) (internal): parsing untrusted text into a flat postfix program with
// precise, column-located errors and hard limits, and evaluating it over dictionary tallies.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ksmg::match::detail {

// Longest expression text accepted, in bytes.
inline constexpr std::size_t kMaxExpressionBytes = 4096;
// Deepest nesting accepted: every '(' and every 'not' opens one level (chains of 'and' and 'or'
// are flat, so they nest only through parentheses).
inline constexpr std::size_t kMaxExpressionDepth = 64;
// Longest number accepted, in characters ("4.5" is 3).
inline constexpr std::size_t kMaxNumberLength = 32;

// What the content filter counted for one dictionary over one message.
struct Tally {
  std::uint64_t count = 0;     // occurrences
  std::uint64_t distinct = 0;  // entries found
  double weight = 0;           // sum of the weights of the entries found
};

class Expression {
 public:
  // dictionaries: names of index i -> tallies[i]; earlier: names of expressions -> earlier[j].
  // False with column (1-based byte column in text, where the fault starts; one past the end
  // when the text ends too early) and message on error; `out` is then left as it was.
  static bool parse(std::string_view text, const std::vector<std::string>& dictionaries,
                    const std::vector<std::string>& earlier, Expression& out, std::size_t& column,
                    std::string& message);

  // tallies[i] for dictionary i, earlier[j] for earlier expression j (as given to parse). An
  // index beyond a span counts as no hit / false. No allocation, no recursion.
  [[nodiscard]] bool evaluate(std::span<const Tally> tallies,
                              std::span<const bool> earlier) const noexcept;

  // Indices of the dictionaries it names, ascending, no duplicates (to report what made it
  // fire). Dictionaries used only through an earlier expression are not included.
  [[nodiscard]] const std::vector<std::uint32_t>& dictionaries_used() const noexcept {
    return used_;
  }

  // Indices of the earlier expressions it names, ascending, no duplicates.
  [[nodiscard]] const std::vector<std::uint32_t>& expressions_used() const noexcept {
    return earlier_used_;
  }

  // Most values on the evaluation stack: two per level of parentheses and one more at the top.
  static constexpr std::size_t kMaxStack = 2 * kMaxExpressionDepth + 4;

  enum class Op : std::uint8_t { any, compare, earlier, op_not, op_and, op_or };
  enum class Field : std::uint8_t { count, distinct, weight };
  enum class Cmp : std::uint8_t { ge, gt, le, lt, eq, ne };

  // One instruction of the postfix program.
  struct Node {
    Op op = Op::any;
    Field field = Field::count;
    Cmp cmp = Cmp::ge;
    std::uint32_t index = 0;  // dictionary (any, compare) or earlier expression (earlier)
    double value = 0;         // compare
  };

 private:
  std::vector<Node> program_;  // postfix: operands before their operator
  std::vector<std::uint32_t> used_;
  std::vector<std::uint32_t> earlier_used_;
};

}  // namespace ksmg::match::detail

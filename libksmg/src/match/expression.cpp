// expression.cpp — owns the content filter's expression language: a recursive-descent parser
// (recursion bounded by kMaxExpressionDepth) from untrusted text to a postfix program, its error
// messages and columns, the iterative evaluator, and check_expression from content_filter.hpp.
#include "match/expression.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <limits>
#include <system_error>
#include <utility>

#include "ksmg/content_filter.hpp"

namespace ksmg::match {
namespace detail {
namespace {

bool is_name_char(char c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}
bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
bool is_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool is_keyword(std::string_view w) noexcept { return w == "and" || w == "or" || w == "not"; }

// A piece of the text inside quotes of a message: printable ASCII as is, other bytes as \xNN,
// cut after 40 characters so that a hostile 4000-byte name does not fill the log.
std::string quote(std::string_view s) {
  constexpr std::size_t kMaxShown = 40;
  std::string out = "'";
  const bool cut = s.size() > kMaxShown;
  if (cut) s = s.substr(0, kMaxShown);
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f) {
      out += c;
    } else {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 0xf];
    }
  }
  if (cut) out += "...";
  out += '\'';
  return out;
}

class Parser {
 public:
  Parser(std::string_view text, const std::vector<std::string>& dictionaries,
         const std::vector<std::string>& earlier, std::vector<Expression::Node>& program,
         std::vector<std::uint32_t>& used)
      : text_(text),
        dictionaries_(dictionaries),
        earlier_(earlier),
        program_(program),
        used_(used) {}

  bool run() {
    if (text_.size() > kMaxExpressionBytes) {
      return fail(kMaxExpressionBytes, "expression too long (" + std::to_string(text_.size()) +
                                           " bytes; at most " +
                                           std::to_string(kMaxExpressionBytes) + ")");
    }
    skip_space();
    if (pos_ == text_.size()) return fail(0, "empty expression");
    if (!parse_or()) return false;
    skip_space();
    if (pos_ < text_.size()) {
      if (text_[pos_] == ')') return fail(pos_, "unbalanced ')'");
      return fail(pos_, "unexpected " + quote(token_at(pos_)) + " after the expression");
    }
    return true;
  }

  [[nodiscard]] std::size_t column() const noexcept { return column_; }
  [[nodiscard]] std::string& message() noexcept { return message_; }

 private:
  bool fail(std::size_t offset, std::string message) {
    column_ = offset + 1;
    message_ = std::move(message);
    return false;
  }

  void skip_space() noexcept {
    while (pos_ < text_.size() && is_space(text_[pos_])) ++pos_;
  }

  // The run of name characters at p (possibly empty).
  [[nodiscard]] std::string_view name_at(std::size_t p) const noexcept {
    std::size_t e = p;
    while (e < text_.size() && is_name_char(text_[e])) ++e;
    return text_.substr(p, e - p);
  }

  // What to show of the text at p in "unexpected ..." messages: a word, a comparison, or one
  // character (a whole UTF-8 sequence when it starts one).
  [[nodiscard]] std::string_view token_at(std::size_t p) const noexcept {
    const std::string_view w = name_at(p);
    if (!w.empty()) return w;
    const std::string_view rest = text_.substr(p);
    for (const std::string_view op : {">=", "<=", "==", "!="}) {
      if (rest.starts_with(op)) return rest.substr(0, 2);
    }
    std::size_t n = 1;
    if ((static_cast<unsigned char>(rest[0]) & 0xc0) == 0xc0) {
      while (n < 4 && n < rest.size() && (static_cast<unsigned char>(rest[n]) & 0xc0) == 0x80) ++n;
    }
    return rest.substr(0, n);
  }

  // Whether the word at pos_ (after whitespace) is the keyword kw; it is not consumed.
  [[nodiscard]] bool at_keyword(std::string_view kw) noexcept {
    skip_space();
    return name_at(pos_) == kw;
  }

  void emit(Expression::Op op) { program_.push_back(Expression::Node{.op = op}); }

  bool parse_or() {
    if (!parse_and()) return false;
    while (at_keyword("or")) {
      pos_ += 2;
      if (!parse_and()) return false;
      emit(Expression::Op::op_or);
    }
    return true;
  }

  bool parse_and() {
    if (!parse_unary()) return false;
    while (at_keyword("and")) {
      pos_ += 3;
      if (!parse_unary()) return false;
      emit(Expression::Op::op_and);
    }
    return true;
  }

  bool enter(std::size_t at) {
    if (depth_ == kMaxExpressionDepth) {
      return fail(at, "expression nested too deeply (more than " +
                          std::to_string(kMaxExpressionDepth) +
                          " levels of parentheses and 'not')");
    }
    ++depth_;
    return true;
  }

  bool parse_unary() {
    skip_space();
    const std::size_t start = pos_;
    if (pos_ == text_.size()) return fail(pos_, "expected a name, 'not' or '('");
    if (text_[pos_] == '(') {
      if (!enter(start)) return false;
      ++pos_;
      if (!parse_or()) return false;
      skip_space();
      if (pos_ == text_.size()) return fail(start, "unbalanced '(' (no ')' closes it)");
      if (text_[pos_] != ')') {
        return fail(pos_, "unexpected " + quote(token_at(pos_)) + " (expected 'and', 'or' or ')')");
      }
      ++pos_;
      --depth_;
      return true;
    }
    const std::string_view word = name_at(pos_);
    if (word.empty()) return fail(pos_, "expected a name, 'not' or '('");
    if (word == "not") {
      std::size_t after = pos_ + word.size();
      while (after < text_.size() && is_space(text_[after])) ++after;
      if (after < text_.size() && text_[after] == '.') {
        return fail(pos_, "'not' is a keyword, not a name (it has no fields)");
      }
      if (!enter(start)) return false;
      pos_ += word.size();
      if (!parse_unary()) return false;
      emit(Expression::Op::op_not);
      --depth_;
      return true;
    }
    if (is_keyword(word)) {
      return fail(pos_, quote(word) + " is a keyword, not a name (expected a name, 'not' or '(')");
    }
    pos_ += word.size();
    return parse_term(word, start);
  }

  bool parse_term(std::string_view name, std::size_t name_at_offset) {
    skip_space();
    const bool has_field = pos_ < text_.size() && text_[pos_] == '.';
    std::uint32_t dict = 0;
    bool is_dict = false;
    if (const auto d = std::find(dictionaries_.begin(), dictionaries_.end(), name);
        d != dictionaries_.end()) {
      const auto i = static_cast<std::size_t>(d - dictionaries_.begin());
      if (i > std::numeric_limits<std::uint32_t>::max()) {
        return fail(name_at_offset, "too many dictionaries");
      }
      dict = static_cast<std::uint32_t>(i);
      is_dict = true;
    } else if (const auto e = std::find(earlier_.begin(), earlier_.end(), name);
               e != earlier_.end()) {
      const auto j = static_cast<std::size_t>(e - earlier_.begin());
      if (j > std::numeric_limits<std::uint32_t>::max()) {
        return fail(name_at_offset, "too many expressions");
      }
      if (has_field) {
        return fail(name_at_offset,
                    quote(name) +
                        " is an expression, not a dictionary (only a dictionary has count, "
                        "distinct and weight)");
      }
      program_.push_back(
          Expression::Node{.op = Expression::Op::earlier, .index = static_cast<std::uint32_t>(j)});
      return true;
    } else {
      return fail(name_at_offset,
                  "unknown name " + quote(name) + " (not a dictionary or an earlier expression)");
    }
    used_.push_back(dict);
    if (!is_dict || !has_field) {
      program_.push_back(Expression::Node{.op = Expression::Op::any, .index = dict});
      return true;
    }

    ++pos_;  // '.'
    skip_space();
    const std::size_t field_at = pos_;
    const std::string_view field_name = name_at(pos_);
    Expression::Field field{};
    if (field_name == "count") {
      field = Expression::Field::count;
    } else if (field_name == "distinct") {
      field = Expression::Field::distinct;
    } else if (field_name == "weight") {
      field = Expression::Field::weight;
    } else if (field_name.empty()) {
      return fail(field_at, "expected a field after " + quote(std::string(name) + ".") +
                                " (count, distinct or weight)");
    } else {
      return fail(field_at,
                  "unknown field " + quote(field_name) + " (expected count, distinct or weight)");
    }
    pos_ += field_name.size();

    skip_space();
    const std::string_view rest = text_.substr(pos_);
    Expression::Cmp cmp{};
    std::size_t cmp_len = 2;
    if (rest.starts_with(">=")) {
      cmp = Expression::Cmp::ge;
    } else if (rest.starts_with("<=")) {
      cmp = Expression::Cmp::le;
    } else if (rest.starts_with("==")) {
      cmp = Expression::Cmp::eq;
    } else if (rest.starts_with("!=")) {
      cmp = Expression::Cmp::ne;
    } else if (rest.starts_with(">")) {
      cmp = Expression::Cmp::gt;
      cmp_len = 1;
    } else if (rest.starts_with("<")) {
      cmp = Expression::Cmp::lt;
      cmp_len = 1;
    } else {
      return fail(pos_, "expected a comparison after " +
                            quote(std::string(name) + "." + std::string(field_name)));
    }
    pos_ += cmp_len;

    skip_space();
    double value = 0;
    if (!parse_number(value)) return false;
    program_.push_back(Expression::Node{
        .op = Expression::Op::compare, .field = field, .cmp = cmp, .index = dict, .value = value});
    return true;
  }

  // NUMBER := digits ("." digits)?, at most kMaxNumberLength characters. The whole run of
  // characters that could belong to a number-like word is read, so that "1e5", "1.2.3", "3x"
  // and "+3" are one bad number rather than a number followed by something unexpected.
  bool parse_number(double& value) {
    const std::size_t start = pos_;
    std::size_t e = pos_;
    while (e < text_.size() && (is_name_char(text_[e]) || text_[e] == '.' || text_[e] == '+')) {
      ++e;
    }
    const std::string_view run = text_.substr(start, e - start);
    if (run.empty()) return fail(start, "expected a number");
    if (run.size() > kMaxNumberLength) {
      return fail(start, "number too long (" + std::to_string(run.size()) +
                             " characters; at most " + std::to_string(kMaxNumberLength) + ")");
    }
    std::size_t i = 0;
    while (i < run.size() && is_digit(run[i])) ++i;
    bool ok = i > 0;
    if (ok && i < run.size() && run[i] == '.') {
      const std::size_t frac = ++i;
      while (i < run.size() && is_digit(run[i])) ++i;
      ok = i > frac;
    }
    ok = ok && i == run.size();
    if (!ok) {
      if (run.front() == '-') {
        return fail(start, "invalid number " + quote(run) + " (numbers are never negative)");
      }
      return fail(start, "invalid number " + quote(run) +
                             " (expected digits with an optional fraction, like 3 or 4.5)");
    }
    const auto [ptr, ec] = std::from_chars(run.data(), run.data() + run.size(), value);
    if (ec != std::errc{} || ptr != run.data() + run.size() || !std::isfinite(value)) {
      return fail(start, "invalid number " + quote(run));
    }
    pos_ = e;
    return true;
  }

  std::string_view text_;
  const std::vector<std::string>& dictionaries_;
  const std::vector<std::string>& earlier_;
  std::vector<Expression::Node>& program_;
  std::vector<std::uint32_t>& used_;
  std::size_t pos_ = 0;
  std::size_t depth_ = 0;
  std::size_t column_ = 0;
  std::string message_;
};

// Most values the postfix program keeps on the stack at once.
std::size_t stack_needed(const std::vector<Expression::Node>& program) noexcept {
  std::size_t depth = 0, most = 0;
  for (const Expression::Node& n : program) {
    switch (n.op) {
      case Expression::Op::any:
      case Expression::Op::compare:
      case Expression::Op::earlier:
        most = std::max(most, ++depth);
        break;
      case Expression::Op::op_not:
        break;
      case Expression::Op::op_and:
      case Expression::Op::op_or:
        --depth;
        break;
    }
  }
  return most;
}

bool compare(double a, Expression::Cmp cmp, double b) noexcept {
  switch (cmp) {
    case Expression::Cmp::ge:
      return a >= b;
    case Expression::Cmp::gt:
      return a > b;
    case Expression::Cmp::le:
      return a <= b;
    case Expression::Cmp::lt:
      return a < b;
    case Expression::Cmp::eq:
      return a == b;
    case Expression::Cmp::ne:
      return a != b;
  }
  return false;
}

}  // namespace

bool Expression::parse(std::string_view text, const std::vector<std::string>& dictionaries,
                       const std::vector<std::string>& earlier, Expression& out,
                       std::size_t& column, std::string& message) {
  Expression e;
  Parser p(text, dictionaries, earlier, e.program_, e.used_);
  if (!p.run()) {
    column = p.column();
    message = std::move(p.message());
    return false;
  }
  // The grammar and the depth limit bound the stack; this only guards the bound's arithmetic.
  if (stack_needed(e.program_) > kMaxStack) {
    column = 1;
    message = "expression too complex to evaluate";
    return false;
  }
  std::sort(e.used_.begin(), e.used_.end());
  e.used_.erase(std::unique(e.used_.begin(), e.used_.end()), e.used_.end());
  for (const Node& n : e.program_)
    if (n.op == Op::earlier) e.earlier_used_.push_back(n.index);
  std::sort(e.earlier_used_.begin(), e.earlier_used_.end());
  e.earlier_used_.erase(std::unique(e.earlier_used_.begin(), e.earlier_used_.end()),
                        e.earlier_used_.end());
  e.program_.shrink_to_fit();
  out = std::move(e);
  return true;
}

bool Expression::evaluate(std::span<const Tally> tallies,
                          std::span<const bool> earlier) const noexcept {
  std::array<bool, kMaxStack> stack{};
  std::size_t top = 0;  // values on the stack
  for (const Node& n : program_) {
    switch (n.op) {
      case Op::any:
        stack[top++] = n.index < tallies.size() && tallies[n.index].count > 0;
        break;
      case Op::compare: {
        double v = 0;
        if (n.index < tallies.size()) {
          const Tally& t = tallies[n.index];
          switch (n.field) {
            case Field::count:
              v = static_cast<double>(t.count);
              break;
            case Field::distinct:
              v = static_cast<double>(t.distinct);
              break;
            case Field::weight:
              v = t.weight;
              break;
          }
        }
        stack[top++] = compare(v, n.cmp, n.value);
        break;
      }
      case Op::earlier:
        stack[top++] = n.index < earlier.size() && earlier[n.index];
        break;
      case Op::op_not:
        stack[top - 1] = !stack[top - 1];
        break;
      case Op::op_and:
        --top;
        stack[top - 1] = stack[top - 1] && stack[top];
        break;
      case Op::op_or:
        --top;
        stack[top - 1] = stack[top - 1] || stack[top];
        break;
    }
  }
  return top == 1 && stack[0];
}

}  // namespace detail

bool check_expression(std::string_view text, const std::vector<std::string>& dictionaries,
                      const std::vector<std::string>& earlier_expressions, RulesError& err) {
  detail::Expression e;
  std::size_t column = 0;
  std::string message;
  if (detail::Expression::parse(text, dictionaries, earlier_expressions, e, column, message)) {
    return true;
  }
  err.column = column;
  err.message = std::move(message);
  return false;
}

}  // namespace ksmg::match

// test_expression.cpp — the content filter's expression language (match/expression.hpp): the
// grammar and its precedence, every field and comparison, earlier expressions, the dictionaries
// an expression names, every error with its column and message, the hostile-input limits, and a
// brute-force comparison of random expressions with a direct evaluation of the tree they print.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "ksmg/content_filter.hpp"
#include "match/expression.hpp"

namespace {

using ksmg::match::detail::Expression;
using ksmg::match::detail::kMaxExpressionBytes;
using ksmg::match::detail::kMaxExpressionDepth;
using ksmg::match::detail::Tally;

const std::vector<std::string> kDicts{"a", "b", "c", "pharma-2", "Big_One"};
const std::vector<std::string> kEarlier{"leak", "spam"};

Expression parse_ok(std::string_view text, const std::vector<std::string>& dicts = kDicts,
                    const std::vector<std::string>& earlier = kEarlier) {
  Expression e;
  std::size_t column = 0;
  std::string message;
  EXPECT_TRUE(Expression::parse(text, dicts, earlier, e, column, message))
      << text << " -> column " << column << ": " << message;
  return e;
}

struct Failure {
  std::size_t column = 0;
  std::string message;
};

Failure parse_error(std::string_view text) {
  Expression e;
  Failure f;
  EXPECT_FALSE(Expression::parse(text, kDicts, kEarlier, e, f.column, f.message)) << text;
  return f;
}

// tallies for a, b, c, pharma-2, Big_One (counts; distinct and weight derived).
std::vector<Tally> counts(std::uint64_t a, std::uint64_t b = 0, std::uint64_t c = 0) {
  return {Tally{a, a, static_cast<double>(a)}, Tally{b, b, static_cast<double>(b)},
          Tally{c, c, static_cast<double>(c)}, Tally{}, Tally{}};
}

bool eval(std::string_view text, const std::vector<Tally>& t,
          const std::vector<char>& earlier = {0, 0}) {
  const Expression e = parse_ok(text);
  const std::unique_ptr<bool[]> flags(new bool[earlier.size()]);
  for (std::size_t i = 0; i < earlier.size(); ++i) flags[i] = earlier[i] != 0;
  return e.evaluate(t, std::span<const bool>(flags.get(), earlier.size()));
}

TEST(Expression, NamesAreTrueWhenTheDictionaryHasHits) {
  EXPECT_TRUE(eval("a", counts(1)));
  EXPECT_FALSE(eval("a", counts(0, 5, 5)));
  EXPECT_TRUE(eval("pharma-2", {Tally{}, Tally{}, Tally{}, Tally{2, 1, 1.0}, Tally{}}));
  EXPECT_TRUE(eval("Big_One", {Tally{}, Tally{}, Tally{}, Tally{}, Tally{1, 1, 0.0}}));
  // Weight alone is not a hit.
  EXPECT_FALSE(eval("a", {Tally{0, 0, 3.0}, Tally{}, Tally{}, Tally{}, Tally{}}));
}

TEST(Expression, NotBindsTighterThanAndTighterThanOr) {
  // not a and b == (not a) and b
  EXPECT_FALSE(eval("not a and b", counts(1, 0)));
  EXPECT_TRUE(eval("not a and b", counts(0, 1)));
  EXPECT_FALSE(eval("not a and b", counts(0, 0)));  // not (a and b) would be true
  // a or b and c == a or (b and c)
  EXPECT_TRUE(eval("a or b and c", counts(1, 0, 0)));   // (a or b) and c would be false
  EXPECT_FALSE(eval("a or b and c", counts(0, 1, 0)));  // ... and here true
  EXPECT_TRUE(eval("b and c or a", counts(1, 0, 0)));
  // not a or b == (not a) or b
  EXPECT_TRUE(eval("not a or b", counts(1, 1)));  // not (a or b) would be false
  EXPECT_TRUE(eval("not not a", counts(1)));
  EXPECT_FALSE(eval("not not not a", counts(1)));
}

TEST(Expression, ParenthesesOverridePrecedence) {
  EXPECT_FALSE(eval("(a or b) and c", counts(1, 0, 0)));
  EXPECT_TRUE(eval("(a or b) and c", counts(0, 1, 1)));
  EXPECT_TRUE(eval("not (a and b)", counts(0, 0)));
  EXPECT_FALSE(eval("not (a and b)", counts(1, 1)));
  EXPECT_TRUE(eval("((((a))))", counts(1)));
  EXPECT_TRUE(eval("(a)and(b)", counts(1, 1)));
  EXPECT_TRUE(eval("not(a)", counts(0)));
}

TEST(Expression, WhitespaceAnywhereBetweenTokens) {
  EXPECT_TRUE(eval("  a . count>=1\tand\t( b .weight  <  1.5 )  ", counts(1, 1)));
  EXPECT_TRUE(eval("a.count>=1", counts(1)));
  EXPECT_TRUE(eval("a\n.count\r\n>=\n1", counts(1)));
}

TEST(Expression, EveryFieldAndComparison) {
  const std::vector<Tally> t{Tally{5, 3, 4.5}, Tally{}, Tally{}, Tally{}, Tally{}};
  struct Case {
    const char* text;
    bool want;
  };
  const Case cases[] = {
      {"a.count >= 5", true},      {"a.count >= 6", false},     {"a.count > 4", true},
      {"a.count > 5", false},      {"a.count <= 5", true},      {"a.count <= 4", false},
      {"a.count < 6", true},       {"a.count < 5", false},      {"a.count == 5", true},
      {"a.count == 5.0", true},    {"a.count == 4", false},     {"a.count != 4", true},
      {"a.count != 5", false},     {"a.distinct == 3", true},   {"a.distinct > 3", false},
      {"a.distinct >= 2.5", true}, {"a.distinct < 3", false},   {"a.distinct <= 3", true},
      {"a.distinct != 3", false},  {"a.weight > 4.5", false},   {"a.weight >= 4.5", true},
      {"a.weight == 4.5", true},   {"a.weight != 4.50", false}, {"a.weight < 4.51", true},
      {"a.weight <= 4.49", false}, {"a.weight > 4.4999", true}, {"b.count == 0", true},
      {"b.weight < 0.001", true},  {"a.count > 007", false},    {"a.count < 0", false},
  };
  for (const Case& c : cases) EXPECT_EQ(eval(c.text, t), c.want) << c.text;
}

TEST(Expression, EarlierExpressionsAreTheirBooleanValue) {
  EXPECT_TRUE(eval("leak", counts(0), {1, 0}));
  EXPECT_FALSE(eval("leak", counts(0), {0, 1}));
  EXPECT_TRUE(eval("spam and not leak", counts(0), {0, 1}));
  EXPECT_TRUE(eval("leak or a.count > 2", counts(3), {0, 0}));
  // A span too short counts as false / no hit (never read out of bounds).
  const Expression e = parse_ok("spam or c");
  EXPECT_FALSE(e.evaluate({}, {}));
  // A name that is both: the dictionary wins (the configuration reader forbids it anyway).
  const Expression both = parse_ok("x", {"x"}, {"x"});
  const std::array<Tally, 1> hit{Tally{1, 1, 1}};
  const std::array<bool, 1> no{false};
  EXPECT_TRUE(both.evaluate(hit, no));
}

TEST(Expression, DictionariesUsedAreSortedAndUnique) {
  EXPECT_EQ(parse_ok("c or a.count > 1 and not c.weight < 2 or a").dictionaries_used(),
            (std::vector<std::uint32_t>{0, 2}));
  EXPECT_EQ(parse_ok("Big_One and pharma-2 or b").dictionaries_used(),
            (std::vector<std::uint32_t>{1, 3, 4}));
  EXPECT_TRUE(parse_ok("leak or not spam").dictionaries_used().empty());
  EXPECT_TRUE(Expression{}.dictionaries_used().empty());
}

TEST(Expression, NamesAreCaseSensitiveAndKeywordsAreNeverNames) {
  EXPECT_EQ(parse_error("A").message,
            "unknown name 'A' (not a dictionary or an earlier expression)");
  for (const char* kw : {"and", "or", "not"}) {
    // Even when a dictionary is called so, the word stays a keyword.
    Expression e;
    std::size_t column = 0;
    std::string message;
    EXPECT_FALSE(Expression::parse(std::string(kw) + ".count > 1", {kw}, {}, e, column, message))
        << kw;
    EXPECT_EQ(column, 1u) << kw;
    EXPECT_NE(message.find("keyword"), std::string::npos) << message;
  }
  const Failure f = parse_error("a and or b");
  EXPECT_EQ(f.column, 7u);
  EXPECT_EQ(f.message, "'or' is a keyword, not a name (expected a name, 'not' or '(')");
  // "And", "NOT", "or-x" and "android" are ordinary names.
  const Expression e = parse_ok("And or NOT or or-x or android", {"And", "NOT", "or-x", "android"});
  EXPECT_EQ(e.dictionaries_used(), (std::vector<std::uint32_t>{0, 1, 2, 3}));
}

struct ErrorCase {
  const char* text;
  std::size_t column;
  const char* message;
};

TEST(Expression, ErrorsHaveAColumnAndAPreciseMessage) {
  const ErrorCase cases[] = {
      {"", 1, "empty expression"},
      {" \t ", 1, "empty expression"},
      {"x", 1, "unknown name 'x' (not a dictionary or an earlier expression)"},
      {"a and zz.count > 1", 7, "unknown name 'zz' (not a dictionary or an earlier expression)"},
      {"a.count", 8, "expected a comparison after 'a.count'"},
      {"a.count = 1", 9, "expected a comparison after 'a.count'"},
      {"a.count => 1", 9, "expected a comparison after 'a.count'"},
      {"a.weight ! 1", 10, "expected a comparison after 'a.weight'"},
      {"a.count >=", 11, "expected a number"},
      {"a.count >= )", 12, "expected a number"},
      {"a.count >= x", 12,
       "invalid number 'x' (expected digits with an optional fraction, like 3 or 4.5)"},
      {"a.count >= 1e5", 12,
       "invalid number '1e5' (expected digits with an optional fraction, like 3 or 4.5)"},
      {"a.count >= 1.2.3", 12,
       "invalid number '1.2.3' (expected digits with an optional fraction, like 3 or 4.5)"},
      {"a.count >= 1.", 12,
       "invalid number '1.' (expected digits with an optional fraction, like 3 or 4.5)"},
      {"a.count >= .5", 12,
       "invalid number '.5' (expected digits with an optional fraction, like 3 or 4.5)"},
      {"a.count >= +3", 12,
       "invalid number '+3' (expected digits with an optional fraction, like 3 or 4.5)"},
      {"a.count >= 3and b", 12,
       "invalid number '3and' (expected digits with an optional fraction, like 3 or 4.5)"},
      {"a.count >= -1", 12, "invalid number '-1' (numbers are never negative)"},
      {"a.size > 1", 3, "unknown field 'size' (expected count, distinct or weight)"},
      {"a.Count > 1", 3, "unknown field 'Count' (expected count, distinct or weight)"},
      {"a. > 1", 4, "expected a field after 'a.' (count, distinct or weight)"},
      {"leak.count > 1", 1,
       "'leak' is an expression, not a dictionary (only a dictionary has count, distinct and "
       "weight)"},
      {"a)", 2, "unbalanced ')'"},
      {"(a))", 4, "unbalanced ')'"},
      {")", 1, "expected a name, 'not' or '('"},
      {"(a", 1, "unbalanced '(' (no ')' closes it)"},
      {"a and (b or (c)", 7, "unbalanced '(' (no ')' closes it)"},
      {"(a b)", 4, "unexpected 'b' (expected 'and', 'or' or ')')"},
      {"()", 2, "expected a name, 'not' or '('"},
      {"a and", 6, "expected a name, 'not' or '('"},
      {"a or not", 9, "expected a name, 'not' or '('"},
      {"not", 4, "expected a name, 'not' or '('"},
      {"a and .count", 7, "expected a name, 'not' or '('"},
      {"@", 1, "expected a name, 'not' or '('"},
      {"a b", 3, "unexpected 'b' after the expression"},
      {"a z", 3, "unexpected 'z' after the expression"},
      {"a.count >= 3 4", 14, "unexpected '4' after the expression"},
      {"a && b", 3, "unexpected '&' after the expression"},
      {"a >= 1", 3, "unexpected '>=' after the expression"},
      {"a\xc3\xa9", 2, "unexpected '\\xc3\\xa9' after the expression"},
      {"a not b", 3, "unexpected 'not' after the expression"},
      {"or", 1, "'or' is a keyword, not a name (expected a name, 'not' or '(')"},
      {"not.count > 1", 1, "'not' is a keyword, not a name (it has no fields)"},
  };
  for (const ErrorCase& c : cases) {
    const Failure f = parse_error(c.text);
    EXPECT_EQ(f.column, c.column) << c.text;
    EXPECT_EQ(f.message, c.message) << c.text;
  }
}

TEST(Expression, LongTokensAreCutInMessages) {
  const std::string name(3000, 'q');
  const Failure f = parse_error(name);
  EXPECT_EQ(f.column, 1u);
  EXPECT_EQ(f.message, "unknown name '" + std::string(40, 'q') +
                           "...' (not a dictionary or an earlier expression)");
  // Control characters never reach the message raw.
  EXPECT_EQ(parse_error("a \x01").message, "unexpected '\\x01' after the expression");
}

TEST(Expression, NumbersAreBounded) {
  EXPECT_TRUE(eval("a.count < 99999999999999999999", counts(1)));  // 20 digits: fine
  EXPECT_TRUE(eval("a.weight > 0.0000000000000000000000000001", counts(1)));
  const std::string long_number(33, '9');
  const Failure f = parse_error("a.count >= " + long_number);
  EXPECT_EQ(f.column, 12u);
  EXPECT_EQ(f.message, "number too long (33 characters; at most 32)");
  const Failure g = parse_error("a.count >= " + std::string(4000, '1'));
  EXPECT_EQ(g.message, "number too long (4000 characters; at most 32)");
}

TEST(Expression, LengthLimit) {
  // Exactly at the limit: parses.
  std::string text = "a";
  while (text.size() + 5 <= kMaxExpressionBytes) text += " or a";
  text.resize(kMaxExpressionBytes, ' ');
  EXPECT_EQ(text.size(), kMaxExpressionBytes);
  EXPECT_TRUE(eval(text, counts(1)));
  text += ' ';
  const Failure f = parse_error(text);
  EXPECT_EQ(f.column, kMaxExpressionBytes + 1);
  EXPECT_EQ(f.message, "expression too long (4097 bytes; at most 4096)");
}

TEST(Expression, DepthLimit) {
  const auto nested = [](std::size_t n) { return std::string(n, '(') + "a" + std::string(n, ')'); };
  EXPECT_TRUE(eval(nested(kMaxExpressionDepth), counts(1)));
  Failure f = parse_error(nested(kMaxExpressionDepth + 1));
  EXPECT_EQ(f.column, kMaxExpressionDepth + 1);
  EXPECT_EQ(f.message,
            "expression nested too deeply (more than 64 levels of parentheses and 'not')");

  std::string nots;
  for (std::size_t i = 0; i < kMaxExpressionDepth; ++i) nots += "not ";
  EXPECT_TRUE(eval(nots + "a", counts(1)));  // 64 is even
  f = parse_error(nots + "not a");
  EXPECT_EQ(f.column, kMaxExpressionDepth * 4 + 1);
  EXPECT_EQ(f.message,
            "expression nested too deeply (more than 64 levels of parentheses and 'not')");

  // Mixed: 32 "not (" make 64 levels.
  std::string mixed;
  for (std::size_t i = 0; i < kMaxExpressionDepth / 2; ++i) mixed += "not (";
  EXPECT_TRUE(eval(mixed + "a" + std::string(kMaxExpressionDepth / 2, ')'), counts(1)));
  EXPECT_FALSE(eval(mixed + "a" + std::string(kMaxExpressionDepth / 2, ')'), counts(0)));
  f = parse_error(mixed + "(a" + std::string(kMaxExpressionDepth / 2 + 1, ')'));
  EXPECT_EQ(f.column, kMaxExpressionDepth / 2 * 5 + 1);

  // The deepest evaluation stack: an operand waiting at every level of both operators.
  std::string deep;
  for (std::size_t i = 0; i < kMaxExpressionDepth; ++i) deep += "a or a and (";
  deep += "a or a and b";
  deep += std::string(kMaxExpressionDepth, ')');
  EXPECT_TRUE(eval(deep, counts(1)));
  EXPECT_FALSE(eval(deep, counts(0, 1)));

  // Long flat chains are not nesting.
  std::string chain = "a";
  for (int i = 0; i < 500; ++i) chain += (i % 2 != 0) ? " and b" : " or c";
  EXPECT_TRUE(parse_ok(chain).dictionaries_used() == (std::vector<std::uint32_t>{0, 1, 2}));
}

TEST(Expression, FailedParseLeavesTheOutputAlone) {
  Expression e = parse_ok("a");
  std::size_t column = 0;
  std::string message;
  EXPECT_FALSE(Expression::parse("b and", kDicts, kEarlier, e, column, message));
  EXPECT_EQ(e.dictionaries_used(), (std::vector<std::uint32_t>{0}));
  EXPECT_TRUE(e.evaluate(counts(1), {}));
}

TEST(Expression, CheckExpressionSetsOnlyColumnAndMessage) {
  ksmg::match::RulesError err;
  err.file = "filter.toml";
  err.line = 12;
  err.rule = "expression 'leak'";
  EXPECT_TRUE(ksmg::match::check_expression("a and leak", kDicts, kEarlier, err));
  EXPECT_EQ(err.column, 0u);
  EXPECT_TRUE(err.message.empty());
  EXPECT_FALSE(ksmg::match::check_expression("a and (b", kDicts, kEarlier, err));
  EXPECT_EQ(err.column, 7u);
  EXPECT_EQ(err.message, "unbalanced '(' (no ')' closes it)");
  EXPECT_EQ(err.file, "filter.toml");
  EXPECT_EQ(err.line, 12u);
  EXPECT_EQ(err.rule, "expression 'leak'");
  // An expression may use only expressions before it.
  EXPECT_FALSE(ksmg::match::check_expression("spam", kDicts, {"leak"}, err));
  EXPECT_EQ(err.message, "unknown name 'spam' (not a dictionary or an earlier expression)");
}

// ---- Brute force: random trees, printed, parsed and evaluated, against the tree itself. ----

struct Tree {
  enum Kind { name, compare, earlier, op_not, op_and, op_or } kind = name;
  int dict = 0;      // name, compare
  int field = 0;     // compare: count, distinct, weight
  int cmp = 0;       // compare: >= > <= < == !=
  double value = 0;  // compare
  std::string value_text;
  int earlier_index = 0;
  std::vector<Tree> kids;
};

constexpr std::array<const char*, 3> kFields{"count", "distinct", "weight"};
constexpr std::array<const char*, 6> kCmps{">=", ">", "<=", "<", "==", "!="};
const std::vector<std::string> kRandomDicts{"d0", "d-1", "D_2"};
const std::vector<std::string> kRandomEarlier{"e0", "e1"};

Tree random_tree(std::mt19937& rng, int depth) {
  std::uniform_int_distribution<int> pick(0, depth >= 5 ? 2 : 5);
  Tree t;
  t.kind = static_cast<Tree::Kind>(pick(rng));
  switch (t.kind) {
    case Tree::name:
      t.dict = static_cast<int>(rng() % 3);
      break;
    case Tree::compare: {
      t.dict = static_cast<int>(rng() % 3);
      t.field = static_cast<int>(rng() % 3);
      t.cmp = static_cast<int>(rng() % 6);
      const unsigned whole = rng() % 5;
      if (rng() % 2 != 0) {
        t.value_text = std::to_string(whole) + ".5";
        t.value = whole + 0.5;
      } else {
        t.value_text = std::to_string(whole);
        t.value = whole;
      }
      break;
    }
    case Tree::earlier:
      t.earlier_index = static_cast<int>(rng() % 2);
      break;
    case Tree::op_not:
      t.kids.push_back(random_tree(rng, depth + 1));
      break;
    case Tree::op_and:
    case Tree::op_or: {
      const int n = 2 + static_cast<int>(rng() % 3);
      for (int i = 0; i < n; ++i) t.kids.push_back(random_tree(rng, depth + 1));
      break;
    }
  }
  return t;
}

bool direct(const Tree& t, const std::vector<Tally>& tallies, const std::array<bool, 2>& earlier) {
  switch (t.kind) {
    case Tree::name:
      return tallies[t.dict].count > 0;
    case Tree::compare: {
      const Tally& x = tallies[t.dict];
      const double v = t.field == 0   ? static_cast<double>(x.count)
                       : t.field == 1 ? static_cast<double>(x.distinct)
                                      : x.weight;
      switch (t.cmp) {
        case 0:
          return v >= t.value;
        case 1:
          return v > t.value;
        case 2:
          return v <= t.value;
        case 3:
          return v < t.value;
        case 4:
          return v == t.value;
        default:
          return v != t.value;
      }
    }
    case Tree::earlier:
      return earlier[t.earlier_index];
    case Tree::op_not:
      return !direct(t.kids[0], tallies, earlier);
    case Tree::op_and:
      for (const Tree& k : t.kids) {
        if (!direct(k, tallies, earlier)) return false;
      }
      return true;
    case Tree::op_or:
      for (const Tree& k : t.kids) {
        if (direct(k, tallies, earlier)) return true;
      }
      return false;
  }
  return false;
}

// Binding strength of the operator at the top of a tree: or 1, and 2, not and terms 3.
int strength(const Tree& t) { return t.kind == Tree::op_or ? 1 : t.kind == Tree::op_and ? 2 : 3; }

// full: every operator in parentheses; otherwise only where precedence needs them.
std::string print(const Tree& t, bool full, std::mt19937& rng) {
  const auto sp = [&rng] {
    static constexpr std::array<const char*, 4> kSpaces{" ", "  ", "\t", " \t "};
    return std::string(kSpaces[rng() % kSpaces.size()]);
  };
  const auto wrap = [&](const Tree& kid, int need) {
    const std::string s = print(kid, full, rng);
    return (full || strength(kid) < need) ? "(" + s + ")" : s;
  };
  switch (t.kind) {
    case Tree::name:
      return kRandomDicts[t.dict];
    case Tree::compare:
      return kRandomDicts[t.dict] + (rng() % 4 == 0 ? " . " : ".") + kFields[t.field] +
             (rng() % 2 != 0 ? sp() : "") + kCmps[t.cmp] + (rng() % 2 != 0 ? sp() : "") +
             t.value_text;
    case Tree::earlier:
      return kRandomEarlier[t.earlier_index];
    case Tree::op_not:
      return "not" + sp() + wrap(t.kids[0], 3);
    case Tree::op_and:
    case Tree::op_or: {
      const int need = strength(t) + 1;
      std::string s = wrap(t.kids[0], need);
      for (std::size_t i = 1; i < t.kids.size(); ++i) {
        s += sp() + (t.kind == Tree::op_and ? "and" : "or") + sp() + wrap(t.kids[i], need);
      }
      return s;
    }
  }
  return {};
}

void collect_dicts(const Tree& t, std::vector<std::uint32_t>& out) {
  if (t.kind == Tree::name || t.kind == Tree::compare)
    out.push_back(static_cast<std::uint32_t>(t.dict));
  for (const Tree& k : t.kids) collect_dicts(k, out);
}

TEST(Expression, RandomExpressionsAgreeWithADirectEvaluationOfTheirTree) {
  std::mt19937 rng(20240611);
  int evaluations = 0;
  for (int round = 0; round < 600; ++round) {
    const Tree tree = random_tree(rng, 0);
    std::vector<std::uint32_t> want_used;
    collect_dicts(tree, want_used);
    std::sort(want_used.begin(), want_used.end());
    want_used.erase(std::unique(want_used.begin(), want_used.end()), want_used.end());
    for (const bool full : {true, false}) {
      const std::string text = print(tree, full, rng);
      if (text.size() > kMaxExpressionBytes) continue;  // a rare bushy tree
      Expression e;
      std::size_t column = 0;
      std::string message;
      ASSERT_TRUE(Expression::parse(text, kRandomDicts, kRandomEarlier, e, column, message))
          << text << " -> column " << column << ": " << message;
      ASSERT_EQ(e.dictionaries_used(), want_used) << text;
      for (int k = 0; k < 20; ++k) {
        std::vector<Tally> tallies(3);
        for (Tally& x : tallies) {
          x.count = rng() % 6;
          x.distinct = std::min<std::uint64_t>(x.count, rng() % 4);
          x.weight = static_cast<double>(rng() % 11) / 2;  // 0, 0.5, ..., 5
        }
        const std::array<bool, 2> earlier{rng() % 2 != 0, rng() % 2 != 0};
        ASSERT_EQ(e.evaluate(tallies, earlier), direct(tree, tallies, earlier)) << text;
        ++evaluations;
      }
    }
  }
  EXPECT_GT(evaluations, 600 * 20);
}

// Hostile junk: never crashes, and every failure points inside the text or one past its end.
TEST(Expression, RandomJunkFailsCleanly) {
  std::mt19937 rng(7);
  using namespace std::string_view_literals;
  static constexpr std::string_view kAlphabet = "ab()not and or.count><=!1.5 \t\x00\xff-_e"sv;
  for (int round = 0; round < 3000; ++round) {
    std::string text;
    const std::size_t n = rng() % 40;
    for (std::size_t i = 0; i < n; ++i) text += kAlphabet[rng() % kAlphabet.size()];
    Expression e;
    std::size_t column = 0;
    std::string message;
    if (Expression::parse(text, kDicts, kEarlier, e, column, message)) {
      (void)e.evaluate(counts(1, 2, 3), {});
    } else {
      EXPECT_GE(column, 1u) << text;
      EXPECT_LE(column, text.size() + 1) << text;
      EXPECT_FALSE(message.empty()) << text;
    }
  }
}

}  // namespace

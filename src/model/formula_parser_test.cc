// Formula text → Formula (ParseFormula, src/model/formula_parser.cc): the
// variables and terms R's terms.formula gives, the operators' expansions,
// DeparseName, and the syntax errors, each naming the position.
#include "model/formula_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "nbglm/error.h"
#include "nbglm/formula.h"
#include "nbglm/table.h"

namespace nbglm {
namespace {

using Names = std::vector<std::string>;

Names Labels(const Formula& formula) {
  Names labels;
  for (std::size_t t = 0; t < formula.terms.size(); ++t) labels.push_back(formula.TermLabel(t));
  return labels;
}

std::string ParseError(const std::string& formula) {
  try {
    ParseFormula(formula, "--loc");
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}

TEST(FormulaParserTest, ParsesVariablesInOrderOfAppearanceAndSortsTermsByOrder) {
  const Formula formula = ParseFormula("~ b + a:b + factor(d) + C(a , Sum)");
  EXPECT_TRUE(formula.intercept);
  ASSERT_EQ(formula.variables.size(), 4u);
  EXPECT_EQ(formula.variables[0].name, "b");
  EXPECT_EQ(formula.variables[1].name, "a");
  EXPECT_EQ(formula.variables[2].name, "factor(d)");
  EXPECT_EQ(formula.variables[2].column, "d");
  EXPECT_TRUE(formula.variables[2].as_factor);
  EXPECT_EQ(formula.variables[3].name, "C(a, Sum)");
  EXPECT_EQ(formula.variables[3].contrast, ContrastKind::kSum);
  ASSERT_EQ(formula.terms.size(), 4u);
  EXPECT_EQ(formula.TermLabel(0), "b");
  EXPECT_EQ(formula.TermLabel(1), "factor(d)");
  EXPECT_EQ(formula.TermLabel(2), "C(a, Sum)");
  EXPECT_EQ(formula.TermLabel(3), "b:a");  // variables in variable order

  const Formula power = ParseFormula("~ (a + b + x)^3 - a:b:x - 1");
  EXPECT_FALSE(power.intercept);
  std::vector<std::string> labels;
  for (std::size_t t = 0; t < power.terms.size(); ++t) labels.push_back(power.TermLabel(t));
  EXPECT_EQ(labels, (Names{"a", "b", "x", "a:b", "a:x", "b:x"}));

  const Formula nest = ParseFormula("~ a/b");
  EXPECT_EQ(nest.terms.size(), 2u);
  EXPECT_EQ(nest.TermLabel(1), "a:b");
  EXPECT_FALSE(ParseFormula("~ -1 + a").intercept);
  EXPECT_TRUE(ParseFormula("~ 0 + a + 1").intercept);  // the last 0/1 wins, as in R
  EXPECT_TRUE(ParseFormula("~ a - 0").intercept);
  EXPECT_EQ(ParseFormula("~ a + a + a:a").terms.size(), 1u);  // duplicates dropped
}

TEST(FormulaParserTest, OperatorsExpandAsR) {
  // a*b = a + b + a:b; a/b = a + a:b; removal; powers; parentheses.
  EXPECT_EQ(Labels(ParseFormula("~ a*b")), (Names{"a", "b", "a:b"}));
  EXPECT_EQ(Labels(ParseFormula("~ a*b - a")), (Names{"b", "a:b"}));
  EXPECT_EQ(Labels(ParseFormula("~ (a + b)/x")), (Names{"a", "b", "a:b:x"}));
  EXPECT_EQ(Labels(ParseFormula("~ (a + b + x)^2")), (Names{"a", "b", "x", "a:b", "a:x", "b:x"}));
  EXPECT_EQ(Labels(ParseFormula("~ a:b + b:a")), (Names{"a:b"}));  // one term, whatever the order
  EXPECT_EQ(Labels(ParseFormula("~ ((a))")), (Names{"a"}));
  EXPECT_EQ(ParseFormula("~ 1").terms.size(), 0u);
  EXPECT_TRUE(ParseFormula("~ 1").intercept);
  // Variables are expressions, as in R: as.factor(d), d and factor(d) are
  // three variables of one column; a repeated expression is one variable.
  const Formula f = ParseFormula("~ as.factor(d) + d + factor(d) + d:factor(d)");
  ASSERT_EQ(f.variables.size(), 3u);
  EXPECT_EQ(f.variables[0].name, "as.factor(d)");
  EXPECT_EQ(f.variables[0].column, "d");
  EXPECT_TRUE(f.variables[0].as_factor);
  EXPECT_FALSE(f.variables[1].as_factor);
  EXPECT_EQ(f.variables[2].column, "d");
  EXPECT_EQ(Labels(f), (Names{"as.factor(d)", "d", "factor(d)", "d:factor(d)"}));
}

TEST(FormulaParserTest, BacktickedNamesAndDeparsing) {
  const Formula f = ParseFormula("~ `odd name` + `if` + plain.name_2");
  ASSERT_EQ(f.variables.size(), 3u);
  EXPECT_EQ(f.variables[0].column, "odd name");
  EXPECT_EQ(f.variables[0].name, "`odd name`");
  EXPECT_EQ(f.variables[1].name, "`if`");
  EXPECT_EQ(f.variables[2].name, "plain.name_2");
  EXPECT_EQ(DeparseName("condition"), "condition");
  EXPECT_EQ(DeparseName(".x1"), ".x1");
  EXPECT_EQ(DeparseName("odd name"), "`odd name`");
  EXPECT_EQ(DeparseName("2x"), "`2x`");      // a name cannot start with a digit
  EXPECT_EQ(DeparseName(".2x"), "`.2x`");    // nor with a dot followed by a digit
  EXPECT_EQ(DeparseName("TRUE"), "`TRUE`");  // reserved words
  EXPECT_EQ(DeparseName("function"), "`function`");
  EXPECT_EQ(DeparseName("a-b"), "`a-b`");
}

TEST(FormulaParserTest, SyntaxErrorsNameThePosition) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"~ a + * b", "--loc: '~ a + * b': unexpected '*' at character 7"},
      {"~ (a + b", "--loc: '~ (a + b': unexpected end of formula at character 9"},
      {"~", "--loc: '~': empty right-hand side after '~' at character 2"},
      {"~ `a", "--loc: '~ `a': unterminated ` at character 3"},
      {"~ a + 2", "--loc: '~ a + 2': a number in a formula can only be 0 or 1 (the intercept) at character 7"},
  };
  for (const auto& [formula, message] : cases) EXPECT_EQ(ParseError(formula), message) << formula;
  // The description names the option the formula came from.
  try {
    ParseFormula("~ a +", "--scale");
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), "--scale: '~ a +': unexpected end of formula at character 6");
  }
}

// Found by the formula fuzzer: `(a * b * …)^9` grows combinatorially; an
// 86-byte formula took minutes to expand. It must fail at once with a clear
// message (at most 4096 terms).
TEST(FormulaParserTest, CombinatorialExpansionIsRefusedQuickly) {
  const std::string bomb = ReadFileContents(std::string(NBGLM_SOURCE_DIR) + "/tests/data/bad/formula_expansion_bomb.bin");
  EXPECT_THROW(ParseFormula(bomb, "--loc"), InputError);
  try {
    ParseFormula("~ (a*b*c*d*e*f*g*h*i*j*k*l*m)^2", "--loc");
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("expands to more than 4096 terms"), std::string::npos) << e.what();
  }
  // 12 variables crossed: 4095 terms, still accepted.
  EXPECT_EQ(ParseFormula("~ a*b*c*d*e*f*g*h*i*j*k*l", "--loc").terms.size(), 4095u);
}

}  // namespace
}  // namespace nbglm

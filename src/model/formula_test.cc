// Formula coding (nbglm/formula.h BuildFormulaDesign and friends; the parsing
// is tested in formula_parser_test.cc). The designs themselves are compared
// with R's model.matrix in tests/formula_reference_test.cc; here: options,
// nesting and every error message.
#include "nbglm/formula.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "nbglm/error.h"
#include "nbglm/identifiability.h"
#include "nbglm/table.h"

namespace nbglm {
namespace {

using Names = std::vector<std::string>;

// The toy sheet of tests/reference/make_formula_reference.R.
SampleTable Toy() {
  return MakeSampleTable(ParseTextTable(
      "obs\ta\tb\tx\td\n"
      "o1\tp\tu\t1.5\t1\n"
      "o2\tq\tu\t2.0\t2\n"
      "o3\tr\tv\t0.5\t3\n"
      "o4\tp\tv\t1.0\t1\n"
      "o5\tq\tw\t3.0\t2\n"
      "o6\tr\tw\t2.5\t3\n",
      "toy.tsv"));
}

// Notebook example 1 as a sheet: 4 biological replicates, 2 per condition.
SampleTable Replicates() {
  return MakeSampleTable(ParseTextTable(
      "cell\tbio_rep\tcondition\tone\n"
      "c1\tr1\tA\tz\nc2\tr1\tA\tz\nc3\tr2\tA\tz\nc4\tr2\tA\tz\n"
      "c5\tr3\tB\tz\nc6\tr3\tB\tz\nc7\tr4\tB\tz\nc8\tr4\tB\tz\n",
      "reps.tsv"));
}

Names Columns(const std::string& formula, const FormulaOptions& options = {}) {
  return BuildFormulaDesign(Toy(), formula, options).parameter_names;
}

std::string ErrorOf(const SampleTable& samples, const std::string& formula, const FormulaOptions& options = {}) {
  try {
    BuildFormulaDesign(samples, formula, options, "--loc");
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}

TEST(FormulaTest, ToySheetExamplesOfFormulaCoding) {
  // A few of the toy sheet's cases (all of them are in the R reference test).
  EXPECT_EQ(Columns("~ 0 + a + b"), (Names{"ap", "aq", "ar", "bv", "bw"}));
  EXPECT_EQ(Columns("~ b + a:b"), (Names{"(Intercept)", "bv", "bw", "bu:aq", "bv:aq", "bw:aq", "bu:ar", "bv:ar", "bw:ar"}));
  EXPECT_EQ(Columns("~ x:a"), (Names{"(Intercept)", "x:ap", "x:aq", "x:ar"}));
  EXPECT_EQ(Columns("~ a - 1 + x"), (Names{"ap", "aq", "ar", "x"}));
  EXPECT_EQ(Columns("~ factor(d) + x"), (Names{"(Intercept)", "factor(d)2", "factor(d)3", "x"}));
}

TEST(FormulaTest, ValuesOfSumContrastsAndInteractions) {
  const Design design = BuildFormulaDesign(Toy(), "~ C(a, Sum) + x:b");
  EXPECT_EQ(design.parameter_names, (Names{"(Intercept)", "C(a, Sum)1", "C(a, Sum)2", "x:bu", "x:bv", "x:bw"}));
  EXPECT_EQ(design.observation_names, (Names{"o1", "o2", "o3", "o4", "o5", "o6"}));
  const double expected[6][6] = {{1, 1, 0, 1.5, 0, 0}, {1, 0, 1, 2.0, 0, 0},  {1, -1, -1, 0, 0.5, 0},
                                 {1, 1, 0, 0, 1.0, 0}, {1, 0, 1, 0, 0, 3.0}, {1, -1, -1, 0, 0, 2.5}};
  for (std::size_t i = 0; i < 6; ++i) {
    for (std::size_t j = 0; j < 6; ++j) EXPECT_EQ(design.values(i, j), expected[i][j]) << i << "," << j;
  }
}

TEST(FormulaTest, ReferenceLevelsRelevelEveryUseOfTheColumn) {
  FormulaOptions options;
  options.reference_levels = {{"a", "r"}, {"d", "2"}};
  EXPECT_EQ(Columns("~ a + factor(d)", options), (Names{"(Intercept)", "ap", "aq", "factor(d)1", "factor(d)3"}));
  // contr.sum puts −1 on the last level; relevel changes which one that is.
  const Design sum = BuildFormulaDesign(Toy(), "~ C(a, Sum)", options);
  EXPECT_EQ(sum.values(0, 1), 0.0);   // o1 = p, levels r, p, q: p is level 2
  EXPECT_EQ(sum.values(0, 2), 1.0);
  EXPECT_EQ(sum.values(1, 1), -1.0);  // o2 = q, the last level
  // A reference level of a column the formula does not use is still checked.
  options.reference_levels = {{"b", "nope"}};
  EXPECT_EQ(ErrorOf(Toy(), "~ a", options),
            "--ref b=nope: 'nope': not a level of column 'b' of toy.tsv (levels: u, v, w)");
  options.reference_levels = {{"c", "u"}};
  EXPECT_EQ(ErrorOf(Toy(), "~ a", options),
            "--ref c=u: 'c': unknown column of toy.tsv (columns: a, b, x, d)");
}

TEST(FormulaTest, BacktickedNamesAndLogicalColumns) {
  const SampleTable samples = MakeSampleTable(ParseTextTable(
      "id\ts p\tflag\nA\t1\tTRUE\nB\t2\tFALSE\nC\t3\tTRUE\n", "odd.tsv"));
  const Design design = BuildFormulaDesign(samples, "~ `s p` + flag");
  EXPECT_EQ(design.parameter_names, (Names{"(Intercept)", "`s p`", "flagTRUE"}));
  EXPECT_EQ(design.values(1, 2), 0.0);
}

TEST(FormulaTest, NestingUsesFullIndicatorsAndMakesTheNotebookDesignIdentifiable) {
  const SampleTable samples = Replicates();
  const Design plain = BuildFormulaDesign(samples, "~ bio_rep + condition");
  EXPECT_EQ(plain.parameter_names, (Names{"(Intercept)", "bio_repr2", "bio_repr3", "bio_repr4", "conditionB"}));

  FormulaOptions options;
  options.indicator_factors = {"bio_rep"};
  const Design design = BuildFormulaDesign(samples, "~ bio_rep + condition", options);
  EXPECT_EQ(design.parameter_names,
            (Names{"(Intercept)", "bio_repr1", "bio_repr2", "bio_repr3", "bio_repr4", "conditionB"}));
  ConstraintSet constraints(design.parameter_names);
  AddNestingConstraints(samples, ParseNesting("bio_rep:condition", "--loc-nested"), "--loc-nested", &constraints);
  const ConstraintBasis basis = constraints.Build();
  const IdentifiabilityReport report = CheckIdentifiability(design, basis);
  EXPECT_EQ(report.parameters, 6);
  EXPECT_EQ(report.deficiency, 2);
  EXPECT_EQ(report.reduced_parameters, 4);
  EXPECT_EQ(report.constrained_deficiency, 0);

  // Without an intercept the first factor already has all its levels.
  EXPECT_EQ(BuildFormulaDesign(samples, "~ 0 + bio_rep + condition", options).parameter_names,
            (Names{"bio_repr1", "bio_repr2", "bio_repr3", "bio_repr4", "conditionB"}));
}

TEST(FormulaTest, FactorIndicatorDesignNamesLevelsAsR) {
  const Design indicators = FactorIndicatorDesign(Toy(), "d");
  EXPECT_EQ(indicators.parameter_names, (Names{"d1", "d2", "d3"}));
  EXPECT_EQ(indicators.values(2, 2), 1.0);
  EXPECT_EQ(indicators.values(2, 0), 0.0);
}

TEST(FormulaTest, NestingErrors) {
  const SampleTable samples = Replicates();
  FormulaOptions options;
  options.indicator_factors = {"bio_rep"};
  EXPECT_EQ(ErrorOf(samples, "~ condition", options),
            "--loc: 'bio_rep': nesting needs the main-effect term bio_rep in the formula (e.g. '~ bio_rep + …')");
  options.indicator_factors = {"x"};
  EXPECT_EQ(ErrorOf(Toy(), "~ x", options),
            "--loc: 'x': a nested factor must be a factor column; it is numeric in toy.tsv (give its levels names, "
            "e.g. r1, r2)");
  const Design design = BuildFormulaDesign(Toy(), "~ 0 + a");
  ConstraintSet constraints(design.parameter_names);
  try {
    AddNestingConstraints(Toy(), ParseNesting("a:b", "--loc-nested"), "--loc-nested a:b", &constraints);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("a nested factor's level must occur within one level"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(ParseNesting("bio_rep", "--loc-nested"), InputError);
  EXPECT_THROW(ParseNesting(":g", "--loc-nested"), InputError);
  EXPECT_EQ(ParseNesting("f:g", "x").within, "g");
}

TEST(FormulaTest, ParsesReferenceLevelSpecs) {
  const auto levels = ParseReferenceLevels({"condition=untreated", "type=single-read", "condition=untreated"});
  EXPECT_EQ(levels.at("condition"), "untreated");
  EXPECT_EQ(levels.at("type"), "single-read");
  EXPECT_THROW(ParseReferenceLevels({"condition"}), InputError);
  EXPECT_THROW(ParseReferenceLevels({"=x"}), InputError);
  EXPECT_THROW(ParseReferenceLevels({"a=x", "a=y"}), InputError);
}

TEST(FormulaTest, OneLevelFactorsAreRefusedOnlyWhereContrastsAreNeeded) {
  EXPECT_EQ(ErrorOf(Replicates(), "~ one + condition"),
            "--loc: 'one': has one level ('z'); contrasts need a factor with at least 2 levels (drop the term)");
  // The no-intercept rule skips it, as R's does.
  EXPECT_EQ(ErrorOf(Replicates(), "~ 0 + one"),
            "--loc: 'one': has one level ('z'); contrasts need a factor with at least 2 levels (drop the term)");
  // Coded by indicators it is a column of ones (R refuses any one-level factor).
  EXPECT_EQ(BuildFormulaDesign(Replicates(), "~ condition:one").parameter_names,
            (Names{"(Intercept)", "conditionA:onez", "conditionB:onez"}));
}

TEST(FormulaTest, ErrorsNameTheProblemAndWhere) {
  const SampleTable toy = Toy();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"~ a + * b", "--loc: '~ a + * b': unexpected '*' at character 7"},
      {"~ a +", "--loc: '~ a +': unexpected end of formula at character 6"},
      {"~ (a + b", "--loc: '~ (a + b': unexpected end of formula at character 9"},
      {"y ~ a", "--loc: 'y ~ a': a design formula has no response: remove what stands before '~' at character 1"},
      {"a + b", "--loc: 'a + b': a formula starts with '~' (e.g. '~ condition') at character 1"},
      {"~", "--loc: '~': empty right-hand side after '~' at character 2"},
      {"~ log(x)", "--loc: '~ log(x)': unsupported function 'log()' (supported: factor(), as.factor(), C(x, Sum)) at "
                   "character 3"},
      {"~ C(a, poly)", "--loc: '~ C(a, poly)': unsupported contrast 'poly' (supported: Sum, Treatment) at character 8"},
      {"~ C(a)", "--loc: '~ C(a)': C() takes a column and a contrast, as in C(x, Sum) at character 6"},
      {"~ factor(a, b)", "--loc: '~ factor(a, b)': factor() takes one argument at character 11"},
      {"~ a %in% b", "--loc: '~ a %in% b': unsupported operator '%in%' (supported: + - * / : ^ and parentheses) at "
                     "character 5"},
      {"~ (a + b)^x", "--loc: '~ (a + b)^x': '^' needs a positive integer power, as in (a + b)^2 at character 11"},
      {"~ a + 2", "--loc: '~ a + 2': a number in a formula can only be 0 or 1 (the intercept) at character 7"},
      {"~ 1:a", "--loc: '~ 1:a': the intercept (0 or 1) can only be added or removed with + and - at character 4"},
      {"~ `a", "--loc: '~ `a': unterminated ` at character 3"},
      {"~ a | b", "--loc: '~ a | b': unexpected character '|' at character 5"},
      {"~ 0", "--loc: '~ 0': no columns: a design needs an intercept or a term"},
      {"~ cond", "--loc: 'cond': unknown column of toy.tsv (columns: a, b, x, d)"},
      {"~ factor(e)", "--loc: 'e': unknown column of toy.tsv (columns: a, b, x, d)"},
  };
  for (const auto& [formula, message] : cases) EXPECT_EQ(ErrorOf(toy, formula), message) << formula;
}

TEST(FormulaTest, MissingValuesInUsedColumnsAreRefused) {
  const SampleTable samples =
      MakeSampleTable(ParseTextTable("id\tx\tg\tunused\nA\t1\tu\tNA\nB\tNA\tv\t1\nC\t3\tu\t\n", "gaps.tsv"));
  EXPECT_EQ(BuildFormulaDesign(samples, "~ g").num_parameters(), 2);
  EXPECT_EQ(ErrorOf(samples, "~ g + x"),
            "gaps.tsv:3: column 'x', value 'NA': a missing value in a variable of --loc (R would drop the "
            "observation; remove it from the sheet or fill it in)");
}

}  // namespace
}  // namespace nbglm

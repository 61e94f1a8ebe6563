#include "nbglm/constraints.h"

#include <gtest/gtest.h>

#include <Eigen/Dense>

#include "eigen_view.h"
#include "nbglm/error.h"
#include "notebook_designs.h"

namespace nbglm {
namespace {

// True when the column spaces of b1 and b2 coincide (same constrained set).
bool SameColumnSpace(const Matrix& b1, const Matrix& b2) {
  const Eigen::MatrixXd m1 = AsEigen(b1);
  const Eigen::MatrixXd m2 = AsEigen(b2);
  if (m1.cols() != m2.cols()) return false;
  Eigen::MatrixXd both(m1.rows(), m1.cols() + m2.cols());
  both << m1, m2;
  const Eigen::FullPivLU<Eigen::MatrixXd> lu(both);
  return lu.rank() == m1.cols();
}

TEST(ConstraintsTest, NotebookExample1ChainedRowsEliminateAsWritten) {
  const auto example = notebook::MakeExample(1);
  ConstraintSet set(example.design.parameter_names);
  set.AddSumToZeroRows(example.constraints, "example 1");
  const ConstraintBasis basis = set.Build();
  ASSERT_EQ(basis.num_parameters(), 6);
  ASSERT_EQ(basis.num_reduced(), 4);
  // Free parameters keep their names; bio_rep1 and bio_rep3 are eliminated.
  EXPECT_EQ(basis.reduced_names(),
            (std::vector<std::string>{"(Intercept)", "bio_rep2", "bio_rep4", "condition"}));
  // a = B θ: bio_rep3 = −bio_rep4 (row 0); bio_rep1 = −(bio_rep2 + bio_rep3 + bio_rep4) = −bio_rep2.
  const double theta[4] = {8.0, 0.3, -0.2, 0.7};
  double a[6];
  basis.Expand(theta, a);
  EXPECT_EQ(a[0], 8.0);
  EXPECT_EQ(a[1], -0.3);
  EXPECT_EQ(a[2], 0.3);
  EXPECT_EQ(a[3], 0.2);
  EXPECT_EQ(a[4], -0.2);
  EXPECT_EQ(a[5], 0.7);
  // Both of the notebook's checks hold exactly.
  EXPECT_EQ(a[3] + a[4], 0.0);
  EXPECT_EQ(a[1] + a[2] + a[3] + a[4], 0.0);
}

TEST(ConstraintsTest, AllFormsGiveTheSameBasisOnTheNotebookExamples) {
  for (int which : {1, 2, 3}) {
    SCOPED_TRACE(which);
    const auto example = notebook::MakeExample(which);
    const auto& names = example.design.parameter_names;
    ConstraintSet sum_to_zero(names);
    sum_to_zero.AddSumToZeroRows(example.constraints, "rows");
    const ConstraintBasis b1 = sum_to_zero.Build();

    // Form 2: the same sets as general equalities |row| · a = 0.
    ConstraintSet equality(names);
    equality.AddEqualities(xt::abs(example.constraints), "equalities");
    const ConstraintBasis b2 = equality.Build();
    EXPECT_TRUE(SameColumnSpace(b1.basis(), b2.basis()));
    // Row echelon form picks the same dependents as the notebook here.
    EXPECT_EQ(b1.basis(), b2.basis());
    EXPECT_EQ(b1.reduced_names(), b2.reduced_names());

    // Form 3: the basis itself.
    ConstraintSet direct(names);
    direct.SetBasis(b1.basis(), "basis");
    const ConstraintBasis b3 = direct.Build();
    EXPECT_EQ(b1.basis(), b3.basis());
    EXPECT_EQ(b1.reduced_names(), b3.reduced_names());
  }
}

TEST(ConstraintsTest, NestingShorthandMatchesNotebookRows) {
  const auto example = notebook::MakeExample(1, 8);
  // bio_rep nested in condition: reps 1, 2 untreated; 3, 4 treated.
  const std::vector<std::string> bio_rep = {"1", "1", "2", "2", "3", "3", "4", "4"};
  const std::vector<std::string> condition = {"u", "u", "u", "u", "t", "t", "t", "t"};
  ConstraintSet nested(example.design.parameter_names);
  nested.AddNesting(bio_rep, condition, "bio_rep", "--loc-nested bio_rep:condition");
  ConstraintSet rows(example.design.parameter_names);
  rows.AddSumToZeroRows(example.constraints, "rows");
  EXPECT_EQ(nested.Build().basis(), rows.Build().basis());
}

TEST(ConstraintsTest, NestingRejectsAFactorThatIsNotNested) {
  ConstraintSet set({"(Intercept)", "rep1", "rep2"});
  EXPECT_THROW(
      {
        try {
          set.AddNesting({"1", "2", "1"}, {"a", "a", "b"}, "rep", "--loc-nested rep:cond");
        } catch (const InputError& e) {
          EXPECT_NE(std::string(e.what()).find("level '1' occurs in 'a' and 'b'"), std::string::npos) << e.what();
          throw;
        }
      },
      InputError);
}

TEST(ConstraintsTest, GeneralEqualityWithNonUnitCoefficients) {
  // 2·a0 − a1 + a2 = 0 over three parameters: a0 is the pivot.
  ConstraintSet set({"x", "y", "z"});
  Matrix a = {{2.0, -1.0, 1.0}};
  set.AddEqualities(a, "A");
  const ConstraintBasis basis = set.Build();
  ASSERT_EQ(basis.num_reduced(), 2);
  EXPECT_EQ(basis.reduced_names(), (std::vector<std::string>{"y", "z"}));
  const double theta[2] = {3.0, 5.0};
  double out[3];
  basis.Expand(theta, out);
  EXPECT_NEAR(2 * out[0] - out[1] + out[2], 0.0, 1e-15);
}

TEST(ConstraintsTest, CovarianceMapsThroughTheBasis) {
  const auto example = notebook::MakeExample(1, 8);
  ConstraintSet set(example.design.parameter_names);
  set.AddSumToZeroRows(example.constraints, "rows");
  const ConstraintBasis basis = set.Build();
  const double cov_theta[16] = {1, 0, 0, 0, 0, 2, 0, 0, 0, 0, 3, 0, 0, 0, 0, 4};
  double cov_a[36];
  basis.ExpandCovariance(cov_theta, cov_a);
  EXPECT_EQ(cov_a[1 * 6 + 1], 2.0);   // Var(bio_rep1) = Var(−bio_rep2)
  EXPECT_EQ(cov_a[1 * 6 + 2], -2.0);  // Cov(bio_rep1, bio_rep2)
  EXPECT_EQ(cov_a[3 * 6 + 3], 3.0);
}

std::string MessageOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}

TEST(ConstraintsTest, InconsistentRowsSayWhichRowAndParameter) {
  const std::vector<std::string> names = {"a", "b", "c", "d"};
  {
    ConstraintSet set(names);
    Matrix rows = {{-1, 1, 0, 0}, {-1, 0, 1, 1}};
    EXPECT_EQ(MessageOf([&] { set.AddSumToZeroRows(rows, "C.tsv"); }),
              "C.tsv: constraint row 2: parameter 'a': is already the dependent (-1) of C.tsv: constraint row 1; "
              "a parameter can be eliminated by one row only");
  }
  {
    ConstraintSet set(names);
    Matrix rows = {{0, 1, 1, 0}};
    EXPECT_EQ(MessageOf([&] { set.AddSumToZeroRows(rows, "C.tsv"); }),
              "C.tsv: constraint row 1: no -1 entry: each sum-to-zero row marks exactly one dependent parameter with -1");
  }
  {
    ConstraintSet set(names);
    Matrix rows = {{0, 1, 1}};
    EXPECT_EQ(MessageOf([&] { set.AddSumToZeroRows(rows, "C.tsv"); }),
              "C.tsv: 3 columns: a constraint row needs one entry per design parameter (4)");
  }
  {
    ConstraintSet set(names);
    Matrix rows = {{0, 2, -1, 0}};
    EXPECT_NE(MessageOf([&] { set.AddSumToZeroRows(rows, "C.tsv"); }).find("parameter 'b' = 2"), std::string::npos);
  }
  {
    // A circular chain: a = −b and b = −a cannot both be eliminated.
    ConstraintSet set(names);
    Matrix rows = {{-1, 1, 0, 0}, {1, -1, 0, 0}};
    set.AddSumToZeroRows(rows, "C.tsv");
    EXPECT_NE(MessageOf([&] { set.Build(); }).find("circular or redundant"), std::string::npos);
  }
}

TEST(ConstraintsTest, BasisMustHaveFullColumnRank) {
  Matrix b = {{1, 2}, {1, 2}, {0, 0}};
  EXPECT_NE(MessageOf([&] { ConstraintBasis::FromMatrix(b, {"x", "y", "z"}, "B.tsv"); })
                .find("B.tsv: basis rank 1: the basis must have full column rank 2"),
            std::string::npos);
}

}  // namespace
}  // namespace nbglm

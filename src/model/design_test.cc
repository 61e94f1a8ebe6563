// Designs (docs/model.md §1, docs/formats.md "Designs"): validation rules and
// their messages, the default names, ReadDesign's file errors, and the TSV
// round trip of DesignToTsv.
#include "nbglm/design.h"

#include <cmath>
#include <filesystem>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cli_runner.h"
#include "temp_dir_fixture.h"
#include "nbglm/error.h"

namespace nbglm {
namespace {


std::string Message(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "no InputError";
}

class DesignFileTest : public testing::TempDirTest {};

TEST(DesignTest, MakeDesignNamesObservationsByDefaultAndKeepsValues) {
  Matrix values = {{1.0, 0.0}, {1.0, 1.0}, {1.0, -2.5}};
  const Design design = MakeDesign(values, {"(Intercept)", "x"});
  EXPECT_EQ(design.num_observations(), 3);
  EXPECT_EQ(design.num_parameters(), 2);
  EXPECT_EQ(design.observation_names, (std::vector<std::string>{"obs_0", "obs_1", "obs_2"}));
  EXPECT_EQ(design.parameter_names, (std::vector<std::string>{"(Intercept)", "x"}));
  EXPECT_EQ(design.values, values);
  // Given names are kept as given.
  const Design named = MakeDesign(values, {"a", "b"}, {"s3", "s1", "s2"});
  EXPECT_EQ(named.observation_names, (std::vector<std::string>{"s3", "s1", "s2"}));
}

TEST(DesignTest, InterceptDesignIsOneColumnOfOnes) {
  const Design one = InterceptDesign({"only"});
  EXPECT_EQ(one.num_observations(), 1);
  EXPECT_EQ(one.parameter_names, (std::vector<std::string>{"(Intercept)"}));
  EXPECT_EQ(one.values, (Matrix{{1.0}}));
  const Design three = InterceptDesign({"a", "b", "c"});
  EXPECT_EQ(three.values, (Matrix{{1.0}, {1.0}, {1.0}}));
  EXPECT_EQ(three.observation_names, (std::vector<std::string>{"a", "b", "c"}));
  // No observations: a design needs one.
  EXPECT_EQ(Message([] { InterceptDesign({}); }),
            "design: 0 observations: a design needs at least one observation");
}

TEST(DesignTest, ValidateNamesEachBrokenRule) {
  const Matrix two_by_two = {{1.0, 0.0}, {1.0, 1.0}};
  EXPECT_EQ(Message([&] { MakeDesign(two_by_two, {"a"}); }),
            "design: 1 parameter names: expected 2 (one per column)");
  EXPECT_EQ(Message([&] { MakeDesign(two_by_two, {"a", "b"}, {"s1", "s2", "s3"}); }),
            "design: 3 observation names: expected 2 (one per row)");
  EXPECT_EQ(Message([&] { MakeDesign(two_by_two, {"a", ""}); }), "design: '': parameter names must be non-empty");
  EXPECT_EQ(Message([&] { MakeDesign(two_by_two, {"a", "a"}); }), "design: 'a': parameter names must be unique");
  EXPECT_EQ(Message([&] { MakeDesign(two_by_two, {"a", "b"}, {"s", "s"}); }),
            "design: 's': observation names must be unique");
  EXPECT_EQ(Message([] { MakeDesign(Matrix::from_shape({2, 0}), {}); }),
            "design: 0 parameters: a design needs at least one parameter column");
  // Non-finite values name the observation and the parameter.
  for (const double bad : {std::nan(""), std::numeric_limits<double>::infinity(),
                           -std::numeric_limits<double>::infinity()}) {
    Matrix values = two_by_two;
    values(1, 0) = bad;
    EXPECT_EQ(Message([&] { MakeDesign(values, {"a", "b"}, {"s1", "s2"}); }),
              "design: value at observation 's2', parameter 'a': must be finite");
  }
  // Validate prefixes the caller's name; the largest finite value is fine.
  Design design = MakeDesign(Matrix{{std::numeric_limits<double>::max()}}, {"x"});
  design.parameter_names = {"x", "y"};
  EXPECT_EQ(Message([&] { design.Validate("--loc-design"); }),
            "--loc-design: 2 parameter names: expected 1 (one per column)");
}

TEST(DesignTest, ObservationNamesMustBeNonEmpty) {
  // docs/formats.md "Designs": names must be unique and non-empty.
  EXPECT_EQ(Message([] { MakeDesign(Matrix{{1.0}, {1.0}}, {"a"}, {"s1", ""}); }),
            "design: '': observation names must be non-empty");
}

TEST(DesignTest, DesignToTsvWritesShortestRoundTripNumbers) {
  const Design design = MakeDesign(Matrix{{1.0, 0.1, -2.5e-300}, {1.0, 1e21, 3.0}}, {"(Intercept)", "x", "y z"},
                                   {"s1", "s2"});
  EXPECT_EQ(DesignToTsv(design),
            "observation\t(Intercept)\tx\ty z\n"
            "s1\t1\t0.1\t-2.5e-300\n"
            "s2\t1\t1e+21\t3\n");
}

TEST_F(DesignFileTest, ReadDesignRoundTripsDesignToTsv) {
  const Design design =
      MakeDesign(Matrix{{1.0, 0.1 + 0.2}, {1.0, -1.0 / 3.0}, {1.0, 6.02214076e23}}, {"(Intercept)", "dose"},
                 {"b", "a", "c"});
  const std::string path = Write("design.tsv", DesignToTsv(design));
  const Design read = ReadDesign(path);
  EXPECT_EQ(read.observation_names, design.observation_names);
  EXPECT_EQ(read.parameter_names, design.parameter_names);
  EXPECT_EQ(read.values, design.values);  // bit-exact
}

TEST_F(DesignFileTest, ReadDesignTakesAnyFirstHeaderCellAndCsv) {
  const Design read = ReadDesign(Write("d.csv", "sample,(Intercept),cond\ns1,1,0\ns2,1,+1\n"));
  EXPECT_EQ(read.observation_names, (std::vector<std::string>{"s1", "s2"}));
  EXPECT_EQ(read.parameter_names, (std::vector<std::string>{"(Intercept)", "cond"}));
  EXPECT_EQ(read.values, (Matrix{{1.0, 0.0}, {1.0, 1.0}}));
}

TEST_F(DesignFileTest, ReadDesignErrorsNameFileLineAndColumn) {
  const std::string one_column = Write("one.tsv", "observation\ns1\n");
  EXPECT_EQ(Message([&] { ReadDesign(one_column); }),
            one_column + ":1: 1 columns: a design needs an observation-name column and at least one parameter column");
  const std::string header_only = Write("header.tsv", "observation\ta\n");
  EXPECT_EQ(Message([&] { ReadDesign(header_only); }),
            header_only + ": no rows: a design needs at least one observation");
  const std::string not_number = Write("nan.tsv", "observation\ta\tb\ns1\t1\t2\n\ns2\t1\tNA\n");
  EXPECT_EQ(Message([&] { ReadDesign(not_number); }), not_number + ":4: 'NA': column 'b' must be a finite number");
  const std::string infinite = Write("inf.tsv", "observation\ta\ns1\tInf\n");
  EXPECT_EQ(Message([&] { ReadDesign(infinite); }), infinite + ":2: 'Inf': column 'a' must be a finite number");
  const std::string duplicate = Write("dup.tsv", "observation\ta\ta\ns1\t1\t2\n");
  EXPECT_EQ(Message([&] { ReadDesign(duplicate); }), duplicate + ": 'a': parameter names must be unique");
  const std::string twice = Write("twice.tsv", "observation\ta\ns1\t1\ns1\t2\n");
  EXPECT_EQ(Message([&] { ReadDesign(twice); }), twice + ": 's1': observation names must be unique");
  const std::string unnamed = Write("unnamed.tsv", "observation\ta\n\t1\n");
  EXPECT_EQ(Message([&] { ReadDesign(unnamed); }), unnamed + ": '': observation names must be non-empty");
  const std::string ragged = Write("ragged.tsv", "observation\ta\ns1\t1\t2\n");
  EXPECT_EQ(Message([&] { ReadDesign(ragged); }), ragged + ":2: 3 fields: expected 2 (as many as the header)");
  const std::string missing = dir_ + "/missing.tsv";
  EXPECT_NE(Message([&] { ReadDesign(missing); }).find(missing + ": cannot open: "), std::string::npos);
}

}  // namespace
}  // namespace nbglm

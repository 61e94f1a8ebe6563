// ModelOptions (src/cli/model_options.h), the model options of check-design,
// fit, test and de (docs/cli.md, docs/formulas.md): registration, building
// from design files or formulas, the option rules and their messages, --subset.
#include "cli/model_options.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cli_runner.h"
#include "nbglm/error.h"
#include "nbglm/table.h"

namespace nbglm::cli {
namespace {

using StringList = std::vector<std::string>;

class ModelOptionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("model_options");
    // The design file lists the observations in another order than the sheet.
    testing::WriteText(Path("design.tsv"), "observation\t(Intercept)\tb\no3\t1\t1\no1\t1\t0\no2\t1\t0\no4\t1\t1\n");
    testing::WriteText(Path("deficient.tsv"), "observation\ta\tb\no1\t1\t1\no2\t1\t1\no3\t1\t1\no4\t1\t1\n");
    testing::WriteText(Path("samples.tsv"),
                       "sample\tcondition\tbatch\no1\tx\tk\no2\tx\tl\no3\ty\tk\no4\ty\tl\n");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }
  static std::string Message(const std::function<void()>& call) {
    try {
      call();
    } catch (const InputError& e) {
      return e.what();
    }
    return "";
  }
  std::string dir_;
};

TEST_F(ModelOptionsTest, RegisterParsesEveryOption) {
  CLI::App app;
  ModelOptions options;
  options.Register(app);
  app.parse("--loc-design " + Path("design.tsv") + " --scale '~ batch' --samples " + Path("samples.tsv") +
                " --loc-nested a:b --loc-nested c:d --scale-nested e:f --ref batch=l",
            /*program_name_included=*/false);
  EXPECT_EQ(options.loc_design, Path("design.tsv"));
  EXPECT_EQ(options.scale_formula, "~ batch");
  EXPECT_EQ(options.samples, Path("samples.tsv"));
  EXPECT_EQ(options.loc_nested, (StringList{"a:b", "c:d"}));
  EXPECT_EQ(options.scale_nested, StringList{"e:f"});
  EXPECT_EQ(options.reference_levels, StringList{"batch=l"});
  EXPECT_TRUE(options.has_scale_design());
  EXPECT_TRUE(options.has_samples());
  // The files must exist (CLI11's check, before any reading).
  CLI::App strict;
  ModelOptions other;
  other.Register(strict);
  EXPECT_THROW(strict.parse("--loc-constraints " + Path("none.tsv"), false), CLI::ValidationError);
}

TEST_F(ModelOptionsTest, DesignFileWithTheDefaultScaleModel) {
  ModelOptions options;
  options.loc_design = Path("design.tsv");
  const NbGlmModel model = options.Build(/*require_identifiable=*/true);
  EXPECT_EQ(model.location.design.parameter_names, (StringList{"(Intercept)", "b"}));
  EXPECT_EQ(model.location.design.observation_names, (StringList{"o3", "o1", "o2", "o4"}));
  EXPECT_EQ(model.scale.design.parameter_names, StringList{"(Intercept)"});
  EXPECT_EQ(model.scale.design.observation_names, model.location.design.observation_names);
  EXPECT_FALSE(options.has_scale_design());
  EXPECT_EQ(options.ObservationSource(), "--loc-design " + Path("design.tsv"));
}

TEST_F(ModelOptionsTest, FormulasWithReferenceLevels) {
  ModelOptions options;
  options.samples = Path("samples.tsv");
  options.loc_formula = "~ condition";
  options.scale_formula = "~ batch";
  options.reference_levels = {"condition=y"};
  const NbGlmModel model = options.Build(true);
  EXPECT_EQ(model.location.design.parameter_names, (StringList{"(Intercept)", "conditionx"}));
  EXPECT_EQ(model.scale.design.parameter_names, (StringList{"(Intercept)", "batchl"}));
  EXPECT_EQ(model.location.design.observation_names, (StringList{"o1", "o2", "o3", "o4"}));
  EXPECT_EQ(model.location.design.values(0, 1), 1.0);  // o1 is x
  EXPECT_EQ(model.location.design.values(2, 1), 0.0);
  EXPECT_EQ(options.ObservationSource(), "--samples " + Path("samples.tsv"));
}

TEST_F(ModelOptionsTest, SheetFollowsTheDesignFilesOrder) {
  ModelOptions options;
  options.samples = Path("samples.tsv");
  options.loc_design = Path("design.tsv");
  options.scale_formula = "~ condition";
  const NbGlmModel model = options.Build(true);
  EXPECT_EQ(model.scale.design.observation_names, (StringList{"o3", "o1", "o2", "o4"}));
  // o3 and o4 are y: conditiony is 1 in rows 0 and 3.
  EXPECT_EQ(model.scale.design.values(0, 1), 1.0);
  EXPECT_EQ(model.scale.design.values(1, 1), 0.0);
  EXPECT_EQ(model.scale.design.values(3, 1), 1.0);
}

TEST_F(ModelOptionsTest, NotIdentifiableOnlyWhenRequired) {
  ModelOptions options;
  options.loc_design = Path("deficient.tsv");
  const NbGlmModel model = options.Build(/*require_identifiable=*/false);
  EXPECT_EQ(model.location.identifiability.deficiency, 1);
  const std::string message = Message([&] { options.Build(true); });
  EXPECT_EQ(message.rfind("location model (" + Path("deficient.tsv") + "): deficiency 1: the model is not identifiable",
                          0),
            0u)
      << message;
}

TEST_F(ModelOptionsTest, OptionRulesNameTheOptions) {
  const auto build = [](ModelOptions options) { return Message([&] { options.Build(true); }); };
  ModelOptions none;
  EXPECT_EQ(build(none),
            "--loc-design / --loc: neither given: give exactly one: a design file (--loc-design D.tsv) or a formula "
            "(--samples S.tsv --loc \"~ …\")");
  ModelOptions both;
  both.loc_design = Path("design.tsv");
  both.loc_formula = "~ b";
  EXPECT_EQ(build(both).substr(0, 47), "--loc-design / --loc: both given: give exactly ");
  ModelOptions scale_both;
  scale_both.loc_design = Path("design.tsv");
  scale_both.scale_design = Path("design.tsv");
  scale_both.scale_formula = "~ 1";
  EXPECT_EQ(build(scale_both), "--scale-design / --scale: both given: give at most one");
  ModelOptions no_sheet;
  no_sheet.loc_design = Path("design.tsv");
  no_sheet.loc_nested = {"batch:condition"};
  EXPECT_EQ(build(no_sheet),
            "--loc-nested: without --samples: formulas and nesting read a sample sheet (--samples S.tsv, or the obs "
            "of --counts DATA.h5ad)");
  ModelOptions ref;
  ref.loc_design = Path("design.tsv");
  ref.reference_levels = {"condition=y"};
  EXPECT_EQ(build(ref), "--ref: condition=y: reference levels apply to formulas (--loc, --scale) only");
  ModelOptions constraints;
  constraints.loc_design = Path("design.tsv");
  constraints.scale_constraints = Path("c.tsv");
  EXPECT_EQ(build(constraints), "--scale-constraints: " + Path("c.tsv") + ": needs --scale-design or --scale");
  // `nbglm test` builds its reduced model with the --reduced- names.
  ModelOptions reduced;
  reduced.option_prefix = "--reduced-";
  reduced.scale_formula = "~ 1";
  EXPECT_EQ(build(reduced).substr(0, 66),
            "--reduced-loc-design / --reduced-loc: neither given: give exactly ");
  reduced.loc_design = Path("design.tsv");
  EXPECT_EQ(build(reduced).substr(0, 27), "--reduced-scale: without --");
  EXPECT_EQ(reduced.ObservationSource(), "--reduced-loc-design " + Path("design.tsv"));
}

TEST_F(ModelOptionsTest, SubsetSelectsRowsAndRefusesBadSpecs) {
  ModelOptions options;
  EXPECT_EQ(Message([&] { options.ReadSamples(); }), "--samples: missing: a sample sheet is needed here");
  options.samples = Path("samples.tsv");
  options.subset = {"condition=y"};
  EXPECT_EQ(options.ReadSamples().observation_names, (StringList{"o3", "o4"}));
  EXPECT_EQ(options.ReadAllSamples().observation_names.size(), 4u);
  options.subset = {"condition=y", "batch=l"};  // all must hold
  EXPECT_EQ(options.ReadSamples().observation_names, StringList{"o4"});
  const auto refused = [&](const std::string& spec) {
    options.subset = {spec};
    return Message([&] { options.ReadSamples(); });
  };
  EXPECT_EQ(refused("condition"), "--subset: condition: must be COLUMN=VALUE");
  EXPECT_EQ(refused("=y"), "--subset: =y: must be COLUMN=VALUE");
  EXPECT_EQ(refused("dose=1"), "--subset: dose=1: 'dose' is not a column of " + Path("samples.tsv"));
  EXPECT_EQ(refused("sample=o1"), "--subset: sample=o1: 'sample' is not a column of " + Path("samples.tsv"));
  EXPECT_EQ(refused("condition=z"), "--subset: condition=z: selects no row of " + Path("samples.tsv"));
  // A formula on the subset sees only the selected rows.
  options.subset = {"batch=k"};
  options.loc_formula = "~ condition";
  const NbGlmModel model = options.Build(true);
  EXPECT_EQ(model.location.design.observation_names, (StringList{"o1", "o3"}));
}

TEST_F(ModelOptionsTest, SampleSheetInMemoryIsUsedInsteadOfTheFile) {
  ModelOptions options;
  options.samples = "obs";  // names it in messages only
  options.sample_sheet = std::make_shared<const SampleSheetText>(
      SampleSheetText{ParseTextTable("cell\tgroup\nc1\ta\nc2\tb\nc3\ta\n", "obs"), {}});
  options.loc_formula = "~ group";
  const NbGlmModel model = options.Build(true);
  EXPECT_EQ(model.location.design.observation_names, (StringList{"c1", "c2", "c3"}));
  EXPECT_EQ(model.location.design.parameter_names, (StringList{"(Intercept)", "groupb"}));
}

TEST_F(ModelOptionsTest, AnAnnDataCountsFileIsTheDefaultSheetWhenOneIsNeeded) {
  ModelOptions plain;
  plain.loc_design = Path("design.tsv");
  plain.DefaultSamplesToCounts("cells.h5ad");
  EXPECT_EQ(plain.samples, "");  // nothing needs a sheet
  ModelOptions formula;
  formula.loc_formula = "~ condition";
  formula.DefaultSamplesToCounts("counts.tsv");
  EXPECT_EQ(formula.samples, "");  // not an AnnData file
  formula.DefaultSamplesToCounts("cells.h5ad");
  EXPECT_EQ(formula.samples, "cells.h5ad");
  ModelOptions given;
  given.loc_formula = "~ condition";
  given.samples = "s.tsv";
  given.DefaultSamplesToCounts("cells.h5ad");
  EXPECT_EQ(given.samples, "s.tsv");  // an explicit --samples wins
  ModelOptions subset;
  subset.loc_design = Path("design.tsv");
  subset.subset = {"a=b"};
  subset.DefaultSamplesToCounts("cells.h5ad");
  EXPECT_EQ(subset.samples, "cells.h5ad");
}

}  // namespace
}  // namespace nbglm::cli

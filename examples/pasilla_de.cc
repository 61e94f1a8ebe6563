// Bulk differential expression through the C++ API: the pasilla data set
// (Brooks et al. 2011), `~ type + condition` with untreated as reference,
// DESeq2 median-of-ratios size factors, one overdispersion per gene, and a
// Wald test of conditiontreated with Benjamini–Hochberg adjustment.
//
//   pasilla_de [DATA_DIR]   (default ../shared/data/pasilla, relative to the repo)
#include <algorithm>
#include <cstdio>
#include <numeric>
#include <string>

#include "nbglm/counts_io.h"
#include "nbglm/error.h"
#include "nbglm/fit.h"
#include "nbglm/formula.h"
#include "nbglm/inference.h"
#include "nbglm/model.h"
#include "nbglm/sample_table.h"
#include "nbglm/size_factors.h"

int main(int argc, char** argv) {
  const std::string dir = argc > 1 ? argv[1] : "../shared/data/pasilla";
  try {
    const nbglm::CountMatrix counts = nbglm::ReadCounts(dir + "/counts.tsv");  // genes × samples
    // The sample sheet, in the order of the count columns.
    const nbglm::SampleTable samples =
        nbglm::SelectObservations(nbglm::ReadSampleTable(dir + "/samples.tsv"), counts.observation_names(), "samples");
    nbglm::FormulaOptions formula_options;
    formula_options.reference_levels["condition"] = "untreated";
    const nbglm::Design design =
        nbglm::BuildFormulaDesign(samples, nbglm::ParseFormula("~ type + condition"), formula_options, "--loc");
    const nbglm::NbGlmModel model = nbglm::MakeModel(
        nbglm::MakeLinearPredictor(design, nbglm::ConstraintBasis::Identity(design.parameter_names), "location"),
        nbglm::MakeLinearPredictor(nbglm::InterceptDesign(design.observation_names),
                                   nbglm::ConstraintBasis::Identity({"(Intercept)"}), "scale"));
    const nbglm::Vector size_factors = nbglm::ComputeSizeFactors(counts, "ratio");

    const nbglm::FitResult fit = nbglm::Fit(counts, model, size_factors, nbglm::FitOptions());
    const nbglm::TestResult wald = nbglm::WaldTestCoefficient(fit, model, "conditiontreated");
    std::printf("%s\n", fit.BriefReport().c_str());

    std::vector<std::size_t> order(wald.feature_names.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      const double pa = std::isnan(wald.pvalue[a]) ? 2.0 : wald.pvalue[a];
      const double pb = std::isnan(wald.pvalue[b]) ? 2.0 : wald.pvalue[b];
      return pa < pb;
    });
    std::size_t significant = 0;
    for (double p : wald.padj) significant += (!std::isnan(p) && p < 0.1) ? 1 : 0;
    std::printf("genes with padj < 0.1: %zu\n\n%-12s %10s %8s %8s %10s %10s\n", significant, "gene", "log2FC", "se",
                "z", "pvalue", "padj");
    for (std::size_t k = 0; k < 10 && k < order.size(); ++k) {
      const std::size_t f = order[k];
      // Coefficients are natural-log fold changes; print log2 like DESeq2.
      std::printf("%-12s %10.3f %8.3f %8.2f %10.2e %10.2e\n", wald.feature_names[f].c_str(),
                  wald.estimate[f] / std::log(2.0), wald.se[f] / std::log(2.0), wald.statistic[f], wald.pvalue[f],
                  wald.padj[f]);
    }
  } catch (const nbglm::Error& e) {
    std::fprintf(stderr, "pasilla_de: %s\n", e.what());
    return 2;
  }
  return 0;
}

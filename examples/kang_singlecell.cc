// Single-cell differential expression through the C++ API: Kang et al. 2018
// (IFN-β stimulated PBMCs, muscat's example data), one cell type, cells as
// observations, `~ factor(donor) + group_id` with per-cell size factors.
//
// Caveat (docs/model.md §5): with cells as observations the group effect's
// standard error ignores between-donor variation in the response; the
// replicate-level test aggregates cells to pseudobulk samples instead
// (kang_muscat/pseudobulk_counts.tsv).
//
//   kang_singlecell [DATA_DIR] [CELL_TYPE]   (defaults ../shared/data/kang_muscat, "B cells")
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "nbglm/counts_io.h"
#include "nbglm/error.h"
#include "nbglm/fit.h"
#include "nbglm/formula.h"
#include "nbglm/inference.h"
#include "nbglm/model.h"
#include "nbglm/sample_table.h"
#include "nbglm/size_factors.h"
#include "nbglm/table.h"

int main(int argc, char** argv) {
  const std::string dir = argc > 1 ? argv[1] : "../shared/data/kang_muscat";
  const std::string cell_type = argc > 2 ? argv[2] : "B cells";
  try {
    // The 10x-style directory: matrix.mtx + genes.tsv + barcodes.tsv (genes × cells).
    const nbglm::CountMatrix all = nbglm::ReadCounts(dir);
    // The cell sheet restricted to one type, typed afresh (factor levels of
    // that subset only, as R's droplevels would give).
    nbglm::TextTable table = nbglm::ReadTextTable(dir + "/cells.tsv");
    const auto cluster_column = std::find(table.header.begin(), table.header.end(), "cluster_id") - table.header.begin();
    nbglm::TextTable subset = table;
    subset.rows.clear();
    subset.line_numbers.clear();
    std::vector<std::string> keep;
    for (std::size_t r = 0; r < table.rows.size(); ++r) {
      if (table.rows[r][static_cast<std::size_t>(cluster_column)] != cell_type) continue;
      subset.rows.push_back(table.rows[r]);
      subset.line_numbers.push_back(table.line_numbers[r]);
      keep.push_back(table.rows[r][0]);
    }
    if (keep.empty()) throw nbglm::InputError("cell type", cell_type, "matches no cluster_id in cells.tsv");
    const nbglm::CountMatrix counts = nbglm::SelectCountColumns(all, keep);
    const nbglm::SampleTable sheet = nbglm::MakeSampleTable(subset);

    nbglm::FormulaOptions formula_options;
    formula_options.reference_levels["group_id"] = "ctrl";
    const nbglm::Design design = nbglm::BuildFormulaDesign(
        sheet, nbglm::ParseFormula("~ factor(donor) + group_id"), formula_options, "--loc");
    const nbglm::NbGlmModel model = nbglm::MakeModel(
        nbglm::MakeLinearPredictor(design, nbglm::ConstraintBasis::Identity(design.parameter_names), "location"),
        nbglm::MakeLinearPredictor(nbglm::InterceptDesign(design.observation_names),
                                   nbglm::ConstraintBasis::Identity({"(Intercept)"}), "scale"));
    // Per-cell size factors from library sizes (sparse data: "ratio" would fail).
    const nbglm::Vector size_factors = nbglm::ComputeSizeFactors(counts, "total");

    const nbglm::FitResult fit = nbglm::Fit(counts, model, size_factors, nbglm::FitOptions());
    const nbglm::TestResult wald = nbglm::WaldTestCoefficient(fit, model, "group_idstim");
    std::printf("%s: %lld genes x %lld cells\n%s\n", cell_type.c_str(), static_cast<long long>(counts.num_features()),
                static_cast<long long>(counts.num_observations()), fit.BriefReport().c_str());
    std::size_t up = 0, down = 0;
    for (std::size_t f = 0; f < wald.padj.size(); ++f) {
      if (std::isnan(wald.padj[f]) || wald.padj[f] >= 0.05) continue;
      (wald.estimate[f] > 0 ? up : down) += 1;
    }
    std::printf("stim vs ctrl, padj < 0.05: %zu up, %zu down\n", up, down);
    for (const char* gene : {"ISG15", "IFI6", "MX1", "IFIT3"}) {
      for (std::size_t f = 0; f < wald.feature_names.size(); ++f) {
        if (wald.feature_names[f] != gene) continue;
        std::printf("  %-6s log2FC %6.2f  padj %.2e  (%s)\n", gene, wald.estimate[f] / std::log(2.0), wald.padj[f],
                    wald.status[f].c_str());
      }
    }
  } catch (const nbglm::Error& e) {
    std::fprintf(stderr, "kang_singlecell: %s\n", e.what());
    return 2;
  }
  return 0;
}

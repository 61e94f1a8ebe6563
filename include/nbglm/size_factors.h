// Size factors s_i > 0, used as offsets o_i = log s_i in eq. (1) everywhere,
// initialisation included.
#ifndef NBGLM_SIZE_FACTORS_H_
#define NBGLM_SIZE_FACTORS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "nbglm/counts.h"
#include "nbglm/counts_io.h"
#include "nbglm/types.h"

namespace nbglm {

// Reads a TSV "observation<TAB>size_factor" (header row required) and returns
// the factors in the order of `observation_names`. Every observation must
// appear exactly once; every factor must be finite and > 0.
Vector ReadSizeFactors(const std::string& path, const std::vector<std::string>& observation_names);

// The TSV text ReadSizeFactors reads.
std::string SizeFactorsToTsv(const Vector& size_factors, const std::vector<std::string>& observation_names);

// Computed size factors:
//  "ratio"     DESeq2's median of ratios: s_j = exp(median over genes with all
//              counts > 0 of (log y_gj − mean_j' log y_gj')); needs such genes.
//  "poscounts" DESeq2's variant for sparse data: the geometric mean of a gene
//              uses its positive counts (divided by n), the median runs over
//              its positive counts; normalised to geometric mean 1.
//  "total"     column totals divided by their geometric mean.
// Throws InputError when the method is unknown or a factor would be 0 or
// undefined (e.g. an all-zero observation), naming the observation.
Vector ComputeSizeFactors(const CountMatrix& counts, const std::string& method);
// The same over a CountReader, reading at most `max_bytes` of counts at a
// time (PlanFeatureChunks). "total" needs one number per observation;
// "ratio" and "poscounts" keep one log ratio per usable count.
Vector ComputeSizeFactors(const CountReader& reader, const std::string& method, std::int64_t max_bytes);

// Checks length and positivity (for size factors from any source).
void ValidateSizeFactors(const Vector& size_factors, Index num_observations, const std::string& what,
                         const std::vector<std::string>& observation_names);

}  // namespace nbglm

#endif  // NBGLM_SIZE_FACTORS_H_

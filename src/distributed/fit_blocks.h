// The two pure parts of a distributed `nbglm fit` (docs/distributed.md),
// kept apart from MPI so that they are tested without it: which features
// each rank fits, and the bytes a rank's results travel to rank 0 in.
#ifndef NBGLM_SRC_DISTRIBUTED_FIT_BLOCKS_H_
#define NBGLM_SRC_DISTRIBUTED_FIT_BLOCKS_H_

#include <string>
#include <vector>

#include "nbglm/counts_io.h"
#include "nbglm/fit.h"

namespace nbglm::distributed {

// The boundaries of `ranks` contiguous blocks covering features [begin, end)
// of `reader`: ranks + 1 indices, block r = [b[r], b[r + 1]). Balanced by
// work, counted as the feature's non-zero counts + 1 (a feature's fit costs
// with its non-zeros; the 1 keeps all-zero features from being free), not
// by the number of features: block r starts at the feature whose preceding
// work is nearest to r/ranks of the total. Integer arithmetic only, so every
// rank computes the same boundaries from the same input. Blocks may be
// empty (fewer features than ranks).
std::vector<Index> BalancedBlocks(const CountReader& reader, Index begin, Index end, int ranks);

// Appends `result` to `bytes` in a compact binary form (the host's byte
// order and doubles: the ranks of one job run one build), every field a
// FitResult holds, NaN bit for bit.
void AppendFitResult(const FitResult& result, std::string* bytes);

// The results appended to `bytes`, in order. Throws InputError naming
// `what` when the bytes end early or hold inconsistent sizes.
std::vector<FitResult> ReadFitResults(const std::string& bytes, const std::string& what);

}  // namespace nbglm::distributed

#endif  // NBGLM_SRC_DISTRIBUTED_FIT_BLOCKS_H_

// Counts from a caller's arrays (nbglm/count_view.h): the blocks of a
// BlockCountSource are read by converting elements of any numpy type.
#ifndef NBGLM_SRC_IO_ARRAY_COUNTS_H_
#define NBGLM_SRC_IO_ARRAY_COUNTS_H_

#include "io/block_count_source.h"
#include "nbglm/count_view.h"

namespace nbglm {

class ArrayCountSource : public BlockCountSource {
 public:
  // Checks the view's shape, pointers and types, then every value, index and
  // offset (BlockCountSource::Open). Throws InputError naming view.what.
  explicit ArrayCountSource(const CountArrayView& view);

 protected:
  void ReadEntries(std::int64_t first, std::int64_t count, double* values, std::int64_t* indices) const override;
  bool RandomAccess() const override { return true; }  // the caller's arrays, in memory
  void ReadDenseBlock(std::int64_t row, std::int64_t rows, std::int64_t column, std::int64_t columns,
                      double* out) const override;

 private:
  CountArrayView view_;  // names moved out into the base
  std::int64_t row_length_ = 0;  // dense: elements per stored row
};

}  // namespace nbglm

#endif  // NBGLM_SRC_IO_ARRAY_COUNTS_H_

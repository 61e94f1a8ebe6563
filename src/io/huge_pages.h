// Large buffers that the reader fills once, on transparent huge pages where
// the system offers them (Linux, THP "madvise" or "always"). A count chunk of
// tens of MB first touched in 4 KiB pages costs one page fault per page, and
// on virtual machines a fault costs microseconds: for in-memory inputs (the
// Python module) that was a tenth of the fit's time (docs/python.md "Speed
// and memory"). The advice changes only how the kernel backs the memory,
// never its contents; elsewhere it is a no-op.
#ifndef NBGLM_IO_HUGE_PAGES_H_
#define NBGLM_IO_HUGE_PAGES_H_

#include <cstddef>
#include <vector>

namespace nbglm {

// The 2 MiB-aligned part of [data, data + bytes) advised for huge pages
// (madvise MADV_HUGEPAGE); nothing for ranges under 2 MiB or where the call
// is not available. Returns the bytes advised.
std::size_t AdviseHugePages(void* data, std::size_t bytes);

// `values` resized to `size` value-initialised elements, its storage
// allocated afresh and advised before its first touch. For a vector that is
// empty when called (the reader's new buffers).
template <typename T>
void ResizeOnHugePages(std::vector<T>* values, std::size_t size) {
  values->reserve(size);
  AdviseHugePages(values->data(), size * sizeof(T));
  values->resize(size);
}

}  // namespace nbglm

#endif  // NBGLM_IO_HUGE_PAGES_H_

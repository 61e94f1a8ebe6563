// Runs work over [0, count) on a few threads (docs/de.md): chunks handed
// out in order, each index processed by exactly one thread with a workspace
// of that thread's own. An exception in any thread stops the others at their
// next chunk and is rethrown on the calling thread after all have joined, so
// none escapes a worker. Results written per index are independent of the
// thread count. Internal header.
#ifndef NBGLM_SRC_DE_PARALLEL_FOR_H_
#define NBGLM_SRC_DE_PARALLEL_FOR_H_

#include <atomic>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "nbglm/fit.h"
#include "nbglm/types.h"

namespace nbglm::de {

// make_worker() is called once per thread (on that thread) and returns a
// callable taking an index. `cancel`, when set, is polled before each chunk;
// true stops the run with FitCancelled (rethrown like any exception).
template <typename MakeWorker>
void ParallelFor(Index count, int threads, MakeWorker make_worker, const std::function<bool()>& cancel = {}) {
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  threads = static_cast<int>(std::max<Index>(1, std::min<Index>(threads, count)));
  constexpr Index kChunk = 32;
  std::atomic<Index> next{0};
  std::atomic<bool> stop{false};
  std::exception_ptr error;
  std::mutex error_mutex;
  auto run = [&]() {
    try {
      auto work = make_worker();
      for (;;) {
        if (stop.load()) return;
        if (cancel && cancel()) throw FitCancelled();
        const Index first = next.fetch_add(kChunk);
        if (first >= count) return;
        const Index last = std::min(first + kChunk, count);
        for (Index k = first; k < last; ++k) work(k);
      }
    } catch (...) {
      std::lock_guard<std::mutex> lock(error_mutex);
      if (!error) error = std::current_exception();
      stop.store(true);
    }
  };
  if (threads == 1) {
    run();
  } else {
    std::vector<std::thread> pool;
    pool.reserve(static_cast<std::size_t>(threads));
    for (int t = 0; t < threads; ++t) pool.emplace_back(run);
    for (std::thread& thread : pool) thread.join();
  }
  if (error) std::rethrow_exception(error);
}

}  // namespace nbglm::de

#endif  // NBGLM_SRC_DE_PARALLEL_FOR_H_

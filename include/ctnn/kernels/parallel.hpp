#pragma once
/// \file
/// Threading for the kernels: TBB underneath, a ctnn-level cap on the number of threads, and a
/// parallel loop over work items that never depend on the thread count (each output value is
/// computed by exactly one item, in a fixed order; no reduction is split between threads), so
/// results are bit-identical for any number of threads.

#include <cstddef>
#include <memory>

#include <tbb/blocked_range.h>
#include <tbb/global_control.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

namespace ctnn {

namespace kernels::detail {
inline std::unique_ptr<tbb::global_control>& thread_cap() {
  static std::unique_ptr<tbb::global_control> cap;
  return cap;
}
}  // namespace kernels::detail

/// Caps the threads every ctnn kernel (and any other TBB work in the process) may use;
/// 0 removes the cap. Results do not depend on this number.
inline void set_num_threads(int n) {
  auto& cap = kernels::detail::thread_cap();
  cap.reset();
  if (n > 0)
    cap = std::make_unique<tbb::global_control>(tbb::global_control::max_allowed_parallelism,
                                                std::size_t(n));
}

/// The number of threads the kernels use now.
inline int num_threads() {
  return int(tbb::global_control::active_value(tbb::global_control::max_allowed_parallelism));
}

namespace kernels {

/// Runs body(i) for i in [0, count). Each item writes its own outputs in a fixed order, so
/// which thread runs which item (TBB's auto partitioner decides, stealing work from busy
/// threads) changes nothing in the result: it is the same for any thread count.
template <class F>
void parallel_items(std::size_t count, F&& body) {
  if (count == 0) return;
  if (count == 1 || num_threads() == 1) {
    for (std::size_t i = 0; i < count; ++i)
      body(i);
    return;
  }
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, count, 1),
                    [&](const tbb::blocked_range<std::size_t>& r) {
                      for (std::size_t i = r.begin(); i != r.end(); ++i)
                        body(i);
                    });
}

}  // namespace kernels
}  // namespace ctnn

#pragma once
// How many threads the kernels run their work items on under the current thread cap: asked of
// kernels::parallel_items itself, the loop every parallel kernel goes through, so a test can
// assert, inside a run, that set_num_threads took effect.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <thread>

#include "ctnn/kernels/parallel.hpp"

namespace ctnn::test {

/// The number of distinct threads (1 or 2) that ran two items of kernels::parallel_items. Each
/// item records its thread, then waits until both items have started or `patience` has passed:
/// if a second thread may run items, it takes the other item while the first one waits (it
/// would not, if the items were over at once: the caller's thread would run both before a
/// worker woke up). So 2 shows that two threads ran items at the same time; 1 that, over
/// `patience`, no second thread came. Costs `patience` when only one thread may run items.
/// On a one-core machine TBB's default arena has no worker, so 2 is never seen there: a test
/// that requires it fails rather than compare one thread with itself.
inline int threads_running_items(std::chrono::milliseconds patience) {
  std::thread::id ran_on[2];
  std::atomic<int> started{0};
  kernels::parallel_items(2, [&](std::size_t i) {
    ran_on[i] = std::this_thread::get_id();
    started.fetch_add(1);
    const auto deadline = std::chrono::steady_clock::now() + patience;
    while (started.load() < 2 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::yield();
  });
  return ran_on[0] == ran_on[1] ? 1 : 2;
}

}  // namespace ctnn::test

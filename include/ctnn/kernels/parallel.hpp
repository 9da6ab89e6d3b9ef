#pragma once
/// \file
/// Threading for the kernels: TBB underneath, a ctnn-level cap on the number of threads, and a
/// parallel loop over work items that never depend on the thread count (each output value is
/// computed by exactly one item, in a fixed order; no reduction is split between threads), so
/// results are bit-identical for any number of threads.

#include <algorithm>
#include <cstddef>
#include <memory>

#include <tbb/blocked_range.h>
#include <tbb/global_control.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

// Under ThreadSanitizer (g++ -fsanitize=thread defines __SANITIZE_THREAD__, clang++ has the
// feature thread_sanitizer) parallel_items runs its items on std::threads, not TBB's
// (detail::run_items_on_threads says why).
#if defined(__SANITIZE_THREAD__)
#define CTNN_DETAIL_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define CTNN_DETAIL_TSAN 1
#endif
#endif
#ifdef CTNN_DETAIL_TSAN
#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>
#endif

namespace ctnn {

namespace kernels::detail {
inline std::unique_ptr<tbb::global_control>& thread_cap() {
  static std::unique_ptr<tbb::global_control> cap;
  return cap;
}

#ifdef CTNN_DETAIL_TSAN
// The ThreadSanitizer build's parallel loop. Debian's libtbb.so is not instrumented, so TSan
// cannot see how TBB's scheduler hands items to its workers and waits for them: it reports
// every item's access to the caller's data, and to TBB's own task objects, as a race. What
// TSan is there to check is ctnn's side: that no two items touch the same memory and that
// nothing escapes the loop. Plain threads that each take the next item from a shared counter
// run any two items at the same time, as TBB's work stealing may, and TSan sees all their
// synchronisation (thread start and join, the counter), so whatever it reports is a race
// between ctnn's items. These threads allocate; the allocation-free training step is a
// property of the TBB loop, which every other build uses.
template <class F>
void run_items_on_threads(std::size_t count, F& body, std::size_t threads) {
  threads = std::min(count, std::max<std::size_t>(threads, 2));
  std::atomic<std::size_t> next{0};
  std::exception_ptr error;
  std::mutex error_mutex;
  auto work = [&](std::size_t slot) {
    try {
      for (std::size_t i = next++; i < count; i = next++)
        body(i, slot);
    } catch (...) {
      const std::lock_guard lock(error_mutex);
      if (!error) error = std::current_exception();
    }
  };
  std::vector<std::thread> pool;
  for (std::size_t t = 1; t < threads; ++t)
    pool.emplace_back(work, t);
  work(0);
  for (auto& thread : pool)
    thread.join();
  if (error) std::rethrow_exception(error);
}
#endif
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

/// The number of workspace slots parallel_items_in_slots may name: at least one per thread
/// that can run items at the same time.
inline std::size_t max_slots() {
  return std::max<std::size_t>(
      {std::size_t(tbb::this_task_arena::max_concurrency()), std::size_t(num_threads()), 2});
}

/// Runs body(i, slot) for i in [0, count), where slot < max_slots() is the same for no two
/// items running at the same time: an item may use slot's share of a workspace as scratch.
/// Otherwise as parallel_items: an item's outputs must not depend on its slot.
template <class F>
void parallel_items_in_slots(std::size_t count, F&& body) {
  if (count == 0) return;
  if (count == 1 || num_threads() == 1) {
    for (std::size_t i = 0; i < count; ++i)
      body(i, std::size_t(0));
    return;
  }
#ifdef CTNN_DETAIL_TSAN
  detail::run_items_on_threads(count, body, std::size_t(num_threads()));
#else
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, count, 1),
                    [&](const tbb::blocked_range<std::size_t>& r) {
                      const auto slot = std::size_t(tbb::this_task_arena::current_thread_index());
                      for (std::size_t i = r.begin(); i != r.end(); ++i)
                        body(i, slot);
                    });
#endif
}

/// Runs body(i) for i in [0, count). Each item writes its own outputs in a fixed order, so
/// which thread runs which item (TBB's auto partitioner decides, stealing work from busy
/// threads) changes nothing in the result: it is the same for any thread count. An exception
/// thrown by an item reaches the caller.
template <class F>
void parallel_items(std::size_t count, F&& body) {
  parallel_items_in_slots(count, [&](std::size_t i, std::size_t) { body(i); });
}

}  // namespace kernels
}  // namespace ctnn

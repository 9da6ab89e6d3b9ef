// The TSan build's self-test: items of kernels::parallel_items that add to one variable without
// synchronisation, the bug the TSan stage is there to catch (two items writing the same output).
// check_racy_items.cmake requires TSan to report it; built only with CTNN_TSAN_SELF_TEST.

#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>

#include "ctnn/kernels/parallel.hpp"

int main() {
  ctnn::set_num_threads(2);
  long sum = 0;  // every item writes it: the race
  // The two items wait for each other, so they run at the same time on two threads, whichever
  // thread takes which. The wait uses relaxed atomics only, which order nothing for TSan: the
  // writes to sum stay unordered.
  std::atomic<int> started{0};
  std::atomic<bool> alone{false};  // an item waited in vain: the items ran one after the other
  ctnn::kernels::parallel_items(2, [&](std::size_t i) {
    sum += long(i) + 1;
    started.fetch_add(1, std::memory_order_relaxed);
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (started.load(std::memory_order_relaxed) < 2) {
      if (std::chrono::steady_clock::now() > give_up) {
        alone = true;
        break;
      }
      std::this_thread::yield();
    }
    sum += long(i) + 1;
  });
  std::printf("racy_items: sum %ld; the two items %s at the same time\n", sum,
              alone ? "did not run" : "ran");
  return alone ? 2 : 0;
}

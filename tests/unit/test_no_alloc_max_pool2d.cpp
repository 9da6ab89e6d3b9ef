// No heap allocation in a training step after the first one, in a network with MaxPool2d (whose
// argmax buffer is reused from step to step) and LeakyReLU, on one thread and on two. Like
// test_no_alloc.cpp, this program replaces the global operator new (every form) and
// malloc/calloc/realloc and counts the calls; so it cannot run under a sanitizer's allocator
// (tools/ci/check_sanitizers.sh leaves out every test_no_alloc*).

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>
#include <ratio>
#include <type_traits>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "ctnn/ctnn.hpp"
#include "ctnn/kernels/parallel.hpp"
#include "ctnn/layers/leaky_relu.hpp"
#include "ctnn/layers/max_pool2d.hpp"

namespace {
std::atomic<bool> counting{false};
std::atomic<long> news{0}, mallocs{0};

void* counted_new(std::size_t size, std::size_t align) {
  if (counting.load(std::memory_order_relaxed)) news.fetch_add(1, std::memory_order_relaxed);
  if (size == 0) size = 1;
  void* p = align > alignof(std::max_align_t)
                ? std::aligned_alloc(align, (size + align - 1) / align * align)
                : std::malloc(size);
  if (!p) throw std::bad_alloc();
  return p;
}
void* counted_new_nothrow(std::size_t size, std::size_t align) noexcept {
  try {
    return counted_new(size, align);
  } catch (...) {
    return nullptr;
  }
}
}  // namespace

void* operator new(std::size_t n) {
  return counted_new(n, 0);
}
void* operator new[](std::size_t n) {
  return counted_new(n, 0);
}
void* operator new(std::size_t n, std::align_val_t a) {
  return counted_new(n, std::size_t(a));
}
void* operator new[](std::size_t n, std::align_val_t a) {
  return counted_new(n, std::size_t(a));
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  return counted_new_nothrow(n, 0);
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  return counted_new_nothrow(n, 0);
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete[](void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete(void* p, std::align_val_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::align_val_t) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t, std::align_val_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept {
  std::free(p);
}

// malloc and friends too (glibc), so that allocations bypassing operator new are seen as well.
extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void* malloc(std::size_t n) {
  if (counting.load(std::memory_order_relaxed)) mallocs.fetch_add(1, std::memory_order_relaxed);
  return __libc_malloc(n);
}
void* calloc(std::size_t c, std::size_t n) {
  if (counting.load(std::memory_order_relaxed)) mallocs.fetch_add(1, std::memory_order_relaxed);
  return __libc_calloc(c, n);
}
void* realloc(void* p, std::size_t n) {
  if (counting.load(std::memory_order_relaxed)) mallocs.fetch_add(1, std::memory_order_relaxed);
  return __libc_realloc(p, n);
}
}

using namespace ctnn;

namespace {
// 16 -> pool 2 -> 8 -> pool (3, 2, 1) -> 4 -> transposed conv (4, stride 4) -> 16.
using Net = Sequential<Input<3, 16, 16>, Conv2d<3, 8, 3, 1, 1>, LeakyReLU<std::ratio<1, 10>>,
                       MaxPool2d<2>, Conv2d<8, 8, 3, 1, 1>, LeakyReLU<>, MaxPool2d<3, 2, 1>,
                       ConvTranspose2d<8, 3, 4, 4>, Sigmoid>;
static_assert(std::is_same_v<Net::output_shape, Shape<3, 16, 16>>);

/// Allocations (operator new, malloc) during training steps 2..steps.
std::pair<long, long> allocations_after_first_step(std::size_t batch, int steps) {
  Net net{Seed{0}};
  Adam<float> opt(net.parameters(), {.lr = 1e-3});
  MSELoss<Net::output_shape> loss;
  Batch<Shape<3, 16, 16>> x(batch), t(batch);
  for (std::size_t i = 0; i < x.size(); ++i) {
    x.data()[i] = float(i % 7) / 7.0f;
    t.data()[i] = float(i % 5) / 5.0f;
  }
  float first = 0, last = 0;
  for (int s = 0; s < steps; ++s) {
    if (s == 1) {
      news = 0;
      mallocs = 0;
      counting = true;
    }
    opt.zero_grad();
    const float l = loss.forward(net.forward(x), t);
    net.backward(loss.backward());
    opt.step();
    (s == 0 ? first : last) = l;
  }
  counting = false;
  CHECK(last < first);  // it did train
  return {news.load(), mallocs.load()};
}
}  // namespace

TEST_CASE("the allocation counter sees allocations", "[no_alloc]") {
  news = 0;
  counting = true;
  auto* v = new std::vector<float>(100);
  counting = false;
  delete v;
  CHECK(news.load() == 2);
}

TEST_CASE("no heap allocation after the first step with MaxPool2d and LeakyReLU",
          "[no_alloc][max_pool2d][leaky_relu]") {
  for (int threads : {1, 2}) {
    INFO("threads " << threads);
    set_num_threads(threads);
    const auto [new_calls, malloc_calls] = allocations_after_first_step(5, 4);
    CHECK(new_calls == 0);
    CHECK(malloc_calls == 0);
  }
  set_num_threads(0);
}

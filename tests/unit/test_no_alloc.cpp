// No heap allocation inside a training step after the first one: every workspace is owned by
// its layer and reused. This program replaces the global operator new (every form) and
// malloc/calloc/realloc, counts the calls made while training steps 2..N of the course's
// models, of networks with batch norm, pooling and leaky ReLU, and of the model zoo's U-Net and
// DnCNN, and requires zero, on one thread and on two.

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>
#include <ratio>

#include <catch2/catch.hpp>

#include "ctnn/ctnn.hpp"
#include "ctnn/kernels/parallel.hpp"
#include "ctnn/layers/batch_norm2d.hpp"
#include "ctnn/models/dncnn.hpp"
#include "ctnn/models/unet.hpp"

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
}  // namespace

// operator new and delete, all replaceable forms.
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
  try {
    return counted_new(n, 0);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  try {
    return counted_new(n, 0);
  } catch (...) {
    return nullptr;
  }
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

// malloc and friends too (glibc), so that allocations bypassing operator new (TBB's
// internals, xtensor's allocators) are seen as well.
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

using Initial = Sequential<Input<3, 32, 32>, Conv2d<3, 32, 3>, ReLU, Conv2d<32, 32, 3>, ReLU,
                           ConvTranspose2d<32, 32, 3>, ReLU, ConvTranspose2d<32, 3, 3>, Sigmoid>;
using Final = Sequential<Input<3, 32, 32>, Conv2d<3, 100, 3>, ReLU,
                         SkipConcat<Conv2d<100, 100, 3>, ReLU, ConvTranspose2d<100, 100, 3>, ReLU>,
                         ConvTranspose2d<200, 3, 3>, Sigmoid>;
// Batch normalisation in training mode: batch statistics, normalised activations and
// running statistics live in buffers the layer owns.
using WithBatchNorm = Sequential<Input<3, 32, 32>, Conv2d<3, 8, 3, 1, 1>, BatchNorm2d<8>, ReLU,
                                 Conv2d<8, 3, 3, 1, 1>, Sigmoid>;
// Max pooling (its argmax buffer is reused from step to step) and leaky ReLU:
// 16 -> pool 2 -> 8 -> pool (3, 2, 1) -> 4 -> transposed conv (4, stride 4) -> 16.
using WithPooling =
    Sequential<Input<3, 16, 16>, Conv2d<3, 8, 3, 1, 1>, LeakyReLU<std::ratio<1, 10>>, MaxPool2d<2>,
               Conv2d<8, 8, 3, 1, 1>, LeakyReLU<>, MaxPool2d<3, 2, 1>, ConvTranspose2d<8, 3, 4, 4>,
               Sigmoid>;

/// Allocations (operator new, malloc) during training steps 2..steps.
template <class Net>
std::pair<long, long> allocations_after_first_step(std::size_t batch, int steps) {
  Net net{Seed{0}};
  Adam<float> opt(net.parameters(), {.lr = 1e-3});
  MSELoss<typename Net::output_shape> loss;
  Batch<typename Net::input_shape> x(batch), t(batch);
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

TEST_CASE("no heap allocation in training steps after the first", "[no_alloc]") {
  for (int threads : {1, 2}) {
    INFO("threads " << threads);
    set_num_threads(threads);
    const auto [fin_new, fin_malloc] = allocations_after_first_step<Final>(3, 4);
    CHECK(fin_new == 0);
    CHECK(fin_malloc == 0);
    const auto [ini_new, ini_malloc] = allocations_after_first_step<Initial>(5, 4);
    CHECK(ini_new == 0);
    CHECK(ini_malloc == 0);
    const auto [bn_new, bn_malloc] = allocations_after_first_step<WithBatchNorm>(4, 4);
    CHECK(bn_new == 0);
    CHECK(bn_malloc == 0);
    const auto [pool_new, pool_malloc] = allocations_after_first_step<WithPooling>(5, 4);
    CHECK(pool_new == 0);
    CHECK(pool_malloc == 0);
    // The model zoo's U-Net (pooling, upsampling, nested concatenations) and DnCNN (batch
    // norm, the residual InputMinus).
    const auto [unet_new, unet_malloc] = allocations_after_first_step<models::UNet<>>(2, 4);
    CHECK(unet_new == 0);
    CHECK(unet_malloc == 0);
    const auto [dncnn_new, dncnn_malloc] = allocations_after_first_step<models::DnCNN<>>(2, 4);
    CHECK(dncnn_new == 0);
    CHECK(dncnn_malloc == 0);
  }
  set_num_threads(0);
}

// The training step of every model, on one thread and on two: no heap allocation after the
// first step (every workspace is owned by its layer and reused), and the same bytes whatever the
// number of threads. This program replaces the global operator new (every form) and
// malloc/calloc/realloc, counts the calls made while training steps 2..N of the course's
// models, of networks with batch norm, pooling and leaky ReLU, and of the model zoo's U-Net and
// DnCNN, and requires zero. The same networks' steps (output, loss, input gradient, parameter
// gradients, Adam's update and moments, buffers) must be byte-identical on 1 and 2 threads, with
// the thread cap checked inside each run. (Both checks share one program because they train the
// same networks: the determinism check adds no template instantiation, so no compile time.)

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <ratio>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "ctnn/ctnn.hpp"
#include "ctnn/kernels/parallel.hpp"
#include "ctnn/layers/batch_norm2d.hpp"
#include "ctnn/models/dncnn.hpp"
#include "ctnn/models/unet.hpp"
#include "thread_probe.hpp"

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

/// Named byte strings, in the order a run produced them.
struct RunBytes {
  std::vector<std::string> names, bytes;
  void add(std::string name, const void* data, std::size_t size) {
    names.push_back(std::move(name));
    bytes.emplace_back(static_cast<const char*>(data), size);
  }
};

/// The name of the first entry whose bytes differ between two runs; empty if none does.
std::string first_difference(const RunBytes& a, const RunBytes& b) {
  if (a.names != b.names) return "the list of entries";
  for (std::size_t k = 0; k < a.bytes.size(); ++k)
    if (a.bytes[k].size() != b.bytes[k].size() ||
        std::memcmp(a.bytes[k].data(), b.bytes[k].data(), a.bytes[k].size()) != 0)
      return a.names[k];
  return {};
}

/// Three training steps (forward, MSE loss, backward, Adam) from seed 0 on fixed random data,
/// with the kernels capped at `threads`: the bytes of every step's output, loss and input
/// gradient, every parameter's gradient and updated value, Adam's moments and the buffers.
template <class Net>
RunBytes training_bytes(int threads, std::size_t batch) {
  using namespace std::chrono_literals;
  set_num_threads(threads);
  Net net{Seed{0}};
  Adam<float> opt(net.parameters(), {.lr = 1e-3});
  MSELoss<typename Net::output_shape> loss;
  Batch<typename Net::input_shape> x(batch), t(batch);
  Rng rng{Seed{1}};
  for (std::size_t i = 0; i < x.size(); ++i) {
    x.data()[i] = float(rng.uniform01());
    t.data()[i] = float(rng.uniform01());
  }
  const auto params = net.parameters();
  RunBytes run;
  for (int s = 0; s < 3; ++s) {
    const std::string step = "step " + std::to_string(s + 1) + ": ";
    opt.zero_grad();
    const auto& y = net.forward(x);
    run.add(step + "output", y.data(), y.size() * sizeof(float));
    const float l = loss.forward(y, t);
    run.add(step + "loss", &l, sizeof l);
    const auto& dx = net.backward(loss.backward());
    run.add(step + "input gradient", dx.data(), dx.size() * sizeof(float));
    for (const auto& p : params)
      run.add(step + "gradient of " + p.name, p.grad, p.size * sizeof(float));
    opt.step();
    for (std::size_t k = 0; k < params.size(); ++k) {
      const auto& p = params[k];
      run.add(step + p.name, p.value, p.size * sizeof(float));
      run.add(step + "exp_avg of " + p.name, opt.exp_avg()[k].data(), p.size * sizeof(float));
      run.add(step + "exp_avg_sq of " + p.name, opt.exp_avg_sq()[k].data(), p.size * sizeof(float));
    }
    for (const auto& b : buffers_of(net))
      run.add(step + b.name, b.is_integer() ? static_cast<const void*>(b.integer) : b.value,
              b.size * (b.is_integer() ? sizeof(std::int64_t) : sizeof(float)));
    if (s == 0) {
      // The cap holds inside the run: the kernels' loop runs items on exactly `threads`
      // threads (a second thread is given 0.2 s to show up under a cap of 1; under a cap of
      // 2 it must come, which takes milliseconds).
      INFO("threads " << threads);
      CHECK(num_threads() == threads);
      CHECK(test::threads_running_items(threads == 1 ? 200ms : 10s) == threads);
    }
  }
  set_num_threads(0);
  return run;
}

/// Trains `Net` on one thread and on two; the bytes must be the same.
template <class Net>
void check_same_bytes_on_1_and_2_threads(std::size_t batch) {
  const RunBytes one = training_bytes<Net>(1, batch);
  const RunBytes two = training_bytes<Net>(2, batch);
  REQUIRE(!one.names.empty());
  CHECK(first_difference(one, two) == "");
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

TEST_CASE("training steps give the same bytes on 1 and 2 threads", "[threads]") {
  // The claim of docs/performance.md ("results are bit-identical for any number of threads"),
  // for whole training steps: every kernel of the forward and backward passes, the loss, Adam.
  SECTION("the course's initial model") {
    check_same_bytes_on_1_and_2_threads<Initial>(3);
  }
  SECTION("the course's final model") {
    check_same_bytes_on_1_and_2_threads<Final>(2);
  }
  SECTION("batch norm") {
    check_same_bytes_on_1_and_2_threads<WithBatchNorm>(4);
  }
  SECTION("max pooling, leaky ReLU") {
    check_same_bytes_on_1_and_2_threads<WithPooling>(3);
  }
  SECTION("U-Net") {
    check_same_bytes_on_1_and_2_threads<models::UNet<>>(2);
  }
  SECTION("DnCNN") {
    check_same_bytes_on_1_and_2_threads<models::DnCNN<>>(2);
  }
}

// No heap allocation inside a training step after the first one: every workspace is owned by
// its layer and reused. This program replaces every way a process allocates (each form of the
// global operator new; malloc, calloc, realloc, reallocarray, memalign, posix_memalign,
// aligned_alloc, valloc, pvalloc; and the allocator TBB uses), counts the calls made while
// training steps 2..N of the course's models, of networks with batch norm, pooling and leaky
// ReLU, and of the model zoo's U-Net and DnCNN, with Adam and with SGD (plain, momentum,
// Nesterov), with backward and with backward_parameters, and requires zero, on one thread and
// on two. A self-test calls each hook once and requires its counter to move, so a hook that the
// process does not actually use cannot pass for a clean step.
//
// TBB allocates its tasks and arenas through libtbbmalloc (scalable_malloc,
// scalable_aligned_malloc), which it dlopens, not through malloc. libtbb.so also holds weak
// references to those four functions and falls back on them when it cannot load
// libtbbmalloc: this program defines and exports them (ENABLE_EXPORTS in tests/CMakeLists.txt)
// and refuses libtbbmalloc in its own dlopen, so TBB's allocations reach the hooks too. (Merely
// defining them is not enough: TBB tries libtbbmalloc first and finds it installed.)
//
// The same networks' steps (output, loss, input gradient, parameter gradients, Adam's update
// and moments, buffers) must also be byte-identical on 1 and 2 threads, with the thread cap
// checked inside each run: that check shares this program because it trains the same networks
// (no template instantiation added, so no compile time).
//
// Both checks run again with the conv kernels in bf16 (set_conv_precision(Precision::bf16)),
// where the CPU has AVX512_BF16; elsewhere they WARN that the bf16 kernels were not exercised.

#include <dlfcn.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <new>
#include <ratio>
#include <sstream>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <tbb/cache_aligned_allocator.h>
#include <tbb/tbb_allocator.h>
#include <catch2/catch.hpp>

#include "ctnn/ctnn.hpp"
#include "ctnn/kernels/parallel.hpp"
#include "ctnn/kernels/precision.hpp"
#include "ctnn/layers/batch_norm2d.hpp"
#include "ctnn/models/dncnn.hpp"
#include "ctnn/models/unet.hpp"
#include "thread_probe.hpp"

namespace {
// Every hooked function, one counter each.
enum Hook : int {
  op_new,
  op_new_array,
  op_new_aligned,
  op_new_array_aligned,
  op_new_nothrow,
  op_new_array_nothrow,
  op_new_aligned_nothrow,
  op_new_array_aligned_nothrow,
  hook_malloc,
  hook_calloc,
  hook_realloc,
  hook_reallocarray,
  hook_memalign,
  hook_posix_memalign,
  hook_aligned_alloc,
  hook_valloc,
  hook_pvalloc,
  tbb_scalable_malloc,
  tbb_scalable_aligned_malloc,
  hook_count
};
constexpr std::array<const char*, hook_count> hook_names = {"operator new",
                                                            "operator new[]",
                                                            "operator new(align)",
                                                            "operator new[](align)",
                                                            "operator new(nothrow)",
                                                            "operator new[](nothrow)",
                                                            "operator new(align, nothrow)",
                                                            "operator new[](align, nothrow)",
                                                            "malloc",
                                                            "calloc",
                                                            "realloc",
                                                            "reallocarray",
                                                            "memalign",
                                                            "posix_memalign",
                                                            "aligned_alloc",
                                                            "valloc",
                                                            "pvalloc",
                                                            "scalable_malloc (TBB)",
                                                            "scalable_aligned_malloc (TBB)"};

std::atomic<bool> counting{false};
std::array<std::atomic<long>, hook_count> calls{};

void count(Hook h) {
  if (counting.load(std::memory_order_relaxed)) calls[h].fetch_add(1, std::memory_order_relaxed);
}

void reset_counts() {
  for (auto& c : calls)
    c = 0;
}

long total_count() {
  long n = 0;
  for (const auto& c : calls)
    n += c.load();
  return n;
}

// The hooks that were called, for the failure message.
std::string describe_counts() {
  std::ostringstream out;
  for (int h = 0; h < hook_count; ++h)
    if (calls[h] != 0) out << hook_names[h] << ": " << calls[h] << " calls; ";
  return out.str();
}
}  // namespace

// glibc's own allocator, which the hooks forward to.
extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void* __libc_memalign(std::size_t, std::size_t);
void* __libc_valloc(std::size_t);
void* __libc_pvalloc(std::size_t);
void __libc_free(void*);
}

namespace {
void* counted_new(Hook h, std::size_t size, std::size_t align) {
  count(h);
  if (size == 0) size = 1;
  void* p = align > alignof(std::max_align_t) ? __libc_memalign(align, size) : __libc_malloc(size);
  if (!p) throw std::bad_alloc();
  return p;
}
template <class F>
void* or_null(F allocate) noexcept {
  try {
    return allocate();
  } catch (...) {
    return nullptr;
  }
}
}  // namespace

// operator new and delete, all replaceable forms.
void* operator new(std::size_t n) {
  return counted_new(op_new, n, 0);
}
void* operator new[](std::size_t n) {
  return counted_new(op_new_array, n, 0);
}
void* operator new(std::size_t n, std::align_val_t a) {
  return counted_new(op_new_aligned, n, std::size_t(a));
}
void* operator new[](std::size_t n, std::align_val_t a) {
  return counted_new(op_new_array_aligned, n, std::size_t(a));
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  return or_null([n] { return counted_new(op_new_nothrow, n, 0); });
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  return or_null([n] { return counted_new(op_new_array_nothrow, n, 0); });
}
void* operator new(std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return or_null([n, a] { return counted_new(op_new_aligned_nothrow, n, std::size_t(a)); });
}
void* operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return or_null([n, a] { return counted_new(op_new_array_aligned_nothrow, n, std::size_t(a)); });
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
void operator delete(void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept {
  std::free(p);
}

// malloc and the rest of glibc's allocation functions, so that allocations bypassing operator
// new (xtensor's allocators, C libraries) are seen as well. free is glibc's.
extern "C" {
void* malloc(std::size_t n) noexcept {
  count(hook_malloc);
  return __libc_malloc(n);
}
void* calloc(std::size_t c, std::size_t n) noexcept {
  count(hook_calloc);
  return __libc_calloc(c, n);
}
void* realloc(void* p, std::size_t n) noexcept {
  count(hook_realloc);
  return __libc_realloc(p, n);
}
void* reallocarray(void* p, std::size_t c, std::size_t n) noexcept {
  count(hook_reallocarray);
  if (n != 0 && c > SIZE_MAX / n) {
    errno = ENOMEM;
    return nullptr;
  }
  return __libc_realloc(p, c * n);
}
void* memalign(std::size_t align, std::size_t n) noexcept {
  count(hook_memalign);
  return __libc_memalign(align, n);
}
int posix_memalign(void** out, std::size_t align, std::size_t n) noexcept {
  count(hook_posix_memalign);
  if (align % sizeof(void*) != 0 || (align & (align - 1)) != 0) return EINVAL;
  void* p = __libc_memalign(align, n);
  if (!p) return ENOMEM;
  *out = p;
  return 0;
}
void* aligned_alloc(std::size_t align, std::size_t n) noexcept {
  count(hook_aligned_alloc);
  return __libc_memalign(align, n);
}
void* valloc(std::size_t n) noexcept {
  count(hook_valloc);
  return __libc_valloc(n);
}
void* pvalloc(std::size_t n) noexcept {
  count(hook_pvalloc);
  return __libc_pvalloc(n);
}

// TBB's allocator (see the top of the file). Not declared by any header we include.
void* scalable_malloc(std::size_t n);
void scalable_free(void* p);
void* scalable_aligned_malloc(std::size_t n, std::size_t align);
void scalable_aligned_free(void* p);
void* scalable_malloc(std::size_t n) {
  count(tbb_scalable_malloc);
  return __libc_malloc(n);
}
void scalable_free(void* p) {
  __libc_free(p);
}
void* scalable_aligned_malloc(std::size_t n, std::size_t align) {
  count(tbb_scalable_aligned_malloc);
  return __libc_memalign(align, n);
}
void scalable_aligned_free(void* p) {
  __libc_free(p);
}

// libtbb loads libtbbmalloc with dlopen (first by name, with RTLD_NOLOAD, then by full path):
// refused, it falls back on the four functions above. Every other library loads as usual.
void* dlopen(const char* file, int mode) noexcept {
  if (file && std::strstr(file, "libtbbmalloc")) return nullptr;
  using Dlopen = void* (*)(const char*, int);
  static const auto next = reinterpret_cast<Dlopen>(dlsym(RTLD_NEXT, "dlopen"));
  return next(file, mode);
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

struct UseAdam {
  template <class Net>
  auto operator()(Net& net) const {
    return Adam<float>(net.parameters(), {.lr = 1e-3});
  }
};
struct UseSGD {
  SGDOptions options;
  template <class Net>
  auto operator()(Net& net) const {
    return SGD<float>(net.parameters(), options);
  }
};

// The most task objects TBB's pools may add over the counted steps of one network on two
// threads (see check_no_allocation_after_first_step). Measured on the 2-core machine under
// load: none in 238 of 265 networks, at most 4. An allocation per parallel loop makes 99 or
// more for each of these networks.
constexpr long max_task_pool_growth = 16;

// The training step's backward: net.backward (which also returns the input's gradient) or
// net.backward_parameters (the parameters' gradients only: the loop of docs/getting-started.md).
enum class Backward { full, parameters_only };

/// Requires that training steps 2..steps of Net, with the optimizer make_optimizer(net) makes,
/// call none of the hooks.
template <class Net, class MakeOptimizer = UseAdam>
void check_no_allocation_after_first_step(std::size_t batch, int steps,
                                          MakeOptimizer make_optimizer = {},
                                          Backward backward = Backward::full) {
  Net net{Seed{0}};
  auto opt = make_optimizer(net);
  MSELoss<typename Net::output_shape> loss;
  Batch<typename Net::input_shape> x(batch), t(batch);
  for (std::size_t i = 0; i < x.size(); ++i) {
    x.data()[i] = float(i % 7) / 7.0f;
    t.data()[i] = float(i % 5) / 5.0f;
  }
  float first = 0, last = 0;
  for (int s = 0; s < steps; ++s) {
    if (s == 1) {
      reset_counts();
      counting = true;
    }
    opt.zero_grad();
    const float l = loss.forward(net.forward(x), t);
    if (backward == Backward::full)
      net.backward(loss.backward());
    else
      net.backward_parameters(loss.backward());
    opt.step();
    (s == 0 ? first : last) = l;
  }
  counting = false;
  CHECK(last < first);  // it did train
  INFO(describe_counts());
  const long by_tbb = calls[tbb_scalable_malloc] + calls[tbb_scalable_aligned_malloc];
  CHECK(total_count() - by_tbb == 0);  // ctnn, xtensor, the C and C++ libraries: nothing
  // TBB's scheduler: on one thread the items run inline, without TBB. On two, each thread keeps
  // the task objects of parallel_for (256 bytes) in a pool for reuse and adds one when it
  // happens to hold more at once than ever before (a task freed on the other thread may come
  // back after the loop returned): a few in a run, against one or more per parallel loop (33
  // to 244 a step in these networks) for anything that allocates per loop through TBB.
  if (num_threads() == 1)
    CHECK(by_tbb == 0);
  else
    CHECK(by_tbb <= max_task_pool_growth);
}

// Calls f(args...) through a volatile pointer (so that the compiler can neither drop nor
// inline the call) with counting on, and returns how many calls hook h saw.
template <class R, class... A, class... B>
long calls_seen(Hook h, R (*f)(A...), B... args) {
  R (*volatile call)(A...) = f;
  reset_counts();
  counting = true;
  R r = call(args...);
  counting = false;
  const long n = calls[h].load();
  if constexpr (std::is_pointer_v<R>) std::free(r);  // posix_memalign returns an error code
  return n;
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

/// Runs the conv kernels in bf16 for one scope (fp32 again after it). Whether they can:
/// bf16_available(), which WARNs where they cannot.
struct Bf16Scope {
  Bf16Scope() { set_conv_precision(Precision::bf16); }
  ~Bf16Scope() { set_conv_precision(Precision::fp32); }
  Bf16Scope(const Bf16Scope&) = delete;
  Bf16Scope& operator=(const Bf16Scope&) = delete;
};
bool bf16_available() {
  if (!bf16_supported())
    WARN(
        "bf16 kernels NOT exercised: this CPU has no AVX512_BF16 (ctnn::bf16_supported() is "
        "false); the bf16 training steps were skipped");
  return bf16_supported();
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

TEST_CASE("each allocation hook is the one the program calls", "[no_alloc]") {
  using Nothrow = const std::nothrow_t&;
  const auto a = std::align_val_t(64);
  const std::nothrow_t& nt = std::nothrow;
  CHECK(calls_seen(op_new, static_cast<void* (*)(std::size_t)>(&::operator new), 40) == 1);
  CHECK(calls_seen(op_new_array, static_cast<void* (*)(std::size_t)>(&::operator new[]), 40) == 1);
  CHECK(calls_seen(op_new_aligned,
                   static_cast<void* (*)(std::size_t, std::align_val_t)>(&::operator new), 40,
                   a) == 1);
  CHECK(calls_seen(op_new_array_aligned,
                   static_cast<void* (*)(std::size_t, std::align_val_t)>(&::operator new[]), 40,
                   a) == 1);
  CHECK(calls_seen(op_new_nothrow, static_cast<void* (*)(std::size_t, Nothrow)>(&::operator new),
                   40, std::cref(nt)) == 1);
  CHECK(calls_seen(op_new_array_nothrow,
                   static_cast<void* (*)(std::size_t, Nothrow)>(&::operator new[]), 40,
                   std::cref(nt)) == 1);
  CHECK(calls_seen(op_new_aligned_nothrow,
                   static_cast<void* (*)(std::size_t, std::align_val_t, Nothrow)>(&::operator new),
                   40, a, std::cref(nt)) == 1);
  CHECK(
      calls_seen(op_new_array_aligned_nothrow,
                 static_cast<void* (*)(std::size_t, std::align_val_t, Nothrow)>(&::operator new[]),
                 40, a, std::cref(nt)) == 1);
  CHECK(calls_seen(hook_malloc, &malloc, 40) == 1);
  CHECK(calls_seen(hook_calloc, &calloc, 4, 10) == 1);
  CHECK(calls_seen(hook_realloc, &realloc, nullptr, 40) == 1);
  CHECK(calls_seen(hook_reallocarray, &reallocarray, nullptr, 4, 10) == 1);
  CHECK(calls_seen(hook_memalign, &memalign, 64, 40) == 1);
  CHECK(calls_seen(hook_aligned_alloc, &aligned_alloc, 64, 64) == 1);
  CHECK(calls_seen(hook_valloc, &valloc, 40) == 1);
  CHECK(calls_seen(hook_pvalloc, &pvalloc, 40) == 1);
  void* p = nullptr;
  CHECK(calls_seen(hook_posix_memalign, &posix_memalign, &p, 64, 40) == 1);
  CHECK(p != nullptr);
  std::free(p);
}

TEST_CASE("TBB's allocations reach the hooks, not libtbbmalloc", "[no_alloc]") {
  // tbb_allocator allocates through scalable_malloc, cache_aligned_allocator (TBB's tasks and
  // arenas) through scalable_aligned_malloc, when TBB uses a scalable allocator.
  reset_counts();
  counting = true;
  tbb::tbb_allocator<int> plain;
  int* p = plain.allocate(10);
  tbb::cache_aligned_allocator<int> aligned;
  int* q = aligned.allocate(10);
  counting = false;
  CHECK(calls[tbb_scalable_malloc] == 1);
  CHECK(calls[tbb_scalable_aligned_malloc] == 1);
  plain.deallocate(p, 10);
  aligned.deallocate(q, 10);
}

TEST_CASE("no heap allocation in training steps after the first", "[no_alloc]") {
  for (int threads : {1, 2}) {
    INFO("threads " << threads);
    set_num_threads(threads);
    check_no_allocation_after_first_step<Final>(3, 4);
    check_no_allocation_after_first_step<Initial>(5, 4);
    check_no_allocation_after_first_step<WithBatchNorm>(4, 4);
    check_no_allocation_after_first_step<WithPooling>(5, 4);
    // The model zoo's U-Net (pooling, upsampling, nested concatenations) and DnCNN (batch
    // norm, the residual InputMinus).
    check_no_allocation_after_first_step<models::UNet<>>(2, 4);
    check_no_allocation_after_first_step<models::DnCNN<>>(2, 4);
    check_no_allocation_after_first_step<Final>(3, 4, UseAdam{}, Backward::parameters_only);
  }
  set_num_threads(0);
}

TEST_CASE("no heap allocation in bf16 training steps after the first", "[no_alloc][bf16]") {
  if (!bf16_available()) return;
  Bf16Scope bf16;
  REQUIRE(conv_runs_bf16());
  for (int threads : {1, 2}) {
    INFO("threads " << threads);
    set_num_threads(threads);
    check_no_allocation_after_first_step<Final>(3, 4);
    check_no_allocation_after_first_step<Initial>(5, 4);
    check_no_allocation_after_first_step<WithBatchNorm>(4, 4);
    check_no_allocation_after_first_step<WithPooling>(5, 4);  // stride 4: im2col, col2im
    check_no_allocation_after_first_step<models::UNet<>>(2, 4);
    check_no_allocation_after_first_step<models::DnCNN<>>(2, 4);
    check_no_allocation_after_first_step<Final>(3, 4, UseAdam{}, Backward::parameters_only);
  }
  set_num_threads(0);
}

TEST_CASE("no heap allocation in SGD training steps after the first", "[no_alloc]") {
  for (int threads : {1, 2}) {
    INFO("threads " << threads);
    set_num_threads(threads);
    // Plain SGD (no momentum buffers), momentum with dampening, Nesterov momentum.
    const auto only = Backward::parameters_only;
    check_no_allocation_after_first_step<Initial>(5, 4, UseSGD{{.lr = 0.1}}, only);
    check_no_allocation_after_first_step<Initial>(
        5, 4, UseSGD{{.lr = 0.1, .momentum = 0.9, .dampening = 0.1}}, only);
    check_no_allocation_after_first_step<Initial>(
        5, 4, UseSGD{{.lr = 0.1, .momentum = 0.9, .nesterov = true}}, only);
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

TEST_CASE("bf16 training steps give the same bytes on 1 and 2 threads", "[threads][bf16]") {
  if (!bf16_available()) return;
  Bf16Scope bf16;
  REQUIRE(conv_runs_bf16());
  SECTION("the course's initial model") {
    check_same_bytes_on_1_and_2_threads<Initial>(3);
  }
  SECTION("the course's final model") {
    check_same_bytes_on_1_and_2_threads<Final>(2);
  }
  SECTION("max pooling, leaky ReLU, a stride-4 transposed conv") {
    check_same_bytes_on_1_and_2_threads<WithPooling>(3);
  }
  SECTION("U-Net") {
    check_same_bytes_on_1_and_2_threads<models::UNet<>>(2);
  }
  SECTION("DnCNN") {
    check_same_bytes_on_1_and_2_threads<models::DnCNN<>>(2);
  }
}

// Data-parallel training steps over MPI, timed: images/s, and the gradient allreduce's time per
// step and share of the step. Runs as one process (no launcher) or as N ranks (mpirun -np N);
// tools/bench_distributed.sh runs 1 process x 2 threads and 2 ranks x 1 thread side by side.
//
// Usage: bench_data_parallel [--model final|unet] [--batch B] [--steps S] [--threads T]
//                            [--repeats R]
// Each repeat times S steps (after 3 warm-up steps) of Adam on random 32x32 RGB images with
// global batch B; rank 0 prints one line per repeat and the best (the least disturbed by other
// jobs on a shared machine).

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "ctnn/ctnn.hpp"
#include "ctnn/distributed/data_parallel.hpp"
#include "ctnn/kernels/parallel.hpp"
#include "ctnn/models/noise2noise.hpp"
#include "ctnn/models/unet.hpp"

using namespace ctnn;
namespace dist = ctnn::distributed;
using Image = Shape<3, 32, 32>;

namespace {

struct Options {
  std::string model = "final";
  std::size_t batch = 8, steps = 20, repeats = 5;
  int threads = 0;
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) throw std::invalid_argument("missing value after " + a);
    const char* v = argv[++i];
    if (a == "--model")
      o.model = v;
    else if (a == "--batch")
      o.batch = std::stoul(v);
    else if (a == "--steps")
      o.steps = std::stoul(v);
    else if (a == "--repeats")
      o.repeats = std::stoul(v);
    else if (a == "--threads")
      o.threads = std::stoi(v);
    else
      throw std::invalid_argument("unknown option " + a);
  }
  if (o.model != "final" && o.model != "unet")
    throw std::invalid_argument("--model must be final or unet");
  if (o.batch == 0 || o.steps == 0 || o.repeats == 0)
    throw std::invalid_argument("--batch, --steps and --repeats must be positive");
  return o;
}

template <class Net>
void run(const Options& o, const dist::Communicator* comm) {
  const int rank = comm ? comm->rank() : 0, ranks = comm ? comm->size() : 1;
  Net net{Seed{1}};
  Adam<float> opt(net.parameters(), {.lr = 1e-4});
  MSELoss<Image> loss;
  std::optional<dist::DataParallel<float>> parallel;
  if (comm) {
    parallel.emplace(*comm, net);
    parallel->broadcast_from_root();
  }
  const auto share = dist::shard_of(o.batch, rank, ranks);
  Batch<Image> x(share.count), t(share.count);
  Rng rng(Seed{2 + std::uint64_t(rank)});
  for (std::size_t i = 0; i < x.size(); ++i) {
    x.data()[i] = float(rng.uniform01());
    t.data()[i] = float(rng.uniform01());
  }
  double waiting = 0;
  auto step = [&] {
    opt.zero_grad();
    float l = 0;
    if (share.count > 0) {
      l = loss.forward(net.forward(x), t);
      net.backward_parameters(loss.backward());
    }
    if (parallel) {
      // A barrier first, timed apart: the time the ranks wait for each other (uneven compute)
      // is then not counted as the allreduce's.
      const auto t0 = std::chrono::steady_clock::now();
      comm->barrier();
      waiting += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      l = parallel->reduce_gradients(share.count, o.batch, l);
    }
    opt.step();
    return l;
  };
  for (int i = 0; i < 3; ++i)
    step();
  if (rank == 0)
    std::printf(
        "model %s (%zu parameters, %zu bytes reduced per step), global batch %zu, "
        "%d rank(s) x %d thread(s)\n",
        Net::name().c_str(),
        [&] {
          std::size_t n = 0;
          for (const auto& p : net.parameters())
            n += p.size;
          return n;
        }(),
        parallel ? parallel->fused_bytes() : 0, o.batch, ranks, num_threads());
  double best_step = 1e300, best_reduce = 0, best_wait = 0;
  for (std::size_t r = 0; r < o.repeats; ++r) {
    if (comm) comm->barrier();
    if (parallel) parallel->reset_timing();
    waiting = 0;
    const auto t0 = std::chrono::steady_clock::now();
    for (std::size_t s = 0; s < o.steps; ++s)
      step();
    if (comm) comm->barrier();
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double per_step = secs / double(o.steps);
    const double reduce = parallel ? parallel->seconds_reducing() / double(o.steps) : 0.0;
    const double wait = waiting / double(o.steps);
    if (rank == 0)
      std::printf(
          "  repeat %zu: %.1f images/s, %.2f ms per step, allreduce %.3f ms per step "
          "(%.1f %%), waiting for the other ranks %.3f ms\n",
          r + 1, double(o.batch) / per_step, 1e3 * per_step, 1e3 * reduce,
          100.0 * reduce / per_step, 1e3 * wait);
    if (per_step < best_step) {
      best_step = per_step;
      best_reduce = reduce;
      best_wait = wait;
    }
  }
  if (rank == 0)
    std::printf(
        "best: %.1f images/s, %.2f ms per step, allreduce %.3f ms per step (%.1f %%), "
        "waiting %.3f ms\n",
        double(o.batch) / best_step, 1e3 * best_step, 1e3 * best_reduce,
        100.0 * best_reduce / best_step, 1e3 * best_wait);
}

}  // namespace

int main(int argc, char** argv) {
  std::optional<dist::MpiSession> mpi;
  std::optional<dist::Communicator> comm;
  try {
    if (dist::launched_by_mpi()) {
      mpi.emplace(&argc, &argv);
      comm.emplace();
    }
    const Options o = parse(argc, argv);
    if (o.threads > 0) set_num_threads(o.threads);
    const dist::Communicator* c = comm && comm->size() > 1 ? &*comm : nullptr;
    if (o.model == "final")
      run<models::FinalDenoiser<>>(o, c);
    else
      run<models::UNet<32, 32>>(o, c);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_data_parallel: %s\n", e.what());
    if (comm && comm->size() > 1) comm->abort(1);
    return 1;
  }
}

#pragma once
/// \file
/// Data-parallel training over MPI: every rank holds a replica of the network and of the
/// optimizer, computes the gradient of its shard of each global batch (shard.hpp), and
/// `DataParallel` sums the shards' gradients with MPI_Allreduce, each scaled by its share of the
/// batch, so that every replica then takes the very step one process would take on the whole
/// global batch (to rounding: the sum runs in another order). docs/distributed.md has the
/// whole recipe, the measurements and the scaling model.
///
/// Per step, everything to reduce travels in one fused buffer, allocated once: the gradients,
/// the floating-point buffers (BatchNorm2d's running statistics, averaged with the same weights)
/// and the loss; integer buffers (num_batches_tracked) take the maximum in a second, tiny call.
/// The fused buffer goes in pieces of at most `bucket_bytes` (one call for every model of the
/// zoo at the default).

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "ctnn/core/buffer.hpp"
#include "ctnn/core/parameter.hpp"
#include "ctnn/distributed/communicator.hpp"
#include "ctnn/distributed/shard.hpp"
#include "ctnn/optim/optimizer.hpp"

namespace ctnn::distributed {

/// The defaults of DataParallel.
struct DataParallelOptions {
  /// The largest piece of the fused buffer sent in one MPI_Allreduce (PyTorch DDP: 25 MiB).
  std::size_t bucket_bytes = std::size_t(25) << 20;
};

/// Keeps the replicas of one network (its parameters and buffers) identical across the ranks of
/// a Communicator, and reduces their gradients after each backward pass.
template <class T>
class DataParallel {
 public:
  /// Over the network's parameters and buffers (`net.parameters()`, `buffers_of(net)`).
  template <class Net>
  DataParallel(const Communicator& comm, Net& net, DataParallelOptions options = {})
      : DataParallel(comm, net.parameters(), buffers_of(net), options) {}

  DataParallel(const Communicator& comm, ParameterList<T> params, BufferList<T> buffers,
               DataParallelOptions options = {})
      : comm_(comm), params_(std::move(params)), buffers_(std::move(buffers)), options_(options) {
    if (options_.bucket_bytes < sizeof(T))
      throw std::invalid_argument("DataParallel: bucket_bytes must hold at least one value");
    std::size_t values = 1;  // the loss
    std::size_t integers = 0;
    for (const auto& p : params_)
      values += p.size;
    for (const auto& b : buffers_)
      (b.is_integer() ? integers : values) += b.size;
    fused_.resize(values);
    integers_.resize(integers);
  }

  const Communicator& communicator() const { return comm_; }

  /// Rank 0's parameters and buffers replace every other rank's: call once before training
  /// (after rank 0 has loaded weights, if it does), so that every replica starts the same.
  void broadcast_from_root() {
    pack(/*gradients=*/false);
    comm_.broadcast(fused_.data(), fused_.size());
    unpack(/*gradients=*/false);
    pack_integers();
    comm_.broadcast(integers_.data(), integers_.size());
    unpack_integers();
  }

  /// Rank 0's optimizer state (every state buffer and the step count) replaces every other
  /// rank's: after rank 0 resumes from a training checkpoint.
  template <Optimizer Opt>
  void broadcast_optimizer_state(Opt& opt) const {
    for (auto& b : opt.state_buffers())
      comm_.broadcast(b.values->data(), b.values->size());
    std::uint64_t steps = opt.step_count();
    comm_.broadcast(&steps, 1);
    opt.set_step_count(std::size_t(steps));
  }

  /// After this rank's backward pass over `local_count` of the global batch's `global_count`
  /// samples, with mean loss `local_loss` over them (any value when local_count is 0: the rank
  /// had no samples and contributed nothing): sums every rank's gradients, each weighted by
  /// local_count / global_count, into every rank's gradients; averages the floating-point
  /// buffers with the same weights; takes the maximum of the integer buffers. Returns the mean
  /// loss over the global batch, the same on every rank (not finite if any rank's was not).
  ///
  /// The weighting makes the result the gradient of the loss over the global batch for a loss
  /// that is a mean over samples (MSELoss), whatever the shards' sizes.
  T reduce_gradients(std::size_t local_count, std::size_t global_count, T local_loss) {
    if (global_count == 0 || local_count > global_count)
      throw std::invalid_argument("DataParallel::reduce_gradients: " + std::to_string(local_count) +
                                  " of " + std::to_string(global_count) + " samples");
    const auto start = std::chrono::steady_clock::now();
    const T weight = T(double(local_count) / double(global_count));
    const std::size_t at = pack_weighted(weight);
    fused_[at] = local_count == 0 ? T(0) : local_loss * weight;
    const std::size_t piece = std::max<std::size_t>(1, options_.bucket_bytes / sizeof(T));
    for (std::size_t first = 0; first < fused_.size(); first += piece)
      comm_.allreduce_sum(fused_.data() + first, std::min(piece, fused_.size() - first));
    if (!integers_.empty()) {
      pack_integers();
      comm_.allreduce_max(integers_.data(), integers_.size());
      unpack_integers();
    }
    unpack(/*gradients=*/true);
    const T loss = fused_.back();
    seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    ++reductions_;
    return loss;
  }

  /// Wall time spent in reduce_gradients (packing, MPI, unpacking, and waiting for the slowest
  /// rank), and the number of calls: the measurements docs/distributed.md reports.
  double seconds_reducing() const { return seconds_; }
  std::size_t reductions() const { return reductions_; }
  void reset_timing() {
    seconds_ = 0;
    reductions_ = 0;
  }
  /// Bytes of the fused buffer (gradients, floating-point buffers, loss): what each step reduces.
  std::size_t fused_bytes() const { return fused_.size() * sizeof(T); }

 private:
  /// Calls f(values, offset, count) for every region of the fused buffer, in its order: each
  /// parameter's gradient (or, with gradients false, its values), then each floating-point
  /// buffer. Returns the offset after the last.
  template <class F>
  std::size_t for_each_region(bool gradients, F&& f) {
    std::size_t at = 0;
    for (auto& p : params_) {
      f(gradients ? p.grad : p.value, at, p.size);
      at += p.size;
    }
    for (auto& b : buffers_) {
      if (b.is_integer()) continue;
      f(b.value, at, b.size);
      at += b.size;
    }
    return at;
  }
  std::size_t pack_weighted(T weight) {
    return for_each_region(true, [&](const T* v, std::size_t at, std::size_t n) {
      // A rank without samples sends zeros (not 0 * a gradient that may hold anything).
      for (std::size_t i = 0; i < n; ++i)
        fused_[at + i] = weight == T(0) ? T(0) : v[i] * weight;
    });
  }
  void pack(bool gradients) {
    for_each_region(gradients, [&](const T* v, std::size_t at, std::size_t n) {
      std::copy_n(v, n, fused_.data() + at);
    });
  }
  void unpack(bool gradients) {
    for_each_region(gradients, [&](T* v, std::size_t at, std::size_t n) {
      std::copy_n(fused_.data() + at, n, v);
    });
  }
  void pack_integers() {
    std::size_t at = 0;
    for (const auto& b : buffers_)
      if (b.is_integer()) {
        std::copy_n(b.integer, b.size, integers_.data() + at);
        at += b.size;
      }
  }
  void unpack_integers() {
    std::size_t at = 0;
    for (auto& b : buffers_)
      if (b.is_integer()) {
        std::copy_n(integers_.data() + at, b.size, b.integer);
        at += b.size;
      }
  }

  const Communicator& comm_;
  ParameterList<T> params_;
  BufferList<T> buffers_;
  DataParallelOptions options_;
  std::vector<T> fused_;                // gradients | float buffers | loss
  std::vector<std::int64_t> integers_;  // integer buffers
  double seconds_ = 0;
  std::size_t reductions_ = 0;
};

template <class Net>
DataParallel(const Communicator&, Net&, DataParallelOptions = {})
    -> DataParallel<typename Net::scalar_type>;

}  // namespace ctnn::distributed

#pragma once
/// \file
/// The processes a training run uses: one, or the ranks of an MPI job (`mpirun -np N`) when the
/// programs are built with ctnn::mpi (CTNN_N2N_WITH_MPI). The trainer's code is the same for
/// both; with one process every operation here is a no-op, so that path is unchanged.

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "ctnn/distributed/launcher.hpp"
#include "ctnn/distributed/shard.hpp"

#if CTNN_N2N_WITH_MPI
#include <optional>

#include "ctnn/distributed/data_parallel.hpp"
#endif

namespace n2n {

/// This process's place among the run's processes.
class Ranks {
 public:
  /// One process.
  Ranks() = default;
#if CTNN_N2N_WITH_MPI
  explicit Ranks(const ctnn::distributed::Communicator& comm)
      : comm_(&comm), rank_(comm.rank()), size_(comm.size()), local_size_(comm.local_size()) {}
  const ctnn::distributed::Communicator* communicator() const {
    return comm_;
  }
#endif

  int rank() const {
    return rank_;
  }
  int size() const {
    return size_;
  }
  /// Rank 0: the one that reads checkpoints, writes files and prints.
  bool root() const {
    return rank_ == 0;
  }
  /// Ranks on this machine (they share its cores).
  int local_size() const {
    return local_size_;
  }

  /// This rank's share of n samples (all of them for one process).
  ctnn::distributed::Shard shard(std::size_t n) const {
    return ctnn::distributed::shard_of(n, rank_, size_);
  }

  /// Sums `count` values at `v` over the ranks, in place.
  void sum(double* v, std::size_t count) const {
#if CTNN_N2N_WITH_MPI
    if (size_ > 1) comm_->allreduce_sum(v, count);
#else
    (void)v, (void)count;
#endif
  }
  /// Rank 0's values replace every other rank's.
  void broadcast(std::uint64_t* v, std::size_t count) const {
#if CTNN_N2N_WITH_MPI
    if (size_ > 1) comm_->broadcast(v, count);
#else
    (void)v, (void)count;
#endif
  }
  /// Every rank must hold the same `text` as rank 0 (the recipe, which includes the number of
  /// training pairs): otherwise every rank throws, naming `what` and the first rank that
  /// differs.
  void check_same(const std::string& text, const std::string& what) const {
#if CTNN_N2N_WITH_MPI
    if (size_ == 1) return;
    std::uint64_t length = text.size();
    comm_->broadcast(&length, 1);
    std::string root_text(std::size_t(length), '\0');
    if (root()) root_text = text;
    comm_->broadcast(root_text.data(), root_text.size());
    // The lowest differing rank, or size_ if none: every rank learns it.
    double differs = root_text == text ? 0.0 : 1.0;
    std::vector<double> flags(std::size_t(size_), 0.0);
    flags[std::size_t(rank_)] = differs;
    comm_->allreduce_sum(flags.data(), flags.size());
    for (int r = 0; r < size_; ++r)
      if (flags[std::size_t(r)] != 0.0)
        throw std::runtime_error(
            "rank " + std::to_string(r) + "'s " + what + " differs from rank 0's (" +
            (r == rank_ ? text + " against " + root_text : "see rank " + std::to_string(r)) +
            "): every rank must run with the same options and data");
#else
    (void)text, (void)what;
#endif
  }

  /// Ends the whole job after an error on this rank (the others may wait in a collective
  /// call); for one process, does nothing and returns.
  void abort_job(int code) const {
#if CTNN_N2N_WITH_MPI
    if (size_ > 1) comm_->abort(code);
#else
    (void)code;
#endif
  }

 private:
#if CTNN_N2N_WITH_MPI
  const ctnn::distributed::Communicator* comm_ = nullptr;
#endif
  int rank_ = 0, size_ = 1, local_size_ = 1;
};

/// The network's replicas across the ranks: their start, their optimizers' state after a
/// resume, and each step's gradient reduction. For one process each is a no-op.
template <class Net>
class Replicas {
 public:
  Replicas(const Ranks& ranks, Net& net) {
#if CTNN_N2N_WITH_MPI
    if (ranks.size() > 1) parallel_.emplace(*ranks.communicator(), net);
#else
    (void)ranks, (void)net;
#endif
  }

  /// Rank 0's parameters, buffers, and optimizer state replace every other rank's.
  template <class Opt>
  void broadcast_from_root(Opt& opt) {
#if CTNN_N2N_WITH_MPI
    if (!parallel_) return;
    parallel_->broadcast_from_root();
    parallel_->broadcast_optimizer_state(opt);
#else
    (void)opt;
#endif
  }

  /// After the backward pass over this rank's `local` of the global batch's `global` samples:
  /// the global batch's gradients on every rank; returns the global batch's mean loss.
  float reduce(std::size_t local, std::size_t global, float loss) {
#if CTNN_N2N_WITH_MPI
    if (parallel_) return parallel_->reduce_gradients(local, global, loss);
#else
    (void)local, (void)global;
#endif
    return loss;
  }

  /// Seconds spent reducing so far, and the bytes each step reduces (0 for one process).
  double seconds_reducing() const {
#if CTNN_N2N_WITH_MPI
    if (parallel_) return parallel_->seconds_reducing();
#endif
    return 0;
  }
  std::size_t bytes_per_step() const {
#if CTNN_N2N_WITH_MPI
    if (parallel_) return parallel_->fused_bytes();
#endif
    return 0;
  }

 private:
#if CTNN_N2N_WITH_MPI
  std::optional<ctnn::distributed::DataParallel<typename Net::scalar_type>> parallel_;
#endif
};

}  // namespace n2n

#pragma once
/// \file
/// The MPI process group a data-parallel run trains in: `MpiSession` starts and ends MPI,
/// `Communicator` is the group (rank, size, broadcast, allreduce, abort). Errors become
/// `MpiError` exceptions naming the call, instead of MPI's default of ending the job silently
/// inside the library. Only the headers under ctnn/distributed/ include <mpi.h>; they need the
/// `ctnn::mpi` target (ctnn::ctnn + MPI), which exists where CMake's find_package(MPI) finds an
/// MPI (Debian: openmpi-bin, libopenmpi-dev).

// MPI's C interface only: its C++ bindings (deprecated in MPI 2.2, gone from MPI 3) would need
// the MPI's C++ library at link time, which `pkg-config mpi-c` does not give.
#ifndef OMPI_SKIP_MPICXX
#define OMPI_SKIP_MPICXX 1
#endif
#ifndef MPICH_SKIP_MPICXX
#define MPICH_SKIP_MPICXX 1
#endif
#include <mpi.h>

#include <algorithm>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "ctnn/distributed/launcher.hpp"

namespace ctnn::distributed {

/// An MPI call failed; the message names the call and MPI's reason.
class MpiError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace detail {

inline void check_mpi(int code, const char* call) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  if (MPI_Error_string(code, text, &length) != MPI_SUCCESS) length = 0;
  throw MpiError(
      std::string(call) + " failed: " +
      (length > 0 ? std::string(text, std::size_t(length)) : "MPI error " + std::to_string(code)));
}

/// The MPI datatype of a C++ scalar.
template <class T>
MPI_Datatype mpi_type() {
  if constexpr (std::is_same_v<T, float>)
    return MPI_FLOAT;
  else if constexpr (std::is_same_v<T, double>)
    return MPI_DOUBLE;
  else if constexpr (std::is_same_v<T, std::int64_t>)
    return MPI_INT64_T;
  else if constexpr (std::is_same_v<T, std::uint64_t>)
    return MPI_UINT64_T;
  else if constexpr (std::is_same_v<T, char> || std::is_same_v<T, std::uint8_t>)
    return MPI_BYTE;
  else
    static_assert(!sizeof(T), "ctnn::distributed: no MPI datatype for this type");
}

/// MPI counts are int: longer arrays go in pieces of at most INT_MAX elements.
template <class F>
void in_pieces(std::size_t count, F&& call) {
  constexpr std::size_t piece = std::size_t(INT_MAX);
  for (std::size_t first = 0; first < count; first += piece)
    call(first, int(std::min(piece, count - first)));
}

}  // namespace detail

/// Starts MPI (MPI_Init_thread, MPI_THREAD_FUNNELED: only the thread that started MPI calls
/// it; the kernels' worker threads never do) and ends it (MPI_Finalize) when destroyed. Makes
/// MPI_COMM_WORLD return errors, which Communicator turns into exceptions. One per program;
/// if MPI is already started (by the application), it neither starts nor ends it.
class MpiSession {
 public:
  MpiSession(int* argc = nullptr, char*** argv = nullptr) {
    int initialized = 0;
    detail::check_mpi(MPI_Initialized(&initialized), "MPI_Initialized");
    if (!initialized) {
      int provided = 0;
      detail::check_mpi(MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided),
                        "MPI_Init_thread");
      owns_ = true;
    }
    detail::check_mpi(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN),
                      "MPI_Comm_set_errhandler");
  }
  ~MpiSession() {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (owns_ && !finalized) MPI_Finalize();
  }
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;

 private:
  bool owns_ = false;
};

/// A group of ranks (MPI_COMM_WORLD by default): who this rank is, and the collective
/// operations data-parallel training needs. Every collective must be called by every rank of
/// the group, in the same order.
class Communicator {
 public:
  explicit Communicator(MPI_Comm comm = MPI_COMM_WORLD) : comm_(comm) {
    detail::check_mpi(MPI_Comm_rank(comm_, &rank_), "MPI_Comm_rank");
    detail::check_mpi(MPI_Comm_size(comm_, &size_), "MPI_Comm_size");
    // The ranks sharing this node's memory: they share its cores too.
    MPI_Comm node = MPI_COMM_NULL;
    detail::check_mpi(MPI_Comm_split_type(comm_, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &node),
                      "MPI_Comm_split_type");
    detail::check_mpi(MPI_Comm_size(node, &local_size_), "MPI_Comm_size");
    MPI_Comm_free(&node);
  }

  int rank() const { return rank_; }
  int size() const { return size_; }
  /// Rank 0, the one that reads and writes files and prints.
  bool is_root() const { return rank_ == 0; }
  /// How many ranks of the group run on this rank's node.
  int local_size() const { return local_size_; }
  MPI_Comm native() const { return comm_; }

  /// Rank `root`'s `count` values at `data` replace every other rank's.
  template <class T>
  void broadcast(T* data, std::size_t count, int root = 0) const {
    detail::in_pieces(count, [&](std::size_t first, int n) {
      detail::check_mpi(MPI_Bcast(data + first, n, detail::mpi_type<T>(), root, comm_),
                        "MPI_Bcast");
    });
  }

  /// Every rank's `count` values at `data` become their element-wise sum over the ranks.
  template <class T>
  void allreduce_sum(T* data, std::size_t count) const {
    allreduce(data, count, MPI_SUM, "MPI_Allreduce (sum)");
  }
  /// ... their element-wise maximum over the ranks.
  template <class T>
  void allreduce_max(T* data, std::size_t count) const {
    allreduce(data, count, MPI_MAX, "MPI_Allreduce (max)");
  }

  void barrier() const { detail::check_mpi(MPI_Barrier(comm_), "MPI_Barrier"); }

  /// Ends every rank of the job (MPI_Abort): what a rank calls after an error that the others,
  /// waiting in a collective, would otherwise never learn of.
  [[noreturn]] void abort(int code) const {
    MPI_Abort(comm_, code);
    std::abort();  // MPI_Abort does not return; this says so to the compiler
  }

 private:
  template <class T>
  void allreduce(T* data, std::size_t count, MPI_Op op, const char* call) const {
    detail::in_pieces(count, [&](std::size_t first, int n) {
      detail::check_mpi(
          MPI_Allreduce(MPI_IN_PLACE, data + first, n, detail::mpi_type<T>(), op, comm_), call);
    });
  }

  MPI_Comm comm_;
  int rank_ = 0, size_ = 1, local_size_ = 1;
};

}  // namespace ctnn::distributed

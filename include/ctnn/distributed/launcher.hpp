#pragma once
/// \file
/// Whether an MPI launcher started this process. No MPI needed: a program built with and
/// without ctnn::mpi asks the same question (one without it refuses to run as N copies).

#include <cstdlib>

namespace ctnn::distributed {

/// True when an MPI launcher (mpirun / mpiexec of Open MPI or MPICH, Slurm's srun through
/// PMI) started this process. A program that supports both uses this to decide whether to
/// start MPI at all, so that running it without a launcher never touches MPI.
inline bool launched_by_mpi() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"})
    if (std::getenv(name)) return true;
  return false;
}

}  // namespace ctnn::distributed

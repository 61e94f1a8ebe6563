// `nbglm fit` across the ranks of an MPI job (docs/distributed.md): the one
// unit that talks to MPI, built only with NBGLM_WITH_MPI and linked only into
// the tool (the library and the Python module never see it).
#ifndef NBGLM_SRC_DISTRIBUTED_MPI_RUN_H_
#define NBGLM_SRC_DISTRIBUTED_MPI_RUN_H_

#include <string>

#include "cli/fit_run.h"

namespace nbglm::distributed {

// MPI for the life of the process. MPI is initialised only when a launcher
// started the process (mpirun, mpiexec or srun leave their variables in the
// environment): a singleton MPI_Init costs ~0.5 s per run with Open MPI 4.1,
// and a run without a launcher is one process anyway. Not copyable.
class MpiSession {
 public:
  MpiSession(int* argc, char*** argv);
  ~MpiSession();
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;
  int rank() const { return rank_; }
  int size() const { return size_; }
  // More than one rank: the tool runs distributed.
  bool distributed() const { return size_ > 1; }
  // MPI_THREAD_SERIALIZED was granted: fitting threads may poll (serialised).
  bool threads_may_call_mpi() const { return threads_may_call_; }

 private:
  bool initialised_ = false;
  bool threads_may_call_ = false;
  int rank_ = 0, size_ = 1;
};

// Runs `nbglm fit`'s steps on every rank of `session`: each prepares (reads
// the whole input and computes the size factors, identically), fits its
// block of features (BalancedBlocks), and rank 0 gathers the results in
// feature order and writes --out. A failure on any rank stops the others
// at their next chunk of 16 features; every rank returns the failing rank's
// exit status (2: a caller mistake, 1: anything else) and rank 0 alone
// prints one line naming that rank and the cause. --out is written only
// after every rank has succeeded.
int RunFitOverMpi(const cli::FitCommandSteps& steps, const MpiSession& session);

// A failure of this rank before RunFitOverMpi (a command-line mistake, a
// command that is not distributed): takes part in the same status exchange
// as the ranks in RunFitOverMpi — a file that one node cannot see fails only
// there — and returns what they return. `message` as main() prints it after
// "nbglm: " ("error: …" or "internal error: …").
int FailOverMpi(const MpiSession& session, int status, const std::string& message);

}  // namespace nbglm::distributed

#endif  // NBGLM_SRC_DISTRIBUTED_MPI_RUN_H_

#include "distributed/mpi_run.h"

#include <mpi.h>

#include <atomic>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <mutex>
#include <new>
#include <optional>
#include <string>
#include <vector>

#include "distributed/fit_blocks.h"
#include "nbglm/error.h"

namespace nbglm::distributed {
namespace {

// Point-to-point tags (the collectives do not see them).
constexpr int kFailureTag = 1501;  // "I failed": stops the others' fits
constexpr int kMessageTag = 1502;  // the failing rank's message, to rank 0
constexpr int kResultsTag = 1503;  // a rank's serialized results, to rank 0

// Exit statuses as main() gives them (docs/cli.md): 2 a caller mistake, 1
// anything else; kCancelled: stopped because another rank failed.
constexpr std::int64_t kCancelled = -1;

// Whether a launcher started this process: Open MPI's mpirun (OMPI_*), a
// PMIx launcher (srun --mpi=pmix, prterun) or a PMI-1/2 one (MPICH's
// mpiexec, srun --mpi=pmi2).
bool LaunchedByMpi() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"}) {
    if (std::getenv(name) != nullptr) return true;
  }
  return false;
}

// The failure notices of one run: a failing rank sends one to every other
// rank; the others poll for it between chunks of features (FitOptions::cancel,
// from the fitting threads: calls are serialised by a mutex, which needs
// MPI_THREAD_SERIALIZED). Settle completes every notice before MPI_Finalize.
class FailureNotices {
 public:
  FailureNotices(int rank, int size, bool threads_may_poll)
      : rank_(rank), size_(size), threads_may_poll_(threads_may_poll) {
    MPI_Irecv(&incoming_, 1, MPI_INT, MPI_ANY_SOURCE, kFailureTag, MPI_COMM_WORLD, &receive_);
  }
  // Another rank has failed (thread-safe; false while another thread polls).
  bool Heard() {
    if (heard_.load()) return true;
    if (!threads_may_poll_) return false;
    std::unique_lock<std::mutex> lock(mutex_, std::try_to_lock);
    if (!lock.owns_lock() || heard_.load()) return heard_.load();
    int flag = 0;
    MPI_Test(&receive_, &flag, MPI_STATUS_IGNORE);
    if (flag) heard_.store(true);
    return flag != 0;
  }
  void Announce() {
    for (int r = 0; r < size_; ++r) {
      if (r == rank_) continue;
      sends_.emplace_back();
      MPI_Isend(&rank_, 1, MPI_INT, r, kFailureTag, MPI_COMM_WORLD, &sends_.back());
    }
  }
  // After every rank's status is known: receives the notices of every failed
  // rank (or cancels the receive when none failed) and completes the sends.
  void Settle(const std::vector<std::int64_t>& codes) {
    int expected = 0;
    for (int r = 0; r < size_; ++r) expected += (r != rank_ && codes[static_cast<std::size_t>(r)] > 0);
    if (expected == 0) {
      MPI_Cancel(&receive_);
      MPI_Wait(&receive_, MPI_STATUS_IGNORE);
    } else {
      MPI_Wait(&receive_, MPI_STATUS_IGNORE);  // returns at once if Heard() completed it
      for (int k = 1; k < expected; ++k) {
        MPI_Recv(&incoming_, 1, MPI_INT, MPI_ANY_SOURCE, kFailureTag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      }
    }
    if (!sends_.empty()) MPI_Waitall(static_cast<int>(sends_.size()), sends_.data(), MPI_STATUSES_IGNORE);
  }

 private:
  int rank_, size_;
  bool threads_may_poll_;
  int incoming_ = 0;
  MPI_Request receive_ = MPI_REQUEST_NULL;
  std::vector<MPI_Request> sends_;
  std::atomic<bool> heard_{false};
  std::mutex mutex_;
};

// What one step of a rank ended with: status 0, kCancelled, or the exit
// status of its failure and the line that explains it.
struct Outcome {
  std::int64_t code = 0;
  std::string message;  // with main()'s prefix ("error: …" / "internal error: …")
};

// Runs `step`, turning what it throws into an Outcome as main() would.
template <typename Step>
Outcome Attempt(const Step& step) {
  try {
    step();
  } catch (const FitCancelled&) {
    return {kCancelled, ""};
  } catch (const InputError& e) {
    return {2, std::string("error: ") + e.what()};
  } catch (const std::bad_alloc&) {
    return {1, "error: out of memory (a smaller --memory-budget, fewer --threads or more ranks hold less)"};
  } catch (const std::exception& e) {
    return {1, std::string("internal error: ") + e.what()};
  }
  return {};
}

// "nbglm: error: rank 2 of 3: …" (and how many others failed too).
void PrintFailure(const std::string& message, int failed_rank, int size, int failures) {
  const std::size_t colon = message.find(": ");
  std::string line = "nbglm: " + message.substr(0, colon) + ": rank " + std::to_string(failed_rank) + " of " +
                     std::to_string(size);
  if (failures > 1) line += " (the first of " + std::to_string(failures) + " failed ranks)";
  std::cerr << line << message.substr(colon) << "\n";
}

// The one status exchange of a run, which every rank reaches whatever
// happened to it: each rank's {status, chunks, bytes of results} into *all.
// When some rank failed, the first failed rank's line is printed by rank 0
// and its exit status returned on every rank; 0 when none failed.
int ExchangeStatuses(FailureNotices* notices, const Outcome& outcome, std::int64_t chunks, std::int64_t bytes,
                     int rank, int size, std::vector<std::int64_t>* all) {
  const std::int64_t mine[3] = {outcome.code, chunks, bytes};
  all->assign(3 * static_cast<std::size_t>(size), 0);
  MPI_Allgather(mine, 3, MPI_INT64_T, all->data(), 3, MPI_INT64_T, MPI_COMM_WORLD);
  std::vector<std::int64_t> codes(static_cast<std::size_t>(size));
  int failed_rank = -1, failures = 0;
  for (int r = 0; r < size; ++r) {
    codes[static_cast<std::size_t>(r)] = (*all)[3 * static_cast<std::size_t>(r)];
    if (codes[static_cast<std::size_t>(r)] > 0) {
      ++failures;
      if (failed_rank < 0) failed_rank = r;
    }
  }
  notices->Settle(codes);
  if (failed_rank < 0) return 0;
  if (rank == failed_rank && rank != 0) {
    MPI_Send(outcome.message.data(), static_cast<int>(outcome.message.size()), MPI_CHAR, 0, kMessageTag,
             MPI_COMM_WORLD);
  }
  if (rank == 0) {
    std::string message = outcome.message;
    if (failed_rank != 0) {
      MPI_Status status;
      MPI_Probe(failed_rank, kMessageTag, MPI_COMM_WORLD, &status);
      int length = 0;
      MPI_Get_count(&status, MPI_CHAR, &length);
      message.assign(static_cast<std::size_t>(length), '\0');
      MPI_Recv(message.data(), length, MPI_CHAR, failed_rank, kMessageTag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    }
    PrintFailure(message, failed_rank, size, failures);
  }
  return static_cast<int>(codes[static_cast<std::size_t>(failed_rank)]);
}

}  // namespace

MpiSession::MpiSession(int* argc, char*** argv) {
  if (!LaunchedByMpi()) return;
  int provided = 0;
  MPI_Init_thread(argc, argv, MPI_THREAD_SERIALIZED, &provided);
  initialised_ = true;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
  threads_may_call_ = provided >= MPI_THREAD_SERIALIZED;
}

MpiSession::~MpiSession() {
  if (initialised_) MPI_Finalize();
}

int FailOverMpi(const MpiSession& session, int status, const std::string& message) {
  FailureNotices notices(session.rank(), session.size(), session.threads_may_call_mpi());
  notices.Announce();
  std::vector<std::int64_t> all;
  return ExchangeStatuses(&notices, Outcome{status, message}, 0, 0, session.rank(), session.size(), &all);
}

int RunFitOverMpi(const cli::FitCommandSteps& steps, const MpiSession& session) {
  const int rank = session.rank(), size = session.size();
  FailureNotices notices(rank, size, session.threads_may_call_mpi());
  // Prepare and fit this rank's block; every exception ends here, so that
  // every rank reaches the status exchange below whatever happened.
  std::optional<cli::PreparedFit> prepared;
  std::string results;
  std::int64_t chunks = 0;
  Outcome outcome = Attempt([&]() {
    prepared.emplace(steps.prepare());
    const cli::FitRun& whole = prepared->run;
    const std::vector<Index> blocks = BalancedBlocks(prepared->reader, whole.begin, whole.end, size);
    cli::FitRun mine = whole;
    mine.begin = blocks[static_cast<std::size_t>(rank)];
    mine.end = blocks[static_cast<std::size_t>(rank) + 1];
    mine.chunks.clear();
    if (mine.end > mine.begin) {
      mine.chunks = PlanFeatureChunks(prepared->reader, mine.begin, mine.end, prepared->request.chunk_bytes);
    }
    cli::FitRequest request = prepared->request;
    request.fit.cancel = [&notices]() { return notices.Heard(); };
    cli::FitChunks(mine, request, prepared->reader, nullptr,
                   [&results](FitResult& result) { AppendFitResult(result, &results); });
    chunks = static_cast<std::int64_t>(mine.chunks.size());
    // One message carries an int count of bytes.
    if (results.size() > static_cast<std::size_t>(INT_MAX)) {
      throw InputError("rank " + std::to_string(rank), std::to_string(results.size()) + " bytes of results",
                       "more than the 2 GiB one MPI message carries: run with more ranks");
    }
  });
  if (outcome.code > 0) notices.Announce();
  std::vector<std::int64_t> all;
  const int failed = ExchangeStatuses(&notices, outcome, chunks, static_cast<std::int64_t>(results.size()), rank,
                                      size, &all);
  if (failed != 0) return failed;
  std::int64_t total_chunks = 0;
  for (int r = 0; r < size; ++r) total_chunks += all[3 * static_cast<std::size_t>(r) + 1];

  // Every rank succeeded: rank 0 receives the others' results in rank
  // (= feature) order, one rank at a time, and writes --out; the others
  // send theirs and wait for rank 0's verdict.
  if (rank != 0) {
    MPI_Send(results.data(), static_cast<int>(results.size()), MPI_BYTE, 0, kResultsTag, MPI_COMM_WORLD);
  } else {
    int received = 1;  // ranks whose results are in hand (rank 0's own)
    const auto receive = [&all](int from) {
      std::string bytes(static_cast<std::size_t>(all[3 * static_cast<std::size_t>(from) + 2]), '\0');
      MPI_Recv(bytes.data(), static_cast<int>(bytes.size()), MPI_BYTE, from, kResultsTag, MPI_COMM_WORLD,
               MPI_STATUS_IGNORE);
      return bytes;
    };
    outcome = Attempt([&]() {
      steps.write(
          *prepared,
          [&](FitOutputWriter& writer) {
            for (const FitResult& result : ReadFitResults(results, "rank 0's results")) writer.Append(result);
            results.clear();
            while (received < size) {
              const int from = received++;
              const std::string what = "rank " + std::to_string(from) + "'s results";
              for (const FitResult& result : ReadFitResults(receive(from), what)) writer.Append(result);
            }
          },
          static_cast<std::size_t>(total_chunks), size);
    });
    // Messages a failed write left unread, so that no rank waits in MPI_Send.
    while (received < size) receive(received++);
  }
  std::int64_t code = outcome.code;
  MPI_Bcast(&code, 1, MPI_INT64_T, 0, MPI_COMM_WORLD);
  if (rank == 0 && code != 0) PrintFailure(outcome.message, 0, size, 1);
  return static_cast<int>(code);
}

}  // namespace nbglm::distributed

// SPDX-License-Identifier: Apache-2.0
// The host path's threads: the default count and a pool of workers that lives as long as the library.
#pragma once

#include <stdint.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace kconv {

inline constexpr int kMaxHostThreads = 4096;

// KCONV_HOST_THREADS when it holds a number from 1 to kMaxHostThreads, otherwise the CPUs in this
// process's affinity mask (what taskset and container CPU sets allow), at least 1.
int DefaultHostThreads();

// Workers created on first use and kept, so that a call costs a wake-up, not thread creations. One Run
// at a time: concurrent callers queue on the pool (they would compete for the same cores anyway).
class HostWorkerPool {
 public:
  static HostWorkerPool& Instance();

  // Calls body(task, worker) once for every task in [0, tasks), spread over at most `threads` threads:
  // the caller (worker 0) and threads - 1 pool workers (1, 2, ...). body must not throw. Where the
  // system refuses more threads, the work runs on those it has.
  void Run(int threads, int64_t tasks, const std::function<void(int64_t task, int worker)>& body);

  ~HostWorkerPool();

 private:
  HostWorkerPool() = default;
  void WorkerLoop(int worker);
  void EnsureWorkers(int count);  // with mutex_ held
  void RunTasks(int worker);

  std::mutex run_mutex_;  // one Run at a time
  std::mutex mutex_;      // guards everything below
  std::condition_variable wake_;
  std::condition_variable finished_;
  std::vector<std::thread> workers_;
  int owner_pid_ = 0;  // the process that created workers_; a forked child has none of them
  bool stopping_ = false;
  uint64_t generation_ = 0;
  int participants_ = 0;  // workers 1 .. participants_ take part in the current run
  int still_running_ = 0;
  const std::function<void(int64_t, int)>* body_ = nullptr;
  int64_t tasks_ = 0;
  std::atomic<int64_t> next_task_{0};
};

}  // namespace kconv

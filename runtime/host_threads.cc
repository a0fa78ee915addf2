// SPDX-License-Identifier: Apache-2.0
#include "runtime/host_threads.h"

#include <sched.h>
#include <stdlib.h>
#include <unistd.h>

#include <system_error>

#include "absl/strings/numbers.h"

namespace kconv {

int DefaultHostThreads() {
  if (const char* env = getenv("KCONV_HOST_THREADS"); env != nullptr) {
    int value = 0;
    if (absl::SimpleAtoi(env, &value) && value >= 1 && value <= kMaxHostThreads) return value;
  }
  cpu_set_t cpus;
  if (sched_getaffinity(0, sizeof(cpus), &cpus) == 0) {
    const int count = CPU_COUNT(&cpus);
    if (count >= 1) return count < kMaxHostThreads ? count : kMaxHostThreads;
  }
  const unsigned hardware = std::thread::hardware_concurrency();
  return hardware >= 1 && hardware <= kMaxHostThreads ? static_cast<int>(hardware) : 1;
}

HostWorkerPool& HostWorkerPool::Instance() {
  // Destroyed when the library unloads (dlclose) or the process exits: the workers are joined then, so no
  // thread runs the library's code after it is unmapped.
  static HostWorkerPool pool;
  return pool;
}

HostWorkerPool::~HostWorkerPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (owner_pid_ != getpid()) return;  // a forked child: the threads are not ours to join
  for (std::thread& worker : workers_) worker.join();
}

void HostWorkerPool::EnsureWorkers(int count) {
  if (owner_pid_ != getpid()) {
    // After fork() only the forking thread exists in the child: forget the parent's workers (their
    // std::thread objects cannot be joined or destroyed here, so they are leaked on purpose).
    if (!workers_.empty()) new std::vector<std::thread>(std::move(workers_));
    workers_.clear();
    owner_pid_ = getpid();
  }
  while (static_cast<int>(workers_.size()) < count) {
    const int index = static_cast<int>(workers_.size()) + 1;
    try {
      workers_.emplace_back([this, index] { WorkerLoop(index); });
    } catch (const std::system_error&) {
      return;  // the system refuses more threads: run on the ones there are
    }
  }
}

void HostWorkerPool::RunTasks(int worker) {
  for (int64_t task = next_task_.fetch_add(1); task < tasks_; task = next_task_.fetch_add(1)) {
    (*body_)(task, worker);
  }
}

void HostWorkerPool::WorkerLoop(int worker) {
  uint64_t seen = 0;
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    wake_.wait(lock, [&] { return stopping_ || generation_ != seen; });
    if (stopping_) return;
    seen = generation_;
    if (worker > participants_) continue;
    lock.unlock();
    RunTasks(worker);
    lock.lock();
    if (--still_running_ == 0) finished_.notify_one();
  }
}

void HostWorkerPool::Run(int threads, int64_t tasks, const std::function<void(int64_t task, int worker)>& body) {
  std::lock_guard<std::mutex> run_lock(run_mutex_);
  int helpers = threads - 1;
  if (tasks - 1 < helpers) helpers = tasks > 1 ? static_cast<int>(tasks - 1) : 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    EnsureWorkers(helpers);
    if (helpers > static_cast<int>(workers_.size())) helpers = static_cast<int>(workers_.size());
    body_ = &body;
    tasks_ = tasks;
    next_task_.store(0);
    participants_ = helpers;
    still_running_ = helpers;
    ++generation_;
  }
  if (helpers > 0) wake_.notify_all();
  RunTasks(0);
  std::unique_lock<std::mutex> lock(mutex_);
  finished_.wait(lock, [&] { return still_running_ == 0; });
  body_ = nullptr;
}

}  // namespace kconv

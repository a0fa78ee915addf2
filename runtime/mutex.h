// SPDX-License-Identifier: Apache-2.0
// The library's mutex: std::mutex with Abseil's thread-safety annotations, so that ABSL_GUARDED_BY still
// documents (and clang's -Wthread-safety checks) what it guards.
//
// Not absl::Mutex: on contention it gives the thread an Abseil identity, reclaimed by a pthread key
// destructor that lives in this library. Once libkconv.so was dlclosed, any thread that had waited on a
// kconv lock would call that destructor, unmapped, when it exits. std::mutex leaves nothing per thread.
#pragma once

#include <mutex>

#include "absl/base/thread_annotations.h"

namespace kconv {

class ABSL_LOCKABLE Mutex {
 public:
  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() { mutex_.lock(); }
  void Unlock() ABSL_UNLOCK_FUNCTION() { mutex_.unlock(); }

 private:
  std::mutex mutex_;
};

class ABSL_SCOPED_LOCKABLE MutexLock {
 public:
  explicit MutexLock(Mutex* mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu) : mu_(mu) { mu_->Lock(); }
  ~MutexLock() ABSL_UNLOCK_FUNCTION() { mu_->Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex* const mu_;
};

}  // namespace kconv

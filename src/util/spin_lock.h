// SpinLock: a lock for critical sections of a few instructions (a pointer load and a reference
// count), taken by several threads at high rates. A std::mutex there puts contending threads to
// sleep in the kernel (futex) and wakes them again, which costs far more than the section; this
// spins instead, yielding the CPU after a short while in case the holder was preempted.
// Satisfies BasicLockable (std::lock_guard<SpinLock>).
#pragma once

#include <atomic>
#include <thread>

namespace stash {

class SpinLock {
 public:
  void lock() {
    for (int spins = 0; flag_.test_and_set(std::memory_order_acquire); spins++) {
      if (spins >= 64) std::this_thread::yield();
    }
  }
  void unlock() { flag_.clear(std::memory_order_release); }

 private:
  std::atomic_flag flag_ = ATOMIC_FLAG_INIT;
};

}  // namespace stash

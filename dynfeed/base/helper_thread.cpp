#include "dynfeed/base/helper_thread.hpp"

#include <algorithm>
#include <chrono>

namespace dynfeed {

helper_thread::helper_thread(unsigned spin_us) : spin_us_(spin_us), thread_([this] { loop(); }) {}

helper_thread::~helper_thread() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void helper_thread::run_split(size_t n, size_t n_min, size_t chunk, const range_fn& fn) {
  if (n < n_min || n < 2) {
    fn(0, n);
    return;
  }
  job_ = &fn;
  end_ = n;
  chunk_ = chunk == 0 ? 1 : chunk;
  next_.store(0, std::memory_order_relaxed);
  state_.store(open, std::memory_order_release); // publishes the fields above
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (parked_)
      wake_.notify_one();
  }
  drain();
  int expected = open;
  if (!state_.compare_exchange_strong(expected, closed, std::memory_order_acq_rel)) {
    // The helper joined: it is finishing its last chunk.
    while (state_.load(std::memory_order_acquire) != done)
      std::this_thread::yield();
  }
  state_.store(idle, std::memory_order_relaxed);
}

void helper_thread::drain() {
  for (;;) {
    size_t begin = next_.fetch_add(chunk_, std::memory_order_relaxed);
    if (begin >= end_)
      return;
    (*job_)(begin, std::min(begin + chunk_, end_));
  }
}

bool helper_thread::wait_for_job() {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::microseconds(spin_us_);
  while (state_.load(std::memory_order_acquire) != open) {
    if (std::chrono::steady_clock::now() >= deadline) {
      std::unique_lock<std::mutex> lock(mutex_);
      parked_ = true;
      wake_.wait(lock, [this] { return stop_ || state_.load(std::memory_order_acquire) == open; });
      parked_ = false;
      return !stop_;
    }
    std::this_thread::yield();
  }
  return true;
}

void helper_thread::loop() {
  while (wait_for_job()) {
    int expected = open;
    if (!state_.compare_exchange_strong(expected, joined, std::memory_order_acq_rel))
      continue; // the caller closed it first
    drain();
    state_.store(done, std::memory_order_release);
    // Wait until the caller has seen `done` before looking for the next job.
    while (state_.load(std::memory_order_acquire) == done)
      std::this_thread::yield();
  }
}

} // namespace dynfeed

#pragma once

/// One background thread that shares a data-parallel job with its caller: on a 2-core machine,
/// hashing a large append batch on both cores is the biggest single speed-up. Results do not
/// depend on how the work is split, so determinism is unaffected.
///
/// Waking a parked thread costs tens of microseconds on a virtual machine, as much as a whole
/// job, so the helper spins for a while after each job before it parks, and the caller never
/// waits for a helper that has not joined: it closes the job and does all of it itself.

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>

namespace dynfeed {

class helper_thread {
public:
  using range_fn = std::function<void(size_t begin, size_t end)>;

  /// `spin_us`: how long the helper polls for the next job before it parks.
  explicit helper_thread(unsigned spin_us = 500);
  ~helper_thread();
  helper_thread(const helper_thread&) = delete;
  helper_thread& operator=(const helper_thread&) = delete;

  /// Runs fn over [0, n) in chunks of `chunk` that the caller and the helper take in turn;
  /// returns when all are done. Below `n_min` the caller does all of it.
  void run_split(size_t n, size_t n_min, size_t chunk, const range_fn& fn);

private:
  // A job is open until the helper joins it or the caller closes it, whichever comes first.
  enum job_state : int { idle, open, joined, done, closed };

  void loop();
  bool wait_for_job();
  void drain();

  const unsigned spin_us_;
  const range_fn* job_ = nullptr;
  size_t end_ = 0;
  size_t chunk_ = 1;
  std::atomic<size_t> next_{0};
  std::atomic<int> state_{idle};
  std::mutex mutex_;
  std::condition_variable wake_;
  bool parked_ = false;
  bool stop_ = false;
  std::thread thread_;
};

} // namespace dynfeed

#pragma once

/// Stopping a long-running process cleanly on SIGINT or SIGTERM.

#include <signal.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace dynfeed {

/// While it exists, SIGINT and SIGTERM are blocked in the thread that made it and collected by
/// a thread of its own. Make it before the process starts other threads (CAF's workers and
/// multiplexer): they inherit the mask, so a signal never interrupts them mid-call, and the
/// process stops through the code that waits on this object instead of dying where it stood.
class stop_signals {
public:
  stop_signals();
  /// Restores the signal mask of the thread that made it.
  ~stop_signals();
  stop_signals(const stop_signals&) = delete;
  stop_signals& operator=(const stop_signals&) = delete;

  /// True once SIGINT or SIGTERM arrived.
  bool requested() const noexcept { return signal_ != 0; }
  /// The signal that arrived first, 0 while none has.
  int signal() const noexcept { return signal_; }
  /// Blocks until SIGINT or SIGTERM arrives (at once if one already has).
  void wait();
  /// Blocks until SIGINT or SIGTERM arrives or `timeout` passes; true if a signal arrived.
  template <class Rep, class Period>
  bool wait_for(std::chrono::duration<Rep, Period> timeout) {
    std::unique_lock<std::mutex> lock{mutex_};
    return arrived_.wait_for(lock, timeout, [this] { return signal_ != 0; });
  }

private:
  sigset_t set_;
  sigset_t old_mask_;
  std::atomic<int> signal_{0};
  std::mutex mutex_;
  std::condition_variable arrived_;
  std::thread thread_;
};

} // namespace dynfeed

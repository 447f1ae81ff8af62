#include "dynfeed/base/stop_signals.hpp"

#include <pthread.h>

namespace dynfeed {

stop_signals::stop_signals() {
  sigemptyset(&set_);
  sigaddset(&set_, SIGINT);
  sigaddset(&set_, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set_, &old_mask_);
  thread_ = std::thread([this] {
    int sig = 0;
    sigwait(&set_, &sig);
    {
      std::lock_guard<std::mutex> lock{mutex_};
      signal_ = sig;
    }
    arrived_.notify_all();
  });
}

stop_signals::~stop_signals() {
  // The collecting thread waits for a signal: without one, send it one (to it alone).
  if (!requested())
    pthread_kill(thread_.native_handle(), SIGTERM);
  thread_.join();
  pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
}

void stop_signals::wait() {
  std::unique_lock<std::mutex> lock{mutex_};
  arrived_.wait(lock, [this] { return signal_ != 0; });
}

} // namespace dynfeed

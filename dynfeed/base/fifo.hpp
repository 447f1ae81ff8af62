#pragma once

/// A first-in first-out queue in one vector: values go in at the back and leave from the
/// front, and the room of those that left is reused once they are half the vector. Emptied, it
/// gives its room back. For queues that run empty most of the time and are held by the
/// thousand (a DHT node's query deadlines): a std::deque keeps a 512-byte block and its map
/// even when empty, about 600 bytes a node in a simulation.

#include "dynfeed/base/assert.hpp"

#include <cstddef>
#include <utility>
#include <vector>

namespace dynfeed {

template <class T>
class fifo {
public:
  size_t size() const noexcept { return values_.size() - head_; }
  bool empty() const noexcept { return head_ == values_.size(); }
  /// Values it holds room for, those that left included (tests and tools).
  size_t capacity() const noexcept { return values_.capacity(); }

  template <class... Args>
  void emplace_back(Args&&... args) {
    if (head_ > 0 && values_.size() == values_.capacity())
      compact(); // reuse the room of those that left before growing
    values_.emplace_back(std::forward<Args>(args)...);
  }

  T& front() {
    DYNFEED_REQUIRE(!empty());
    return values_[head_];
  }
  const T& front() const { return const_cast<fifo*>(this)->front(); }

  void pop_front() {
    DYNFEED_REQUIRE(!empty());
    values_[head_] = T{};
    if (++head_ == values_.size())
      clear();
    else if (head_ * 2 >= values_.size())
      compact();
  }

  /// Empties the queue and frees its room.
  void clear() noexcept {
    std::vector<T>().swap(values_);
    head_ = 0;
  }

private:
  /// Moves the values still queued to the vector's start.
  void compact() {
    values_.erase(values_.begin(), values_.begin() + static_cast<std::ptrdiff_t>(head_));
    head_ = 0;
  }

  std::vector<T> values_; ///< [head_, size) are queued, oldest first
  size_t head_ = 0;
};

} // namespace dynfeed

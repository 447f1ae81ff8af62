#pragma once

/// The simulator's timed queue: a calendar of 1 ms buckets over the next minute, with a heap
/// for what lies beyond. It hands entries out in exactly the order a priority queue ordered
/// by `Later` would (the trace digest depends on it), but a push is an append to its bucket
/// and only the bucket being run is a heap. A binary heap of millions of pending frames and
/// timers costs a cache miss per level on every pop; this costs a few.
///
/// `T` has a `clock_time at` (never negative); `Later(a, b)` is true when `a` comes after `b`
/// and orders entries of one instant among themselves. An entry may be due before the calendar's
/// current bucket (a driver looked at the next entry, then ran to an earlier time and scheduled
/// there): it joins the current heap, and comes out in its order.

#include "dynfeed/component/component.hpp"

#include <algorithm>
#include <cstdint>
#include <queue>
#include <vector>

namespace dynfeed::sim {

template <class T, class Later>
class event_queue {
public:
  static constexpr int bucket_shift = 20;                   ///< a bucket spans 2^20 ns
  static constexpr uint64_t bucket_count = uint64_t{1} << 16; ///< about 69 s ahead

  event_queue() : wheel_(bucket_count) {}

  bool empty() const noexcept { return size_ == 0; }
  size_t size() const noexcept { return size_; }

  void push(const T& entry) {
    uint64_t b = bucket_of(entry);
    if (b <= current_bucket_) {
      current_.push_back(entry);
      std::push_heap(current_.begin(), current_.end(), later_);
    } else if (b - current_bucket_ < bucket_count) {
      std::vector<T>& bucket = wheel_[b & mask];
      if (bucket.capacity() == 0 && !spares_.empty()) {
        bucket.swap(spares_.back());
        spares_.pop_back();
      }
      bucket.push_back(entry);
      ++wheel_size_;
    } else {
      far_.push(entry);
    }
    ++size_;
  }

  /// The first entry; the queue must not be empty.
  const T& top() {
    settle();
    return current_.front();
  }

  void pop() {
    settle();
    std::pop_heap(current_.begin(), current_.end(), later_);
    current_.pop_back();
    --size_;
  }

private:
  static constexpr uint64_t mask = bucket_count - 1;
  static constexpr size_t spare_count_max = 16;
  static constexpr size_t spare_capacity_max = 4096; ///< entries

  static uint64_t bucket_of(const T& entry) noexcept {
    return static_cast<uint64_t>(entry.at.count()) >> bucket_shift;
  }

  /// Moves on to the next bucket that holds anything, making it the current heap.
  void settle() {
    while (current_.empty() && size_ > 0) {
      if (wheel_size_ == 0) // nothing within the minute: jump to the first far entry
        current_bucket_ = std::max(current_bucket_, bucket_of(far_.top()) - 1);
      ++current_bucket_;
      // The window moved one bucket: far entries that now fall inside it join their bucket.
      while (!far_.empty() && bucket_of(far_.top()) - current_bucket_ < bucket_count) {
        wheel_[bucket_of(far_.top()) & mask].push_back(far_.top());
        ++wheel_size_;
        far_.pop();
      }
      std::vector<T>& bucket = wheel_[current_bucket_ & mask];
      if (bucket.empty())
        continue;
      wheel_size_ -= bucket.size();
      current_.swap(bucket);
      // Passed buckets keep no memory; the emptied heap's room goes to the next bucket to
      // start filling, which would otherwise grow from nothing, a reallocation at every doubling.
      if (bucket.capacity() > 0 && bucket.capacity() <= spare_capacity_max
          && spares_.size() < spare_count_max) {
        bucket.clear();
        spares_.emplace_back().swap(bucket);
      } else {
        std::vector<T>().swap(bucket);
      }
      std::make_heap(current_.begin(), current_.end(), later_);
    }
  }

  Later later_;
  std::vector<std::vector<T>> wheel_;
  uint64_t current_bucket_ = 0;
  std::vector<T> current_; ///< a heap: the current bucket, and anything pushed for the past
  std::priority_queue<T, std::vector<T>, Later> far_;
  std::vector<std::vector<T>> spares_; ///< empty, with room: for buckets that start filling
  size_t wheel_size_ = 0; ///< entries in wheel_
  size_t size_ = 0;
};

} // namespace dynfeed::sim

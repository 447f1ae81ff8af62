#pragma once

/// The simulator's timed queue: a calendar of 1 ms buckets over the next minute, with a heap
/// for what lies beyond. It hands entries out in exactly the order a priority queue ordered
/// by `Later` would (the trace digest depends on it), but a push is a link into its bucket
/// and only the bucket being run is a heap. A binary heap of millions of pending frames and
/// timers costs a cache miss per level on every pop; this costs a few.
///
/// A bucket is a list of nodes in one pool, not a vector of its own: most buckets of a large
/// run hold a few timers each, and vectors (grown by doubling, or handed the room of a bucket
/// just run) kept 16 times the entries' size in spare room (docs/speed.md). Nodes are reused
/// in the order freed, so the pool stays as large as the most entries ever waiting in the
/// minute, and no larger. An entry still in its bucket can be erased by the handle its push
/// returned (a timer cancelled, a component gone), so what can no longer happen takes no room.
///
/// `T` has a `clock_time at` (never negative); `Later(a, b)` is true when `a` comes after `b`
/// and orders entries of one instant among themselves. An entry may be due before the calendar's
/// current bucket (a driver looked at the next entry, then ran to an earlier time and scheduled
/// there): it joins the current heap, and comes out in its order.

#include "dynfeed/base/assert.hpp"
#include "dynfeed/component/component.hpp"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <queue>
#include <vector>

namespace dynfeed::sim {

template <class T, class Later>
class event_queue {
public:
  static constexpr int bucket_shift = 20;                   ///< a bucket spans 2^20 ns
  static constexpr uint64_t bucket_count = uint64_t{1} << 16; ///< about 69 s ahead
  /// Where an entry waits, for erase: its node while it is in its bucket.
  using handle = uint32_t;
  static constexpr handle no_handle = ~handle{0};

  event_queue() : heads_(bucket_count, nil) {}

  bool empty() const noexcept { return size_ == 0; }
  size_t size() const noexcept { return size_; }

  /// Adds `entry`; the handle is `no_handle` when it cannot be erased (it is due in the
  /// bucket being run, or beyond the calendar's minute).
  handle push(const T& entry) {
    ++size_;
    uint64_t b = bucket_of(entry);
    if (b <= current_bucket_) {
      current_.push_back(entry);
      std::push_heap(current_.begin(), current_.end(), later_);
      return no_handle;
    }
    if (b - current_bucket_ >= bucket_count) {
      far_.push(entry);
      return no_handle;
    }
    return link(entry, b);
  }

  /// Removes the entry of handle `h` if it is still in its bucket and `is_it` (called with the
  /// entry the handle's node holds) says it is the one meant: once its bucket came up, the node
  /// may hold another entry. True if it was removed.
  template <class Match>
  bool erase(handle h, Match is_it) {
    if (h == no_handle || h >= node_count_)
      return false;
    node& n = at(h);
    if (n.prev == freed || !is_it(static_cast<const T&>(n.entry)))
      return false;
    if (n.prev == nil)
      heads_[bucket_of(n.entry) & mask] = n.next;
    else
      at(n.prev).next = n.next;
    if (n.next != nil)
      at(n.next).prev = n.prev;
    release(h);
    --wheel_size_;
    --size_;
    return true;
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

  /// Nodes the pool holds (in use or free): its memory is this times the size of `T` and 8.
  size_t node_capacity() const noexcept { return node_count_; }

private:
  static constexpr uint64_t mask = bucket_count - 1;
  static constexpr uint32_t nil = ~uint32_t{0};
  static constexpr uint32_t freed = nil - 1; ///< `prev` of a node in the free list
  static constexpr int chunk_shift = 12;     ///< 4,096 nodes a chunk
  static constexpr uint32_t chunk_size = uint32_t{1} << chunk_shift;

  struct node {
    T entry;
    uint32_t next; ///< in its bucket, or in the free list
    uint32_t prev; ///< in its bucket (nil: the first), or `freed`
  };

  static uint64_t bucket_of(const T& entry) noexcept {
    return static_cast<uint64_t>(entry.at.count()) >> bucket_shift;
  }

  node& at(uint32_t index) noexcept { return chunks_[index >> chunk_shift][index & (chunk_size - 1)]; }

  /// Puts `entry` first in bucket `b`'s list (order within a bucket does not matter: it is
  /// made a heap when it comes up).
  handle link(const T& entry, uint64_t b) {
    uint32_t index = take_node();
    node& n = at(index);
    uint32_t& head = heads_[b & mask];
    n.entry = entry;
    n.prev = nil;
    n.next = head;
    if (head != nil)
      at(head).prev = index;
    head = index;
    ++wheel_size_;
    return index;
  }

  uint32_t take_node() {
    if (free_ != nil) {
      uint32_t index = free_;
      free_ = at(index).next;
      return index;
    }
    // Chunks rather than one vector: growing never copies the pool nor holds it twice.
    DYNFEED_REQUIRE(node_count_ < freed);
    if ((node_count_ & (chunk_size - 1)) == 0)
      chunks_.push_back(std::make_unique<node[]>(chunk_size));
    return node_count_++;
  }

  void release(uint32_t index) noexcept {
    node& n = at(index);
    n.prev = freed;
    n.next = free_;
    free_ = index;
  }

  /// Moves on to the next bucket that holds anything, making it the current heap.
  void settle() {
    while (current_.empty() && size_ > 0) {
      if (wheel_size_ == 0) // nothing within the minute: jump to the first far entry
        current_bucket_ = std::max(current_bucket_, bucket_of(far_.top()) - 1);
      ++current_bucket_;
      // The window moved one bucket: far entries that now fall inside it join their bucket.
      while (!far_.empty() && bucket_of(far_.top()) - current_bucket_ < bucket_count) {
        link(far_.top(), bucket_of(far_.top()));
        far_.pop();
      }
      uint32_t& head = heads_[current_bucket_ & mask];
      for (uint32_t i = head; i != nil;) {
        node& n = at(i);
        uint32_t next = n.next;
        current_.push_back(n.entry);
        release(i);
        --wheel_size_;
        i = next;
      }
      head = nil;
      std::make_heap(current_.begin(), current_.end(), later_);
    }
  }

  Later later_;
  std::vector<uint32_t> heads_; ///< each bucket's first node
  uint64_t current_bucket_ = 0;
  std::vector<T> current_; ///< a heap: the current bucket, and anything pushed for the past
  std::priority_queue<T, std::vector<T>, Later> far_;
  std::vector<std::unique_ptr<node[]>> chunks_;
  uint32_t node_count_ = 0;
  uint32_t free_ = nil;
  size_t wheel_size_ = 0; ///< entries in buckets
  size_t size_ = 0;
};

} // namespace dynfeed::sim

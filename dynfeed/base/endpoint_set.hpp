#pragma once

/// A set of endpoints for membership tests only (no order, no erase): one flat table of packed
/// addresses with linear probing. A DHT lookup checks every peer it is told of against the ones
/// it has (hundreds per lookup); a std::set spent one allocation per peer and freed them all
/// when the lookup ended, which was a tenth of the simulator's time in the DHT scenarios.

#include "dynfeed/base/endpoint.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace dynfeed {

class endpoint_set {
public:
  size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }

  bool contains(const endpoint& e) const noexcept {
    if (slots_.empty())
      return false;
    uint64_t key = key_of(e);
    for (size_t i = home(key);; i = (i + 1) & mask()) {
      if (slots_[i] == key)
        return true;
      if (slots_[i] == 0)
        return false;
    }
  }

  /// Adds `e`; true if it was not there.
  bool insert(const endpoint& e) {
    // Kept at most half full, so that a probe ends within a few slots.
    if ((size_ + 1) * 2 > slots_.size())
      grow();
    uint64_t key = key_of(e);
    size_t i = home(key);
    for (; slots_[i] != 0; i = (i + 1) & mask())
      if (slots_[i] == key)
        return false;
    slots_[i] = key;
    ++size_;
    return true;
  }

  /// Empties the set and frees its table: for a set not needed until much later.
  void release() noexcept {
    std::vector<uint64_t>().swap(slots_);
    size_ = 0;
  }

  /// Empties the set, keeping its table for the next round.
  void clear() noexcept {
    if (size_ == 0)
      return;
    std::fill(slots_.begin(), slots_.end(), 0);
    size_ = 0;
  }

private:
  static constexpr size_t capacity_min = 16;

  // packed() has 48 bits: adding one leaves 0 free to mark an empty slot.
  static uint64_t key_of(const endpoint& e) noexcept { return e.packed() + 1; }
  size_t mask() const noexcept { return slots_.size() - 1; }
  size_t home(uint64_t key) const noexcept {
    // Fibonacci hashing: addresses differ mostly in a few bits, which the multiply spreads.
    return static_cast<size_t>((key * 0x9e3779b97f4a7c15ull) >> 32) & mask();
  }

  void grow() {
    std::vector<uint64_t> old(slots_.empty() ? capacity_min : slots_.size() * 2, 0);
    old.swap(slots_);
    for (uint64_t key : old) {
      if (key == 0)
        continue;
      size_t i = home(key);
      while (slots_[i] != 0)
        i = (i + 1) & mask();
      slots_[i] = key;
    }
  }

  std::vector<uint64_t> slots_; ///< 0: empty; a power of two long
  size_t size_ = 0;
};

} // namespace dynfeed

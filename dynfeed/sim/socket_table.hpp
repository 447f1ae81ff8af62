#pragma once

/// The runtime's bound datagram sockets: packed endpoint -> the socket's component and host, in
/// one flat table with linear probing. Every datagram looks its destination up here; a
/// std::unordered_map cost a division and two dependent cache misses (its node, then the
/// component's slot for the host) per datagram, a few percent of a DHT scenario's time.

#include "dynfeed/base/endpoint.hpp"
#include "dynfeed/component/component.hpp"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace dynfeed::sim {

class socket_table {
public:
  struct entry {
    uint64_t key = 0; ///< packed endpoint + 1; 0: empty
    component_id component = no_component;
    uint32_t host = 0;
  };

  size_t size() const noexcept { return size_; }
  bool contains(const endpoint& e) const noexcept { return find(e) != nullptr; }

  /// The socket bound at `e`, or nullptr.
  const entry* find(const endpoint& e) const noexcept {
    if (slots_.empty())
      return nullptr;
    uint64_t key = key_of(e);
    for (size_t i = home(key);; i = (i + 1) & mask()) {
      if (slots_[i].key == key)
        return &slots_[i];
      if (slots_[i].key == 0)
        return nullptr;
    }
  }

  /// Binds `e` (not bound yet) to `component` on `host`.
  void insert(const endpoint& e, component_id component, uint32_t host) {
    // Kept at most half full, so that a probe ends within a few slots.
    if ((size_ + 1) * 2 > slots_.size())
      grow();
    uint64_t key = key_of(e);
    size_t i = home(key);
    while (slots_[i].key != 0 && slots_[i].key != key)
      i = (i + 1) & mask();
    if (slots_[i].key == 0)
      ++size_;
    slots_[i] = entry{key, component, host};
  }

  /// Unbinds `e` if bound.
  void erase(const endpoint& e) noexcept {
    if (slots_.empty())
      return;
    uint64_t key = key_of(e);
    size_t i = home(key);
    for (; slots_[i].key != key; i = (i + 1) & mask())
      if (slots_[i].key == 0)
        return;
    // Backward shift: later entries of the probe run move up into the hole, so that no probe
    // meets an empty slot before its key (no tombstones).
    for (size_t j = (i + 1) & mask(); slots_[j].key != 0; j = (j + 1) & mask()) {
      size_t h = home(slots_[j].key);
      // Entry j may fill the hole at i if its home is not within (i, j] (cyclically).
      bool stays = i <= j ? (i < h && h <= j) : (i < h || h <= j);
      if (stays)
        continue;
      slots_[i] = slots_[j];
      i = j;
    }
    slots_[i] = entry{};
    --size_;
  }

private:
  static constexpr size_t capacity_min = 16;

  // packed() has 48 bits: adding one leaves 0 free to mark an empty slot.
  static uint64_t key_of(const endpoint& e) noexcept { return e.packed() + 1; }
  size_t mask() const noexcept { return slots_.size() - 1; }
  size_t home(uint64_t key) const noexcept {
    return static_cast<size_t>((key * 0x9e3779b97f4a7c15ull) >> 32) & mask();
  }

  void grow() {
    std::vector<entry> old(slots_.empty() ? capacity_min : slots_.size() * 2);
    old.swap(slots_);
    for (const entry& e : old) {
      if (e.key == 0)
        continue;
      size_t i = home(e.key);
      while (slots_[i].key != 0)
        i = (i + 1) & mask();
      slots_[i] = e;
    }
  }

  std::vector<entry> slots_; ///< a power of two long
  size_t size_ = 0;
};

} // namespace dynfeed::sim

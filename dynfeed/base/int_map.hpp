#pragma once

/// A map from unsigned integer keys (IPv4 addresses, KRPC transactions, packed endpoints) to
/// values, for lookups only: no order, so nothing may depend on the order of its entries. One
/// flat table with linear probing, at most three quarters full; erasing shifts the entries that
/// follow back (no tombstones), and a table left an eighth full gives its room back. The DHT
/// keeps several such maps per node (its rate table, the routing table's count per address, the
/// store's records per source), and the simulator's runtime its bound sockets: as
/// `std::unordered_map`s each entry was a heap node of 32 bytes or more, a lookup a division and
/// a dependent cache miss, and the bucket array kept the size of the largest crowd it ever held.
///
/// A pointer or reference to a value is valid until the next insertion or erasure.

#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>
#include <vector>

namespace dynfeed {

template <class Key, class T>
class int_map {
  static_assert(std::is_unsigned_v<Key> && sizeof(Key) <= 8, "keys are unsigned integers");

public:
  size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  /// Slots in the table (a power of two, or 0): what it costs, for tests and tools.
  size_t capacity() const noexcept { return slots_.size(); }

  T* find(Key key) noexcept {
    size_t i = position(key);
    return i == npos ? nullptr : &slots_[i].value;
  }
  const T* find(Key key) const noexcept {
    size_t i = position(key);
    return i == npos ? nullptr : &slots_[i].value;
  }
  bool contains(Key key) const noexcept { return position(key) != npos; }
  /// True if adding a key now would grow the table: a caller whose entries lapse can drop
  /// the lapsed ones first.
  bool full() const noexcept { return (size_ + 1) * 4 > slots_.size() * 3; }

  /// The value of `key`, made with T{} if it was absent.
  T& operator[](Key key) { return *try_emplace(key).first; }

  /// Adds `key` with T(args...) if it is absent; its value, and whether it was added.
  template <class... Args>
  std::pair<T*, bool> try_emplace(Key key, Args&&... args) {
    if (size_t i = position(key); i != npos)
      return {&slots_[i].value, false};
    if (full())
      rebuild(slots_.empty() ? capacity_min : slots_.size() * 2);
    size_t i = home(key);
    while (slots_[i].used)
      i = next(i);
    slots_[i].key = key;
    slots_[i].used = true;
    slots_[i].value = T(std::forward<Args>(args)...);
    ++size_;
    return {&slots_[i].value, true};
  }

  /// Removes `key`; true if it was there.
  bool erase(Key key) {
    size_t i = position(key);
    if (i == npos)
      return false;
    erase_at(i);
    shrink_if_sparse();
    return true;
  }

  /// Removes every entry for which `drop(key, value)` is true.
  template <class Pred>
  void erase_if(Pred drop) {
    // erase_at fills the hole at i with an entry from after it (or, past the table's end,
    // from before it, already judged): i is looked at again until it holds a kept one.
    for (size_t i = 0; i < slots_.size();) {
      if (slots_[i].used && drop(slots_[i].key, slots_[i].value))
        erase_at(i);
      else
        ++i;
    }
    shrink_if_sparse();
  }

  /// Empties the map and frees its table.
  void clear() noexcept {
    std::vector<slot>().swap(slots_);
    size_ = 0;
  }

private:
  struct slot {
    Key key = 0;
    bool used = false;
    T value{};
  };
  static constexpr size_t capacity_min = 8;
  static constexpr size_t npos = ~size_t{0};

  size_t mask() const noexcept { return slots_.size() - 1; }
  size_t next(size_t i) const noexcept { return (i + 1) & mask(); }
  size_t home(Key key) const noexcept {
    // Fibonacci hashing: the high bits of the product mix every bit of the key.
    return static_cast<size_t>((static_cast<uint64_t>(key) * 0x9e3779b97f4a7c15ull) >> 32) & mask();
  }

  size_t position(Key key) const noexcept {
    if (size_ == 0)
      return npos;
    for (size_t i = home(key);; i = next(i)) {
      if (!slots_[i].used)
        return npos;
      if (slots_[i].key == key)
        return i;
    }
  }

  /// Empties slot `hole`, moving back the entries after it whose probe passed through it.
  void erase_at(size_t hole) {
    for (size_t i = next(hole); slots_[i].used; i = next(i)) {
      size_t h = home(slots_[i].key);
      // The entry at i may fill the hole unless its home lies cyclically in (hole, i].
      bool home_after_hole = hole <= i ? (hole < h && h <= i) : (hole < h || h <= i);
      if (home_after_hole)
        continue;
      slots_[hole].key = slots_[i].key;
      slots_[hole].value = std::move(slots_[i].value);
      hole = i;
    }
    slots_[hole].used = false;
    slots_[hole].value = T{};
    --size_;
  }

  void shrink_if_sparse() {
    if (size_ == 0) {
      clear();
      return;
    }
    if (slots_.size() > capacity_min && size_ * 8 <= slots_.size()) {
      size_t capacity = capacity_min;
      while (capacity < size_ * 2)
        capacity *= 2;
      rebuild(capacity);
    }
  }

  void rebuild(size_t capacity) {
    std::vector<slot> old(capacity);
    old.swap(slots_);
    for (slot& s : old) {
      if (!s.used)
        continue;
      size_t i = home(s.key);
      while (slots_[i].used)
        i = next(i);
      slots_[i].key = s.key;
      slots_[i].used = true;
      slots_[i].value = std::move(s.value);
    }
  }

  std::vector<slot> slots_; ///< a power of two long, or empty
  size_t size_ = 0;
};

template <class T>
using u32_map = int_map<uint32_t, T>;

} // namespace dynfeed

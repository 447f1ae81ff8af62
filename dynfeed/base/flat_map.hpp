#pragma once

/// A small ordered map kept in two sorted vectors, keys apart from values: a lookup reads a
/// few adjacent cache lines of keys where std::map chases one node per level. It suits the
/// per-connection tables of a node (a few to a few hundred entries, read on every frame,
/// changed when a connection comes or goes). Inserting or erasing moves the entries after it
/// and invalidates references to them, as a vector's would. A simulation holds millions of
/// these tables, so their capacity follows their size: they grow by half (not double) and
/// shrink once half empty. Beside it, two helpers for a vector used as a small set.

#include <algorithm>
#include <cstddef>
#include <iterator>
#include <utility>
#include <vector>

namespace dynfeed {

template <class Key, class Value>
class flat_map {
public:
  /// What iteration yields: the key and the value, by reference (`for (auto [k, v] : map)`).
  template <class V>
  struct entry {
    const Key& first;
    V& second;
  };

  template <class Map, class V>
  class basic_iterator {
  public:
    basic_iterator(Map* map, size_t i) : map_(map), i_(i) {}
    entry<V> operator*() const { return {map_->keys_[i_], map_->values_[i_]}; }
    basic_iterator& operator++() {
      ++i_;
      return *this;
    }
    bool operator==(const basic_iterator& o) const { return i_ == o.i_; }
    bool operator!=(const basic_iterator& o) const { return i_ != o.i_; }

  private:
    Map* map_;
    size_t i_;
  };
  using iterator = basic_iterator<flat_map, Value>;
  using const_iterator = basic_iterator<const flat_map, const Value>;

  size_t size() const noexcept { return keys_.size(); }
  bool empty() const noexcept { return keys_.empty(); }
  bool contains(const Key& key) const { return find(key) != nullptr; }

  Value* find(const Key& key) {
    size_t i = lower(key);
    return i < keys_.size() && keys_[i] == key ? &values_[i] : nullptr;
  }
  const Value* find(const Key& key) const { return const_cast<flat_map*>(this)->find(key); }

  /// The value at `key`, made with Value{} if there was none.
  Value& operator[](const Key& key) { return try_emplace(key, Value{}).first; }

  /// Inserts `value` at `key` unless the key is there; the value at `key` and whether it is new.
  std::pair<Value&, bool> try_emplace(const Key& key, Value value) {
    size_t i = lower(key);
    if (i < keys_.size() && keys_[i] == key)
      return {values_[i], false};
    if (keys_.size() == keys_.capacity() || values_.size() == values_.capacity())
      resize_capacity(keys_.size() + keys_.size() / 2 + 1);
    keys_.insert(keys_.begin() + static_cast<std::ptrdiff_t>(i), key);
    try {
      values_.insert(values_.begin() + static_cast<std::ptrdiff_t>(i), std::move(value));
    } catch (...) {
      keys_.erase(keys_.begin() + static_cast<std::ptrdiff_t>(i)); // keys and values stay paired
      throw;
    }
    return {values_[i], true};
  }

  /// Removes `key`; false if it was not there.
  bool erase(const Key& key) {
    size_t i = lower(key);
    if (i == keys_.size() || !(keys_[i] == key))
      return false;
    keys_.erase(keys_.begin() + static_cast<std::ptrdiff_t>(i));
    values_.erase(values_.begin() + static_cast<std::ptrdiff_t>(i));
    shrink_if_half_empty();
    return true;
  }

  /// Removes every entry for which `drop(key, value)` is true, in one pass (the others keep
  /// their order); how many it removed.
  template <class Pred>
  size_t erase_if(Pred drop) {
    size_t kept = 0;
    for (size_t i = 0; i < keys_.size(); ++i) {
      if (drop(static_cast<const Key&>(keys_[i]), values_[i]))
        continue;
      if (kept != i) {
        keys_[kept] = std::move(keys_[i]);
        values_[kept] = std::move(values_[i]);
      }
      ++kept;
    }
    size_t dropped = keys_.size() - kept;
    keys_.erase(keys_.begin() + static_cast<std::ptrdiff_t>(kept), keys_.end());
    values_.erase(values_.begin() + static_cast<std::ptrdiff_t>(kept), values_.end());
    shrink_if_half_empty();
    return dropped;
  }

  /// Makes room for `count` entries at least, no more: for a batch of inserts whose count is
  /// known, where growing by half would leave spare room.
  void reserve(size_t count) {
    if (count > keys_.capacity() || count > values_.capacity())
      resize_capacity(std::max(count, keys_.size()));
  }

  /// Entries the table holds room for (tests check the growth policy).
  size_t capacity() const noexcept { return keys_.capacity(); }

  void clear() noexcept {
    keys_.clear();
    values_.clear();
  }

  iterator begin() { return {this, 0}; }
  iterator end() { return {this, keys_.size()}; }
  const_iterator begin() const { return {this, 0}; }
  const_iterator end() const { return {this, keys_.size()}; }

private:
  /// Below this capacity a table is not shrunk: a few entries cost less than the reallocation.
  static constexpr size_t shrink_capacity_min = 8;

  /// Tables whose peers came and went keep no capacity for the crowd they once had.
  void shrink_if_half_empty() {
    if (keys_.capacity() > shrink_capacity_min && keys_.size() <= keys_.capacity() / 2)
      resize_capacity(keys_.size() + keys_.size() / 4 + 1);
  }

  /// Moves the entries into vectors with room for exactly `capacity` entries (at least size()).
  void resize_capacity(size_t capacity) {
    std::vector<Key> keys;
    keys.reserve(capacity);
    std::vector<Value> values;
    values.reserve(capacity);
    std::move(keys_.begin(), keys_.end(), std::back_inserter(keys));
    std::move(values_.begin(), values_.end(), std::back_inserter(values));
    keys_ = std::move(keys);
    values_ = std::move(values);
  }

  size_t lower(const Key& key) const {
    return static_cast<size_t>(std::lower_bound(keys_.begin(), keys_.end(), key) - keys_.begin());
  }

  std::vector<Key> keys_;
  std::vector<Value> values_;
};

/// A vector (or small_vector) used as a small set (a handful of ids): adds `value` unless it
/// is there; false if it was.
template <class Set>
bool add_unique(Set& set, const typename Set::value_type& value) {
  if (std::find(set.begin(), set.end(), value) != set.end())
    return false;
  set.push_back(value);
  return true;
}

/// Removes `value` from a vector used as a small set, keeping the order of the rest; false if
/// it was not there.
template <class Set>
bool remove_value(Set& set, const typename Set::value_type& value) {
  auto it = std::find(set.begin(), set.end(), value);
  if (it == set.end())
    return false;
  set.erase(it);
  return true;
}

} // namespace dynfeed

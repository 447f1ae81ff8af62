#pragma once

/// A vector that keeps its first N values in place and moves to the heap past them. For the
/// per-connection lists of a simulation (a peer's channels, a component's timers, the swarms
/// a peer record answers to): a connection end almost always holds one, and a simulation holds
/// millions of ends, where a std::vector costs a heap block each. Values are trivially
/// copyable (they move with memcpy) and keep their order; erasing moves the later ones down,
/// as a std::vector's erase does. Emptied below N, it gives its heap block back.

#include "dynfeed/base/assert.hpp"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <type_traits>
#include <utility>

namespace dynfeed {

template <class T, uint32_t N>
class small_vector {
  static_assert(std::is_trivially_copyable_v<T>, "values move with memcpy");
  static_assert(N >= 1, "at least one value in place");

public:
  using value_type = T;
  using iterator = T*;
  using const_iterator = const T*;

  small_vector() noexcept {}
  small_vector(const small_vector& other) { assign(other); }
  small_vector(small_vector&& other) noexcept { take(other); }
  small_vector& operator=(const small_vector& other) {
    if (this != &other) {
      release();
      assign(other);
    }
    return *this;
  }
  small_vector& operator=(small_vector&& other) noexcept {
    if (this != &other) {
      release();
      take(other);
    }
    return *this;
  }
  ~small_vector() { release(); }

  size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  /// Values it holds room for: N while they are in place.
  size_t capacity() const noexcept { return capacity_; }
  bool in_place() const noexcept { return capacity_ == N; }

  T* data() noexcept { return in_place() ? reinterpret_cast<T*>(store_.local) : store_.heap; }
  const T* data() const noexcept { return const_cast<small_vector*>(this)->data(); }
  iterator begin() noexcept { return data(); }
  iterator end() noexcept { return data() + size_; }
  const_iterator begin() const noexcept { return data(); }
  const_iterator end() const noexcept { return data() + size_; }
  T& operator[](size_t i) noexcept { return data()[i]; }
  const T& operator[](size_t i) const noexcept { return data()[i]; }
  T& back() noexcept { return data()[size_ - 1]; }

  /// Appends a value made from `args` (T{} without any); references to values may move.
  template <class... Args>
  T& emplace_back(Args&&... args) {
    if (size_ == capacity_)
      grow(capacity_ + capacity_ / 2 + 1);
    T* slot = data() + size_;
    new (slot) T{std::forward<Args>(args)...};
    ++size_;
    return *slot;
  }
  void push_back(const T& value) { emplace_back(value); }

  /// Removes the value at `pos`; the later ones move down. Returns the position after it.
  iterator erase(const_iterator pos) noexcept {
    size_t i = static_cast<size_t>(pos - data());
    DYNFEED_ASSERT(i < size_);
    T* d = data();
    std::memmove(static_cast<void*>(d + i), d + i + 1, (size_ - i - 1) * sizeof(T));
    --size_;
    if (!in_place() && size_ <= N)
      back_in_place();
    return data() + i;
  }

  void clear() noexcept {
    release();
    size_ = 0;
    capacity_ = N;
  }

private:
  void grow(uint32_t capacity) {
    DYNFEED_REQUIRE(capacity > size_);
    auto* fresh = static_cast<T*>(std::malloc(size_t{capacity} * sizeof(T)));
    if (!fresh)
      throw std::bad_alloc();
    std::memcpy(static_cast<void*>(fresh), data(), size_ * sizeof(T));
    release();
    store_.heap = fresh;
    capacity_ = capacity;
  }
  void back_in_place() noexcept {
    T* heap = store_.heap;
    std::memcpy(static_cast<void*>(store_.local), heap, size_ * sizeof(T));
    std::free(heap);
    capacity_ = N;
  }
  void release() noexcept {
    if (!in_place())
      std::free(store_.heap);
  }
  void assign(const small_vector& other) {
    size_ = 0;
    capacity_ = N;
    if (other.size_ > N)
      grow(other.size_);
    std::memcpy(static_cast<void*>(data()), other.data(), other.size_ * sizeof(T));
    size_ = other.size_;
  }
  void take(small_vector& other) noexcept {
    std::memcpy(static_cast<void*>(&store_), &other.store_, sizeof(store_));
    size_ = other.size_;
    capacity_ = other.capacity_;
    other.size_ = 0;
    other.capacity_ = N;
  }

  union storage {
    alignas(T) unsigned char local[sizeof(T) * N];
    T* heap;
  } store_;
  uint32_t size_ = 0;
  uint32_t capacity_ = N;
};

} // namespace dynfeed

#pragma once

#include "dynfeed/base/assert.hpp"
#include "dynfeed/base/bytes.hpp"

#include <algorithm>
#include <cstring>
#include <memory>

namespace dynfeed {

/// A growable first-in first-out run of bytes: appends at the back, consumes from the front.
/// Unlike std::vector::resize it does not zero bytes that are about to be overwritten, and
/// consuming from the front moves nothing until room is needed at the back.
class byte_queue {
public:
  size_t size() const noexcept { return end_ - begin_; }
  bool empty() const noexcept { return end_ == begin_; }
  size_t capacity() const noexcept { return capacity_; }
  uint8_t* data() noexcept { return data_.get() + begin_; }
  const uint8_t* data() const noexcept { return data_.get() + begin_; }
  byte_span span() const noexcept { return {data(), size()}; }

  /// Adds `count` uninitialised bytes at the back and returns where they start.
  uint8_t* extend(size_t count) {
    make_room(count);
    uint8_t* out = data_.get() + end_;
    end_ += count;
    return out;
  }
  void append(byte_span bytes) {
    if (!bytes.empty())
      std::memcpy(extend(bytes.size()), bytes.data(), bytes.size());
  }
  /// Drops `count` bytes from the front.
  void consume(size_t count) noexcept {
    DYNFEED_REQUIRE(count <= size());
    begin_ += count;
    if (begin_ == end_)
      begin_ = end_ = 0;
  }
  /// Drops `count` bytes from the back.
  void drop_back(size_t count) noexcept {
    DYNFEED_REQUIRE(count <= size());
    end_ -= count;
  }
  void clear() noexcept { begin_ = end_ = 0; }
  /// Frees the storage when nothing is queued, so an idle connection holds no large buffer.
  void release_if_empty() noexcept {
    if (empty()) {
      data_.reset();
      capacity_ = 0;
    }
  }

private:
  static constexpr size_t capacity_min = 4096;

  void make_room(size_t count) {
    if (capacity_ - end_ >= count)
      return;
    size_t used = size();
    if (used + count <= capacity_ && begin_ > 0) {
      std::memmove(data_.get(), data_.get() + begin_, used);
    } else {
      size_t capacity = std::max({capacity_ * 2, used + count, capacity_min});
      std::unique_ptr<uint8_t[]> grown{new uint8_t[capacity]};
      if (used > 0)
        std::memcpy(grown.get(), data_.get() + begin_, used);
      data_ = std::move(grown);
      capacity_ = capacity;
    }
    begin_ = 0;
    end_ = used;
  }

  std::unique_ptr<uint8_t[]> data_;
  size_t capacity_ = 0;
  size_t begin_ = 0;
  size_t end_ = 0;
};

} // namespace dynfeed

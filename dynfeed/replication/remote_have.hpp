#pragma once

#include "dynfeed/feed/bitfield.hpp"

#include <algorithm>
#include <cstdint>
#include <memory>

namespace dynfeed {

/// What a remote says it holds: a contiguous prefix (the common case: a writer or a complete
/// reader) plus scattered blocks, kept only below a bound so that a hostile claim such as
/// "I hold [0, 2^62)" costs nothing. The scattered blocks' bitfield is made on the first one:
/// most remotes only ever hold a prefix, and a reader keeps dozens of remotes.
class remote_have {
public:
  static constexpr uint64_t scattered_blocks_max = uint64_t{1} << 24;

  remote_have() = default;
  remote_have(const remote_have& other)
    : prefix_(other.prefix_),
      scattered_(other.scattered_ ? std::make_unique<bitfield>(*other.scattered_) : nullptr) {}
  remote_have& operator=(const remote_have& other) {
    if (this != &other)
      *this = remote_have(other);
    return *this;
  }
  remote_have(remote_have&&) noexcept = default;
  remote_have& operator=(remote_have&&) noexcept = default;

  bool has(uint64_t index) const noexcept {
    return index < prefix_ || (scattered_ && scattered_->get(index));
  }

  /// True if every block in [first, first + count) is held.
  bool has_all(uint64_t first, uint64_t count) const noexcept {
    if (first + count <= prefix_)
      return true;
    uint64_t from = std::max(first, prefix_);
    uint64_t held = scattered_ ? scattered_->count(from, first + count) : 0;
    return held == first + count - from;
  }

  void add(uint64_t start, uint64_t length) {
    uint64_t end = start + length;
    if (start <= prefix_) {
      prefix_ = std::max(prefix_, end);
      // Absorb scattered blocks that now continue the prefix.
      while (prefix_ < scattered_blocks_max && scattered_ && scattered_->get(prefix_))
        ++prefix_;
      return;
    }
    if (end <= scattered_blocks_max)
      scattered().set_range(start, end, true);
  }

  void drop(uint64_t start, uint64_t length) {
    uint64_t end = start + length;
    if (start < prefix_) {
      uint64_t old_prefix = prefix_;
      prefix_ = start;
      if (end < old_prefix && old_prefix <= scattered_blocks_max)
        scattered().set_range(end, old_prefix, true);
    }
    if (scattered_)
      scattered_->set_range(start, std::min(end, scattered_blocks_max), false);
  }

  uint64_t prefix() const noexcept { return prefix_; }

private:
  bitfield& scattered() {
    if (!scattered_)
      scattered_ = std::make_unique<bitfield>();
    return *scattered_;
  }

  uint64_t prefix_ = 0;
  std::unique_ptr<bitfield> scattered_;
};

} // namespace dynfeed

#pragma once

/// Which blocks a (possibly sparse) feed holds: one bit per block, persisted in fixed pages so
/// that an append rewrites only the pages it touches.

#include "dynfeed/base/bytes.hpp"

#include <cstdint>
#include <optional>
#include <vector>

namespace dynfeed {

class bitfield {
public:
  static constexpr uint64_t page_bits = 1024;
  static constexpr uint64_t page_words = page_bits / 64;
  static constexpr uint64_t page_size = page_bits / 8; ///< bytes in a persisted page

  bool get(uint64_t index) const noexcept;
  void set(uint64_t index, bool value);
  /// Sets [begin, end) to `value`.
  void set_range(uint64_t begin, uint64_t end, bool value);

  /// Number of set bits.
  uint64_t count() const noexcept { return count_; }
  /// Number of set bits in [begin, end).
  uint64_t count(uint64_t begin, uint64_t end) const noexcept;
  /// First index in [begin, end) whose bit equals `value`.
  std::optional<uint64_t> find(uint64_t begin, uint64_t end, bool value) const noexcept;

  /// The persisted pages that set_range(begin, end, value) would change, encoded as they would
  /// be afterwards, leaving this bitfield as it is: callers write them first, then set_range().
  std::vector<std::pair<uint64_t, bytes>> pages_after(uint64_t begin, uint64_t end,
                                                      bool value) const;
  /// Encodes one page as little-endian words.
  bytes encode_page(uint64_t page) const;
  /// Loads a persisted page; false if `data` is not page_size bytes.
  bool load_page(uint64_t page, byte_span data);

private:
  void grow(uint64_t words);

  std::vector<uint64_t> words_;
  uint64_t count_ = 0;
};

} // namespace dynfeed

#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace dynfeed {

/// Owned bytes.
using bytes = std::vector<uint8_t>;

/// A non-owning view of contiguous bytes (C++17 has no std::span).
class byte_span {
public:
  constexpr byte_span() noexcept = default;
  constexpr byte_span(const uint8_t* data, size_t size) noexcept : data_(data), size_(size) {}
  byte_span(const bytes& b) noexcept : data_(b.data()), size_(b.size()) {}
  template <size_t N>
  constexpr byte_span(const std::array<uint8_t, N>& a) noexcept : data_(a.data()), size_(N) {}
  byte_span(std::string_view s) noexcept
    : data_(reinterpret_cast<const uint8_t*>(s.data())), size_(s.size()) {}

  constexpr const uint8_t* data() const noexcept { return data_; }
  constexpr size_t size() const noexcept { return size_; }
  constexpr bool empty() const noexcept { return size_ == 0; }
  constexpr const uint8_t* begin() const noexcept { return data_; }
  constexpr const uint8_t* end() const noexcept { return data_ + size_; }
  constexpr uint8_t operator[](size_t i) const noexcept { return data_[i]; }

  byte_span subspan(size_t offset, size_t count) const noexcept {
    return byte_span{data_ + offset, count};
  }
  bytes to_bytes() const { return bytes(begin(), end()); }
  std::string_view as_chars() const noexcept {
    return {reinterpret_cast<const char*>(data_), size_};
  }

  friend bool operator==(byte_span a, byte_span b) noexcept {
    return a.size_ == b.size_ && (a.size_ == 0 || std::memcmp(a.data_, b.data_, a.size_) == 0);
  }
  friend bool operator!=(byte_span a, byte_span b) noexcept { return !(a == b); }

private:
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

/// Fixed-size bytes with a distinct type per meaning, so a hash cannot be passed as a key.
template <size_t N, class Tag>
struct fixed_bytes {
  static constexpr size_t size_bytes = N;
  std::array<uint8_t, N> bytes{};

  uint8_t* data() noexcept { return bytes.data(); }
  const uint8_t* data() const noexcept { return bytes.data(); }
  static constexpr size_t size() noexcept { return N; }
  byte_span span() const noexcept { return byte_span{bytes}; }
  operator byte_span() const noexcept { return span(); }

  /// Copies exactly N bytes from `src`; the caller checks the size first.
  static fixed_bytes from(byte_span src) noexcept {
    fixed_bytes out;
    if (src.size() == N)
      std::memcpy(out.bytes.data(), src.data(), N);
    return out;
  }

  friend bool operator==(const fixed_bytes& a, const fixed_bytes& b) noexcept {
    return a.bytes == b.bytes;
  }
  friend bool operator!=(const fixed_bytes& a, const fixed_bytes& b) noexcept {
    return a.bytes != b.bytes;
  }
  friend bool operator<(const fixed_bytes& a, const fixed_bytes& b) noexcept {
    return a.bytes < b.bytes;
  }
};

struct hash_tag {};
/// A 32-byte BLAKE2b digest.
using hash256 = fixed_bytes<32, hash_tag>;

struct topic_tag {};
/// What discovery looks a swarm up by: a feed's discovery key, a value feed's topic. A type of
/// its own at the API, so that a feed ID or another hash cannot be passed for one (nor one for
/// them); convert on purpose with swarm_topic::from(hash.span()).
using swarm_topic = fixed_bytes<32, topic_tag>;

/// Appends an unsigned 64-bit integer in little-endian order.
inline void put_u64le(bytes& out, uint64_t v) {
  for (int i = 0; i < 8; ++i)
    out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
inline void store_u64le(uint8_t* out, uint64_t v) noexcept {
  for (int i = 0; i < 8; ++i)
    out[i] = static_cast<uint8_t>(v >> (8 * i));
}
inline uint64_t load_u64le(const uint8_t* in) noexcept {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i)
    v = (v << 8) | in[i];
  return v;
}
/// Appends an unsigned 32-bit integer in little-endian order.
inline void put_u32le(bytes& out, uint32_t v) {
  for (int i = 0; i < 4; ++i)
    out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
inline uint32_t load_u32le(const uint8_t* in) noexcept {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i)
    v = (v << 8) | in[i];
  return v;
}
/// Big-endian keeps integer keys sorted in byte order (RocksDB keys).
inline void store_u64be(uint8_t* out, uint64_t v) noexcept {
  for (int i = 0; i < 8; ++i)
    out[i] = static_cast<uint8_t>(v >> (56 - 8 * i));
}
inline uint64_t load_u64be(const uint8_t* in) noexcept {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i)
    v = (v << 8) | in[i];
  return v;
}

} // namespace dynfeed

/// Hashes fixed byte strings by their first 8 bytes (or fewer): digests and keys are uniformly
/// random already. Unordered containers keyed by them iterate in an order that depends only on
/// the keys, so a simulation that iterates one stays deterministic.
template <size_t N, class Tag>
struct std::hash<dynfeed::fixed_bytes<N, Tag>> {
  size_t operator()(const dynfeed::fixed_bytes<N, Tag>& x) const noexcept {
    uint64_t v = 0;
    std::memcpy(&v, x.bytes.data(), N < 8 ? N : 8);
    return static_cast<size_t>(v);
  }
};

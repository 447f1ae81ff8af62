#pragma once

/// A peer's address as the per-connection tables of a node keep it (a swarm's addresses, the
/// node core's peer records): 8 bytes where a std::string takes 32, and a heap block beyond 15
/// characters. An "a.b.c.d:port" text that reads back the same is kept as its packed endpoint;
/// anything else (a host name, "localhost:port") as a string on the heap. It orders, compares
/// and reads back exactly as the text it was made from, so a table keyed by it iterates in the
/// order a table keyed by the text would: that order decides what a swarm dials, and so the
/// simulator's digests.

#include <cstdint>
#include <string>
#include <string_view>

namespace dynfeed {

class address_key {
public:
  address_key() noexcept = default;
  /// Implicit: tables keyed by it are looked up with the text.
  address_key(const std::string& text) { assign(text); }
  address_key(const char* text) { assign(text); }
  address_key(const address_key& o);
  address_key(address_key&& o) noexcept : bits_(o.bits_) { o.bits_ = 0; }
  address_key& operator=(const address_key& o);
  address_key& operator=(address_key&& o) noexcept;
  ~address_key() { release(); }

  /// The text it was made from.
  std::string str() const;
  bool empty() const noexcept { return bits_ == 0; }

  /// The order of the texts (std::string's).
  friend bool operator<(const address_key& a, const address_key& b) noexcept {
    return a.compare(b) < 0;
  }
  /// A text is kept one way only, so two packed keys are equal when their bits are, and a
  /// packed key never equals a text one.
  friend bool operator==(const address_key& a, const address_key& b) noexcept {
    return a.bits_ == b.bits_ || (!a.packed() && !b.packed() && a.compare(b) == 0);
  }
  friend bool operator!=(const address_key& a, const address_key& b) noexcept { return !(a == b); }

private:
  /// Room for the longest endpoint text, "255.255.255.255:65535" (21 characters).
  struct text_buffer {
    char chars[24];
  };
  /// Bit 63 set: an endpoint packed in the low 48 bits; else an owned std::string* (0: empty).
  static constexpr uint64_t packed_bit = uint64_t{1} << 63;

  void assign(std::string_view text);
  void release() noexcept;
  bool packed() const noexcept { return (bits_ & packed_bit) != 0; }
  const std::string* heap() const noexcept { return reinterpret_cast<const std::string*>(bits_); }
  std::string_view view(text_buffer& buffer) const noexcept;
  int compare(const address_key& o) const noexcept;

  uint64_t bits_ = 0;
};

} // namespace dynfeed

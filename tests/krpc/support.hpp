#pragma once

/// Helpers of the krpc tests: text as bytes, printing, a seeded byte source.

#include "dynfeed/base/bytes.hpp"
#include "dynfeed/base/endpoint.hpp"
#include "dynfeed/base/hex.hpp"

#include <cstdint>
#include <ostream>
#include <random>
#include <string>
#include <string_view>

namespace dynfeed {

template <size_t N, class Tag>
std::ostream& operator<<(std::ostream& out, const fixed_bytes<N, Tag>& v) {
  return out << to_hex(v.span());
}

inline std::ostream& operator<<(std::ostream& out, const endpoint& e) {
  return out << e.to_string();
}

} // namespace dynfeed

namespace std {
inline std::ostream& operator<<(std::ostream& out, const std::vector<uint8_t>& v) {
  return out << std::string(v.begin(), v.end());
}
} // namespace std

namespace dynfeed::test {

inline bytes text(std::string_view s) { return byte_span{s}.to_bytes(); }

/// Uniform in [0, n) from raw mt19937_64 output (std distributions differ between libraries).
inline uint64_t below(std::mt19937_64& rng, uint64_t n) { return rng() % n; }

} // namespace dynfeed::test

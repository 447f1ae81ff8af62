#pragma once

/// A small, fast, portable PRNG: splitmix64 to expand a seed, xoshiro256** for the stream, and
/// our own range mapping. std:: distributions are implementation-defined, so a seed would not
/// give the same run on another standard library; this does.

#include <cstdint>

namespace dynfeed {

constexpr uint64_t splitmix64(uint64_t& state) noexcept {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

class rng {
public:
  explicit constexpr rng(uint64_t seed = 1) noexcept {
    for (uint64_t& word : s_)
      word = splitmix64(seed);
  }

  constexpr uint64_t next() noexcept {
    uint64_t result = rotl(s_[1] * 5, 7) * 9;
    uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  /// Uniform in [0, n) by Lemire's multiply-shift (bias below 2^-64 * n, irrelevant here).
  uint64_t below(uint64_t n) noexcept {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(next()) * n) >> 64);
  }
  /// Uniform in [lo, hi].
  uint64_t between(uint64_t lo, uint64_t hi) noexcept { return lo + below(hi - lo + 1); }
  /// Uniform in [0, 1).
  double unit() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  bool chance(double p) noexcept { return unit() < p; }

private:
  static constexpr uint64_t rotl(uint64_t x, int k) noexcept { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4] = {};
};

} // namespace dynfeed

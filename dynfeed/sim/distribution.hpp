#pragma once

/// Random quantities of the measured network model (session and off times, access delays,
/// bandwidths, hole-punching delays), each drawn from one of a few distributions with our own
/// sampling from the scenario's seeded stream: std:: distributions are implementation-defined,
/// so a seed would not replay on another standard library.

#include "dynfeed/base/random.hpp"

#include <string>
#include <string_view>

namespace dynfeed::sim {

struct distribution {
  enum class kind : uint8_t {
    none,        ///< not set: the option it belongs to is off
    fixed,       ///< always `a`
    uniform,     ///< uniform in [a, b)
    exponential, ///< mean `a`
    weibull,     ///< shape `a` (k), scale `b` (lambda): heavy-tailed below k = 1
    lognormal,   ///< median `a` (e^mu), sigma `b`
  };
  kind what = kind::none;
  double a = 0;
  double b = 0;

  static distribution fixed(double value) { return {kind::fixed, value, 0}; }
  static distribution uniform(double lo, double hi) { return {kind::uniform, lo, hi}; }
  static distribution exponential(double mean) { return {kind::exponential, mean, 0}; }
  static distribution weibull(double shape, double scale) { return {kind::weibull, shape, scale}; }
  static distribution lognormal(double median, double sigma) { return {kind::lognormal, median, sigma}; }

  bool set() const noexcept { return what != kind::none; }
  /// One draw (0 when not set). Weibull by inversion, log-normal by Box-Muller.
  double draw(rng& random) const;
  /// The distribution's mean and variance in theory (for tests and reports).
  double mean() const;
  double variance() const;
};

std::string_view to_string(distribution::kind what) noexcept;

} // namespace dynfeed::sim

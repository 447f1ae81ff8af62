#include "dynfeed/sim/distribution.hpp"

#include <cmath>

namespace dynfeed::sim {

namespace {

/// Uniform in (0, 1]: never 0, so that its logarithm is finite.
double open_unit(rng& random) {
  return 1.0 - random.unit();
}

double standard_normal(rng& random) {
  // Box-Muller, one of the pair: two uniforms per draw keeps the stream's use simple.
  constexpr double two_pi = 6.283185307179586;
  return std::sqrt(-2.0 * std::log(open_unit(random))) * std::cos(two_pi * random.unit());
}

} // namespace

double distribution::draw(rng& random) const {
  switch (what) {
    case kind::none:
      return 0;
    case kind::fixed:
      return a;
    case kind::uniform:
      return a + (b - a) * random.unit();
    case kind::exponential:
      return -a * std::log(open_unit(random));
    case kind::weibull:
      return b * std::pow(-std::log(open_unit(random)), 1.0 / a);
    case kind::lognormal:
      return a * std::exp(b * standard_normal(random));
  }
  return 0;
}

double distribution::mean() const {
  switch (what) {
    case kind::none:
      return 0;
    case kind::fixed:
      return a;
    case kind::uniform:
      return (a + b) / 2;
    case kind::exponential:
      return a;
    case kind::weibull:
      return b * std::tgamma(1 + 1 / a);
    case kind::lognormal:
      return a * std::exp(b * b / 2);
  }
  return 0;
}

double distribution::variance() const {
  switch (what) {
    case kind::none:
    case kind::fixed:
      return 0;
    case kind::uniform:
      return (b - a) * (b - a) / 12;
    case kind::exponential:
      return a * a;
    case kind::weibull: {
      double g1 = std::tgamma(1 + 1 / a);
      return b * b * (std::tgamma(1 + 2 / a) - g1 * g1);
    }
    case kind::lognormal:
      return (std::exp(b * b) - 1) * a * a * std::exp(b * b);
  }
  return 0;
}

std::string_view to_string(distribution::kind what) noexcept {
  switch (what) {
    case distribution::kind::none:
      return "none";
    case distribution::kind::fixed:
      return "fixed";
    case distribution::kind::uniform:
      return "uniform";
    case distribution::kind::exponential:
      return "exponential";
    case distribution::kind::weibull:
      return "weibull";
    case distribution::kind::lognormal:
      return "lognormal";
  }
  return "unknown";
}

} // namespace dynfeed::sim

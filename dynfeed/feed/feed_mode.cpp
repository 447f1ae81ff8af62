#include "dynfeed/feed/feed_mode.hpp"

namespace dynfeed {

std::string_view to_string(feed_mode mode) noexcept {
  switch (mode) {
    case feed_mode::stable:
      return "stable";
    case feed_mode::rotating:
      return "rotating";
    case feed_mode::rotating_roots:
      return "rotating-roots";
  }
  return "unknown";
}

std::optional<feed_mode> parse_feed_mode(std::string_view text) noexcept {
  for (feed_mode mode : {feed_mode::stable, feed_mode::rotating, feed_mode::rotating_roots})
    if (text == to_string(mode))
      return mode;
  return std::nullopt;
}

} // namespace dynfeed

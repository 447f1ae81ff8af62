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

namespace {
constexpr id_channel all_id_channels[] = {id_channel::value_swarm, id_channel::relay,
                                          id_channel::dht};
} // namespace

std::string_view to_string(id_channel channel) noexcept {
  switch (channel) {
    case id_channel::value_swarm:
      return "value-swarm";
    case id_channel::relay:
      return "relay";
    case id_channel::dht:
      return "dht";
  }
  return "unknown";
}

std::string to_string(id_channels channels) {
  std::string out;
  for (id_channel c : all_id_channels)
    if (channels.has(c)) {
      if (!out.empty())
        out += ',';
      out += to_string(c);
    }
  return out;
}

std::optional<id_channels> parse_id_channels(std::string_view text) {
  id_channels out{0};
  while (true) {
    size_t comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    std::optional<id_channel> found;
    for (id_channel c : all_id_channels)
      if (item == to_string(c))
        found = c;
    auto bit = found ? static_cast<uint8_t>(*found) : uint8_t{0};
    if (bit == 0 || (out.bits & bit) != 0 || (id_channels_built & bit) == 0)
      return std::nullopt;
    out.bits |= bit;
    if (comma == std::string_view::npos)
      return out;
    text.remove_prefix(comma + 1);
  }
}

} // namespace dynfeed

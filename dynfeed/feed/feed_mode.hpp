#pragma once

/// How a writer tells readers about new lengths (feed/dynamic.hpp has the protocol):
/// - stable: one swarm per writer key; new lengths are announced inside it.
/// - rotating: each new feed ID is published as a signed value; readers move to its swarm.
/// - rotating_roots: the value carries the signed tree itself, verified before connecting.

#include <cstdint>
#include <optional>
#include <string_view>

namespace dynfeed {

enum class feed_mode : uint8_t { stable = 0, rotating, rotating_roots };

/// "stable", "rotating", "rotating-roots": the names the command line and scenarios use.
std::string_view to_string(feed_mode mode) noexcept;
std::optional<feed_mode> parse_feed_mode(std::string_view text) noexcept;

} // namespace dynfeed

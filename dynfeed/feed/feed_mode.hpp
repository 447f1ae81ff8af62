#pragma once

/// How a writer tells readers about new lengths (feed/dynamic.hpp has the protocol):
/// - stable: one swarm per writer key; new lengths are announced inside it.
/// - rotating: each new feed ID is published as a signed value; readers move to its swarm.
/// - rotating_roots: the value carries the signed tree itself, verified before connecting.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dynfeed {

enum class feed_mode : uint8_t { stable = 0, rotating, rotating_roots };

/// "stable", "rotating", "rotating-roots": the names the command line and scenarios use.
std::string_view to_string(feed_mode mode) noexcept;
std::optional<feed_mode> parse_feed_mode(std::string_view text) noexcept;

/// How the readers of a rotating feed learn each new ID: the ID channel (stable mode needs
/// none). Several may run at once; docs/protocol.md says what each costs.
/// - value_swarm: the announcement value feed's own swarm, keyed by the writer's key, pushes
///   each new value to its members.
/// - relay: the writer pushes the new value to its peers in the old ID's swarm before it
///   leaves, and every reader that accepts it pushes it on to its own peers there (id_push).
///   No swarm but the ID swarms.
/// - dht: the writer puts each value in the DHT as a BEP 44 mutable item (feed/id_item.hpp)
///   and the DHT keeps it stored; readers have the DHT poll for it, and poll at once when
///   their swarm goes quiet. Needs a DHT as the node's discovery.
enum class id_channel : uint8_t { value_swarm = 1, relay = 2, dht = 4 };

struct id_channels {
  /// The default: the value swarm, what every node did before the choice existed.
  uint8_t bits = static_cast<uint8_t>(id_channel::value_swarm);

  bool has(id_channel c) const noexcept { return (bits & static_cast<uint8_t>(c)) != 0; }
  /// On the wire (set_mode): 0 stands for the default, so that older frames mean the same.
  uint8_t wire() const noexcept {
    return bits == static_cast<uint8_t>(id_channel::value_swarm) ? 0 : bits;
  }
  static id_channels from_wire(uint8_t bits) noexcept {
    return bits == 0 ? id_channels{} : id_channels{bits};
  }
  friend bool operator==(id_channels a, id_channels b) noexcept { return a.bits == b.bits; }
  friend bool operator!=(id_channels a, id_channels b) noexcept { return a.bits != b.bits; }
};

/// "value-swarm", "relay", "dht": the names the command line and scenarios use.
std::string_view to_string(id_channel channel) noexcept;
/// The set's names joined by commas, in the order above ("value-swarm,relay").
std::string to_string(id_channels channels);
/// A comma-separated list of names ("relay,value-swarm"); an unknown or repeated name, an empty
/// list or item, or a channel this build does not run gives nullopt.
std::optional<id_channels> parse_id_channels(std::string_view text);
/// The channels this build runs.
inline constexpr uint8_t id_channels_built = static_cast<uint8_t>(id_channel::value_swarm)
                                             | static_cast<uint8_t>(id_channel::relay)
                                             | static_cast<uint8_t>(id_channel::dht);

} // namespace dynfeed

#pragma once

/// The command line's hands on a DHT node (discovery/dht.hpp) that runs in an actor, the
/// node's or one of its own: each call runs a task in that actor ((run, datagram_task),
/// actors/datagram_host.hpp) and waits, bounded, for the answer. BEP 44 get and put, the
/// routing table as JSON, and what --bootstrap accepts.

#include "apps/cli.hpp"

#include "dynfeed/base/endpoint.hpp"
#include "dynfeed/feed/bep44.hpp"

#include <caf/actor.hpp>
#include <nlohmann/json_fwd.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace dynfeed::cli {

/// `--bootstrap public`: the routers Mainline clients commonly join the BitTorrent DHT through.
inline constexpr std::array<const char*, 3> public_routers{
  "router.bittorrent.com:6881", "dht.transmissionbt.com:6881", "router.utorrent.com:6881"};

/// --bootstrap's values, each IPV4:PORT or `public` (public_routers, their names resolved to
/// IPv4 addresses; one that does not resolve is left out, none resolving is an error).
expected<std::vector<endpoint>> parse_bootstrap(const std::vector<std::string>& texts);

using dht_wait = std::chrono::milliseconds;

/// Waits until the DHT in `actor` has at least one node in its routing table (it asked its
/// bootstrap nodes when it started); an error names `timeout` if none came.
status wait_for_nodes(const caf::actor& actor, dht_wait timeout);

/// What a BEP 44 put came to: the nodes that stored the item, the error codes of those that
/// refused it (one per node), and the nodes that never answered.
struct dht_put_outcome {
  uint32_t stored = 0;
  std::vector<int64_t> refused;
  uint32_t timeouts = 0;
};

/// Puts `item` (signed: bep44::sign) to the nodes closest to its target.
expected<dht_put_outcome> dht_put(const caf::actor& actor, const bep44::mutable_item& item,
                                  dht_wait timeout);

/// The mutable item of `k` and `salt` with the highest seq the DHT holds (verified by the
/// DHT), or none.
expected<std::optional<bep44::mutable_item>> dht_get(const caf::actor& actor, const public_key& k,
                                                     const bytes& salt, dht_wait timeout);

/// {"id": HEX, "address": "IP:PORT", "nodes": [{"id": HEX, "address": "IP:PORT"}, ...]}.
expected<nlohmann::json> dht_table(const caf::actor& actor, dht_wait timeout);

/// A BEP 44 value `v` (bencoded) as the command line shows it: the bytes of the string when v
/// is a byte string (what `value put --bootstrap` stores), else v itself, bencoded = true.
struct shown_value {
  bytes value;
  bool bencoded = false;
};
shown_value show_bep44_value(byte_span v);

/// A DHT node of this process on its own UDP socket (every interface, a port the system picks),
/// joining through `bootstrap`: what `value put --bootstrap` runs for the time of its put.
class own_dht {
public:
  static expected<std::unique_ptr<own_dht>> start(const std::vector<endpoint>& bootstrap,
                                                  bool log);
  ~own_dht();
  const caf::actor& actor() const noexcept;
  /// Ends the process with `code` once the DHT's actor is down (CAF's I/O need not stop).
  [[noreturn]] void finish(int code);

private:
  struct running;
  explicit own_dht(std::unique_ptr<running> r);
  std::unique_ptr<running> r_;
};

/// `value` as a bencoded byte string ("<size>:<bytes>"), the v a `value put` stores.
bytes bencode_string(byte_span value);

} // namespace dynfeed::cli

#pragma once

/// Hostile nodes in a scenario ("hostile": {...}, docs/simulator.md, "Hostile nodes"): how many
/// of each kind, and how often each tries its act. Light on purpose: scenario.hpp includes it.

#include "dynfeed/component/types.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace dynfeed::sim {

/// What a hostile node does. Each connects to running readers, as a peer would, and speaks the
/// wire protocol through the real codec; only what it sends is a lie.
enum class hostile_kind : uint8_t {
  bad_proof,        ///< claims the writer's blocks and answers requests with proofs that do not verify
  unsolicited_data, ///< sends data nobody asked for
  phantom_blocks,   ///< claims every block, never answers a request for one
  silent,           ///< accepts the connection and never says hello (the handshake never ends)
  forged_value,     ///< pushes the writer's ID announcement with a seq it never signed
  stale_value,      ///< replays a genuine announcement recorded earlier, after the writer moved on
  request_flood,    ///< floods requests for blocks past any length
  // The DHT kinds (discovery "dht" only): KRPC datagrams to the readers' DHT nodes.
  dht_liar,         ///< answers with contacts and peers that do not exist, puts forged and stale items
  lookup_flood,     ///< floods get_peers, find_node and get queries
  false_announce,   ///< announces with valid tokens (implied_port) and with bad ones, many topics
  count_
};
inline constexpr size_t hostile_kind_count = static_cast<size_t>(hostile_kind::count_);

/// The kind's name in scenario files and summaries ("bad_proof").
std::string_view name_of(hostile_kind kind) noexcept;
std::optional<hostile_kind> hostile_kind_named(std::string_view name) noexcept;

struct hostile_config {
  /// Hostile nodes of each kind (given by kind, or as a share of the readers spread over the
  /// kinds listed, in their order: the campaign picks a share per seed).
  std::array<uint32_t, hostile_kind_count> nodes{};
  /// Share of the readers (0 to 0.5) added as hostile nodes on top of `nodes`, spread round
  /// robin over the kinds in `share_kinds` (a bit per kind; when 0, every kind the scenario's
  /// feed can meet: the value kinds need the relay ID channel). Resolved when the run is
  /// built, so that --nodes scales it.
  double share = 0;
  uint32_t share_kinds = 0;
  /// Each hostile node connects to a random running reader this often (uniformly jittered by
  /// half of it), from `start` on.
  clock_time interval = std::chrono::seconds{5};
  clock_time start = std::chrono::seconds{10};
  /// request_flood: requests sent on each connection.
  uint32_t flood_requests = 200;

  /// Whether the scenario names any hostile node (the run then differs from one without).
  bool set() const noexcept;
  /// Hostile nodes of each kind for a run with `readers` readers; `values`: its readers take
  /// ID announcements on the relay channel (a rotating mode with relay); `dht`: its discovery
  /// is the DHT (a share without kinds covers the DHT kinds only then).
  std::array<uint32_t, hostile_kind_count> resolve(uint32_t readers, bool values,
                                                   bool dht = false) const noexcept;
  uint32_t total_nodes(uint32_t readers, bool values, bool dht = false) const noexcept {
    uint32_t n = 0;
    for (uint32_t c : resolve(readers, values, dht))
      n += c;
    return n;
  }
};

/// Per kind: acts sent, and rejections the honest side answered them with.
struct hostile_tally {
  std::array<uint64_t, hostile_kind_count> acts{};
  std::array<uint64_t, hostile_kind_count> rejected{};
  std::array<uint64_t, hostile_kind_count> connections{}; ///< connections made to readers
};

} // namespace dynfeed::sim

#pragma once

/// A simulation scenario: who runs, how the writer writes, what the network and its faults
/// are, how nodes find each other, and what to measure. Scenarios are JSON files (see
/// docs/simulator.md and sim/scenarios/); every field has a default, and a file that names an
/// unknown field or gives a wrong type or value is refused with a message that says which.

#include "dynfeed/base/expected.hpp"
#include "dynfeed/feed/dynamic.hpp"
#include "dynfeed/sim/distribution.hpp"
#include "dynfeed/sim/hostile_config.hpp"
#include "dynfeed/sim/network.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dynfeed::sim {

enum class discovery_backend : uint8_t {
  none,    ///< static peers: every reader is given the writer's address
  ideal,   ///< an oracle with no cost and no delay (the baseline)
  dht,     ///< the Kademlia DHT, with bootstrap nodes
  tracker, ///< a tracker server on its own host
};
std::string_view to_string(discovery_backend backend) noexcept;

/// A liveness promise ("liveness": {"from_s": Q, "bound_s": B}): faults stop at Q, and every
/// reader running at the end has held the writer's latest length since max(Q, its latest
/// start) + B at the latest. Checked at the end of the run (sim/liveness.hpp).
struct liveness_spec {
  clock_time from{0};
  clock_time bound{0};
};

struct partition_spec {
  clock_time at{0};
  clock_time duration{0};
  double fraction = 0.5; ///< of the readers cut off from the rest (the writer stays in the rest)
};

/// The measured model of the readers and their access links (docs/simulator.md, "A measured
/// network"): every part is off unless a scenario sets it, so that scenarios without it replay
/// as before. JSON: the "population" object, and "latency_data" for the region matrix.
struct population_model {
  /// Readers come and go: each session lasts a draw of `session_s`, then the reader is offline
  /// for a draw of `off_s` and comes back from its store, or (with `leave_share`) leaves for
  /// good. Not set: readers stay (crashes, below, are a separate fault).
  distribution session_s;
  distribution off_s;
  double leave_share = 0;
  /// New readers keep arriving during the run (a Poisson process) after the join window.
  double arrivals_per_hour = 0;
  /// Share of the readers behind NAT (no inbound connections), and hole punching between them.
  double nat_share = 0;
  reachability reach;
  /// Per-reader link speeds (kbit/s) and one-way access delay (ms), drawn once per reader;
  /// not set: the network's defaults, and no access delay.
  distribution up_kbps;
  distribution down_kbps;
  distribution access_delay_ms;
  /// The measured latency data (sim/data/NAME.json, or a file) the regions were read from.
  std::string latency_data;

  bool churns() const noexcept { return session_s.set(); }
};

/// Measured latency between regions, as read from a data file: one-way times (half the
/// published round trips), a name per region.
struct latency_data {
  std::string name;
  std::string source;
  std::vector<std::string> regions;
  std::vector<std::vector<double>> one_way_ms;
};
/// Reads latency data: the name of a built-in set (sim/data/), or a file path.
expected<latency_data> load_latency_data(const std::string& name_or_path);
expected<latency_data> parse_latency_data(std::string_view json_text, const std::string& origin);

struct scenario {
  std::string name = "unnamed";
  std::string description;
  uint64_t seed = 1;
  clock_time duration = std::chrono::seconds{300};

  // ---- nodes and the feed ---------------------------------------------------------------------
  uint32_t readers = 100;
  feed_mode mode = feed_mode::rotating;
  /// Readers start at uniformly random times in [join_from, join_to].
  clock_time join_from{0};
  clock_time join_to = std::chrono::seconds{30};
  uint32_t initial_blocks = 8;     ///< the writer's feed before anyone joins
  clock_time first_append = std::chrono::seconds{60};
  clock_time append_interval = std::chrono::seconds{30};
  uint32_t appends = 0;            ///< 0: as many as fit before duration - settle
  uint32_t blocks_per_append = 1;
  uint32_t block_size = 1024;
  /// Quiet time at the end: no appends, so that every reader can catch up before the
  /// convergence check.
  clock_time settle = std::chrono::seconds{60};
  size_t inbound_max = 64;         ///< inbound connections a node takes
  /// Per swarm: discovered peers kept connected (outbound), and addresses kept to pick from
  /// (swarm_config::outbound_wanted and discovered_max).
  size_t peers_wanted = 8;
  size_t peers_known_max = 32;
  /// The value swarm of a rotating feed (ID channel value-swarm): discovered peers kept
  /// connected (node_core_config::value_outbound_wanted); 0: peers_wanted.
  size_t value_peers_wanted = 0;

  // ---- discovery -----------------------------------------------------------------------------
  discovery_backend discovery = discovery_backend::ideal;
  uint32_t bootstrap_nodes = 4;    ///< DHT: extra hosts that only run the DHT
  clock_time lookup_interval = std::chrono::seconds{60};
  clock_time announce_interval = std::chrono::seconds{300};

  // ---- ID channels (rotating modes) -----------------------------------------------------------
  /// How readers learn each new ID ("id_channel": a list or a comma string of value-swarm,
  /// relay, dht). The default is what every run did before the choice existed: the value swarm.
  /// dht needs "discovery": "dht" (the ideal backend stores no items).
  id_channels id_channel;
  /// The dht ID channel: a reader's DHT polls for a new ID every poll_interval_s, each wait
  /// +- up to poll_jitter_s ("poll_interval_s", "poll_jitter_s"; the node's defaults).
  clock_time poll_interval = std::chrono::seconds{60};
  clock_time poll_jitter = std::chrono::seconds{15};
  /// Make before break ("id_overlap_s"): a reader moving to a new ID swarm keeps the one it
  /// leaves until the new one has a peer, this long at most (node_core_config::id_overlap).
  /// Zero, the node's default: it leaves at once.
  clock_time id_overlap{0};

  // ---- network and faults --------------------------------------------------------------------
  network_config network;
  /// Share of the nodes in each region (the writer is in the first); even when empty.
  std::vector<double> region_shares;
  /// Readers that crash per hour of virtual time (a Poisson rate per reader), and how long a
  /// crashed reader stays down before it restarts from its store.
  double crashes_per_hour = 0;
  clock_time restart_after = std::chrono::seconds{60};
  std::vector<partition_spec> partitions;
  /// An equivocating writer ("equivocating_writer": {"at_s": T}, stable mode only): at T a
  /// second host with the writer's key and a copy of its feed appends other blocks at the same
  /// fork, on the writer's schedule. Readers then compare trees (compare_trees) to catch it.
  std::optional<clock_time> equivocate_at;
  /// Hostile nodes among the honest ones ("hostile": {...}; sim/hostile.hpp): none by default.
  hostile_config hostile;
  /// Liveness once faults stop (the campaign's generator sets it); unset: not checked.
  std::optional<liveness_spec> liveness;

  // ---- the measured model (off unless set) ---------------------------------------------------
  population_model population;

  // ---- measuring -----------------------------------------------------------------------------
  clock_time sample_interval = std::chrono::seconds{5};
  /// A shared cache of signature verifications (crypto::verify_cache): the same answers, much
  /// less CPU when many nodes verify the same signed trees.
  bool verify_cache = true;
};

/// Parses a scenario from JSON text. `origin` names the source in error messages.
expected<scenario> parse_scenario(std::string_view json_text, const std::string& origin);
/// Reads a scenario: a file path, or the name of a built-in scenario ("default", ...).
expected<scenario> load_scenario(const std::string& path_or_name);
/// The built-in scenarios' names.
std::vector<std::string> builtin_scenarios();

/// The scenario as JSON (every field, defaults included): the record of what ran.
std::string to_json(const scenario& s);

} // namespace dynfeed::sim

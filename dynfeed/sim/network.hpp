#pragma once

/// The simulated network: hosts in regions, a one-way latency matrix between regions with
/// jitter, per-host upload and download bandwidth with FIFO queueing, datagram loss,
/// duplication and reordering, and partitions that start and heal. It only decides *when* (and
/// whether) bytes arrive; the runtime (sim/runtime.hpp) delivers them. Every random choice comes
/// from the stream the runtime passes in, so a run replays exactly.
///
/// Model, per transfer of `size` bytes from host a to host b sent at `now`:
///   leave   = max(now, a.up_free) + size / a.up_bps          (a's upload queue)
///   arrive  = leave + latency(region a, region b) * (1 + jitter * u), u uniform in [-1, 1]
///   deliver = max(arrive, b.down_free) + size / b.down_bps   (b's download queue)
/// A stream (a connection) also never delivers before its previous frame: TCP is ordered, and a
/// lost packet only delays what follows (by `stream_loss_delay`). A datagram is lost with
/// probability `loss`, sent twice with `duplicate`, and held back by up to `reorder_delay` with
/// `reorder`. Across a partition nothing arrives: datagrams vanish and streams break. Queues are
/// reserved when a transfer is sent, which orders a host's downloads by send time, not arrival
/// time: a simplification that keeps the model one pass and deterministic.

#include "dynfeed/base/endpoint.hpp"
#include "dynfeed/base/flat_map.hpp"
#include "dynfeed/base/random.hpp"
#include "dynfeed/component/component.hpp"
#include "dynfeed/sim/distribution.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace dynfeed::sim {

using host_id = uint32_t;

struct network_config {
  /// Region names and one-way latency between them (ms): latency_ms[a][b]. One region with
  /// `default_latency` when empty.
  std::vector<std::string> regions;
  std::vector<std::vector<double>> latency_ms;
  clock_time default_latency = std::chrono::milliseconds{20};
  /// Each transfer's latency varies by up to this fraction, uniformly.
  double jitter = 0.1;
  /// Datagrams: lost, duplicated, or delayed by up to reorder_delay.
  double loss = 0;
  double duplicate = 0;
  double reorder = 0;
  clock_time reorder_delay = std::chrono::milliseconds{50};
  /// Streams: the chance that a frame meets a lost packet, and what the retransmission costs.
  double stream_loss = 0;
  clock_time stream_loss_delay = std::chrono::milliseconds{200};
  /// Bandwidth of hosts without their own (bytes per second; 0: unlimited).
  uint64_t up_bytes_per_s = 0;
  uint64_t down_bytes_per_s = 0;
};

struct host_config {
  uint32_t ip = 0;
  uint16_t region = 0;
  uint64_t up_bytes_per_s = 0;   ///< 0: the network's default
  uint64_t down_bytes_per_s = 0; ///< 0: the network's default
};

// ---- the measured model's reachability (docs/simulator.md, "A measured network") ---------------

/// Hosts behind NAT accept no inbound connection: a dial to one fails as a dial to nobody does,
/// unless hole punching is on, in which case the two ends meet through a punched hole after a
/// delay (and with a chance of failing). Nor do they take unsolicited datagrams: a datagram
/// reaches a NATed host only from an address and port it sent one to within the last
/// udp_mapping_timeout (a UDP mapping with address- and port-dependent filtering, RFC 4787),
/// so its queries get their answers and nobody else's datagrams get through.
struct reachability {
  bool hole_punch = false;
  distribution hole_punch_delay_s; ///< before the punched connection's handshake starts
  double hole_punch_success = 1;
  /// RFC 4787, REQ-5: a UDP mapping must not expire in less than two minutes.
  clock_time udp_mapping_timeout = std::chrono::seconds{120};
};

/// What a dial from one host to another meets.
struct dial_fate {
  bool connects = true;
  bool punched = false;  ///< through a hole: the target is behind NAT
  clock_time delay{0};   ///< punching time before the handshake, or until a failed punch gives up
};

/// Arrival times of one datagram: none (lost), one, or two (duplicated).
struct datagram_fate {
  uint8_t count = 0;
  clock_time at[2]{};
};

class network {
public:
  explicit network(network_config config = {});

  host_id add_host(const host_config& host);
  const host_config& host(host_id id) const { return hosts_.at(id).config; }
  size_t host_count() const noexcept { return hosts_.size(); }
  const network_config& config() const noexcept { return config_; }

  /// The base one-way latency between two hosts (no jitter, no queueing): the region matrix's
  /// plus each end's access delay.
  clock_time latency(host_id a, host_id b) const;

  // Measured model: per-host access delay and NAT, and how dials to NATed hosts go.
  void set_access_delay(host_id host, clock_time delay);
  clock_time access_delay(host_id host) const;
  void set_nat(host_id host, bool behind_nat) { hosts_.at(host).nat = behind_nat; }
  bool behind_nat(host_id host) const { return hosts_.at(host).nat; }
  void set_reachability(const reachability& rules) { reach_ = rules; }
  const reachability& reach() const noexcept { return reach_; }
  /// The rule for a connection from `from` to `to`: nothing dials a host behind NAT; with hole
  /// punching on, the two meet after a drawn delay if the punch succeeds. Draws from `random`
  /// only for a NATed target with hole punching on.
  dial_fate dial(host_id from, host_id to, rng& random) const;
  /// The rule for a datagram from `from` (on host a) to `to` (on host b) sent at `now`: a NATed
  /// sender opens or refreshes its mapping toward `to`; a NATed receiver takes it only through
  /// a live mapping toward `from`. Draws nothing, stores nothing for hosts not behind NAT.
  bool nat_admits(host_id a, const endpoint& from, host_id b, const endpoint& to, clock_time now);
  /// Live UDP mappings (and lapsed ones a host's table still holds: they go when it would
  /// grow), for tests and reports.
  size_t udp_mappings() const noexcept { return udp_mapping_count_; }

  /// When a datagram of `size` bytes sent now from a to b arrives (if at all).
  datagram_fate datagram(host_id a, host_id b, size_t size, clock_time now, rng& random);
  /// When a stream frame arrives, given when the stream's previous frame arrives (`after`);
  /// nullopt when a partition separates the hosts (the stream breaks).
  std::optional<clock_time> stream(host_id a, host_id b, size_t size, clock_time now,
                                   clock_time after, rng& random);

  /// Partitions: hosts in different groups cannot reach each other. Group 0 is everyone not
  /// put elsewhere; heal() puts everyone back in group 0.
  void set_group(host_id host, uint32_t group);
  void heal();
  bool reachable(host_id a, host_id b) const;
  bool partitioned() const noexcept { return partitioned_; }

  /// A crashed host's queues empty (what it was sending is lost with it).
  void reset_queues(host_id host);

  /// Bytes put on the wire by each host (both kinds of transfer), for reports.
  uint64_t bytes_sent(host_id host) const { return hosts_.at(host).sent; }

private:
  struct host_state {
    host_config config;
    uint32_t group = 0;
    uint32_t access_us = 0; ///< one-way access delay (measured model)
    bool nat = false;       ///< behind NAT: accepts no inbound connection
    clock_time up_free{0};
    clock_time down_free{0};
    uint64_t sent = 0;
    /// A NATed host's UDP mappings, made on its first: (the local port << 48 | the remote
    /// endpoint, packed) -> when the mapping expires. The local address is the host's own,
    /// so a mapping takes 16 bytes (and its table's room), where a node of a map from both
    /// endpoints took 32 and a share of the map's buckets. Lapsed mappings are dropped when
    /// the table would grow: until then they read as absent.
    std::unique_ptr<flat_map<uint64_t, clock_time>> udp_mappings;
  };
  /// Host `host`'s mapping toward `remote` from its port `local`, if it has one (lapsed or not).
  const clock_time* udp_mapping(host_id host, const endpoint& local, const endpoint& remote) const;

  clock_time transfer(host_id a, host_id b, size_t size, clock_time now, rng& random);
  static clock_time duration_of(size_t size, uint64_t bytes_per_s);

  network_config config_;
  std::vector<host_state> hosts_;
  std::vector<clock_time> latency_; ///< regions x regions
  size_t region_count_ = 1;
  bool partitioned_ = false;
  reachability reach_;
  size_t udp_mapping_count_ = 0; ///< in all hosts' tables
};

} // namespace dynfeed::sim

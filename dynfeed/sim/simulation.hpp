#pragma once

/// Runs a scenario on a driver: places the writer and the readers on hosts in regions, joins
/// readers over time, appends on schedule, crashes and restarts readers, starts and heals
/// partitions, samples metrics, and checks invariants while it runs:
///
/// - no node stores a block that differs from the writer's (every block a reader stores is
///   compared with the writer's, by hash, as it is stored);
/// - a node's held signed value never goes backwards (per node lifetime: announcements are
///   kept in memory only);
/// - at the end, with no partition in force, every reader that has been running for the
///   settle time holds the writer's length;
/// - with scenario::liveness, every running reader caught up within the bound once faults
///   stopped (sim/liveness.hpp).
///
/// A violation stops the run and is reported with the virtual time and event number; the seed
/// reproduces it.

#include "dynfeed/crypto/crypto.hpp"
#include "dynfeed/sim/driver.hpp"
#include "dynfeed/sim/ideal_discovery.hpp"
#include "dynfeed/sim/metrics.hpp"
#include "dynfeed/sim/scenario.hpp"
#include "dynfeed/sim/sim_node.hpp"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace dynfeed::sim {

class hostile_nodes;
struct hostile_book;

struct invariant_violation {
  std::string what;
  clock_time at{0};
  uint64_t event = 0;
};

/// One append: when, the length it made, and how long each reader took to hold it.
struct append_record {
  clock_time at{0};
  uint64_t length = 0;
  /// Readers running at the append, less those that stopped (left or crashed) before they held
  /// it: with churn, a reader gone for good would otherwise keep every share out of reach.
  uint32_t eligible = 0;
  std::vector<clock_time> delays;  ///< of eligible readers that reached it
  /// How long each reader that had joined before it took to learn it: its ID (rotating modes)
  /// or its length (stable), counting readers that were offline at the append and learned it
  /// when they came back.
  std::vector<clock_time> learn_delays;
  /// Time until this share of the eligible readers held it (nullopt: never, in this run).
  std::optional<clock_time> reached(double share) const;
};

/// One sample of the time series.
struct sample {
  clock_time at{0};
  uint32_t running_readers = 0;
  uint32_t at_latest = 0;        ///< running readers holding the writer's length
  uint32_t swarm_ids = 0;        ///< distinct swarms the running nodes of the feed are in
  uint32_t largest_swarm = 0;    ///< nodes in the largest of them
  uint32_t in_swarms = 0;        ///< nodes in any of them (readers joining or waiting are not)
  uint64_t discovery_datagrams = 0; ///< sent so far, all nodes
  uint64_t signalling = 0;       ///< announcements pushed so far (value pushes, sync messages)
  uint64_t bytes = 0;            ///< delivered so far, links and datagrams
  uint64_t events = 0;
  double mean_peers = 0;         ///< connected peers per running reader
  /// Connections of a reader's node core to a node it is connected to already (a value
  /// swarm's included, which mean_peers does not count), per running reader.
  double mean_duplicates = 0;
  uint32_t stranded = 0;         ///< running readers stranded (metrics.hpp, take_census)
};

/// Where a simulation's components of one kind ended up, summed over every node lifetime.
struct totals {
  discovery_stats discovery; ///< ops, refusals, datagrams (by_topic left empty)
  uint64_t discovery_received_max = 0; ///< datagrams received by the busiest node
  uint64_t signalling = 0;
  uint64_t redundant_blocks = 0;
  uint64_t blocks_downloaded = 0;
  uint64_t rejected_proofs = 0;
};

/// An equivocating writer's run (scenario::equivocate_at): who caught it, how fast, and which
/// history the readers hold past the fork.
struct equivocation_summary {
  uint64_t fork_length = 0;        ///< the length both histories share
  std::optional<clock_time> second_append; ///< the second history's first own append
  uint32_t readers_started = 0;    ///< readers that ever ran
  uint32_t detected = 0;           ///< readers that hold a proof
  std::vector<clock_time> delays;  ///< from second_append to each detection, sorted
  uint32_t on_writer = 0;          ///< readers holding blocks past the fork of the writer's
  uint32_t on_second = 0;          ///< ... of the second host's
};

class simulation final : private node_observer {
public:
  simulation(scenario s, driver& drv);
  ~simulation() override;
  simulation(const simulation&) = delete;
  simulation& operator=(const simulation&) = delete;

  /// Places the nodes and schedules the workload (run() does it when it has not been done):
  /// between the two, a test can reach the nodes, to inject a fault.
  void prepare();
  /// Runs to the scenario's end or the first violation. `progress(now)` is called after each
  /// virtual second.
  void run(const std::function<void(clock_time)>& progress = nullptr);

  const scenario& config() const noexcept { return scenario_; }
  const std::optional<invariant_violation>& violation() const noexcept { return violation_; }
  uint64_t digest() const noexcept;
  world& nodes() noexcept { return *world_; }
  sim_node& writer() noexcept { return *writer_; }
  /// The second host with the writer's key (scenario::equivocate_at), or nullptr.
  sim_node* second_writer() noexcept { return twin_; }
  equivocation_summary equivocation() const;
  /// What the hostile nodes (scenario::hostile) did and met, or nullptr without any.
  const hostile_book* hostile() const noexcept;
  /// Hostile nodes of each kind in this run (the scenario's, resolved for its readers).
  const std::array<uint32_t, hostile_kind_count>& hostile_counts() const noexcept { return hostile_counts_; }
  const std::vector<sim_node*>& readers() const noexcept { return readers_; }
  const std::vector<append_record>& appends() const noexcept { return appends_; }
  const std::vector<sample>& samples() const noexcept { return samples_; }
  /// Delays from each reader start (first and after restarts) to its first connected peer.
  const std::vector<clock_time>& discover_delays() const noexcept { return discover_delays_; }
  totals sum() const;
  /// Residue per append (metrics.hpp): the share of the readers running now that never held it.
  std::vector<double> residue_per_append() const;
  /// Stranded readers over the samples (metrics.hpp).
  stranded_summary stranded() const;
  /// Reader crashes so far.
  uint32_t crashes() const noexcept { return crashes_; }
  /// Partitions started so far.
  uint32_t partitions_started() const noexcept { return partitions_started_; }
  /// Measured model: sessions that ended (the reader went offline), readers gone for good,
  /// readers that arrived after the join window.
  uint32_t departures() const noexcept { return departures_; }
  uint32_t gone() const noexcept { return gone_; }
  uint32_t arrivals() const noexcept { return static_cast<uint32_t>(arrival_times_.size()); }
  /// The writer's block `index`, as it wrote it.
  bytes block(uint64_t index) const;
  /// The equivocating second host's block `index` past the fork, as it wrote it.
  bytes second_block(uint64_t index) const;

  /// Follows these nodes (indexes into nodes().nodes(), the writer's is 0): at each sample,
  /// whether each runs, what it holds, the swarm it is in, its peers, and who else is there
  /// (follow_csv). Reads the run and changes nothing in it, so the digest stays the same. Call
  /// after prepare(); an index past the last node is refused.
  void follow(const std::vector<uint32_t>& nodes);
  std::string summary_table() const;
  std::string summary_json() const;
  std::string timeseries_csv() const;
  std::string appends_csv() const;
  /// One row per followed node and sample: t_s, node, running, held, swarm (the first 4 bytes
  /// of its swarm's topic, in hex; "-" in none), writer_swarm, peers, swarm_nodes (the other
  /// running nodes in that swarm, the writer counted), swarm_ahead (those holding more),
  /// id_pushes (relayed IDs it received) and requests (block requests it sent), both counted
  /// over its current session.
  std::string follow_csv() const;

private:
  struct reader_state {
    clock_time joined{-1};        ///< first start; -1: not yet
    clock_time started{0};        ///< latest start
    size_t next_append = 0;       ///< first append it has not reached
    bool seen_peer = false;       ///< since the latest start
    uint64_t contiguous = 0;      ///< blocks [0, contiguous) held
    clock_time progressed{0};     ///< when contiguous last grew
    uint64_t last_value_seq = 0;  ///< per lifetime
    uint32_t crashes = 0;
    uint32_t starts = 0;          ///< first start, restarts, returns
    uint64_t session = 0;         ///< which start a session's end belongs to
    size_t next_learn = 0;        ///< first append whose ID (or length) it has not learned
    clock_time detected{-1};      ///< when it met (or was told of) the equivocation
    uint8_t history = 0;          ///< past the fork: 0 nothing, 1 the writer's, 2 the second's
  };

  void build();
  void schedule_workload();
  void start_reader(sim_node& node);
  void crash_reader(sim_node& node);
  /// A reader stops (leaves or crashes): the appends it was counted for and has not reached no
  /// longer count it.
  void uncount_stopped(const sim_node& node);
  void schedule_crash(sim_node& node);
  void do_append();
  // The equivocating writer (scenario::equivocate_at).
  bytes block_of(uint64_t seed, uint64_t index) const;
  void add_twin(uint32_t ip, const keypair& keys);
  void fork_twin();
  void twin_append(uint64_t length);
  /// The history (1 writer, 2 second) block `index` with this hash belongs to past the fork,
  /// 0 before it, or nullopt: neither's.
  std::optional<uint8_t> history_of(uint64_t index, const hash256& h) const;
  void check_histories();
  // Hostile nodes (scenario::hostile; sim/hostile.hpp).
  void add_hostile(uint32_t first_ip, const public_key& feed_key);
  // The measured model (population_model).
  void add_reader(uint32_t index, const public_key& feed_key, const std::vector<double>& shares,
                  double total, const std::shared_ptr<const sim_node_config>& config);
  void apply_population();
  void schedule_session_end(sim_node& node);
  void end_session(sim_node& node);
  void learned(sim_node& node, uint64_t length);
  void take_sample();
  void sample_followed(clock_time at);
  void check_convergence();
  void check_liveness(); ///< scenario::liveness (liveness.cpp)
  void fail(std::string what);
  void absorb(const sim_node& node); ///< adds a node lifetime's counters to the totals
  discovery_factory make_discovery();
  void start_helpers();
  std::shared_ptr<const sim_node_config> node_config(const std::vector<std::string>& addresses);
  reader_state& state_of(const sim_node& node) { return states_[node.index()]; }
  /// Blocks a node holds: the writer's feed length, or a reader's contiguous count.
  uint64_t held_by(const sim_node& node);

  // node_observer
  void on_length(sim_node& node, uint64_t length) override;
  void on_blocks(sim_node& node, uint64_t first, uint64_t count) override;
  void on_peer(sim_node& node, bool up) override;
  void on_value(sim_node& node, const signed_value& value) override;
  void on_equivocation(sim_node& node, const equivocation_proof& proof) override;

  scenario scenario_;
  driver& drv_;
  rng random_;
  rng population_random_; ///< the measured model's draws, apart so other streams stay as they were
  std::vector<clock_time> arrival_times_; ///< of the readers after scenario_.readers
  std::unique_ptr<crypto::verify_cache> cache_;
  ideal_registry registry_;
  std::unique_ptr<world> world_;
  sim_node* writer_ = nullptr;
  std::vector<sim_node*> readers_;
  /// Discovery's own hosts: the DHT's bootstrap nodes, or the tracker; their components and
  /// the endpoints nodes are given.
  std::vector<host_id> helper_hosts_;
  std::vector<component_id> helpers_;
  std::vector<endpoint> helper_endpoints_;
  std::vector<reader_state> states_;
  std::vector<hash256> truth_;     ///< hash of each block the writer wrote
  sim_node* twin_ = nullptr;       ///< the equivocating second host
  std::vector<hash256> twin_truth_; ///< its history: the writer's to the fork, then its own
  uint64_t fork_length_ = 0;
  std::unique_ptr<hostile_nodes> hostile_;
  std::array<uint32_t, hostile_kind_count> hostile_counts_{};
  std::optional<clock_time> twin_first_append_;
  std::vector<append_record> appends_;
  std::vector<sample> samples_;
  /// A followed node at one sample (follow()).
  struct follow_row {
    clock_time at{0};
    uint32_t node = 0;
    bool running = false;
    uint64_t held = 0;
    std::string swarm, writer_swarm; ///< topic prefixes in hex, "-": none
    uint64_t peers = 0;
    uint32_t swarm_nodes = 0, swarm_ahead = 0;
    uint64_t id_pushes = 0, requests = 0; ///< this session's
  };
  std::vector<sim_node*> followed_;
  std::vector<follow_row> follow_rows_;
  std::vector<clock_time> discover_delays_;
  totals past_; ///< counters of node lifetimes that ended in a crash
  std::vector<uint64_t> received_past_; ///< discovery datagrams received, per node, ended lifetimes
  bool prepared_ = false;
  uint32_t crashes_ = 0;
  uint32_t partitions_started_ = 0;
  uint32_t departures_ = 0;
  uint32_t gone_ = 0;
  std::optional<invariant_violation> violation_;
  double wall_seconds_ = 0;
};

} // namespace dynfeed::sim

#include "dynfeed/sim/simulation.hpp"

#include "dynfeed/base/assert.hpp"
#include "dynfeed/base/hex.hpp"
#include "dynfeed/discovery/dht.hpp"
#include "dynfeed/replication/publisher.hpp"
#include "dynfeed/discovery/tracker.hpp"
#include "dynfeed/feed/equivocation.hpp"
#include "dynfeed/sim/hostile.hpp"
#include "dynfeed/sim/hostile_json.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <stdexcept>
#include <unordered_map>

namespace dynfeed::sim {

namespace {

using std::chrono::duration_cast;
using namespace std::chrono_literals;

/// Hosts get 10.0.0.1, 10.0.0.2, ... in the order nodes are added.
uint32_t ip_of(size_t index) {
  return 0x0A000001u + static_cast<uint32_t>(index);
}

double seconds(clock_time t) {
  return std::chrono::duration<double>(t).count();
}

/// The smallest value that at least `share` of `values` are at or below (values sorted);
/// nullopt when empty.
std::optional<clock_time> percentile(const std::vector<clock_time>& sorted, double share) {
  if (sorted.empty())
    return std::nullopt;
  auto rank = static_cast<size_t>(std::ceil(share * static_cast<double>(sorted.size())));
  return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

std::string format_seconds(std::optional<clock_time> t) {
  if (!t)
    return "never";
  char text[32];
  std::snprintf(text, sizeof text, "%.2f s", seconds(*t));
  return text;
}

std::string format_count(double value) {
  char text[32];
  if (value >= 1e9)
    std::snprintf(text, sizeof text, "%.2fG", value / 1e9);
  else if (value >= 1e6)
    std::snprintf(text, sizeof text, "%.2fM", value / 1e6);
  else if (value >= 1e4)
    std::snprintf(text, sizeof text, "%.1fk", value / 1e3);
  else
    std::snprintf(text, sizeof text, "%.4g", value);
  return text;
}

nlohmann::json json_seconds(std::optional<clock_time> t) {
  return t ? nlohmann::json(seconds(*t)) : nlohmann::json(nullptr);
}

/// Per-append reach times at one share, over every append: the median and the worst, or
/// nullopt (never) when some append was never reached by that share.
struct reach_summary {
  std::optional<clock_time> median;
  std::optional<clock_time> worst;
  size_t never = 0;
};

double largest_share(const sample& s) {
  return sim::largest_share(s.largest_swarm, s.in_swarms);
}

/// Over the samples: the most swarm IDs at once, and the smallest share in the largest swarm.
std::pair<uint32_t, double> worst_fragmentation(const std::vector<sample>& samples) {
  uint32_t max_ids = 0;
  double min_share = 1;
  for (const sample& s : samples) {
    max_ids = std::max(max_ids, s.swarm_ids);
    min_share = std::min(min_share, largest_share(s));
  }
  return {max_ids, min_share};
}

reach_summary summarize_reach(const std::vector<append_record>& appends, double share) {
  reach_summary out;
  std::vector<clock_time> reached;
  for (const append_record& a : appends) {
    if (a.eligible == 0)
      continue;
    if (auto t = a.reached(share))
      reached.push_back(*t);
    else
      ++out.never;
  }
  std::sort(reached.begin(), reached.end());
  // The median over every append, one never reached counting as later than any, so none when
  // the middle falls among those (over the reached ones alone, a share most appends miss would
  // show the few quick ones, and 99 % could come before 90 %).
  if (auto i = median_index_with_never(reached.size(), out.never))
    out.median = reached[*i];
  if (!reached.empty() && out.never == 0)
    out.worst = reached.back();
  return out;
}

/// One append's learning lags at p50, p90 and p99 (sorted copy); nullopt when nobody learned it.
std::array<std::optional<clock_time>, 3> learn_percentiles(const append_record& a) {
  std::vector<clock_time> sorted = a.learn_delays;
  std::sort(sorted.begin(), sorted.end());
  return {percentile(sorted, 0.5), percentile(sorted, 0.9), percentile(sorted, 0.99)};
}

/// Over appends: the median of each append's p50, p90 and p99 learning lag, the worst p99, and
/// how many (append, reader) learnings there were.
struct learn_summary {
  std::array<std::optional<clock_time>, 3> median;
  std::optional<clock_time> worst_p99;
  uint64_t learned = 0;
};

learn_summary summarize_learning(const std::vector<append_record>& appends) {
  learn_summary out;
  std::array<std::vector<clock_time>, 3> per_append;
  for (const append_record& a : appends) {
    out.learned += a.learn_delays.size();
    auto p = learn_percentiles(a);
    for (size_t i = 0; i < 3; ++i)
      if (p[i])
        per_append[i].push_back(*p[i]);
  }
  for (size_t i = 0; i < 3; ++i) {
    std::sort(per_append[i].begin(), per_append[i].end());
    out.median[i] = percentile(per_append[i], 0.5);
  }
  if (!per_append[2].empty())
    out.worst_p99 = per_append[2].back();
  return out;
}

std::string format_learning(const learn_summary& l) {
  char text[256];
  std::snprintf(text, sizeof text, "p50 %s, p90 %s, p99 %s (medians over appends), worst p99 %s; %llu learned",
                format_seconds(l.median[0]).c_str(), format_seconds(l.median[1]).c_str(),
                format_seconds(l.median[2]).c_str(), format_seconds(l.worst_p99).c_str(),
                static_cast<unsigned long long>(l.learned));
  return text;
}

std::optional<clock_time> last(const std::vector<clock_time>& sorted) {
  return sorted.empty() ? std::nullopt : std::optional(sorted.back());
}

std::string format_equivocation(const equivocation_summary& e) {
  char text[512];
  std::snprintf(text, sizeof text,
                "at length %llu; detected by %u of %u readers (%.1f%%), p50 %s, p90 %s, max %s after the second history's first append; past the fork %u readers hold the writer's blocks, %u the second's",
                static_cast<unsigned long long>(e.fork_length), e.detected, e.readers_started,
                100.0 * e.detected / std::max<uint32_t>(1, e.readers_started),
                format_seconds(percentile(e.delays, 0.5)).c_str(),
                format_seconds(percentile(e.delays, 0.9)).c_str(),
                format_seconds(last(e.delays)).c_str(), e.on_writer, e.on_second);
  return text;
}

nlohmann::json equivocation_json(const equivocation_summary& e) {
  return {{"forkLength", e.fork_length},
          {"secondAppendSeconds", json_seconds(e.second_append)},
          {"readersStarted", e.readers_started},
          {"detected", e.detected},
          {"detectedShare", static_cast<double>(e.detected) / std::max<uint32_t>(1, e.readers_started)},
          {"p50Seconds", json_seconds(percentile(e.delays, 0.5))},
          {"p90Seconds", json_seconds(percentile(e.delays, 0.9))},
          {"maxSeconds", json_seconds(last(e.delays))},
          {"onWriterHistory", e.on_writer},
          {"onSecondHistory", e.on_second}};
}

std::string format_fragmentation(const stranded_summary& st, const residue_summary& r) {
  char text[256];
  std::snprintf(text, sizeof text,
                "stranded at the end %u, at worst %u (%.1f%%), %.2f%% on average; residue %.2f%% of readers never got the last append, %.2f%% the worst",
                st.final, st.max, 100.0 * st.max_share, 100.0 * st.mean_share,
                100.0 * r.last_share, 100.0 * r.max_share);
  return text;
}

nlohmann::json stranded_json(const stranded_summary& st) {
  return {{"final", st.final}, {"max", st.max}, {"maxShare", st.max_share},
          {"meanShare", st.mean_share}};
}

nlohmann::json residue_json(const residue_summary& r, size_t readers_at_end) {
  return {{"readersAtEnd", readers_at_end}, {"lastShare", r.last_share},
          {"maxShare", r.max_share}, {"meanShare", r.mean_share}};
}

} // namespace

std::optional<clock_time> append_record::reached(double share) const {
  auto needed = static_cast<size_t>(std::ceil(share * eligible));
  if (needed == 0)
    return clock_time{0};
  if (delays.size() < needed)
    return std::nullopt;
  std::vector<clock_time> sorted = delays;
  std::nth_element(sorted.begin(), sorted.begin() + static_cast<long>(needed - 1), sorted.end());
  return sorted[needed - 1];
}

// ---- setting up --------------------------------------------------------------------------------

simulation::simulation(scenario s, driver& drv)
  : scenario_(std::move(s)), drv_(drv), random_(scenario_.seed ^ 0x73696d756c617465ULL),
    population_random_(scenario_.seed ^ 0x706f70756c617465ULL) {}

simulation::~simulation() {
  if (cache_)
    crypto::set_verify_cache(nullptr);
}

discovery_factory simulation::make_discovery() {
  switch (scenario_.discovery) {
    case discovery_backend::none:
      return nullptr;
    case discovery_backend::ideal:
      return [this](sim_node& node, datagram_socket&) -> std::unique_ptr<discovery_component> {
        ideal_config config;
        config.self = node.address();
        config.lookup_interval = scenario_.lookup_interval;
        return std::make_unique<ideal_discovery>(registry_, config);
      };
    case discovery_backend::dht:
      // The nodes share their settings, one copy behind NAT and one not (520 bytes a node).
      return [this, shared = std::array<std::shared_ptr<const dht_config>, 2>{}](
                 sim_node& node, datagram_socket& socket) mutable -> std::unique_ptr<discovery_component> {
        dht_config config;
        // Behind NAT nobody's query reaches the node: it joins read-only (BEP 43).
        config.read_only = drv_.net().behind_nat(node.host());
        config.bootstrap = helper_endpoints_;
        config.announce_port = peer_port;
        config.lookup_interval = scenario_.lookup_interval;
        config.announce_interval = scenario_.announce_interval;
        std::shared_ptr<const dht_config>& same = shared[config.read_only ? 1 : 0];
        if (!same || same->bootstrap != config.bootstrap)
          same = std::make_shared<const dht_config>(std::move(config));
        return std::make_unique<dht>(same, socket);
      };
    case discovery_backend::tracker:
      return [this](sim_node&, datagram_socket& socket) -> std::unique_ptr<discovery_component> {
        tracker_client_config config;
        config.trackers = helper_endpoints_;
        config.announce_port = peer_port;
        config.lookup_interval = scenario_.lookup_interval;
        config.announce_interval = scenario_.announce_interval;
        return std::make_unique<tracker_client>(socket, config);
      };
  }
  return nullptr;
}

void simulation::start_helpers() {
  for (size_t i = 0; i < helper_hosts_.size(); ++i) {
    host_id host = helper_hosts_[i];
    if (scenario_.discovery == discovery_backend::dht) {
      // Each bootstrap node joins through the ones before it.
      std::vector<endpoint> before(helper_endpoints_.begin(), helper_endpoints_.begin() + i);
      helpers_.push_back(drv_.open_datagram(host, discovery_port, [&](datagram_socket& socket) {
        dht_config config;
        config.bootstrap = before;
        return std::make_unique<dht>(config, socket);
      }));
    } else {
      helpers_.push_back(drv_.open_datagram(host, discovery_port, [](datagram_socket& socket) {
        return std::make_unique<tracker_server>(socket);
      }));
    }
  }
}

std::shared_ptr<const sim_node_config> simulation::node_config(const std::vector<std::string>& addresses) {
  auto config = std::make_shared<sim_node_config>();
  config->mode = scenario_.mode;
  config->core.inbound_max = scenario_.inbound_max;
  config->core.swarm.outbound_wanted = scenario_.peers_wanted;
  config->core.swarm.discovered_max = scenario_.peers_known_max;
  config->core.value_outbound_wanted = scenario_.value_peers_wanted;
  config->discovery = make_discovery();
  config->addresses = addresses;
  config->id_channel = scenario_.id_channel;
  config->core.id_poll_interval = scenario_.poll_interval;
  config->core.id_poll_jitter = scenario_.poll_jitter;
  config->core.id_overlap = scenario_.id_overlap;
  // Off in the simulator (see feed_service_config): the scenarios' digests predate it. On
  // when the writer equivocates, the one case it is for.
  config->feed.compare_trees = scenario_.equivocate_at.has_value();
  return config;
}

bytes simulation::block(uint64_t index) const {
  return block_of(scenario_.seed, index);
}

bytes simulation::second_block(uint64_t index) const {
  return block_of(scenario_.seed ^ 0x7365636f6e64ULL, index);
}

bytes simulation::block_of(uint64_t seed, uint64_t index) const {
  bytes out(scenario_.block_size);
  rng fill(seed * 0x9e3779b97f4a7c15ULL + index);
  for (size_t i = 0; i < out.size(); i += 8) {
    uint64_t word = fill.next();
    for (size_t j = 0; j < 8 && i + j < out.size(); ++j)
      out[i + j] = static_cast<uint8_t>(word >> (8 * j));
  }
  return out;
}

void simulation::build() {
  if (scenario_.verify_cache) {
    cache_ = std::make_unique<crypto::verify_cache>();
    crypto::set_verify_cache(cache_.get());
  }
  world_ = std::make_unique<world>(drv_);
  world_->set_observer(this);

  bytes seed_text = {'d', 'y', 'n', 'f', 'e', 'e', 'd', ' ', 'w', 'r', 'i', 't', 'e', 'r'};
  put_u64le(seed_text, scenario_.seed);
  keypair keys =
    crypto::keypair_from_seed(key_seed::from(crypto::blake2b_256(seed_text).span()));
  public_key feed_key = keys.pk;

  // Regions: the scenario's shares, or an even spread; the writer is in the first.
  size_t regions = std::max<size_t>(1, scenario_.network.regions.size());
  std::vector<double> shares = scenario_.region_shares;
  if (shares.empty())
    shares.assign(regions, 1.0);
  double total = 0;
  for (double s : shares)
    total += s;

  writer_ = &world_->add_node(host_config{ip_of(0), 0, 0, 0}, feed_key, keys, node_config({}));
  std::vector<std::string> static_peers;
  if (scenario_.discovery == discovery_backend::none)
    static_peers.push_back(writer_->address().to_string());
  // Readers who arrive during the run (measured model) exist from the start, offline.
  const population_model& pop = scenario_.population;
  if (pop.arrivals_per_hour > 0) {
    distribution gap = distribution::exponential(3600.0 / pop.arrivals_per_hour);
    double end = seconds(scenario_.duration - scenario_.settle);
    for (double t = seconds(scenario_.join_to) + gap.draw(population_random_); t < end;
         t += gap.draw(population_random_))
      arrival_times_.push_back(duration_cast<clock_time>(std::chrono::duration<double>(t)));
  }
  uint32_t reader_count = scenario_.readers + static_cast<uint32_t>(arrival_times_.size());
  readers_.reserve(reader_count);
  auto reader_config = node_config(static_peers);
  for (uint32_t i = 0; i < reader_count; ++i)
    add_reader(i, feed_key, shares, total, reader_config);
  states_.resize(world_->nodes().size());
  received_past_.resize(world_->nodes().size());
  apply_population();

  // Discovery's own hosts come after the readers, in the writer's region.
  uint32_t helpers = scenario_.discovery == discovery_backend::dht       ? scenario_.bootstrap_nodes
                     : scenario_.discovery == discovery_backend::tracker ? 1
                                                                         : 0;
  for (uint32_t i = 0; i < helpers; ++i) {
    uint32_t ip = ip_of(reader_count + 1 + i);
    helper_hosts_.push_back(drv_.add_host(host_config{ip, 0, 0, 0}));
    helper_endpoints_.push_back(endpoint{ip, discovery_port});
  }
  if (scenario_.equivocate_at)
    add_twin(ip_of(reader_count + 1 + helpers), keys);
  if (scenario_.hostile.set()) // last of all, so that every other host keeps its address
    add_hostile(ip_of(reader_count + 2 + helpers), feed_key);
  states_.resize(world_->nodes().size());
  received_past_.resize(world_->nodes().size());
}

// ---- the equivocating writer -------------------------------------------------------------------

/// The second host comes last, so that every other host keeps its address. It gets the
/// writer's key and, when it starts, the writer's feed as it is then (the same blocks appended
/// give the same signed tree: a copy of the store), then appends blocks of its own.
void simulation::add_twin(uint32_t ip, const keypair& keys) {
  twin_ = &world_->add_node(host_config{ip, 0, 0, 0}, keys.pk, keys, node_config({}));
  drv_.at(*scenario_.equivocate_at, [this] { twin_->start(); });
  drv_.at(*scenario_.equivocate_at + 1ms, [this] { fork_twin(); });
}

void simulation::fork_twin() {
  fork_length_ = truth_.size();
  twin_truth_ = truth_;
  if (fork_length_ > 0) {
    std::vector<bytes> copy;
    for (uint64_t i = 0; i < fork_length_; ++i)
      copy.push_back(block(i));
    twin_->append(copy);
  }
  twin_append(fork_length_);
  twin_first_append_ = drv_.now();
}

/// Appends the second history's next blocks; `length` is where they start.
void simulation::twin_append(uint64_t length) {
  std::vector<bytes> blocks;
  for (uint32_t i = 0; i < scenario_.blocks_per_append; ++i)
    blocks.push_back(second_block(length + i));
  twin_->append(blocks);
  for (const bytes& b : blocks)
    twin_truth_.push_back(crypto::blake2b_256(b));
}

std::optional<uint8_t> simulation::history_of(uint64_t index, const hash256& h) const {
  bool writer = index < truth_.size() && h == truth_[index];
  bool second = index < twin_truth_.size() && h == twin_truth_[index];
  if (!writer && !second)
    return std::nullopt;
  if (!twin_first_append_ || index < fork_length_)
    return uint8_t{0};
  return static_cast<uint8_t>(writer ? 1 : 2);
}

/// At the end: every block each reader's store holds past the fork, against both histories.
void simulation::check_histories() {
  size_t end = std::max(truth_.size(), twin_truth_.size());
  for (sim_node* reader : readers_) {
    uint8_t seen = 0;
    for (uint64_t i = fork_length_; i < end; ++i) {
      auto stored = reader->store().get_block(i);
      if (!stored || !*stored)
        continue;
      auto h = history_of(i, crypto::blake2b_256(**stored));
      if (!h || (seen && *h != seen)) {
        fail("reader " + std::to_string(reader->index()) + " holds " +
             (h ? "blocks of both histories" : "a block of neither history") + " at the end");
        return;
      }
      seen = *h;
    }
  }
}

void simulation::on_equivocation(sim_node& node, const equivocation_proof& proof) {
  if (node.writer())
    return;
  reader_state& st = state_of(node);
  if (st.detected >= clock_time{0})
    return;
  st.detected = drv_.now();
  if (!(proof.key == writer_->data()->key()) || !verify_equivocation(proof))
    fail("node " + std::to_string(node.index()) + " keeps an equivocation proof that does not verify");
}

void simulation::add_hostile(uint32_t first_ip, const public_key& feed_key) {
  hostile_counts_ = scenario_.hostile.resolve(
    scenario_.readers,
    scenario_.mode != feed_mode::stable && scenario_.id_channel.has(id_channel::relay),
    scenario_.discovery == discovery_backend::dht);
  hostile_book book;
  book.feed_key = feed_key;
  book.block_size = scenario_.block_size;
  book.writer_length = [this] { return static_cast<uint64_t>(truth_.size()); };
  hostile_ = std::make_unique<hostile_nodes>(drv_, *world_, scenario_.hostile, scenario_.seed,
                                             std::move(book));
  hostile_->add_hosts(hostile_counts_, first_ip);
}

const hostile_book* simulation::hostile() const noexcept {
  return hostile_ ? &hostile_->book() : nullptr;
}

equivocation_summary simulation::equivocation() const {
  equivocation_summary out;
  out.fork_length = fork_length_;
  out.second_append = twin_first_append_;
  for (sim_node* reader : readers_) {
    const reader_state& st = states_[reader->index()];
    out.readers_started += st.joined >= clock_time{0} ? 1 : 0;
    out.on_writer += st.history == 1 ? 1 : 0;
    out.on_second += st.history == 2 ? 1 : 0;
    if (st.detected < clock_time{0})
      continue;
    ++out.detected;
    if (twin_first_append_)
      out.delays.push_back(st.detected - *twin_first_append_);
  }
  std::sort(out.delays.begin(), out.delays.end());
  return out;
}

void simulation::add_reader(uint32_t index, const public_key& feed_key,
                            const std::vector<double>& shares, double total,
                            const std::shared_ptr<const sim_node_config>& config) {
  double pick = random_.unit() * total;
  uint16_t region = 0;
  while (region + 1u < shares.size() && pick >= shares[region]) {
    pick -= shares[region];
    ++region;
  }
  // Measured model: each reader's own link speeds (kbit/s drawn, bytes/s kept; 0 stays the
  // network's default, so a reader never gets 0 from a draw).
  const population_model& pop = scenario_.population;
  auto speed = [&](const distribution& kbps) -> uint64_t {
    if (!kbps.set())
      return 0;
    return std::max<uint64_t>(1, static_cast<uint64_t>(kbps.draw(population_random_) * 1000 / 8));
  };
  uint64_t up = speed(pop.up_kbps);
  uint64_t down = speed(pop.down_kbps);
  readers_.push_back(&world_->add_node(host_config{ip_of(index + 1), region, up, down},
                                       feed_key, std::nullopt, config));
}

/// Access delays and NAT per reader, and the rules for dials to NATed hosts. Only the
/// measured model's own stream is drawn from, and only for the options a scenario sets.
void simulation::apply_population() {
  const population_model& pop = scenario_.population;
  network& net = drv_.net();
  net.set_reachability(pop.reach);
  world_->seed_dials(scenario_.seed ^ 0x70756e6368696e67ULL);
  for (sim_node* reader : readers_) {
    if (pop.access_delay_ms.set())
      net.set_access_delay(reader->host(), duration_cast<clock_time>(std::chrono::duration<double, std::milli>(
                                              pop.access_delay_ms.draw(population_random_))));
    if (pop.nat_share > 0)
      net.set_nat(reader->host(), population_random_.chance(pop.nat_share));
  }
}

void simulation::schedule_session_end(sim_node& node) {
  const population_model& pop = scenario_.population;
  if (!pop.churns())
    return;
  reader_state& st = state_of(node);
  double length = pop.session_s.draw(population_random_);
  clock_time at = drv_.now() + duration_cast<clock_time>(std::chrono::duration<double>(length));
  // Like crashes, sessions stop ending at the settle time, so that convergence can be checked.
  if (at >= scenario_.duration - scenario_.settle)
    return;
  sim_node* n = &node;
  drv_.at(at, [this, n, session = st.session] {
    if (n->running() && state_of(*n).session == session)
      end_session(*n);
  });
}

void simulation::end_session(sim_node& node) {
  absorb(node);
  uncount_stopped(node);
  ++departures_;
  world_->crash(node); // the host goes away: its links break, the far ends notice
  const population_model& pop = scenario_.population;
  if (pop.leave_share > 0 && population_random_.chance(pop.leave_share)) {
    ++gone_;
    return;
  }
  double off = pop.off_s.draw(population_random_);
  sim_node* n = &node;
  drv_.at(drv_.now() + duration_cast<clock_time>(std::chrono::duration<double>(off)), [this, n] {
    if (!n->running())
      start_reader(*n);
  });
}

void simulation::learned(sim_node& node, uint64_t length) {
  reader_state& st = state_of(node);
  while (st.next_learn < appends_.size() && length >= appends_[st.next_learn].length) {
    append_record& a = appends_[st.next_learn++];
    a.learn_delays.push_back(drv_.now() - a.at);
  }
}

// ---- the workload ------------------------------------------------------------------------------

void simulation::schedule_workload() {
  const scenario& s = scenario_;
  drv_.at(0ns, [this] {
    start_helpers();
    writer_->start();
    state_of(*writer_).started = drv_.now();
  });
  if (hostile_)
    hostile_->schedule(s.duration, [this](rng& r) -> sim_node* {
      sim_node* pick = readers_[r.below(readers_.size())];
      return pick->running() ? pick : nullptr;
    });
  // A turn later, so that the writer's components have started.
  drv_.at(1ms, [this] {
    std::vector<bytes> blocks;
    for (uint32_t i = 0; i < scenario_.initial_blocks; ++i)
      blocks.push_back(block(truth_.size() + i));
    if (blocks.empty())
      return;
    writer_->append(blocks);
    for (const bytes& b : blocks)
      truth_.push_back(crypto::blake2b_256(b));
  });

  for (uint32_t i = 0; i < s.readers; ++i) {
    sim_node* reader = readers_[i];
    auto span = static_cast<uint64_t>((s.join_to - s.join_from).count());
    clock_time at = s.join_from + clock_time{static_cast<int64_t>(random_.below(span + 1))};
    drv_.at(std::max(at, clock_time{2ms}), [this, reader] { start_reader(*reader); });
  }
  for (size_t i = 0; i < arrival_times_.size(); ++i) {
    sim_node* reader = readers_[s.readers + i];
    drv_.at(std::max(arrival_times_[i], clock_time{2ms}), [this, reader] { start_reader(*reader); });
  }

  clock_time last = s.duration - s.settle;
  uint32_t planned = 0;
  for (clock_time t = s.first_append; t <= last && (s.appends == 0 || planned < s.appends);
       t += s.append_interval) {
    drv_.at(t, [this] { do_append(); });
    ++planned;
    if (s.append_interval <= clock_time{0})
      break;
  }

  for (const partition_spec& p : s.partitions) {
    drv_.at(p.at, [this, fraction = p.fraction] {
      for (sim_node* reader : readers_)
        if (random_.chance(fraction))
          drv_.net().set_group(reader->host(), 1);
      ++partitions_started_;
    });
    drv_.at(p.at + p.duration, [this] { drv_.net().heal(); });
  }

  for (clock_time t = s.sample_interval; t <= s.duration; t += s.sample_interval) {
    drv_.at(t, [this] { take_sample(); });
    if (s.sample_interval <= clock_time{0})
      break;
  }
}

void simulation::start_reader(sim_node& node) {
  reader_state& st = state_of(node);
  clock_time now = drv_.now();
  if (st.joined < clock_time{0}) {
    st.joined = now;
    st.next_learn = appends_.size();
  }
  st.started = now;
  st.seen_peer = false;
  st.last_value_seq = 0;
  st.next_append = appends_.size();
  ++st.session;
  if (st.starts++ > 0) {
    world_->restart(node);
  } else {
    // A new reader is given the feed's current ID with its key (a link): relay has no other
    // way to reach it. The value swarm needs none, and the default runs as it always did.
    if (scenario_.id_channel.has(id_channel::relay) && writer_->running())
      node.give_first_id(writer_->data()->id());
    node.start();
  }
  schedule_crash(node);
  schedule_session_end(node);
}

void simulation::schedule_crash(sim_node& node) {
  if (scenario_.crashes_per_hour <= 0)
    return;
  double rate = scenario_.crashes_per_hour / 3600.0; // per second
  double wait = -std::log(1.0 - random_.unit()) / rate;
  clock_time at = drv_.now() + duration_cast<clock_time>(std::chrono::duration<double>(wait));
  if (at >= scenario_.duration - scenario_.settle)
    return;
  sim_node* n = &node;
  drv_.at(at, [this, n] {
    if (n->running())
      crash_reader(*n);
  });
}

void simulation::crash_reader(sim_node& node) {
  absorb(node);
  uncount_stopped(node);
  ++state_of(node).crashes;
  ++crashes_;
  world_->crash(node);
  sim_node* n = &node;
  drv_.at(drv_.now() + scenario_.restart_after, [this, n] { start_reader(*n); });
}

void simulation::uncount_stopped(const sim_node& node) {
  // Every append from its first unreached one on was made while it ran (a start sets
  // next_append to the appends made so far), so each counted it.
  for (size_t i = state_of(node).next_append; i < appends_.size(); ++i)
    --appends_[i].eligible;
}

void simulation::do_append() {
  std::vector<bytes> blocks;
  for (uint32_t i = 0; i < scenario_.blocks_per_append; ++i)
    blocks.push_back(block(truth_.size() + i));
  uint64_t length = writer_->append(blocks);
  for (const bytes& b : blocks)
    truth_.push_back(crypto::blake2b_256(b));
  if (twin_first_append_)
    twin_append(twin_truth_.size());
  append_record record;
  record.at = drv_.now();
  record.length = length;
  for (sim_node* reader : readers_)
    record.eligible += reader->running() ? 1 : 0;
  appends_.push_back(std::move(record));
}

// ---- what the nodes report ---------------------------------------------------------------------

void simulation::on_blocks(sim_node& node, uint64_t first, uint64_t count) {
  if (node.writer() || violation_)
    return;
  reader_state& st = state_of(node);
  for (uint64_t i = first; i < first + count; ++i) {
    auto stored = node.store().get_block(i);
    auto history = stored && *stored ? history_of(i, crypto::blake2b_256(**stored)) : std::nullopt;
    if (!history) {
      fail("node " + std::to_string(node.index()) + " stores block " + std::to_string(i) +
           " that is not the writer's");
      return;
    }
    if (*history != 0 && st.history != 0 && *history != st.history) {
      fail("node " + std::to_string(node.index()) + " stores block " + std::to_string(i) +
           " of one history of the equivocating writer next to blocks of the other");
      return;
    }
    if (*history != 0)
      st.history = *history;
  }
  const feed* data = node.data();
  uint64_t before = st.contiguous;
  while (data->has(st.contiguous))
    ++st.contiguous;
  if (st.contiguous != before)
    st.progressed = drv_.now();
  while (st.next_append < appends_.size() && st.contiguous >= appends_[st.next_append].length) {
    append_record& a = appends_[st.next_append++];
    a.delays.push_back(drv_.now() - a.at);
  }
}

void simulation::on_length(sim_node& node, uint64_t length) {
  if (!node.writer() && scenario_.mode == feed_mode::stable)
    learned(node, length);
}

void simulation::on_peer(sim_node& node, bool up) {
  reader_state& st = state_of(node);
  if (!up || st.seen_peer || node.writer())
    return;
  st.seen_peer = true;
  discover_delays_.push_back(drv_.now() - st.started);
}

void simulation::on_value(sim_node& node, const signed_value& value) {
  reader_state& st = state_of(node);
  if (value.seq < st.last_value_seq) {
    fail("node " + std::to_string(node.index()) + " went back from value seq " +
         std::to_string(st.last_value_seq) + " to " + std::to_string(value.seq));
    return;
  }
  st.last_value_seq = value.seq;
  // Rotating modes: a value's seq is the length it announces the ID of (feed/dynamic.hpp).
  if (!node.writer() && scenario_.mode != feed_mode::stable)
    learned(node, value.seq);
}

void simulation::fail(std::string what) {
  if (violation_)
    return;
  violation_ = invariant_violation{std::move(what), drv_.now(), drv_.events()};
}

// ---- counting ----------------------------------------------------------------------------------

namespace {

void add_lifetime(totals& t, const sim_node& node, uint64_t& received) {
  if (const discovery_component* d = node.discovery()) {
    t.discovery.add(d->stats());
    received += d->stats().datagrams_received;
  }
  if (const feed_service* s = node.service()) {
    const feed_service_stats& st = s->stats();
    t.signalling += st.syncs_sent + st.id_pushes_sent;
    t.redundant_blocks += st.redundant_blocks;
    t.blocks_downloaded += st.blocks_downloaded;
    t.rejected_proofs += st.rejected_proofs;
  }
}

} // namespace

void simulation::absorb(const sim_node& node) {
  add_lifetime(past_, node, received_past_[node.index()]);
  if (node.publisher_id() != no_component)
    if (auto* p = dynamic_cast<const publisher*>(drv_.find(node.publisher_id())))
      past_.signalling += p->stats().pushes_sent;
}

totals simulation::sum() const {
  totals t = past_;
  t.discovery_received_max = 0;
  for (const auto& node : world_->nodes()) {
    uint64_t received = received_past_[node->index()];
    add_lifetime(t, *node, received);
    if (node->running() && node->publisher_id() != no_component)
      if (auto* p = dynamic_cast<const publisher*>(drv_.find(node->publisher_id())))
        t.signalling += p->stats().pushes_sent;
    t.discovery_received_max = std::max(t.discovery_received_max, received);
  }
  for (component_id id : helpers_)
    if (auto* d = dynamic_cast<const discovery_component*>(drv_.find(id))) {
      t.discovery.add(d->stats());
      t.discovery_received_max = std::max(t.discovery_received_max, d->stats().datagrams_received);
    }
  return t;
}

void simulation::take_sample() {
  sample s;
  s.at = drv_.now();
  uint64_t latest = writer_->data() ? writer_->data()->length() : 0;
  std::unordered_map<hash256, uint32_t> swarms; // topic -> its number in the census
  std::vector<swarm_member> members;
  uint64_t peers = 0;
  uint64_t duplicates = 0;
  for (const auto& node : world_->nodes()) {
    if (!node->running())
      continue;
    uint64_t held = held_by(*node);
    if (auto topic = node->swarm_topic()) {
      auto [it, added] = swarms.try_emplace(*topic, static_cast<uint32_t>(swarms.size()));
      members.push_back({it->second, held, !node->writer()});
    }
    if (node->writer())
      continue;
    ++s.running_readers;
    peers += node->connected_peers();
    duplicates += node->duplicate_peers();
    if (held >= latest)
      ++s.at_latest;
  }
  std::vector<length_at> made;
  for (const append_record& a : appends_)
    made.push_back({seconds(a.at), a.length});
  swarm_census census = take_census(
    members, settled_length(made, seconds(s.at), stranded_grace_s, scenario_.initial_blocks));
  s.swarm_ids = census.swarm_ids;
  s.largest_swarm = census.largest_swarm;
  s.in_swarms = census.members;
  s.stranded = census.stranded;
  totals t = sum();
  s.discovery_datagrams = t.discovery.datagrams_sent;
  s.signalling = t.signalling;
  s.bytes = drv_.stats().link_bytes + drv_.stats().datagram_bytes;
  s.events = drv_.events();
  s.mean_peers = s.running_readers ? static_cast<double>(peers) / s.running_readers : 0;
  s.mean_duplicates = s.running_readers ? static_cast<double>(duplicates) / s.running_readers : 0;
  samples_.push_back(s);
  if (!followed_.empty())
    sample_followed(s.at);
}

std::vector<double> simulation::residue_per_append() const {
  std::vector<uint64_t> lengths;
  for (const append_record& a : appends_)
    lengths.push_back(a.length);
  std::vector<uint64_t> held;
  for (const sim_node* reader : readers_)
    if (reader->running())
      held.push_back(states_[reader->index()].contiguous);
  return residue(lengths, held);
}

stranded_summary simulation::stranded() const {
  std::vector<uint32_t> stranded, running;
  for (const sample& s : samples_) {
    stranded.push_back(s.stranded);
    running.push_back(s.running_readers);
  }
  return summarize_stranded(stranded, running);
}

void simulation::check_convergence() {
  if (drv_.net().partitioned())
    return; // not a connected network: nothing to promise
  uint64_t latest = writer_->data()->length();
  clock_time settled = scenario_.duration - scenario_.settle;
  for (sim_node* reader : readers_) {
    const reader_state& st = state_of(*reader);
    if (!reader->running() || st.started > settled)
      continue;
    if (st.contiguous < latest) {
      fail("reader " + std::to_string(reader->index()) + " holds " +
           std::to_string(st.contiguous) + " of the writer's " + std::to_string(latest) +
           " blocks after the settle time");
      return;
    }
  }
}

// ---- running -----------------------------------------------------------------------------------

void simulation::prepare() {
  if (prepared_)
    return;
  prepared_ = true;
  build();
  schedule_workload();
}

void simulation::run(const std::function<void(clock_time)>& progress) {
  auto wall_start = std::chrono::steady_clock::now();
  prepare();
  for (clock_time t = 1s;; t += 1s) {
    t = std::min(t, scenario_.duration);
    drv_.run_until(t);
    if (progress)
      progress(t);
    if (violation_ || t >= scenario_.duration)
      break;
  }
  // An equivocating writer leaves no single length to converge on: readers that caught it
  // stop following. What holds is that no store mixes the two histories.
  if (!violation_ && twin_)
    check_histories();
  else if (!violation_)
    check_convergence();
  if (!violation_ && !twin_)
    check_liveness();
  wall_seconds_ =
    std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
}

uint64_t simulation::digest() const noexcept {
  return drv_.digest();
}

// ---- reports -----------------------------------------------------------------------------------

std::string simulation::summary_table() const {
  totals t = sum();
  const runtime_stats& rs = drv_.stats();
  double updates = std::max<size_t>(1, appends_.size());
  double nodes = static_cast<double>(world_->nodes().size());
  std::vector<clock_time> discover = discover_delays_;
  std::sort(discover.begin(), discover.end());
  auto [max_ids, min_share] = worst_fragmentation(samples_);

  std::ostringstream out;
  char line[256];
  auto row = [&](const char* name, const std::string& text) {
    std::snprintf(line, sizeof line, "%-18s %s\n", name, text.c_str());
    out << line;
  };
  row("scenario", scenario_.name + " (" + std::string(to_string(scenario_.mode)) + " mode, " +
                    std::string(to_string(scenario_.discovery)) + " discovery, " +
                    std::to_string(scenario_.readers) + " readers)");
  double virt = seconds(drv_.now());
  std::snprintf(line, sizeof line, "%.0f s virtual in %.1f s wall (%.1fx); %s events (%s/s)",
                virt, wall_seconds_, wall_seconds_ > 0 ? virt / wall_seconds_ : 0.0,
                format_count(static_cast<double>(drv_.events())).c_str(),
                format_count(wall_seconds_ > 0 ? drv_.events() / wall_seconds_ : 0.0).c_str());
  row("time", line);
  row("appends", std::to_string(appends_.size()) + " (writer length " +
                   std::to_string(writer_->data() ? writer_->data()->length() : 0) + ")");
  for (double share : {0.5, 0.9, 0.99}) {
    reach_summary r = summarize_reach(appends_, share);
    std::snprintf(line, sizeof line, "median %s, worst %s%s", format_seconds(r.median).c_str(),
                  format_seconds(r.worst).c_str(),
                  r.never ? (" (" + std::to_string(r.never) + " appends never)").c_str() : "");
    std::string name = "reach " + std::to_string(static_cast<int>(share * 100)) + "%";
    row(name.c_str(), line);
  }
  row(scenario_.mode == feed_mode::stable ? "length lag" : "ID lag",
      format_learning(summarize_learning(appends_)));
  const population_model& pop = scenario_.population;
  if (pop.churns() || pop.arrivals_per_hour > 0 || pop.nat_share > 0) {
    std::snprintf(line, sizeof line,
                  "%u sessions ended, %u readers gone for good, %u arrived; connections: %llu dialled, %llu punched",
                  departures_, gone_, arrivals(), static_cast<unsigned long long>(world_->dialled()),
                  static_cast<unsigned long long>(world_->punched()));
    row("population", line);
  }
  std::snprintf(line, sizeof line, "p50 %s, p90 %s, p99 %s (%zu starts)",
                format_seconds(percentile(discover, 0.5)).c_str(),
                format_seconds(percentile(discover, 0.9)).c_str(),
                format_seconds(percentile(discover, 0.99)).c_str(), discover.size());
  row("first peer", line);
  if (!samples_.empty()) {
    const sample& last = samples_.back();
    std::snprintf(line, sizeof line, "at the end %u IDs, largest %.1f%%; at worst %u IDs, largest %.1f%%",
                  last.swarm_ids,
                  100.0 * largest_share(last),
                  max_ids, 100.0 * min_share);
    row("swarms", line);
  }
  std::snprintf(line, sizeof line, "%s datagrams: %s per update, %s per node, busiest node got %s",
                format_count(static_cast<double>(t.discovery.datagrams_sent)).c_str(),
                format_count(t.discovery.datagrams_sent / updates).c_str(),
                format_count(t.discovery.datagrams_sent / nodes).c_str(),
                format_count(static_cast<double>(t.discovery_received_max)).c_str());
  row("discovery", line);
  std::snprintf(line, sizeof line, "%s messages: %s per update, %s per node",
                format_count(static_cast<double>(t.signalling)).c_str(),
                format_count(t.signalling / updates).c_str(),
                format_count(t.signalling / nodes).c_str());
  row("signalling", line);
  std::snprintf(line, sizeof line, "%sB over links (%s frames), %sB of datagrams",
                format_count(static_cast<double>(rs.link_bytes)).c_str(),
                format_count(static_cast<double>(rs.link_frames)).c_str(),
                format_count(static_cast<double>(rs.datagram_bytes)).c_str());
  row("bytes", line);
  std::snprintf(line, sizeof line, "%s downloaded, %s redundant, %s proofs rejected",
                format_count(static_cast<double>(t.blocks_downloaded)).c_str(),
                format_count(static_cast<double>(t.redundant_blocks)).c_str(),
                format_count(static_cast<double>(t.rejected_proofs)).c_str());
  row("blocks", line);
  row("fragmentation", format_fragmentation(stranded(), summarize_residue(residue_per_append())));
  if (twin_)
    row("equivocation", format_equivocation(equivocation()));
  if (hostile_)
    for (const auto& [kind, text] : hostile_rows(*hostile(), hostile_counts_))
      row(("hostile " + kind).c_str(), text);
  if (violation_) {
    std::snprintf(line, sizeof line, "VIOLATED at %.3f s, event %llu: ", seconds(violation_->at),
                  static_cast<unsigned long long>(violation_->event));
    row("invariants", line + violation_->what);
  } else {
    row("invariants", "held");
  }
  return out.str();
}

std::string simulation::summary_json() const {
  using nlohmann::json;
  totals t = sum();
  const runtime_stats& rs = drv_.stats();
  double updates = std::max<size_t>(1, appends_.size());
  double nodes = static_cast<double>(world_->nodes().size());

  json j;
  j["scenario"] = json::parse(to_json(scenario_));
  j["seed"] = scenario_.seed;
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(digest()));
  j["digest"] = hex;
  j["virtualSeconds"] = seconds(drv_.now());
  j["wallSeconds"] = wall_seconds_;
  j["events"] = drv_.events();
  j["nodes"] = world_->nodes().size();
  j["appends"] = appends_.size();
  j["writerLength"] = writer_->data() ? writer_->data()->length() : 0;

  json reach;
  for (double share : {0.5, 0.9, 0.99}) {
    reach_summary r = summarize_reach(appends_, share);
    reach["p" + std::to_string(static_cast<int>(share * 100))] = {
      {"medianSeconds", json_seconds(r.median)},
      {"worstSeconds", json_seconds(r.worst)},
      {"appendsNeverReached", r.never}};
  }
  j["reachLatest"] = reach;

  learn_summary learning = summarize_learning(appends_);
  j["learnLag"] = {{"of", scenario_.mode == feed_mode::stable ? "length" : "id"},
                   {"p50MedianSeconds", json_seconds(learning.median[0])},
                   {"p90MedianSeconds", json_seconds(learning.median[1])},
                   {"p99MedianSeconds", json_seconds(learning.median[2])},
                   {"p99WorstSeconds", json_seconds(learning.worst_p99)},
                   {"learned", learning.learned}};
  j["population"] = {{"sessionsEnded", departures_}, {"gone", gone_}, {"arrived", arrivals()},
                     {"connectionsDialled", world_->dialled()},
                     {"connectionsPunched", world_->punched()}};

  std::vector<clock_time> discover = discover_delays_;
  std::sort(discover.begin(), discover.end());
  j["firstPeer"] = {{"starts", discover.size()},
                    {"p50Seconds", json_seconds(percentile(discover, 0.5))},
                    {"p90Seconds", json_seconds(percentile(discover, 0.9))},
                    {"p99Seconds", json_seconds(percentile(discover, 0.99))}};

  auto [max_ids, min_share] = worst_fragmentation(samples_);
  json swarms = {{"maxIds", max_ids}, {"minLargestShare", min_share}};
  if (!samples_.empty()) {
    swarms["finalIds"] = samples_.back().swarm_ids;
    swarms["finalLargestShare"] = largest_share(samples_.back());
  }
  j["swarms"] = swarms;
  j["stranded"] = stranded_json(stranded());
  size_t at_end = 0;
  for (const sim_node* reader : readers_)
    at_end += reader->running() ? 1 : 0;
  j["residue"] = residue_json(summarize_residue(residue_per_append()), at_end);

  json ops = json::object();
  for (size_t i = 0; i < discovery_op_count; ++i) {
    const op_counters& c = t.discovery.ops[i];
    if (c.queries_sent + c.queries_received == 0)
      continue;
    ops[std::string(to_string(static_cast<discovery_op>(i)))] = {
      {"queriesSent", c.queries_sent}, {"responsesReceived", c.responses_received},
      {"timeouts", c.timeouts}, {"errorsReceived", c.errors_received}};
  }
  const discovery_refusals& r = t.discovery.refused;
  j["discovery"] = {
    {"backend", to_string(scenario_.discovery)},
    {"datagramsSent", t.discovery.datagrams_sent},
    {"bytesSent", t.discovery.bytes_sent},
    {"perUpdate", t.discovery.datagrams_sent / updates},
    {"perNode", t.discovery.datagrams_sent / nodes},
    {"busiestNodeReceived", t.discovery_received_max},
    {"lookups", t.discovery.lookups},
    {"meanHops", t.discovery.lookups ? static_cast<double>(t.discovery.lookup_hops) /
                                         t.discovery.lookups
                                     : 0.0},
    {"maxHops", t.discovery.lookup_hops_max},
    {"ops", ops},
    {"refused",
     {{"malformed", r.malformed}, {"unsolicited", r.unsolicited}, {"rateLimited", r.rate_limited},
      {"badToken", r.bad_token}, {"storageFull", r.storage_full}, {"badValue", r.bad_value}}}};
  j["signalling"] = {{"messages", t.signalling},
                     {"perUpdate", t.signalling / updates},
                     {"perNode", t.signalling / nodes}};
  j["bytes"] = {{"links", rs.link_bytes}, {"linkFrames", rs.link_frames},
                {"datagrams", rs.datagram_bytes}, {"datagramsDelivered", rs.datagrams},
                {"datagramsLost", rs.datagrams_lost}, {"linksBroken", rs.links_broken},
                {"perReader", static_cast<double>(rs.link_bytes + rs.datagram_bytes) /
                                std::max<size_t>(1, readers_.size())}};
  j["blocks"] = {{"downloaded", t.blocks_downloaded},
                 {"redundant", t.redundant_blocks},
                 {"proofsRejected", t.rejected_proofs}};
  if (cache_)
    j["verifyCache"] = {{"hits", cache_->hits()}, {"misses", cache_->misses()}};
  if (twin_)
    j["equivocation"] = equivocation_json(equivocation());
  if (hostile_)
    j["hostile"] = hostile_summary_json(*hostile(), hostile_counts_);
  if (violation_)
    j["violation"] = {{"what", violation_->what},
                      {"atSeconds", seconds(violation_->at)},
                      {"event", violation_->event}};
  else
    j["violation"] = nullptr;
  return j.dump(2) + "\n";
}

uint64_t simulation::held_by(const sim_node& node) {
  return node.writer() ? (node.data() ? node.data()->length() : 0) : state_of(node).contiguous;
}

void simulation::follow(const std::vector<uint32_t>& nodes) {
  DYNFEED_ASSERT(prepared_);
  for (uint32_t i : nodes) {
    if (i >= world_->nodes().size())
      throw std::out_of_range("no node " + std::to_string(i) + ": this run has nodes 0 to " +
                              std::to_string(world_->nodes().size() - 1));
    followed_.push_back(world_->nodes()[i].get());
  }
}

void simulation::sample_followed(clock_time at) {
  auto prefix = [](const std::optional<hash256>& topic) {
    return topic ? to_hex(byte_span(topic->data(), 4)) : std::string("-");
  };
  std::optional<hash256> writer_topic = writer_->swarm_topic();
  for (sim_node* node : followed_) {
    follow_row row;
    row.at = at;
    row.node = node->index();
    row.running = node->running();
    row.held = held_by(*node);
    std::optional<hash256> topic = row.running ? node->swarm_topic() : std::nullopt;
    row.swarm = prefix(topic);
    row.writer_swarm = prefix(writer_topic);
    row.peers = row.running ? node->connected_peers() : 0;
    if (const feed_service* service = node->service()) {
      row.id_pushes = service->stats().id_pushes_received;
      row.requests = service->stats().requests_sent;
    }
    if (topic) {
      for (const auto& other : world_->nodes()) {
        if (other.get() == node || !other->running())
          continue;
        std::optional<hash256> theirs = other->swarm_topic();
        if (!theirs || *theirs != *topic)
          continue;
        ++row.swarm_nodes;
        if (held_by(*other) > row.held)
          ++row.swarm_ahead;
      }
    }
    follow_rows_.push_back(std::move(row));
  }
}

std::string simulation::follow_csv() const {
  std::ostringstream out;
  out << "t_s,node,running,held,swarm,writer_swarm,peers,swarm_nodes,swarm_ahead,id_pushes,"
         "requests\n";
  for (const follow_row& r : follow_rows_) {
    char t[32];
    std::snprintf(t, sizeof t, "%.3f", seconds(r.at));
    out << t << ',' << r.node << ',' << (r.running ? 1 : 0) << ',' << r.held << ','
        << r.swarm << ',' << r.writer_swarm << ',' << r.peers << ',' << r.swarm_nodes << ','
        << r.swarm_ahead << ',' << r.id_pushes << ',' << r.requests << '\n';
  }
  return out.str();
}

std::string simulation::timeseries_csv() const {
  std::ostringstream out;
  out << "t_s,running_readers,at_latest,swarm_ids,largest_swarm,discovery_datagrams,"
         "signalling,bytes,events,mean_peers,stranded,in_swarms,mean_duplicates\n";
  char line[256];
  for (const sample& s : samples_) {
    std::snprintf(line, sizeof line, "%.3f,%u,%u,%u,%u,%llu,%llu,%llu,%llu,%.3f,%u,%u,%.3f\n", seconds(s.at),
                  s.running_readers, s.at_latest, s.swarm_ids, s.largest_swarm,
                  static_cast<unsigned long long>(s.discovery_datagrams),
                  static_cast<unsigned long long>(s.signalling),
                  static_cast<unsigned long long>(s.bytes),
                  static_cast<unsigned long long>(s.events), s.mean_peers, s.stranded,
                  s.in_swarms, s.mean_duplicates);
    out << line;
  }
  return out.str();
}

std::string simulation::appends_csv() const {
  std::ostringstream out;
  out << "append,t_s,length,eligible,reached,p50_s,p90_s,p99_s,learned,lag_p50_s,lag_p90_s,"
         "lag_p99_s,residue\n";
  auto cell = [](std::optional<clock_time> t) {
    if (!t)
      return std::string();
    char text[32];
    std::snprintf(text, sizeof text, "%.4f", seconds(*t));
    return std::string(text);
  };
  std::vector<double> residues = residue_per_append();
  for (size_t i = 0; i < appends_.size(); ++i) {
    const append_record& a = appends_[i];
    out << i << ',' << seconds(a.at) << ',' << a.length << ',' << a.eligible << ','
        << a.delays.size() << ',' << cell(a.reached(0.5)) << ',' << cell(a.reached(0.9)) << ','
        << cell(a.reached(0.99)) << ',' << a.learn_delays.size();
    for (const auto& lag : learn_percentiles(a))
      out << ',' << cell(lag);
    out << ',' << residues[i] << '\n';
  }
  return out.str();
}

} // namespace dynfeed::sim

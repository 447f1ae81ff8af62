#include "dynfeed/sim/dht_calibration.hpp"

#include "dynfeed/discovery/dht.hpp"
#include "dynfeed/sim/runtime.hpp"
#include "dynfeed/sim/scenario.hpp"

#include <algorithm>
#include <cmath>
#include <memory>
#include <functional>
#include <optional>

namespace dynfeed::sim {

namespace {

constexpr uint16_t study_port = 6881;

/// 10.x.y.z from 10.0.0.1 on: distinct addresses, so that nodes_per_ip_max never bites.
uint32_t study_ip(size_t index) {
  return 0x0a000000u | static_cast<uint32_t>(index + 1);
}

node_id random_node_id(rng& random) {
  node_id out;
  for (auto& b : out.bytes)
    b = static_cast<uint8_t>(random.next());
  return out;
}

struct study_world {
  runtime rt;
  std::vector<component_id> nodes;
  std::vector<host_id> hosts;
  std::vector<bool> alive;

  study_world(uint64_t seed, network_config net) : rt(seed, std::move(net)) {}

  dht& node(size_t i) { return static_cast<dht&>(*rt.find(nodes.at(i))); }
};

network_config study_network(const lookup_study_config& c, const latency_data& data) {
  network_config net;
  net.regions = data.regions;
  net.latency_ms = data.one_way_ms;
  net.jitter = c.jitter;
  net.loss = c.loss;
  return net;
}

/// Adds the nodes, one region after another, each bootstrapping from the first, then lets the
/// DHT settle and (with dead_share) makes some nodes vanish.
void build(study_world& w, const lookup_study_config& c, size_t regions) {
  rng draws{c.seed ^ 0x63616c6962726174ULL}; // access delays and the dead, apart from the network's
  for (size_t i = 0; i < c.nodes; ++i) {
    host_config hc;
    hc.ip = study_ip(i);
    hc.region = static_cast<uint16_t>(i % regions);
    host_id h = w.rt.add_host(hc);
    if (c.access_delay_ms.set())
      w.rt.net().set_access_delay(h, std::chrono::duration_cast<clock_time>(
                                       std::chrono::duration<double, std::milli>(
                                         std::max(0.0, c.access_delay_ms.draw(draws)))));
    dht_config config = c.dht;
    if (i > 0)
      config.bootstrap = {endpoint{study_ip(0), study_port}};
    w.nodes.push_back(w.rt.open_datagram(h, study_port, [&](datagram_socket& s) {
      return std::make_unique<dht>(config, s);
    }));
    w.hosts.push_back(h);
    w.alive.push_back(true);
    w.rt.run_until(w.rt.now() + c.join_spacing);
  }
  w.rt.run_until(w.rt.now() + c.settle);
  // Node 0 stays: it is everyone's bootstrap, and lookups start from the living anyway.
  for (size_t i = 1; i < c.nodes && c.dead_share > 0; ++i)
    if (draws.chance(c.dead_share)) {
      w.rt.crash(w.hosts[i]);
      w.alive[i] = false;
    }
}

/// Runs until `done()` or `limit` of virtual time passed.
void run_while(study_world& w, const std::function<bool()>& done, clock_time limit) {
  clock_time end = w.rt.now() + limit;
  while (!done() && w.rt.now() < end && w.rt.step()) {
  }
}

/// Node `from` announces `target` (port 7000) to the k nodes closest to it; false on failure.
bool announce(study_world& w, size_t from, const node_id& target) {
  std::optional<dht_store_result> out;
  w.rt.with(w.nodes[from], [&](component& c, context& ctx) {
    static_cast<dht&>(c).announce(ctx, target, 7000, [&](const dht_store_result& r) { out = r; });
  });
  run_while(w, [&] { return out.has_value(); }, std::chrono::minutes{10});
  return out && !out->err && out->stored > 0;
}

struct timed_result {
  dht_lookup_result result;
  std::optional<clock_time> first_peer; ///< since the start
  clock_time took{0};
};

/// One get_peers lookup from node `from`; nullopt when it did not finish within `limit`.
std::optional<timed_result> timed_lookup(study_world& w, size_t from, const node_id& target,
                                         clock_time limit) {
  std::optional<timed_result> out;
  std::optional<clock_time> first_peer;
  clock_time started = w.rt.now();
  w.rt.with(w.nodes[from], [&](component& c, context& ctx) {
    static_cast<dht&>(c).lookup_peers(
      ctx, target,
      [&](const dht_lookup_result& r) { out = timed_result{r, first_peer, w.rt.now() - started}; },
      [&](const std::vector<endpoint>& peers) {
        if (!first_peer && !peers.empty())
          first_peer = w.rt.now() - started;
      });
  });
  run_while(w, [&] { return out.has_value(); }, limit);
  return out;
}

void summarise(lookup_study_result& r, uint32_t done) {
  std::sort(r.seconds.begin(), r.seconds.end());
  double sum = 0;
  for (double s : r.seconds)
    sum += s;
  if (done > 0) {
    r.mean_s = sum / done;
    r.hops_mean /= done;
    r.queries_mean /= done;
    r.timeouts_mean /= done;
  }
  r.p10_s = quantile_of_sorted(r.seconds, 0.10);
  r.p50_s = quantile_of_sorted(r.seconds, 0.50);
  r.p90_s = quantile_of_sorted(r.seconds, 0.90);
  r.p99_s = quantile_of_sorted(r.seconds, 0.99);
  std::sort(r.first_peer_seconds.begin(), r.first_peer_seconds.end());
  double first_sum = 0;
  for (double s : r.first_peer_seconds)
    first_sum += s;
  if (!r.first_peer_seconds.empty())
    r.first_peer_mean_s = first_sum / static_cast<double>(r.first_peer_seconds.size());
  r.first_peer_p50_s = quantile_of_sorted(r.first_peer_seconds, 0.50);
  r.first_peer_p90_s = quantile_of_sorted(r.first_peer_seconds, 0.90);
}

} // namespace

double quantile_of_sorted(const std::vector<double>& sorted, double q) {
  if (sorted.empty())
    return 0;
  double rank = std::ceil(q * static_cast<double>(sorted.size()));
  size_t index = rank < 1 ? 0 : static_cast<size_t>(rank) - 1;
  return sorted[std::min(index, sorted.size() - 1)];
}

expected<lookup_study_result> run_lookup_study(const lookup_study_config& c) {
  if (c.nodes < 2 || c.lookups == 0)
    return error{base_errc::invalid_argument, "a lookup study needs 2 nodes or more and 1 lookup or more"};
  if (!(c.dead_share >= 0 && c.dead_share < 1) || !(c.loss >= 0 && c.loss < 1))
    return error{base_errc::invalid_argument, "dead_share and loss must be in [0, 1)"};
  auto data = load_latency_data(c.latency_data);
  if (!data)
    return data.error();
  study_world w{c.seed, study_network(c, *data)};
  build(w, c, std::max<size_t>(data->regions.size(), 1));

  lookup_study_result r;
  rng picks{c.seed + 1};
  auto living = [&] {
    size_t i = picks.below(c.nodes);
    while (!w.alive[i])
      i = picks.below(c.nodes);
    return i;
  };
  // Each target is announced by one node first: the lookups then measure both the time to the
  // first peer (a record found, as IPFS's provider walk and Jimenez et al. count it) and the
  // time to settle on the k closest nodes.
  std::vector<node_id> targets;
  for (uint32_t i = 0; i < c.lookups; ++i) {
    targets.push_back(random_node_id(picks));
    if (!announce(w, living(), targets.back()))
      ++r.announces_failed;
  }
  uint32_t done = 0;
  for (const node_id& target : targets) {
    auto t = timed_lookup(w, living(), target, std::chrono::minutes{10});
    if (!t || t->result.err || t->result.closest.empty()) {
      ++r.failed;
      continue;
    }
    ++done;
    r.seconds.push_back(std::chrono::duration<double>(t->took).count());
    if (t->first_peer)
      r.first_peer_seconds.push_back(std::chrono::duration<double>(*t->first_peer).count());
    r.hops_mean += t->result.hops;
    r.queries_mean += t->result.queries;
    r.timeouts_mean += t->result.timeouts;
  }
  summarise(r, done);
  r.nodes_alive = static_cast<uint32_t>(std::count(w.alive.begin(), w.alive.end(), true));
  r.events = w.rt.events();
  r.digest = w.rt.digest();
  return r;
}

} // namespace dynfeed::sim

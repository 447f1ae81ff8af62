#include "bench/sim_bench.hpp"

#include "dynfeed/sim/caf_driver.hpp"
#include "dynfeed/sim/runtime.hpp"
#include "dynfeed/sim/simulation.hpp"

#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>

namespace dynfeed::bench {

namespace {

using namespace std::chrono_literals;

/// Resident memory now and at its peak, from /proc (bytes).
std::pair<uint64_t, uint64_t> resident() {
  std::ifstream status("/proc/self/status");
  std::string line;
  uint64_t now = 0, peak = 0;
  while (std::getline(status, line)) {
    unsigned long long kb = 0;
    if (std::sscanf(line.c_str(), "VmRSS: %llu kB", &kb) == 1)
      now = kb * 1024;
    else if (std::sscanf(line.c_str(), "VmHWM: %llu kB", &kb) == 1)
      peak = kb * 1024;
  }
  return {now, peak};
}

sim::scenario scale_scenario(const sim_bench_options& o) {
  sim::scenario s;
  s.name = "bench";
  s.seed = o.seed;
  s.readers = o.nodes;
  s.mode = feed_mode::stable;
  s.duration = std::chrono::duration_cast<clock_time>(std::chrono::duration<double>(o.duration_s));
  s.join_to = 60s;
  s.initial_blocks = 4;
  s.block_size = 64;
  s.first_append = 60s;
  s.append_interval = 30s;
  s.settle = std::min<clock_time>(30s, s.duration / 4);
  s.lookup_interval = 120s;
  s.peers_wanted = o.peers_wanted;
  s.peers_known_max = 2 * o.peers_wanted;
  s.sample_interval = 10s;
  s.network.regions = {"eu", "us", "asia"};
  s.network.latency_ms = {{10, 45, 120}, {45, 15, 90}, {120, 90, 20}};
  s.region_shares = {0.4, 0.4, 0.2};
  s.network.jitter = 0.1;
  return s;
}

} // namespace

nlohmann::json run_sim_bench(const sim_bench_options& o) {
  sim::scenario s = scale_scenario(o);
  uint64_t rss_before = resident().first;
  std::unique_ptr<sim::runtime> drv = o.driver == "caf"
                                        ? sim::make_caf_runtime(s.seed, s.network)
                                        : std::make_unique<sim::runtime>(s.seed, s.network);
  sim::simulation simulation(s, *drv);
  auto start = std::chrono::steady_clock::now();
  simulation.run();
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  auto [rss_end, rss_peak] = resident();
  const sim::runtime_stats& st = drv->stats();
  uint64_t deliveries = st.link_frames + st.datagrams;
  double virt = std::chrono::duration<double>(drv->now()).count();
  char digest[17];
  std::snprintf(digest, sizeof digest, "%016llx", static_cast<unsigned long long>(drv->digest()));
  uint64_t nodes = simulation.nodes().nodes().size();
  return {
    {"bench", "sim"},
    {"driver", o.driver},
    {"nodes", nodes},
    {"seed", o.seed},
    {"peersWanted", o.peers_wanted},
    {"virtualSeconds", virt},
    {"wallSeconds", wall},
    {"virtualToWall", wall > 0 ? virt / wall : 0},
    {"events", drv->events()},
    {"eventsPerSecond", wall > 0 ? drv->events() / wall : 0},
    {"networkDeliveries", deliveries},
    {"networkDeliveriesPerSecond", wall > 0 ? deliveries / wall : 0},
    {"frameBytes", st.link_bytes},
    {"componentMessages", st.messages},
    {"componentMessagesPerSecond", wall > 0 ? st.messages / wall : 0},
    {"frameDeliveries", st.frames},
    {"frameDeliveriesPerSecond", wall > 0 ? st.frames / wall : 0},
    {"rssPeakBytes", rss_peak},
    {"rssEndBytes", rss_end},
    {"bytesPerNode", nodes ? (rss_peak - std::min(rss_peak, rss_before)) / nodes : 0},
    {"invariantsHeld", !simulation.violation().has_value()},
    {"digest", digest},
  };
}

} // namespace dynfeed::bench

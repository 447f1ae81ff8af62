#include "bench/sim_bench.hpp"

#include "dynfeed/sim/caf_driver.hpp"
#include "dynfeed/sim/runtime.hpp"
#include "dynfeed/sim/scenario.hpp"
#include "dynfeed/sim/simulation.hpp"

#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <stdexcept>
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

/// CPU seconds this process has used, user and system.
double cpu_seconds() {
  rusage r{};
  ::getrusage(RUSAGE_SELF, &r);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return seconds(r.ru_utime) + seconds(r.ru_stime);
}

clock_time to_clock(double seconds) {
  return std::chrono::duration_cast<clock_time>(std::chrono::duration<double>(seconds));
}

sim::scenario scale_scenario(const sim_bench_options& o) {
  sim::scenario s;
  s.name = "bench";
  s.seed = 1;
  s.readers = 100000;
  s.mode = feed_mode::stable;
  s.duration = to_clock(o.duration_s.value_or(180));
  s.join_to = 60s;
  s.initial_blocks = 4;
  s.block_size = 64;
  s.first_append = 60s;
  s.append_interval = 30s;
  s.settle = std::min<clock_time>(30s, s.duration / 4);
  s.lookup_interval = 120s;
  s.peers_wanted = o.peers_wanted.value_or(4);
  s.peers_known_max = 2 * s.peers_wanted;
  s.sample_interval = 10s;
  s.network.regions = {"eu", "us", "asia"};
  s.network.latency_ms = {{10, 45, 120}, {45, 15, 90}, {120, 90, 20}};
  s.region_shares = {0.4, 0.4, 0.2};
  s.network.jitter = 0.1;
  return s;
}

/// The scenario to run: the named one or the scale scenario, with the options' overrides.
sim::scenario chosen_scenario(const sim_bench_options& o) {
  if (o.duration_s && (!(*o.duration_s > 0) || *o.duration_s > 1e7))
    throw std::runtime_error("--duration must be between 0 and 10^7 seconds");
  sim::scenario s;
  if (o.scenario.empty()) {
    s = scale_scenario(o);
  } else {
    auto loaded = sim::load_scenario(o.scenario);
    if (!loaded)
      throw std::runtime_error(loaded.error().to_string());
    s = std::move(*loaded);
    if (o.duration_s)
      s.duration = to_clock(*o.duration_s);
    if (o.peers_wanted) {
      s.peers_wanted = *o.peers_wanted;
      s.peers_known_max = std::max(s.peers_known_max, 2 * *o.peers_wanted);
    }
  }
  if (o.value_peers_wanted)
    s.value_peers_wanted = *o.value_peers_wanted;
  if (o.nodes)
    s.readers = *o.nodes;
  if (o.seed)
    s.seed = *o.seed;
  return s;
}

} // namespace

nlohmann::json run_sim_bench(const sim_bench_options& o) {
  sim::scenario s = chosen_scenario(o);
  uint64_t rss_before = resident().first;
  double cpu_before = cpu_seconds();
  std::unique_ptr<sim::runtime> drv = o.driver == "caf"
                                        ? sim::make_caf_runtime(s.seed, s.network)
                                        : std::make_unique<sim::runtime>(s.seed, s.network);
  sim::simulation simulation(s, *drv);
  auto start = std::chrono::steady_clock::now();
  simulation.run();
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  double cpu = cpu_seconds() - cpu_before;
  auto [rss_end, rss_peak] = resident();
  const sim::runtime_stats& st = drv->stats();
  uint64_t deliveries = st.link_frames + st.datagrams;
  double virt = std::chrono::duration<double>(drv->now()).count();
  char digest[17];
  std::snprintf(digest, sizeof digest, "%016llx", static_cast<unsigned long long>(drv->digest()));
  uint64_t nodes = simulation.nodes().nodes().size();
  return {
    {"bench", "sim"},
    {"scenario", s.name},
    {"driver", o.driver},
    {"nodes", nodes},
    {"seed", s.seed},
    {"peersWanted", s.peers_wanted},
    {"valuePeersWanted", s.value_peers_wanted != 0 ? s.value_peers_wanted : s.peers_wanted},
    {"virtualSeconds", virt},
    {"wallSeconds", wall},
    {"cpuSeconds", cpu},
    {"virtualToWall", wall > 0 ? virt / wall : 0},
    {"events", drv->events()},
    {"eventsPerSecond", wall > 0 ? drv->events() / wall : 0},
    {"eventsPerCpuSecond", cpu > 0 ? drv->events() / cpu : 0},
    {"networkDeliveries", deliveries},
    {"networkDeliveriesPerSecond", wall > 0 ? deliveries / wall : 0},
    {"networkDeliveriesPerCpuSecond", cpu > 0 ? deliveries / cpu : 0},
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

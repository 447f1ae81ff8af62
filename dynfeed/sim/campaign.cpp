#include "dynfeed/sim/campaign.hpp"

#include "dynfeed/base/random.hpp"
#include "dynfeed/sim/runtime.hpp"
#include "dynfeed/sim/simulation.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <initializer_list>

namespace dynfeed::sim {

namespace {

using json = nlohmann::json;

/// Draws from the seed's own stream and records each decision, for the description and for
/// counting coverage.
class picker {
public:
  explicit picker(uint64_t seed) : random_(seed ^ 0x63616d706169676eull) {}

  template <class T>
  T one_of(const char* option, std::initializer_list<T> values) {
    T v = *(values.begin() + random_.below(values.size()));
    record(option, v);
    return v;
  }
  /// Uniform in [lo, hi]; recorded as the half of the range it fell in.
  uint64_t between(const char* option, uint64_t lo, uint64_t hi) {
    uint64_t v = random_.between(lo, hi);
    choices_.emplace_back(option, v * 2 <= lo + hi ? "low" : "high");
    return v;
  }
  bool chance(const char* option, double p) {
    bool v = random_.unit() < p;
    choices_.emplace_back(option, v ? "yes" : "no");
    return v;
  }
  std::vector<std::pair<std::string, std::string>> take() { return std::move(choices_); }

private:
  void record(const char* option, const std::string& v) { choices_.emplace_back(option, v); }
  void record(const char* option, const char* v) { record(option, std::string(v)); }
  void record(const char* option, double v) {
    char text[32];
    std::snprintf(text, sizeof text, "%g", v);
    record(option, std::string(text));
  }
  void record(const char* option, int v) { record(option, std::to_string(v)); }

  rng random_;
  std::vector<std::pair<std::string, std::string>> choices_;
};

/// Mode, ID channels, discovery and the swarm's sizes.
/// Returns whether relay is the only ID channel.
bool pick_protocol(picker& p, json& j, std::string& text) {
  bool relay_only = false;
  std::string mode = p.one_of<const char*>("mode", {"stable", "rotating", "rotating-roots"});
  j["mode"] = mode;
  text = mode;
  if (mode != "stable") {
    std::string channel =
      p.one_of<const char*>("id_channel", {"value-swarm", "relay", "value-swarm,relay"});
    j["id_channel"] = channel;
    relay_only = channel == "relay";
    text += channel == "value-swarm" ? "/vs" : channel == "relay" ? "/relay" : "/vs+relay";
  }
  std::string discovery = p.one_of<const char*>("discovery", {"none", "ideal", "dht", "tracker"});
  j["discovery"] = discovery;
  text += " " + discovery;
  if (discovery == "dht")
    j["bootstrap_nodes"] = p.between("bootstrap_nodes", 1, 6);
  j["lookup_interval_s"] = p.one_of("lookup_interval_s", {10, 30, 60});
  j["announce_interval_s"] = p.one_of("announce_interval_s", {30, 120, 300});
  j["peers_wanted"] = p.one_of("peers_wanted", {2, 4, 8});
  j["peers_known_max"] = p.one_of("peers_known_max", {8, 32});
  // Without discovery every reader knows only the writer: a writer that takes fewer inbound
  // connections than there are readers leaves the rest with nothing, by design, not by fault.
  int inbound = p.one_of("inbound_max", {4, 16, 64});
  j["inbound_max"] = discovery == "none" ? 1000 : inbound;
  return relay_only;
}

/// Regions, latencies, speeds, loss, duplication and reordering. They last the whole run:
/// liveness is promised under them (only partitions, crashes and churn stop).
void pick_network(picker& p, json& j, std::string& text) {
  json net;
  int regions = p.one_of("regions", {1, 2, 3});
  json names = json::array(), matrix = json::array();
  for (int a = 0; a < regions; ++a) {
    names.push_back({{"name", "r" + std::to_string(a)}, {"share", 1}});
    json row = json::array();
    for (int b = 0; b < regions; ++b)
      row.push_back(a == b ? 10 : 40 + 40 * (a + b));
    matrix.push_back(row);
  }
  net["regions"] = names;
  net["latency_ms"] = matrix;
  net["jitter"] = p.one_of("jitter", {0.0, 0.1, 0.5});
  double loss = p.one_of("loss", {0.0, 0.01, 0.1, 0.3});
  net["loss"] = loss;
  net["duplicate"] = p.one_of("duplicate", {0.0, 0.02, 0.2});
  net["reorder"] = p.one_of("reorder", {0.0, 0.05, 0.3});
  net["reorder_delay_s"] = p.one_of("reorder_delay_s", {0.05, 0.5});
  double stream_loss = p.one_of("stream_loss", {0.0, 0.01, 0.1});
  net["stream_loss"] = stream_loss;
  net["stream_loss_delay_s"] = p.one_of("stream_loss_delay_s", {0.2, 1.0});
  int up = p.one_of("up_kbps", {500, 5000, 50000});
  net["up_kbps"] = up;
  net["down_kbps"] = up * p.one_of("down_up_ratio", {1, 4});
  j["network"] = net;
  char buf[64];
  std::snprintf(buf, sizeof buf, " loss %g/%g", loss, stream_loss);
  text += buf;
}

/// Sizes and the writer's schedule; returns when the last append is made (seconds).
uint64_t pick_workload(picker& p, json& j, bool slow_uplink, std::string& text) {
  uint64_t readers = p.between("readers", 3, 40);
  uint64_t join_to = p.between("join_to_s", 0, 60);
  uint64_t first = join_to + p.between("first_append_s", 5, 30);
  uint64_t interval = p.between("append_interval_s", 5, 40);
  uint64_t appends = p.between("appends", 1, 12);
  uint64_t per_append = p.between("blocks_per_append", 1, 4);
  j["readers"] = readers;
  j["join_from_s"] = 0;
  j["join_to_s"] = join_to;
  j["initial_blocks"] = p.one_of("initial_blocks", {0, 1, 8, 32});
  j["first_append_s"] = first;
  j["append_interval_s"] = interval;
  j["appends"] = appends;
  j["blocks_per_append"] = per_append;
  int block_size = p.one_of("block_size", {64, 1024, 16384});
  // A 500 kbit/s uplink moves one 16 KiB block in 0.26 s: 40 readers of 80 such blocks need
  // 14 minutes of the writer's uplink alone, far beyond the bound. Slow links get small blocks.
  if (slow_uplink)
    block_size = std::min(block_size, 1024);
  j["block_size"] = block_size;
  text += " r" + std::to_string(readers) + " a" + std::to_string(appends) + "x" +
          std::to_string(per_append);
  return first + (appends - 1) * interval;
}

/// Partitions, crashes and churn, all within [0, faults_end]; NAT lasts the whole run.
void pick_faults(picker& p, json& j, uint64_t faults_end, bool relay_only, std::string& text) {
  int partitions = p.one_of("partitions", {0, 0, 1, 2});
  json parts = json::array();
  uint64_t slot = faults_end / std::max(1, partitions);
  for (int i = 0; i < partitions && slot >= 10; ++i) {
    uint64_t at = i * slot + p.between("partition_at_s", 0, slot / 2);
    uint64_t length = p.between("partition_duration_s", 5, std::max<uint64_t>(5, slot - (at - i * slot)));
    parts.push_back({{"at_s", at}, {"duration_s", std::min(length, faults_end - at)},
                     {"fraction", p.one_of("partition_fraction", {0.1, 0.3, 0.5, 0.9})}});
  }
  j["partitions"] = parts;
  double crashes = p.one_of("crashes_per_hour", {0.0, 0.0, 10.0, 60.0, 240.0});
  // Relay alone cannot serve a reader that comes back after the swarm moved on (simulator.md,
  // "What the ID channels cost"): a design limit, not a fault, so no restarts with it.
  if (relay_only)
    crashes = 0;
  j["crashes_per_hour"] = crashes;
  j["restart_after_s"] = p.between("restart_after_s", 1, 60);
  json pop = json::object();
  bool churn = p.chance("churn", 0.3) && !relay_only;
  if (churn) {
    pop["session_s"] = {{"kind", "exponential"}, {"mean", p.between("session_mean_s", 30, 300)}};
    pop["off_s"] = {{"kind", "exponential"}, {"mean", p.between("off_mean_s", 5, 60)}};
    pop["leave_share"] = p.one_of("leave_share", {0.0, 0.1});
    pop["arrivals_per_hour"] = p.one_of("arrivals_per_hour", {0, 60, 600});
  }
  double nat = p.one_of("nat_share", {0.0, 0.0, 0.3, 0.8});
  if (nat > 0) {
    pop["nat_share"] = nat;
    if (p.chance("hole_punch", 0.5)) {
      pop["hole_punch"] = true;
      pop["hole_punch_s"] = {{"kind", "lognormal"}, {"median", 1.8}, {"sigma", 0.2}};
    }
  }
  if (!pop.empty())
    j["population"] = pop;
  // Hostile nodes on top of the readers, spread over every kind the feed can meet (simulator.md,
  // "Hostile nodes"); liveness is promised for the honest readers.
  double hostile = p.one_of("hostile_share", {0.0, 0.0, 0.1, 0.25});
  if (hostile > 0)
    j["hostile"] = {{"share", hostile}};
  char buf[128];
  std::snprintf(buf, sizeof buf, " part %d crash %g/h%s nat %g hostile %g", partitions, crashes,
                churn ? " churn" : "", nat, hostile);
  text += buf;
}

} // namespace

campaign_case generate_case(uint64_t seed) {
  picker p(seed);
  json j;
  std::string text;
  j["name"] = "campaign-" + std::to_string(seed);
  j["seed"] = seed;
  bool relay_only = pick_protocol(p, j, text);
  pick_network(p, j, text);
  uint64_t last_append = pick_workload(p, j, j["network"]["up_kbps"] == 500, text);
  // Faults stop a while after the last append; then the run lasts long enough for every
  // reader, including one restarted just then (restart_after_s <= 60), to meet the bound.
  uint64_t faults_end = last_append + p.between("faults_after_last_append_s", 1, 30);
  pick_faults(p, j, faults_end, relay_only, text);
  uint64_t bound_s = std::chrono::duration_cast<std::chrono::seconds>(liveness_bound).count();
  uint64_t settle = bound_s + 70;
  j["settle_s"] = settle;
  j["duration_s"] = faults_end + settle;
  j["liveness"] = {{"from_s", faults_end}, {"bound_s", bound_s}};
  j["sample_interval_s"] = 5;
  campaign_case c;
  c.seed = seed;
  c.json = j.dump(2) + "\n";
  c.description = text;
  c.choices = p.take();
  return c;
}

campaign_result run_case(const campaign_case& c) {
  auto wall_start = std::chrono::steady_clock::now();
  campaign_result r;
  r.seed = c.seed;
  auto parsed = parse_scenario(c.json, "campaign seed " + std::to_string(c.seed));
  if (!parsed) {
    r.violation = "the generated scenario is refused: " + parsed.error().to_string();
    return r;
  }
  runtime drv(parsed->seed, parsed->network);
  simulation sim(*parsed, drv);
  sim.run();
  r.digest = sim.digest();
  r.virtual_s = std::chrono::duration<double>(drv.now()).count();
  if (const auto& v = sim.violation())
    r.violation = v->what + " (at " + std::to_string(v->at.count() / 1000000) + " ms virtual, event " + std::to_string(v->event) + ")";
  r.passed = r.violation.empty();
  r.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  return r;
}

} // namespace dynfeed::sim

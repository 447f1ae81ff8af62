// The dht ID channel in the simulator: each ID channel alone and combined, with the DHT as
// discovery, converges in the rotating modes on the plain model and on the measured one
// (sessions, NAT, per-reader bandwidth); the items really travel through the DHT; both drivers
// agree; and scenarios that ask for it without a DHT are refused by name.

#include "dynfeed/sim/caf_driver.hpp"
#include "dynfeed/sim/runtime.hpp"
#include "dynfeed/sim/simulation.hpp"

#include <boost/test/unit_test.hpp>

#include <nlohmann/json.hpp>

using namespace dynfeed;
using namespace dynfeed::sim;
using namespace std::chrono_literals;

namespace {

constexpr uint8_t value_swarm = static_cast<uint8_t>(id_channel::value_swarm);
constexpr uint8_t relay = static_cast<uint8_t>(id_channel::relay);
constexpr uint8_t dht = static_cast<uint8_t>(id_channel::dht);

/// 40 readers in two regions finding peers through the DHT, appends every 20 s, readers poll
/// for new IDs every 10 s.
scenario small_on_the_dht(uint64_t seed, feed_mode mode, uint8_t channels) {
  scenario s;
  s.name = "dht-id-small";
  s.seed = seed;
  s.readers = 40;
  s.mode = mode;
  s.id_channel = id_channels{channels};
  s.duration = 300s;
  s.join_to = 20s;
  s.first_append = 30s;
  s.append_interval = 20s;
  s.settle = 90s;
  s.initial_blocks = 4;
  s.block_size = 256;
  s.discovery = discovery_backend::dht;
  s.bootstrap_nodes = 3;
  s.lookup_interval = 10s;
  s.poll_interval = 10s;
  s.poll_jitter = 2s;
  s.network.regions = {"a", "b"};
  s.network.latency_ms = {{10, 60}, {60, 10}};
  s.network.jitter = 0.2;
  return s;
}

/// The same on the measured model: six regions, Weibull sessions with departures and
/// arrivals, half the readers behind NAT with hole punching, per-reader link speeds.
scenario measured_on_the_dht(uint64_t seed, feed_mode mode, uint8_t channels) {
  scenario s = small_on_the_dht(seed, mode, channels);
  s.readers = 50;
  s.duration = 360s;
  s.settle = 100s;
  auto data = load_latency_data("wonderproxy-2020");
  BOOST_REQUIRE(data.has_value());
  s.network.regions = data->regions;
  s.network.latency_ms = data->one_way_ms;
  s.network.jitter = 0.03;
  population_model& p = s.population;
  p.session_s = distribution::weibull(0.5, 90);
  p.off_s = distribution::weibull(0.5, 30);
  p.leave_share = 0.2;
  p.arrivals_per_hour = 200;
  p.nat_share = 0.5;
  p.reach.hole_punch = true;
  p.reach.hole_punch_delay_s = distribution::lognormal(1.819, 0.178);
  p.reach.hole_punch_success = 0.7;
  p.up_kbps = distribution::lognormal(4000, 0.5);
  p.down_kbps = distribution::lognormal(8000, 0.5);
  p.access_delay_ms = distribution::lognormal(17.45, 0.35);
  return s;
}

/// Each ID channel alone, and the combinations that make sense.
const std::vector<uint8_t> all_channel_sets = {value_swarm, relay, dht, uint8_t(dht | relay),
                                               uint8_t(dht | value_swarm),
                                               uint8_t(relay | value_swarm)};

struct outcome {
  uint64_t digest = 0;
  std::optional<invariant_violation> violation;
  nlohmann::json summary;
  uint32_t departures = 0;
};

outcome run(const scenario& s, bool on_caf = false) {
  std::unique_ptr<runtime> owned =
    on_caf ? make_caf_runtime(s.seed, s.network) : std::make_unique<runtime>(s.seed, s.network);
  simulation sim(s, *owned);
  sim.run();
  outcome o;
  o.digest = sim.digest();
  o.violation = sim.violation();
  if (o.violation)
    BOOST_TEST_MESSAGE("violation: " << o.violation->what);
  o.summary = nlohmann::json::parse(sim.summary_json());
  o.summary.erase("wallSeconds");
  o.departures = sim.departures();
  return o;
}

uint64_t op_count(const outcome& o, const char* op, const char* field) {
  const auto& ops = o.summary["discovery"]["ops"];
  return ops.contains(op) ? ops[op][field].get<uint64_t>() : 0;
}

std::string refusal(const std::string& json) {
  auto s = parse_scenario(json, "test.json");
  return s ? std::string{} : s.error().to_string();
}

} // namespace

BOOST_AUTO_TEST_SUITE(dht_id_channel)

BOOST_AUTO_TEST_CASE(each_id_channel_alone_and_combined_converges_with_the_dht) {
  for (feed_mode mode : {feed_mode::rotating, feed_mode::rotating_roots})
    for (uint8_t bits : all_channel_sets) {
      BOOST_TEST_CONTEXT("mode " << to_string(mode) << ", " << to_string(id_channels{bits})) {
        scenario s = small_on_the_dht(21, mode, bits);
        outcome o = run(s);
        BOOST_TEST(!o.violation.has_value());
        uint64_t appends = o.summary["appends"];
        BOOST_TEST(appends > 5u);
        BOOST_TEST(o.summary["writerLength"].get<uint64_t>() == s.initial_blocks + appends);
        BOOST_TEST(o.summary["reachLatest"]["p99"]["appendsNeverReached"].get<uint64_t>() == 0u);
        BOOST_TEST(o.summary["blocks"]["proofsRejected"].get<uint64_t>() == 0u);
        // Items travel through the DHT exactly when dht is a channel: puts from the writer,
        // gets from the readers' polls.
        bool items = (bits & dht) != 0;
        BOOST_TEST((op_count(o, "put_value", "queriesSent") > 0) == items);
        BOOST_TEST((op_count(o, "get_value", "queriesSent") > 0) == items);
      }
    }
}

BOOST_AUTO_TEST_CASE(the_dht_channel_converges_with_sessions_nat_and_link_speeds) {
  // Alone and combined. Off times (Weibull, scale 30 s) stay well within relay's linger time
  // (node_core_config::id_linger, 10 minutes), and the DHT keeps records 30 minutes: a reader
  // that comes back finds someone who left its ID's swarm and answers with the newest ID.
  // Before that, relay alone stranded such readers; value-swarm alone left a rotating-roots
  // reader restarted with an adopted tree a block short (it joined no ID swarm).
  for (feed_mode mode : {feed_mode::rotating, feed_mode::rotating_roots})
    for (uint8_t bits : all_channel_sets) {
      BOOST_TEST_CONTEXT("mode " << to_string(mode) << ", " << to_string(id_channels{bits})) {
        scenario s = measured_on_the_dht(22, mode, bits);
        outcome o = run(s);
        BOOST_TEST(!o.violation.has_value());
        BOOST_TEST(o.departures > 5u);
        uint64_t appends = o.summary["appends"];
        BOOST_TEST(o.summary["writerLength"].get<uint64_t>() == s.initial_blocks + appends);
        BOOST_TEST(o.summary["learnLag"]["learned"].get<uint64_t>() > 0u);
        BOOST_TEST(o.summary["blocks"]["proofsRejected"].get<uint64_t>() == 0u);
      }
    }
}

BOOST_AUTO_TEST_CASE(the_dht_channel_replays_and_runs_the_same_on_both_drivers) {
  scenario s = small_on_the_dht(23, feed_mode::rotating, dht);
  s.readers = 20;
  s.network.loss = 0.02;
  outcome plain = run(s);
  outcome again = run(s);
  outcome caf = run(s, true);
  BOOST_TEST(!plain.violation.has_value());
  BOOST_TEST(again.digest == plain.digest);
  BOOST_TEST(caf.digest == plain.digest);
  BOOST_TEST(caf.summary.dump() == plain.summary.dump());
  // A slower poll is another run.
  s.poll_interval = 30s;
  BOOST_TEST(run(s).digest != plain.digest);
}

BOOST_AUTO_TEST_CASE(the_dht_channel_without_a_dht_and_bad_poll_settings_are_refused) {
  auto ok = parse_scenario(R"({"id_channel": "dht,relay", "discovery": "dht",
                               "poll_interval_s": 20, "poll_jitter_s": 5})", "test.json");
  BOOST_REQUIRE(ok.has_value());
  BOOST_TEST(ok->id_channel.bits == (dht | relay));
  BOOST_TEST(ok->poll_interval.count() == clock_time{20s}.count());
  BOOST_TEST(ok->poll_jitter.count() == clock_time{5s}.count());
  std::string json = to_json(*ok);
  BOOST_TEST(json.find(R"("poll_interval_s": 20)") != std::string::npos, json);
  for (const char* backend : {"ideal", "tracker", "none"}) {
    std::string e = refusal(std::string{R"({"id_channel": "dht", "discovery": ")"} + backend + "\"}");
    BOOST_TEST(e.find("id_channel dht needs \"discovery\": \"dht\"") != std::string::npos, e);
  }
  BOOST_TEST(refusal(R"({"id_channel": "dht"})").find("id_channel dht") != std::string::npos);
  BOOST_TEST(refusal(R"({"discovery": "dht", "poll_interval_s": 0})").find("poll_interval_s")
             != std::string::npos);
  BOOST_TEST(refusal(R"({"discovery": "dht", "poll_interval_s": -3})").find("poll_interval_s")
             != std::string::npos);
  BOOST_TEST(refusal(R"({"poll_interval_s": 10, "poll_jitter_s": 11})").find("poll_jitter_s")
             != std::string::npos);
  BOOST_TEST(refusal(R"({"poll_jitter_s": "x"})").find("poll_jitter_s") != std::string::npos);
}


BOOST_AUTO_TEST_CASE(relay_readers_that_come_back_find_the_new_id_through_lingering_nodes) {
  // Ideal discovery withdraws a topic as soon as its last member leaves it: only the nodes
  // that linger in an ID swarm they left can answer a reader that comes back to it. With
  // node_core_config::id_linger set to 0 this test fails (checked when the linger was added).
  for (feed_mode mode : {feed_mode::rotating, feed_mode::rotating_roots})
    for (uint8_t bits : {relay, uint8_t(relay | value_swarm)}) {
      BOOST_TEST_CONTEXT("mode " << to_string(mode) << ", " << to_string(id_channels{bits})) {
        scenario s = measured_on_the_dht(1, mode, bits);
        s.discovery = discovery_backend::ideal;
        outcome o = run(s);
        BOOST_TEST(!o.violation.has_value());
        BOOST_TEST(o.departures > 5u);
        BOOST_TEST(o.summary["learnLag"]["learned"].get<uint64_t>() > 0u);
      }
    }
}

BOOST_AUTO_TEST_CASE(make_before_break_keeps_readers_connected_while_ids_outpace_joins) {
  // An ID every 2 s and polls every 10 s: each poll moves a reader to a new ID swarm, whose
  // members it must look up in the DHT and dial. Leaving the old swarm at once, readers spend
  // those seconds with fewer peers; keeping it until the new one gives a peer, they do not.
  struct peers_seen {
    double mean = 0, lowest = 1e9;
    outcome o;
  };
  auto run_with = [](clock_time overlap) {
    scenario s = small_on_the_dht(24, feed_mode::rotating, dht);
    s.append_interval = 2s;
    s.sample_interval = 5s;
    s.id_overlap = overlap;
    runtime rt(s.seed, s.network);
    simulation sim(s, rt);
    sim.run();
    peers_seen seen;
    seen.o.violation = sim.violation();
    seen.o.summary = nlohmann::json::parse(sim.summary_json());
    size_t n = 0;
    for (const sample& x : sim.samples())
      if (x.at >= s.first_append + 30s && x.at <= s.duration - s.settle) {
        seen.mean += x.mean_peers;
        seen.lowest = std::min(seen.lowest, x.mean_peers);
        ++n;
      }
    BOOST_REQUIRE(n > 10u);
    seen.mean /= static_cast<double>(n);
    return seen;
  };
  peers_seen at_once = run_with(0s);
  peers_seen overlapping = run_with(30s);
  BOOST_TEST_MESSAGE("peers per reader, mean and lowest: leaving at once " << at_once.mean << ", "
                     << at_once.lowest << "; make before break " << overlapping.mean << ", "
                     << overlapping.lowest);
  for (const peers_seen* seen : {&at_once, &overlapping}) {
    BOOST_TEST(!seen->o.violation.has_value());
    BOOST_TEST(seen->o.summary["reachLatest"]["p99"]["appendsNeverReached"].get<uint64_t>() == 0u);
  }
  BOOST_TEST(overlapping.mean > at_once.mean);
  BOOST_TEST(overlapping.lowest > at_once.lowest);
}

BOOST_AUTO_TEST_CASE(a_value_swarm_with_fewer_peers_still_converges_and_pushes_less) {
  // The value swarm pushes each announcement over every one of its connections: keeping 2
  // peers instead of every swarm's 8, readers hear each one fewer times, and still all of
  // them, under churn and NAT.
  auto run_with = [](size_t value_peers) {
    scenario s = measured_on_the_dht(31, feed_mode::rotating, value_swarm);
    s.value_peers_wanted = value_peers;
    return run(s);
  };
  outcome usual = run_with(0), few = run_with(2);
  for (const outcome* o : {&usual, &few}) {
    BOOST_TEST(!o->violation.has_value());
    BOOST_TEST(o->summary["reachLatest"]["p99"]["appendsNeverReached"].get<uint64_t>() == 0u);
    BOOST_TEST(o->summary["learnLag"]["learned"].get<uint64_t>() > 0u);
  }
  uint64_t pushed_usual = usual.summary["signalling"]["messages"].get<uint64_t>();
  uint64_t pushed_few = few.summary["signalling"]["messages"].get<uint64_t>();
  BOOST_TEST_MESSAGE("value pushes: 8 peers " << pushed_usual << ", 2 peers " << pushed_few);
  BOOST_TEST(pushed_few * 2 < pushed_usual);
  // Unset, it is every swarm's count: the same run as asking for 8.
  BOOST_TEST(run_with(8).digest == usual.digest);
}

BOOST_AUTO_TEST_CASE(value_peers_wanted_is_a_scenario_field_always_recorded) {
  auto s = parse_scenario(R"({"value_peers_wanted": 3})", "test.json");
  BOOST_REQUIRE(s.has_value());
  BOOST_TEST(s->value_peers_wanted == 3u);
  BOOST_TEST(to_json(*s).find(R"("value_peers_wanted": 3)") != std::string::npos);
  BOOST_TEST(to_json(scenario{}).find(R"("value_peers_wanted": 0)") != std::string::npos);
  BOOST_TEST(refusal(R"({"value_peers_wanted": -1})").find("value_peers_wanted") != std::string::npos);
  BOOST_TEST(refusal(R"({"value_peers_wanted": 1.5})").find("value_peers_wanted") != std::string::npos);
  BOOST_TEST(refusal(R"({"value_peers_wanted": 100000})").find("value_peers_wanted")
             != std::string::npos);
}

BOOST_AUTO_TEST_CASE(id_overlap_is_a_scenario_field_always_recorded) {
  auto s = parse_scenario(R"({"id_channel": "dht", "discovery": "dht", "id_overlap_s": 30})",
                          "test.json");
  BOOST_REQUIRE(s.has_value());
  BOOST_TEST(s->id_overlap.count() == clock_time{30s}.count());
  BOOST_TEST(to_json(*s).find(R"("id_overlap_s": 30)") != std::string::npos);
  BOOST_TEST(to_json(scenario{}).find(R"("id_overlap_s": 0)") != std::string::npos);
  BOOST_TEST(refusal(R"({"id_overlap_s": -1})").find("id_overlap_s") != std::string::npos);
  BOOST_TEST(refusal(R"({"id_overlap_s": "long"})").find("id_overlap_s") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

// The measured network model: its distributions, the NAT rule where connections are made, the
// latency data, and whole scenarios with sessions, arrivals, NAT and per-reader bandwidth.

#include "dynfeed/crypto/crypto.hpp"
#include "dynfeed/sim/caf_driver.hpp"
#include "dynfeed/sim/runtime.hpp"
#include "dynfeed/sim/simulation.hpp"

#include <boost/test/unit_test.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>

using namespace dynfeed;
using namespace dynfeed::sim;
using namespace std::chrono_literals;

namespace {

struct moments {
  double mean = 0;
  double variance = 0;
  double below_median = 0; ///< share of draws at or below the theoretical median
};

moments draw_many(const distribution& d, size_t draws, double median, uint64_t seed = 7) {
  rng random(seed);
  double sum = 0, sum2 = 0;
  size_t below = 0;
  for (size_t i = 0; i < draws; ++i) {
    double x = d.draw(random);
    sum += x;
    sum2 += x * x;
    below += x <= median ? 1 : 0;
  }
  moments m;
  m.mean = sum / static_cast<double>(draws);
  m.variance = sum2 / static_cast<double>(draws) - m.mean * m.mean;
  m.below_median = static_cast<double>(below) / static_cast<double>(draws);
  return m;
}

double relative(double got, double want) {
  return std::abs(got - want) / want;
}

scenario measured_small(uint64_t seed = 3) {
  scenario s;
  s.name = "measured-small";
  s.seed = seed;
  s.readers = 60;
  s.duration = 420s;
  s.join_to = 20s;
  s.first_append = 30s;
  s.append_interval = 20s;
  s.settle = 100s;
  s.initial_blocks = 4;
  s.block_size = 256;
  s.lookup_interval = 10s;
  auto data = load_latency_data("wonderproxy-2011");
  BOOST_REQUIRE(data.has_value());
  s.network.regions = data->regions;
  s.network.latency_ms = data->one_way_ms;
  s.network.jitter = 0.03;
  population_model& p = s.population;
  // Short sessions and off times, so that a few minutes see many comings and goings.
  p.session_s = distribution::weibull(0.5, 60);
  p.off_s = distribution::weibull(0.5, 30);
  p.leave_share = 0.2;
  p.arrivals_per_hour = 300;
  p.nat_share = 0.5;
  p.reach.hole_punch = true;
  p.reach.hole_punch_delay_s = distribution::lognormal(1.819, 0.178);
  p.reach.hole_punch_success = 0.7;
  p.up_kbps = distribution::lognormal(4000, 0.5);
  p.down_kbps = distribution::lognormal(8000, 0.5);
  p.access_delay_ms = distribution::lognormal(17.45, 0.35);
  return s;
}

struct run_result {
  uint64_t digest = 0;
  std::optional<invariant_violation> violation;
  nlohmann::json summary;
  uint32_t departures = 0, gone = 0, arrivals = 0;
  uint64_t dialled = 0, punched = 0;
  std::vector<append_record> appends;
};

run_result run(const scenario& s, bool on_caf = false) {
  std::unique_ptr<runtime> owned =
    on_caf ? make_caf_runtime(s.seed, s.network) : std::make_unique<runtime>(s.seed, s.network);
  runtime& drv = *owned;
  simulation sim(s, drv);
  sim.run();
  run_result r;
  r.digest = sim.digest();
  r.violation = sim.violation();
  if (r.violation)
    BOOST_TEST_MESSAGE("violation: " << r.violation->what);
  r.summary = nlohmann::json::parse(sim.summary_json());
  r.summary.erase("wallSeconds");
  r.departures = sim.departures();
  r.gone = sim.gone();
  r.arrivals = sim.arrivals();
  r.dialled = sim.nodes().dialled();
  r.punched = sim.nodes().punched();
  r.appends = sim.appends();
  return r;
}

/// Two readers of one feed on a plain runtime: `a` dials `b`, which is behind NAT.
struct nat_pair {
  runtime drv;
  world w;
  sim_node* a = nullptr;
  sim_node* b = nullptr;

  explicit nat_pair(const reachability& rules, bool a_behind_nat)
    : drv(11, network_config{{}, {}, std::chrono::milliseconds{20}, 0}), w(drv) {
    bytes text = {'n', 'a', 't'};
    keypair keys = crypto::keypair_from_seed(key_seed::from(crypto::blake2b_256(text).span()));
    auto quiet = std::make_shared<sim_node_config>();
    b = &w.add_node(host_config{0x0A000002, 0, 0, 0}, keys.pk, std::nullopt, quiet);
    auto dialling = std::make_shared<sim_node_config>();
    dialling->addresses = {b->address().to_string()};
    a = &w.add_node(host_config{0x0A000001, 0, 0, 0}, keys.pk, std::nullopt, dialling);
    drv.net().set_reachability(rules);
    drv.net().set_nat(b->host(), true);
    drv.net().set_nat(a->host(), a_behind_nat);
    drv.at(0ns, [this] {
      b->start();
      a->start();
    });
  }
};

} // namespace

BOOST_AUTO_TEST_SUITE(measured_model)

BOOST_AUTO_TEST_CASE(each_distribution_draws_the_moments_of_its_theory) {
  struct row {
    const char* name;
    distribution d;
    double median;
    double variance_tolerance;
  };
  const row rows[] = {
    {"fixed", distribution::fixed(3), 3, 0},
    {"uniform", distribution::uniform(2, 10), 6, 0.02},
    {"exponential", distribution::exponential(5), 5 * std::log(2.0), 0.03},
    // The session fits of Stutzbach and Rejaie (IMC 2006): heavy tails, slow to converge.
    {"weibull k=0.38", distribution::weibull(0.38, 2544), 2544 * std::pow(std::log(2.0), 1 / 0.38), 0.15},
    {"weibull k=0.59", distribution::weibull(0.59, 2514), 2514 * std::pow(std::log(2.0), 1 / 0.59), 0.08},
    {"weibull k=2", distribution::weibull(2, 1), std::sqrt(std::log(2.0)), 0.03},
    {"lognormal", distribution::lognormal(1.819, 0.178), 1.819, 0.03},
    {"lognormal wide", distribution::lognormal(84330, 0.5), 84330, 0.05},
  };
  for (const row& r : rows) {
    BOOST_TEST_CONTEXT(r.name) {
      moments m = draw_many(r.d, 400000, r.median);
      BOOST_TEST(relative(m.mean, r.d.mean()) < 0.03, m.mean << " against " << r.d.mean());
      if (r.d.variance() > 0)
        BOOST_TEST(relative(m.variance, r.d.variance()) < r.variance_tolerance,
                   m.variance << " against " << r.d.variance());
      else
        BOOST_TEST(m.variance < 1e-9);
      if (r.d.what != distribution::kind::fixed)
        BOOST_TEST(std::abs(m.below_median - 0.5) < 0.005, m.below_median);
    }
  }
  // Theory itself, against values worked by hand: Weibull k=1 is the exponential.
  BOOST_TEST(distribution::weibull(1, 4).mean() == 4.0, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(distribution::weibull(1, 4).variance() == 16.0, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(distribution{}.draw(*std::make_unique<rng>(1)) == 0.0);
}

BOOST_AUTO_TEST_CASE(the_access_delay_adds_to_the_region_latency_at_both_ends) {
  network_config c;
  c.regions = {"a", "b"};
  c.latency_ms = {{5, 40}, {40, 5}};
  network net(c);
  host_id x = net.add_host({1, 0, 0, 0});
  host_id y = net.add_host({2, 1, 0, 0});
  BOOST_TEST(net.latency(x, y).count() == clock_time{40ms}.count());
  net.set_access_delay(x, 7ms);
  net.set_access_delay(y, 12ms);
  BOOST_TEST(net.latency(x, y).count() == clock_time{59ms}.count());
  BOOST_TEST(net.latency(y, x).count() == clock_time{59ms}.count());
  BOOST_TEST(net.access_delay(y).count() == clock_time{12ms}.count());
}

BOOST_AUTO_TEST_CASE(the_nat_rule_refuses_dials_and_punches_holes_at_its_rate) {
  network net;
  host_id open = net.add_host({1, 0, 0, 0});
  host_id natted = net.add_host({2, 0, 0, 0});
  net.set_nat(natted, true);
  rng random(3);
  rng untouched = random;
  // A public target: a plain dial, and no draw from the stream.
  dial_fate fate = net.dial(natted, open, random);
  BOOST_TEST(fate.connects);
  BOOST_TEST(!fate.punched);
  BOOST_TEST(random.next() == untouched.next());
  // Nothing dials a NATed host.
  BOOST_TEST(!net.dial(open, natted, random).connects);
  BOOST_TEST(!net.dial(natted, natted, random).connects);
  // With hole punching: a hole after the drawn delay, 70 % of the time.
  reachability rules;
  rules.hole_punch = true;
  rules.hole_punch_delay_s = distribution::lognormal(1.819, 0.178);
  rules.hole_punch_success = 0.7;
  net.set_reachability(rules);
  size_t connected = 0, tries = 20000;
  for (size_t i = 0; i < tries; ++i) {
    dial_fate f = net.dial(open, natted, random);
    BOOST_TEST_REQUIRE(f.punched);
    BOOST_TEST_REQUIRE(f.delay.count() > 0);
    connected += f.connects ? 1 : 0;
  }
  BOOST_TEST(std::abs(static_cast<double>(connected) / tries - 0.7) < 0.015);
}

BOOST_AUTO_TEST_CASE(a_nated_reader_is_never_dialled_without_hole_punching) {
  nat_pair pair(reachability{}, true);
  pair.drv.run_until(20s);
  BOOST_TEST(pair.a->connected_peers() == 0u);
  BOOST_TEST(pair.b->connected_peers() == 0u);
  BOOST_TEST(pair.w.dialled() == 0u);
  BOOST_TEST(pair.w.punched() == 0u);
}

BOOST_AUTO_TEST_CASE(two_nated_readers_connect_through_a_hole_after_its_delay) {
  reachability rules;
  rules.hole_punch = true;
  rules.hole_punch_delay_s = distribution::fixed(2);
  nat_pair pair(rules, true);
  // Handshake: five one-way latencies of 20 ms; the hole takes 2 s before it.
  pair.drv.run_until(2s);
  BOOST_TEST(pair.w.punched() == 0u);
  BOOST_TEST(pair.a->connected_peers() == 0u);
  pair.drv.run_until(2s + 99ms);
  BOOST_TEST(pair.w.punched() == 0u);
  pair.drv.run_until(3s);
  BOOST_TEST(pair.w.punched() == 1u);
  BOOST_TEST(pair.w.dialled() == 0u);
  BOOST_TEST(pair.a->connected_peers() == 1u);
  BOOST_TEST(pair.b->connected_peers() == 1u);
}

BOOST_AUTO_TEST_CASE(the_built_in_latency_data_parses_and_is_nearly_symmetric) {
  auto data = load_latency_data("wonderproxy-2011");
  BOOST_REQUIRE(data.has_value());
  BOOST_TEST(data->regions.size() >= 6u);
  BOOST_TEST(data->source.find("2011") != std::string::npos);
  size_t n = data->regions.size();
  BOOST_REQUIRE(data->one_way_ms.size() == n);
  for (size_t a = 0; a < n; ++a) {
    BOOST_REQUIRE(data->one_way_ms[a].size() == n);
    // No same-city pair was measured: within a region, half the nearest pair's round trip.
    BOOST_TEST(data->one_way_ms[a][a] == 11.17 / 2, boost::test_tools::tolerance(1e-9));
    for (size_t b = 0; b < n; ++b) {
      BOOST_TEST(data->one_way_ms[a][b] > 0);
      // The published directions differ by a little (documented: at most 3.3 % of a pair).
      BOOST_TEST(std::abs(data->one_way_ms[a][b] - data->one_way_ms[b][a]) <=
                   0.033 * std::min(data->one_way_ms[a][b], data->one_way_ms[b][a]),
                 data->regions[a] << " / " << data->regions[b]);
    }
  }
  // Baltimore to Paris, as published: 97.71 ms round trip.
  BOOST_TEST(data->one_way_ms[0][3] == 97.71 / 2, boost::test_tools::tolerance(1e-9));
}

BOOST_AUTO_TEST_CASE(the_2020_latency_data_spans_six_world_regions) {
  auto data = load_latency_data("wonderproxy-2020");
  BOOST_REQUIRE(data.has_value());
  BOOST_TEST(data->source.find("2020") != std::string::npos);
  std::vector<std::string> continents{"north-america", "south-america", "europe",
                                      "africa",        "asia",          "oceania"};
  BOOST_TEST(data->regions == continents, boost::test_tools::per_element());
  size_t n = data->regions.size();
  BOOST_REQUIRE(data->one_way_ms.size() == n);
  for (size_t a = 0; a < n; ++a) {
    BOOST_REQUIRE(data->one_way_ms[a].size() == n);
    for (size_t b = 0; b < n; ++b) {
      // Within a region (a second city of it) is nearer than any other region.
      if (a != b)
        BOOST_TEST(data->one_way_ms[a][a] < data->one_way_ms[a][b],
                   data->regions[a] << " / " << data->regions[b]);
      // The published directions of a pair differ by 0.13 ms at most.
      BOOST_TEST(std::abs(data->one_way_ms[a][b] - data->one_way_ms[b][a]) <= 0.13 / 2 + 1e-9);
    }
  }
  // New York to Frankfurt, as published: 82.52 ms round trip; Johannesburg to Sydney 444.35.
  BOOST_TEST(data->one_way_ms[0][2] == 82.52 / 2, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(data->one_way_ms[3][5] == 444.35 / 2, boost::test_tools::tolerance(1e-9));
}

BOOST_AUTO_TEST_CASE(bad_latency_data_is_refused_with_its_reason) {
  auto refusal = [](const std::string& text) {
    auto d = parse_latency_data(text, "t.json");
    return d ? std::string() : d.error().to_string();
  };
  const std::string regions = R"("regions": [{"name": "a"}, {"name": "b"}], "within_region_rtt_ms": 2)";
  BOOST_TEST(refusal("{" + regions + R"(, "source": "s", "rtt_ms": [[null, 10], [10, null]]})").empty());
  BOOST_TEST(refusal("{" + regions + R"(, "rtt_ms": [[null, 10], [10, null]]})").find("source") != std::string::npos);
  BOOST_TEST(refusal("{" + regions + R"(, "source": "s", "rtt_ms": [[null, 10]]})").find("matrix") != std::string::npos);
  BOOST_TEST(refusal("{" + regions + R"(, "source": "s", "rtt_ms": [[null, -1], [10, null]]})").find("rtt_ms[0][1]") != std::string::npos);
  BOOST_TEST(refusal("{" + regions + R"(, "source": "s", "rtt_ms": [[null, null], [10, null]]})").find("rtt_ms[0][1]") != std::string::npos);
  BOOST_TEST(refusal("[]").find("object") != std::string::npos);
  BOOST_TEST(!load_latency_data("no-such-data").has_value());
}

BOOST_AUTO_TEST_CASE(scenario_files_name_the_model_strictly) {
  auto refusal = [](const std::string& text) {
    auto s = parse_scenario(text, "t.json");
    return s ? std::string() : s.error().to_string();
  };
  auto s = parse_scenario(R"({"latency_data": "wonderproxy-2011", "population": {
      "session_s": {"kind": "weibull", "shape": 0.38, "scale": 2544},
      "off_s": {"kind": "exponential", "mean": 60}, "nat_share": 0.52, "hole_punch": true,
      "hole_punch_s": {"kind": "lognormal", "median": 1.8, "sigma": 0.2}}})", "t.json");
  BOOST_REQUIRE(s.has_value());
  BOOST_TEST(s->network.regions.size() == 6u);
  BOOST_TEST((s->population.session_s.what == distribution::kind::weibull));
  BOOST_TEST(s->population.session_s.a == 0.38);
  BOOST_TEST(s->population.nat_share == 0.52);
  // Its own JSON reads back to the same.
  auto back = parse_scenario(to_json(*s), "round trip");
  BOOST_REQUIRE(back.has_value());
  BOOST_TEST(to_json(*back) == to_json(*s));

  BOOST_TEST(refusal(R"({"population": {"nat_shar": 0.5}})").find("nat_shar") != std::string::npos);
  BOOST_TEST(refusal(R"({"population": {"nat_share": 1.5}})").find("nat_share") != std::string::npos);
  BOOST_TEST(refusal(R"({"population": {"up_kbps": {"kind": "pareto"}}})").find("kind") != std::string::npos);
  BOOST_TEST(refusal(R"({"population": {"up_kbps": {"kind": "weibull", "shape": 0}}})").find("shape") != std::string::npos);
  BOOST_TEST(refusal(R"({"population": {"up_kbps": {"kind": "lognormal", "mu": 1}}})").find("mu") != std::string::npos);
  BOOST_TEST(refusal(R"({"population": {"session_s": {"kind": "fixed", "value": 5}}})").find("off_s") != std::string::npos);
  BOOST_TEST(refusal(R"({"population": {"hole_punch": true}})").find("hole_punch_s") != std::string::npos);
  BOOST_TEST(refusal(R"({"latency_data": "nowhere"})").find("nowhere") != std::string::npos);
  BOOST_TEST(refusal(R"({"latency_data": "wonderproxy-2011", "network": {"regions": [{"name": "x"}]}})")
               .find("latency_data") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(readers_that_come_and_go_behind_nat_with_their_own_links_converge) {
  scenario s = measured_small();
  run_result r = run(s);
  BOOST_TEST(!r.violation.has_value());
  uint64_t appends = r.summary["appends"];
  BOOST_TEST(appends > 10u);
  BOOST_TEST(r.summary["writerLength"].get<uint64_t>() == s.initial_blocks + appends);
  BOOST_TEST(r.departures > 20u);
  BOOST_TEST(r.gone > 0u);
  BOOST_TEST(r.arrivals > 3u);
  BOOST_TEST(r.punched > 0u);
  BOOST_TEST(r.dialled > 0u);
  // Readers offline at an append learned its ID when they came back: some lags are longer
  // than any online reader's, and every percentile is reported.
  clock_time longest{0};
  for (const append_record& a : r.appends)
    for (clock_time d : a.learn_delays)
      longest = std::max(longest, d);
  BOOST_TEST(longest.count() > clock_time{20s}.count());
  BOOST_TEST(!r.summary["learnLag"]["p99MedianSeconds"].is_null());
  BOOST_TEST(r.summary["learnLag"]["of"] == "id");
  // Reach counts the readers running at an append less those that left or crashed before
  // holding it: a run that converged reached every one of those, though some left first.
  size_t appends_with_readers = 0;
  for (const append_record& a : r.appends) {
    BOOST_TEST(a.delays.size() == a.eligible);
    appends_with_readers += a.eligible > 0;
  }
  BOOST_TEST(appends_with_readers == r.appends.size());
  BOOST_TEST(r.summary["reachLatest"]["p99"]["appendsNeverReached"] == 0);

  // Without hole punching NATed readers still converge through the public ones.
  scenario closed = measured_small();
  closed.population.reach.hole_punch = false;
  run_result c = run(closed);
  BOOST_TEST(!c.violation.has_value());
  BOOST_TEST(c.punched == 0u);
  BOOST_TEST(c.digest != r.digest);
}

BOOST_AUTO_TEST_CASE(stable_and_rotating_roots_modes_converge_on_the_model_and_report_their_lag) {
  for (feed_mode mode : {feed_mode::stable, feed_mode::rotating_roots}) {
    BOOST_TEST_CONTEXT("mode " << to_string(mode)) {
      scenario s = measured_small(4);
      s.mode = mode;
      run_result r = run(s);
      BOOST_TEST(!r.violation.has_value());
      BOOST_TEST(r.summary["learnLag"]["of"] == (mode == feed_mode::stable ? "length" : "id"));
      BOOST_TEST(r.summary["learnLag"]["learned"].get<uint64_t>() > 0u);
      BOOST_TEST(r.departures > 0u);
    }
  }
}

BOOST_AUTO_TEST_CASE(the_measured_scenario_replays_bit_for_bit) {
  auto loaded = load_scenario("measured");
  BOOST_REQUIRE(loaded.has_value());
  scenario s = *loaded;
  BOOST_TEST(!s.population.latency_data.empty());
  BOOST_TEST(s.population.churns());
  // Fewer readers and less time than the built-in, the same model.
  s.readers = 150;
  s.duration = 400s;
  run_result one = run(s);
  run_result again = run(s);
  BOOST_TEST(!one.violation.has_value());
  BOOST_TEST(again.digest == one.digest);
  BOOST_TEST(again.summary.dump() == one.summary.dump());
}

BOOST_AUTO_TEST_CASE(the_caf_driver_gives_the_plain_drivers_digest_on_the_measured_model) {
  scenario s = measured_small(8);
  s.readers = 30;
  s.duration = 300s;
  run_result plain = run(s);
  run_result caf = run(s, true);
  BOOST_TEST(!plain.violation.has_value());
  BOOST_TEST(plain.departures > 0u);
  BOOST_TEST(caf.digest == plain.digest);
  BOOST_TEST(caf.summary.dump() == plain.summary.dump());
}

BOOST_AUTO_TEST_SUITE_END()

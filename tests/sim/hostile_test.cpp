// Hostile nodes in whole scenarios (sim/hostile.hpp): each kind alone is refused by the readers'
// real peer, feed service and publisher, every lie is counted as refused, and the readers still
// converge with every invariant held.

#include "dynfeed/sim/hostile.hpp"
#include "dynfeed/sim/hostile_dht.hpp"
#include "dynfeed/sim/runtime.hpp"
#include "dynfeed/sim/scenario.hpp"
#include "dynfeed/sim/simulation.hpp"

#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <nlohmann/json.hpp>

#include <ostream>

namespace dynfeed::sim {
std::ostream& operator<<(std::ostream& out, hostile_kind kind) {
  return out << name_of(kind);
}
} // namespace dynfeed::sim

using namespace dynfeed;
using namespace dynfeed::sim;
using namespace std::chrono_literals;

namespace {

/// 40 readers, rotating mode with both ID channels (the value kinds push on relay), blocks
/// still downloading when the hostile nodes arrive, and appends to be fetched after.
scenario base(uint64_t seed = 3) {
  scenario s;
  s.name = "hostile-test";
  s.seed = seed;
  s.readers = 40;
  s.duration = 200s;
  s.join_to = 20s;
  s.first_append = 40s;
  s.append_interval = 20s;
  s.settle = 60s;
  s.initial_blocks = 128;
  s.blocks_per_append = 4;
  s.block_size = 512;
  s.lookup_interval = 10s;
  s.network.regions = {"a", "b"};
  s.network.latency_ms = {{10, 60}, {60, 10}};
  s.network.jitter = 0.2;
  s.id_channel = id_channels{static_cast<uint8_t>(static_cast<uint8_t>(id_channel::value_swarm) |
                                                  static_cast<uint8_t>(id_channel::relay))};
  s.hostile.interval = 3s;
  s.hostile.start = 1s;
  s.hostile.flood_requests = 50;
  return s;
}

struct outcome {
  uint64_t digest = 0;
  std::optional<invariant_violation> violation;
  nlohmann::json summary;
};

outcome run(const scenario& s) {
  runtime drv(s.seed, s.network);
  simulation sim(s, drv);
  sim.run();
  if (sim.violation())
    BOOST_TEST_MESSAGE("violation: " << sim.violation()->what);
  return {sim.digest(), sim.violation(), nlohmann::json::parse(sim.summary_json())};
}

const std::vector<hostile_kind> every_kind = {
  hostile_kind::bad_proof,    hostile_kind::unsolicited_data, hostile_kind::phantom_blocks,
  hostile_kind::silent,       hostile_kind::forged_value,     hostile_kind::stale_value,
  hostile_kind::request_flood,
};

} // namespace

BOOST_AUTO_TEST_SUITE(hostile)

BOOST_DATA_TEST_CASE(each_kind_alone_is_refused_and_readers_converge, every_kind, kind) {
  scenario s = base();
  s.hostile.nodes[static_cast<size_t>(kind)] = 2;
  // Readers on 2 Mbit/s links and blocks of 8 KiB, so that the first 128 blocks take them
  // seconds: the kinds that claim blocks lie only to readers that still want some.
  s.population.down_kbps = distribution::fixed(2000);
  s.block_size = 8192;
  outcome o = run(s);
  // The invariants held, convergence included: every reader holds the writer's length.
  BOOST_TEST(!o.violation.has_value());
  std::string name(name_of(kind));
  BOOST_TEST_CONTEXT(name) {
    const nlohmann::json& h = o.summary["hostile"];
    BOOST_TEST(h.size() == 1u); // only this kind ran
    const nlohmann::json& k = h[name];
    BOOST_TEST(k["nodes"].get<uint32_t>() == 2u);
    BOOST_TEST(k["connections"].get<uint64_t>() > 10u);
    uint64_t acts = k["acts"];
    BOOST_TEST(acts > 0u);
    // Every lie was refused, except those still waiting for their answer when the run ended.
    BOOST_TEST(k["unanswered"].get<uint64_t>() == 0u);
    BOOST_TEST(k["rejected"].get<uint64_t>() + k["open"].get<uint64_t>() == acts);
    BOOST_TEST(k["rejected"].get<uint64_t>() > 0u);
  }
}

const std::vector<hostile_kind> dht_kinds = {
  hostile_kind::dht_liar, hostile_kind::lookup_flood, hostile_kind::false_announce};

BOOST_DATA_TEST_CASE(each_dht_kind_alone_is_counted_and_readers_converge, dht_kinds, kind) {
  scenario s = base();
  s.discovery = discovery_backend::dht;
  s.bootstrap_nodes = 2;
  s.hostile.nodes[static_cast<size_t>(kind)] = 2;
  s.hostile.flood_requests = 120; // over the DHT's burst of 50 queries per source
  outcome o = run(s);
  BOOST_TEST(!o.violation.has_value()); // every reader caught up, lookups included
  std::string name(name_of(kind));
  BOOST_TEST_CONTEXT(name) {
    const nlohmann::json& k = o.summary["hostile"][name];
    uint64_t acts = k["acts"];
    BOOST_TEST(acts > 0u);
    BOOST_TEST(k["rejected"].get<uint64_t>() > 0u);
    BOOST_TEST(k["accepted"].get<uint64_t>() == 0u); // no lie the honest code should refuse
    BOOST_TEST(k["rejected"].get<uint64_t>() + k["harmless"].get<uint64_t>() +
                 k["unanswered"].get<uint64_t>() + k["open"].get<uint64_t>() ==
               acts);
    if (kind == hostile_kind::lookup_flood) // the flood's refusals are the rate limit's
      BOOST_TEST(o.summary["discovery"]["refused"]["rateLimited"].get<uint64_t>() >=
                 k["rejected"].get<uint64_t>());
    if (kind == hostile_kind::false_announce) { // valid tokens stored, bad ones refused
      BOOST_TEST(k["harmless"].get<uint64_t>() > 0u);
      BOOST_TEST(o.summary["discovery"]["refused"]["badToken"].get<uint64_t>() >=
                 k["rejected"].get<uint64_t>());
    }
  }
}

BOOST_AUTO_TEST_CASE(proof_lies_end_in_the_feed_services_rejections) {
  // The readers' own counter (feed_service_stats::rejected_proofs, one per punished peer) moves
  // only with the kinds it is about.
  scenario quiet = base();
  quiet.hostile.nodes[static_cast<size_t>(hostile_kind::request_flood)] = 2;
  BOOST_TEST(run(quiet).summary["blocks"]["proofsRejected"].get<uint64_t>() == 0u);
  scenario lying = base();
  lying.hostile.nodes[static_cast<size_t>(hostile_kind::unsolicited_data)] = 2;
  outcome o = run(lying);
  BOOST_TEST(o.summary["blocks"]["proofsRejected"].get<uint64_t>() ==
             o.summary["hostile"]["unsolicited_data"]["rejected"].get<uint64_t>());
}

BOOST_AUTO_TEST_CASE(the_same_seed_gives_the_same_digest_and_hostile_nodes_change_it) {
  scenario s = base(9);
  s.hostile.share = 0.2; // 8 nodes, over every kind
  outcome a = run(s);
  outcome b = run(s);
  BOOST_TEST(!a.violation.has_value());
  BOOST_TEST(a.digest == b.digest);
  BOOST_TEST(a.summary["hostile"].size() == hostile_kind_count - 3); // not the DHT kinds
  BOOST_TEST(a.summary["hostile"] == b.summary["hostile"]);
  scenario honest = base(9);
  BOOST_TEST(run(honest).digest != a.digest);
}

BOOST_AUTO_TEST_CASE(a_share_is_spread_over_the_kinds_listed) {
  hostile_config c;
  c.share = 0.1;
  c.share_kinds = (1u << static_cast<unsigned>(hostile_kind::silent)) |
                  (1u << static_cast<unsigned>(hostile_kind::bad_proof));
  c.nodes[static_cast<size_t>(hostile_kind::silent)] = 1;
  auto n = c.resolve(50, true); // 5 more: bad_proof, silent, bad_proof, silent, bad_proof
  BOOST_TEST(n[static_cast<size_t>(hostile_kind::bad_proof)] == 3u);
  BOOST_TEST(n[static_cast<size_t>(hostile_kind::silent)] == 3u);
  BOOST_TEST(n[static_cast<size_t>(hostile_kind::forged_value)] == 0u);
  // Without kinds, a share covers every kind the feed can meet: the value kinds only with relay.
  hostile_config all;
  all.share = 0.14;
  auto with = all.resolve(100, true);
  auto without = all.resolve(100, false);
  for (size_t k = 0; k < hostile_kind_count; ++k) {
    bool value = k == static_cast<size_t>(hostile_kind::forged_value) ||
                 k == static_cast<size_t>(hostile_kind::stale_value);
    if (dht_kind(static_cast<hostile_kind>(k))) { // only when the scenario's discovery is dht
      BOOST_TEST(with[k] == 0u);
      BOOST_TEST(all.resolve(100, true, true)[k] > 0u);
      continue;
    }
    BOOST_TEST(with[k] == 2u);
    // 14 over the five others, round robin: 3, 3, 3, 3 and request_flood (the last) 2.
    BOOST_TEST(without[k] == (value ? 0u : k < 4 ? 3u : 2u));
  }
  BOOST_TEST(!hostile_config{}.set());
}

BOOST_AUTO_TEST_CASE(bad_hostile_options_are_refused_by_name) {
  auto refused = [](const std::string& hostile, const std::string& extra = "") {
    auto s = parse_scenario("{" + extra + "\"hostile\": " + hostile + "}", "t");
    return s ? std::string() : s.error().to_string();
  };
  BOOST_TEST(refused(R"({"nodes": {"bad_proof": 2}})").empty());
  BOOST_TEST(refused(R"({"nodes": {"liar": 2}})").find("scenario.hostile.nodes.liar") !=
             std::string::npos);
  BOOST_TEST(refused(R"({"share": 0.7})").find("scenario.hostile.share must be between 0 and 0.5") !=
             std::string::npos);
  BOOST_TEST(refused(R"({"kinds": ["silent", 3]})").find("scenario.hostile.kinds") !=
             std::string::npos);
  BOOST_TEST(refused(R"({"nodes": {"silent": 1.5}})").find("whole number") != std::string::npos);
  BOOST_TEST(refused(R"({"interval": 5})").find("scenario.hostile.interval is not a known field") !=
             std::string::npos);
  BOOST_TEST(refused("[]").find("scenario.hostile must be an object") != std::string::npos);
  // The value kinds push on the relay ID channel: the default value-swarm alone cannot meet them.
  BOOST_TEST(refused(R"({"nodes": {"stale_value": 1}})").find("stale_value") != std::string::npos);
  BOOST_TEST(refused(R"({"share": 0.1, "kinds": ["silent", "forged_value"]})",
                     R"("mode": "stable", )").find("forged_value") != std::string::npos);
  // A share without kinds leaves out what the feed cannot meet (the fault campaign's case).
  BOOST_TEST(refused(R"({"share": 0.1})", R"("mode": "stable", )").empty());
  // The DHT kinds speak to DHT nodes: refused by name with any other discovery.
  BOOST_TEST(refused(R"({"nodes": {"lookup_flood": 1}})").find("lookup_flood") !=
             std::string::npos);
  BOOST_TEST(refused(R"({"nodes": {"dht_liar": 1}})", R"("discovery": "dht", )").empty());
}

BOOST_AUTO_TEST_CASE(the_hostile_option_survives_its_own_json) {
  auto s = load_scenario("hostile");
  BOOST_TEST_REQUIRE(s.has_value());
  BOOST_TEST(s->hostile.total_nodes(s->readers, true) == 14u);
  auto again = parse_scenario(to_json(*s), "again");
  BOOST_TEST_REQUIRE(again.has_value());
  BOOST_TEST(to_json(*again) == to_json(*s));
  // A scenario without hostile nodes records none, as before the option existed.
  auto plain = load_scenario("small");
  BOOST_TEST_REQUIRE(plain.has_value());
  BOOST_TEST(to_json(*plain).find("hostile") == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

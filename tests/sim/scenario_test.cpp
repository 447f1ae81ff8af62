// Scenario files: every field parsed, every mistake refused with its name, built-ins valid.

#include "dynfeed/sim/scenario.hpp"

#include <boost/test/unit_test.hpp>

using namespace dynfeed;
using namespace dynfeed::sim;
using namespace std::chrono_literals;

namespace {

std::string refusal(const std::string& json) {
  auto parsed = parse_scenario(json, "test.json");
  BOOST_REQUIRE_MESSAGE(!parsed.has_value(), "accepted: " + json);
  return parsed.error().to_string();
}

} // namespace

BOOST_AUTO_TEST_SUITE(scenario_files)

BOOST_AUTO_TEST_CASE(fields_are_read_and_defaults_fill_the_rest) {
  auto s = parse_scenario(R"({"name": "x", "readers": 7, "mode": "stable",
    "duration_s": 90.5, "discovery": "none", "crashes_per_hour": 2,
    "partitions": [{"at_s": 10, "duration_s": 5, "fraction": 0.25}],
    "network": {"regions": [{"name": "eu", "share": 3}, {"name": "us", "share": 1}],
                "latency_ms": [[5, 50], [50, 6]], "loss": 0.01, "up_kbps": 8}})",
                          "test.json");
  BOOST_REQUIRE(s.has_value());
  BOOST_TEST(s->name == "x");
  BOOST_TEST(s->readers == 7u);
  BOOST_TEST((s->mode == feed_mode::stable));
  BOOST_TEST(s->duration.count() == clock_time{90500ms}.count());
  BOOST_TEST((s->discovery == discovery_backend::none));
  BOOST_TEST(s->crashes_per_hour == 2);
  BOOST_REQUIRE(s->partitions.size() == 1u);
  BOOST_TEST(s->partitions[0].fraction == 0.25);
  BOOST_TEST(s->network.regions.size() == 2u);
  BOOST_TEST(s->region_shares == (std::vector<double>{3, 1}), boost::test_tools::per_element());
  BOOST_TEST(s->network.up_bytes_per_s == 1000u);
  scenario defaults;
  BOOST_TEST(s->block_size == defaults.block_size);
  BOOST_TEST(s->append_interval.count() == defaults.append_interval.count());
}

BOOST_AUTO_TEST_CASE(a_scenario_survives_its_own_json) {
  auto s = load_scenario("default");
  BOOST_REQUIRE(s.has_value());
  std::string text = to_json(*s);
  auto back = parse_scenario(text, "round trip");
  BOOST_REQUIRE(back.has_value());
  BOOST_TEST(to_json(*back) == text);
}

// Found by scenario_fuzz: a scenario without a latency matrix ("{}", or regions alone) was
// recorded by to_json with "latency_ms": [], which parsing then refused.
BOOST_AUTO_TEST_CASE(a_scenario_without_latencies_survives_its_own_json) {
  for (std::string json : {R"({})", R"({"network": {"regions": [{"name": "eu", "share": 1},
                                                          {"name": "us", "share": 2}]}})"}) {
    auto s = parse_scenario(json, "test.json");
    BOOST_REQUIRE(s.has_value());
    std::string text = to_json(*s);
    auto back = parse_scenario(text, "round trip");
    BOOST_REQUIRE_MESSAGE(back.has_value(), (back ? "" : back.error().to_string()));
    BOOST_TEST(to_json(*back) == text);
    BOOST_TEST(back->network.latency_ms.empty());
  }
  // A matrix of the wrong size is still refused.
  BOOST_TEST(refusal(R"({"network": {"latency_ms": [[1, 2]]}})").find("latency_ms")
             != std::string::npos);
}

BOOST_AUTO_TEST_CASE(mistakes_are_refused_by_name) {
  BOOST_TEST(refusal(R"({"readerz": 5})").find("readerz") != std::string::npos);
  BOOST_TEST(refusal(R"({"readers": "many"})").find("readers") != std::string::npos);
  BOOST_TEST(refusal(R"({"readers": -1})").find("readers") != std::string::npos);
  BOOST_TEST(refusal(R"({"mode": "sideways"})").find("mode") != std::string::npos);
  BOOST_TEST(refusal(R"({"discovery": "carrier pigeon"})").find("discovery") != std::string::npos);
  BOOST_TEST(refusal(R"({"network": {"loss": 2}})").find("loss") != std::string::npos);
  BOOST_TEST(refusal(R"({"network": {"regions": [{"name": "a"}], "latency_ms": [[1, 2]]}})")
               .find("latency_ms") != std::string::npos);
  BOOST_TEST(refusal(R"({"partitions": [{"at_s": 1, "when": 2}]})").find("when") !=
             std::string::npos);
  BOOST_TEST(refusal(R"([1, 2])").find("object") != std::string::npos);
  BOOST_TEST(refusal("{\"readers\": 5").find("test.json") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(an_equivocating_writer_is_stable_mode_only_and_needs_its_time) {
  auto ok = parse_scenario(R"({"mode": "stable", "equivocating_writer": {"at_s": 90}})", "t");
  BOOST_REQUIRE(ok.has_value());
  BOOST_TEST(ok->equivocate_at.has_value());
  BOOST_TEST((*ok->equivocate_at == std::chrono::seconds{90}));
  BOOST_TEST(to_json(*ok).find("equivocating_writer") != std::string::npos);
  // Unset, the record of what ran does not name it: older records stay as they were.
  BOOST_TEST(to_json(scenario{}).find("equivocating_writer") == std::string::npos);
  BOOST_TEST(refusal(R"({"mode": "rotating", "equivocating_writer": {"at_s": 90}})")
               .find("stable mode only, not rotating") != std::string::npos);
  BOOST_TEST(refusal(R"({"mode": "stable", "equivocating_writer": {}})").find("at_s is missing") !=
             std::string::npos);
  BOOST_TEST(refusal(R"({"mode": "stable", "equivocating_writer": {"at_s": 9, "hosts": 2}})")
               .find("hosts") != std::string::npos);
  BOOST_TEST(refusal(R"({"mode": "stable", "equivocating_writer": {"at_s": 280}})")
               .find("before duration_s - settle_s") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_id_channel_is_a_list_or_a_comma_string_of_known_names) {
  using dynfeed::id_channel;
  auto bits = [](std::initializer_list<id_channel> cs) {
    uint8_t out = 0;
    for (id_channel c : cs)
      out |= static_cast<uint8_t>(c);
    return out;
  };
  BOOST_TEST(scenario{}.id_channel.bits == bits({id_channel::value_swarm}));
  auto listed = parse_scenario(R"({"id_channel": ["relay", "value-swarm"]})", "test.json");
  BOOST_REQUIRE(listed.has_value());
  BOOST_TEST(listed->id_channel.bits == bits({id_channel::relay, id_channel::value_swarm}));
  auto text = parse_scenario(R"({"id_channel": "relay"})", "test.json");
  BOOST_REQUIRE(text.has_value());
  BOOST_TEST(text->id_channel.bits == bits({id_channel::relay}));
  BOOST_TEST(to_json(*text).find(R"("id_channel": "relay")") != std::string::npos);
  for (const char* bad : {R"({"id_channel": "carrier-pigeon"})", R"({"id_channel": "relay,relay"})",
                          R"({"id_channel": ""})", R"({"id_channel": "relay,"})",
                          R"({"id_channel": []})", R"({"id_channel": [1]})",
                          R"({"id_channel": 3})", R"({"id_channel": "dht,dht"})"})
    BOOST_TEST(refusal(bad).find("id_channel") != std::string::npos, bad);
}

BOOST_AUTO_TEST_CASE(built_in_scenarios_all_load_and_unknown_names_are_refused) {
  std::vector<std::string> names = builtin_scenarios();
  BOOST_TEST(std::count(names.begin(), names.end(), "default") == 1);
  for (const std::string& name : names) {
    auto s = load_scenario(name);
    BOOST_TEST(s.has_value(), name << ": " << (s ? "" : s.error().to_string()));
    if (s)
      BOOST_TEST(s->name == name);
  }
  auto missing = load_scenario("no-such-scenario");
  BOOST_REQUIRE(!missing.has_value());
  BOOST_TEST(missing.error().to_string().find("default") != std::string::npos); // lists names
}

BOOST_AUTO_TEST_SUITE_END()

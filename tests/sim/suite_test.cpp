// Suite files: the runs are the product of the axes in a stable order with readable names,
// every refusal names what is wrong, and results.csv keeps the same columns on every row.

#include "dynfeed/sim/suite.hpp"
#include "dynfeed/sim/scenario.hpp"
#include "dynfeed/sim/sweep_results.hpp"
#include "support/temp_dir.hpp"

#include <boost/test/unit_test.hpp>

#include <fstream>

using namespace dynfeed;
using namespace dynfeed::sim;

namespace {

suite parsed(const std::string& json, const std::string& dir = {}) {
  auto s = parse_suite(json, "suite.json", dir);
  BOOST_REQUIRE_MESSAGE(s.has_value(), (s ? "" : s.error().to_string()));
  return *s;
}

std::string refusal(const std::string& json) {
  auto s = parse_suite(json, "suite.json", "");
  BOOST_REQUIRE_MESSAGE(!s.has_value(), "accepted: " + json);
  return s.error().to_string();
}

bool has(const std::string& text, const std::string& part) {
  bool found = text.find(part) != std::string::npos;
  if (!found)
    BOOST_TEST_MESSAGE("'" + part + "' not in: " + text);
  return found;
}

} // namespace

BOOST_AUTO_TEST_SUITE(suite_files)

BOOST_AUTO_TEST_CASE(runs_are_the_product_in_file_order_with_seeds_innermost) {
  // "mode" comes first in the file though it sorts after "append_interval_s".
  suite s = parsed(R"({"name": "t", "base": "small",
    "axes": {"mode": ["stable", "rotating"], "append_interval_s": [10, 60, 600]},
    "seeds": 2})");
  BOOST_REQUIRE_EQUAL(s.runs.size(), 12u);
  BOOST_TEST(s.axes[0].field == "mode");
  BOOST_TEST(s.runs[0].name == "0000-mode=stable,append_interval_s=10,seed=1");
  BOOST_TEST(s.runs[1].name == "0001-mode=stable,append_interval_s=10,seed=2");
  BOOST_TEST(s.runs[2].name == "0002-mode=stable,append_interval_s=60,seed=1");
  BOOST_TEST(s.runs[7].name == "0007-mode=rotating,append_interval_s=10,seed=2");
  BOOST_TEST(s.runs[11].name == "0011-mode=rotating,append_interval_s=600,seed=2");
  for (size_t i = 0; i < s.runs.size(); ++i)
    BOOST_TEST(s.runs[i].index == i);

  // The run's scenario is the base with its values and seed, as the scenario parser reads it.
  auto run7 = parse_scenario(run_scenario_json(s, s.runs[7]), "run 7");
  BOOST_REQUIRE(run7.has_value());
  BOOST_TEST((run7->mode == feed_mode::rotating));
  BOOST_TEST(run7->append_interval.count() == clock_time{std::chrono::seconds{10}}.count());
  BOOST_TEST(run7->seed == 2u);
  auto small = load_scenario("small");
  BOOST_TEST(run7->readers == small->readers);
}

BOOST_AUTO_TEST_CASE(nested_fields_seed_lists_and_names_are_safe) {
  suite s = parsed(R"({"base": {"readers": 5, "network": {"loss": 0.5}},
    "axes": {"network.loss": [0, 0.01], "id_channel": ["value-swarm,relay"],
             "population.nat_share": [0.25]},
    "seeds": [7, 3]})");
  BOOST_REQUIRE_EQUAL(s.runs.size(), 4u);
  BOOST_TEST(s.runs[1].name ==
             "0001-network.loss=0,id_channel=value-swarm,relay,population.nat_share=0.25,seed=3");
  auto run = parse_scenario(run_scenario_json(s, s.runs[3]), "run 3");
  BOOST_REQUIRE(run.has_value());
  BOOST_TEST(run->network.loss == 0.01);
  BOOST_TEST(run->population.nat_share == 0.25);
  BOOST_TEST(run->readers == 5u);
  BOOST_TEST(run->seed == 3u);
  // Unsafe characters in a value become '_'; a file name never holds a slash.
  suite odd = parsed(R"({"base": {}, "axes": {"description": ["a/b c"]}})");
  BOOST_TEST(odd.runs[0].name == "0000-description=a_b_c,seed=1");
  // No seeds: the base's own seed, once.
  suite one = parsed(R"({"base": {"seed": 42}})");
  BOOST_REQUIRE_EQUAL(one.runs.size(), 1u);
  BOOST_TEST(one.runs[0].seed == 42u);
}

BOOST_AUTO_TEST_CASE(the_base_may_be_a_file_next_to_the_suite) {
  test::temp_dir dir;
  std::ofstream(dir / "base.json") << R"({"readers": 3, "mode": "stable"})";
  suite s = parsed(R"({"base": "base.json", "seeds": 1})", dir.path());
  auto run = parse_scenario(run_scenario_json(s, s.runs[0]), "run 0");
  BOOST_REQUIRE(run.has_value());
  BOOST_TEST(run->readers == 3u);
  // suite.json (to_json) is self-contained: it parses back without the base file.
  suite again = parsed(to_json(s));
  BOOST_TEST(again.runs.size() == s.runs.size());
  BOOST_TEST(to_json(again) == to_json(s));
  BOOST_TEST(run_scenario_json(again, again.runs[0]) == run_scenario_json(s, s.runs[0]));
}

BOOST_AUTO_TEST_CASE(mistakes_are_refused_by_name) {
  BOOST_TEST(has(refusal("[1]"), "JSON object"));
  BOOST_TEST(has(refusal("{nope"), "not valid JSON"));
  BOOST_TEST(has(refusal(R"({"axes": {}})"), "suite.base is missing"));
  BOOST_TEST(has(refusal(R"({"base": "small", "axis": {}})"), "suite.axis is not a known field"));
  BOOST_TEST(has(refusal(R"({"base": "no-such-scenario"})"), "no-such-scenario"));
  BOOST_TEST(has(refusal(R"({"base": {"readerz": 1}})"), "readerz"));
  // A bad value names the run (with the value in its name) and the scenario's complaint.
  std::string bad = refusal(R"({"base": "small", "axes": {"mode": ["stable", "sideways"]}})");
  BOOST_TEST(has(bad, "run 0001-mode=sideways,seed=1"));
  BOOST_TEST(has(bad, "scenario.mode must be"));
  BOOST_TEST(has(refusal(R"({"base": "small", "axes": {"readerz": [1]}})"),
                 "scenario.readerz is not a known field"));
  BOOST_TEST(has(refusal(R"({"base": "small", "axes": {"network.losss": [0.1]}})"),
                 "network.losss is not a known field"));
  BOOST_TEST(has(refusal(R"({"base": "small", "axes": {"network.loss": [2]}})"),
                 "network.loss must be between"));
  BOOST_TEST(has(refusal(R"({"base": "small", "axes": {"readers.x": [1]}})"), "readers"));
  BOOST_TEST(has(refusal(R"({"base": "small", "axes": {"mode": []}})"), "suite.axes.mode"));
  BOOST_TEST(has(refusal(R"({"base": "small", "axes": {"mode": ["stable", "stable"]}})"),
                 "twice"));
  BOOST_TEST(has(refusal(R"({"base": "small", "axes": {"seed": [1, 2]}})"), "suite.seeds"));
  BOOST_TEST(has(refusal(R"({"base": "small", "axes": {"a..b": [1]}})"), "a..b"));
  for (std::string seeds : {"0", "-1", "1.5", "\"3\"", "[]", "[1, 1]", "[-2]",
                            "[18446744073709551615]"})
    BOOST_TEST(has(refusal(R"({"base": "small", "seeds": )" + seeds + "}"), "suite.seeds"));
  // Too many runs: refused before any is built.
  BOOST_TEST(has(refusal(R"({"base": "small", "seeds": 100000,
                             "axes": {"mode": ["stable", "rotating"]}})"), "more than"));
}

BOOST_AUTO_TEST_CASE(results_keep_the_same_columns_on_every_row) {
  suite s = parsed(R"({"base": {}, "axes": {"readers": [1, 2]}, "seeds": 1})");
  std::vector<run_record> records = {
    {1, "failed", R"({"seed": 1, "digest": "00000000000000ab", "wallSeconds": 3.5,
                     "scenario": {"readers": 2}, "a": {"x": 2, "y": null}, "b": 1.5,
                     "violation": {"what": "w", "atSeconds": 1}})"},
    {0, "ok", R"({"digest": "00000000000000cd", "a": {"x": 1, "z": 3}, "s": "text"})"}};
  std::string csv = results_csv(s, records);
  BOOST_TEST(csv == "index,name,readers,seed,status,a.x,a.z,a.y,b,digest\n"
                    "0,\"0000-readers=1,seed=1\",1,1,ok,1,3,,,00000000000000cd\n"
                    "1,\"0001-readers=2,seed=1\",2,1,failed,2,,,1.5,00000000000000ab\n");
}

BOOST_AUTO_TEST_SUITE_END()

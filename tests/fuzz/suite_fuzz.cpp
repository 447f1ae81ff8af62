// Suite files: any text parses to a suite or is refused with an error; a suite that parses
// has the runs its axes and seeds promise, with distinct names, each run's scenario parses,
// and the suite written back (to_json, DIR/suite.json) parses to the same suite.
// Seeds: small suites over the built-in scenarios.

#include "dynfeed/sim/scenario.hpp"
#include "dynfeed/sim/suite.hpp"
#include "fuzz/fuzz_support.hpp"

#include <set>
#include <string>

using namespace dynfeed;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  std::vector<std::string> texts = {
    R"({"name": "q", "base": "small", "axes": {"mode": ["stable", "rotating"]}, "seeds": 2})",
    R"({"base": {"readers": 5, "network": {"loss": 0.1}}, "axes": {"network.loss": [0, 0.5],
        "id_channel": ["relay", "value-swarm,relay"]}, "seeds": [3, 9]})",
    R"({"base": "default", "axes": {"population.nat_share": [0.5], "readers": [10, 20, 30]}})",
    R"({"name": "d", "description": "x", "base": "stable", "axes": {}, "seeds": 1})",
  };
  std::vector<bytes> seeds;
  for (const std::string& t : texts)
    seeds.emplace_back(t.begin(), t.end());
  fuzz::write_seeds(seeds);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // A long input could only ask for more runs, each a scenario parse: bounded to keep the
  // fuzzer fast, not because longer suites are wrong.
  if (size > 4096)
    return 0;
  std::string_view text{reinterpret_cast<const char*>(data), size};
  auto parsed = sim::parse_suite(text, "fuzz", "");
  if (!parsed)
    return 0;
  size_t expected = parsed->seeds.size();
  for (const sim::suite_axis& axis : parsed->axes)
    expected *= axis.values.size();
  fuzz::check(parsed->runs.size() == expected, "the runs are not the product of the axes");
  std::set<std::string> names;
  for (const sim::suite_run& run : parsed->runs) {
    fuzz::check(names.insert(run.name).second, "two runs share a name");
    fuzz::check(run.name.find('/') == std::string::npos, "a run name holds a slash");
  }
  for (size_t i = 0; i < parsed->runs.size() && i < 8; ++i)
    fuzz::check(static_cast<bool>(sim::parse_scenario(
                  sim::run_scenario_json(*parsed, parsed->runs[i]), "run")),
                "a run's scenario does not parse");
  std::string json = sim::to_json(*parsed);
  auto again = sim::parse_suite(json, "to_json", "");
  if (!again) {
    std::fprintf(stderr, "%s\n%s\n", json.c_str(), again.error().to_string().c_str());
    fuzz::fail("to_json wrote a suite that does not parse");
  }
  fuzz::check(sim::to_json(*again) == json, "a suite does not round-trip through to_json");
  return 0;
}

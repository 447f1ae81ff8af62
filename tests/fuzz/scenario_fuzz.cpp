// Scenario files: any text parses to a scenario or is refused with an error; a scenario that
// parses is written back as JSON (to_json, what a run records) that parses to the same JSON.
// Seeds: the built-in scenarios, as to_json writes them.

#include "dynfeed/sim/scenario.hpp"
#include "fuzz/fuzz_support.hpp"

#include <string>

using namespace dynfeed;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  std::vector<bytes> seeds;
  for (const std::string& name : sim::builtin_scenarios()) {
    auto s = sim::load_scenario(name);
    fuzz::check(static_cast<bool>(s), "a built-in scenario does not load");
    std::string json = sim::to_json(*s);
    seeds.emplace_back(json.begin(), json.end());
  }
  fuzz::write_seeds(seeds);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text{reinterpret_cast<const char*>(data), size};
  auto parsed = sim::parse_scenario(text, "fuzz");
  if (!parsed)
    return 0;
  std::string json = sim::to_json(*parsed);
  auto again = sim::parse_scenario(json, "to_json");
  if (!again) {
    std::fprintf(stderr, "%s\n%s\n", json.c_str(), again.error().to_string().c_str());
    fuzz::fail("to_json wrote a scenario that does not parse");
  }
  fuzz::check(sim::to_json(*again) == json, "a scenario does not round-trip through to_json");
  return 0;
}

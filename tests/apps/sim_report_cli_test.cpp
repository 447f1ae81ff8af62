// dynfeed sim report on a tiny sweep made of real `dynfeed sim --out` runs: two cells of two
// seeds, a report with a row per cell and a real PNG.

#include <boost/test/unit_test.hpp>

#include "support/dynfeed_cli.hpp"
#include "support/temp_dir.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

using namespace dynfeed;
using test::dynfeed_cmd;
using test::expect_refused;
using test::process_result;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

/// A tiny rotating scenario: `readers` readers, 60 virtual seconds, an append every 10 s.
std::string tiny_scenario(int readers) {
  return R"({"name": "tiny", "duration_s": 60, "readers": )" + std::to_string(readers) +
         R"(, "mode": "rotating", "join_from_s": 0, "join_to_s": 5, "initial_blocks": 2,
            "first_append_s": 10, "append_interval_s": 10, "settle_s": 20,
            "discovery": "ideal", "sample_interval_s": 5})";
}

} // namespace

BOOST_AUTO_TEST_CASE(sim_report_on_real_runs) {
  test::temp_dir tmp;
  std::string dir = tmp / "sweep";
  std::filesystem::create_directories(dir + "/runs");
  std::ofstream(dir + "/suite.json")
    << R"({"name": "tiny", "description": "Two reader counts.", "base": "small",
          "axes": {"readers": [4, 8]}, "seeds": 2})";
  for (int readers : {4, 8}) {
    std::string scenario = tmp / ("tiny-" + std::to_string(readers) + ".json");
    std::ofstream(scenario) << tiny_scenario(readers);
    for (int seed : {1, 2}) {
      std::string run = dir + "/runs/readers=" + std::to_string(readers) + ",seed=" + std::to_string(seed);
      process_result r = dynfeed_cmd({"sim", scenario, "--seed", std::to_string(seed), "--quiet", "--out", run});
      BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    }
  }
  process_result r = dynfeed_cmd({"sim", "report", dir});
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  BOOST_TEST(r.out.find("4 runs in 2 cells, 1 plots") != std::string::npos, r.out);
  std::string md = slurp(dir + "/report.md");
  BOOST_TEST(md.find("| 4 | 2 | 0 |") != std::string::npos, md); // readers 4, two seeds, none failed
  BOOST_TEST(md.find("| 8 | 2 | 0 |") != std::string::npos, md);
  std::string png = slurp(dir + "/plots/rotating-value-swarm-vs-readers.png");
  BOOST_REQUIRE_GE(png.size(), 24u);
  BOOST_TEST(png.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0);
  BOOST_TEST(png.compare(12, 4, "IHDR") == 0);

  expect_refused(dynfeed_cmd({"sim", "report", tmp / "nothing"}), "suite.json not found");
  std::filesystem::remove_all(dir + "/runs");
  expect_refused(dynfeed_cmd({"sim", "report", dir}), "no finished run");
}

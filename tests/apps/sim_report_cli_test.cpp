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

BOOST_AUTO_TEST_CASE(sim_follow_writes_a_node_s_state_and_keeps_the_digest) {
  test::temp_dir tmp;
  std::string scenario = tmp / "tiny.json";
  std::ofstream(scenario) << tiny_scenario(6);
  auto digest_of = [](const std::string& out) {
    size_t at = out.rfind("digest ");
    return at == std::string::npos ? std::string() : out.substr(at);
  };
  process_result plain = dynfeed_cmd({"sim", scenario, "--quiet"});
  BOOST_REQUIRE_MESSAGE(plain.exit_code == 0, plain.err);
  std::string dir = tmp / "followed";
  process_result followed = dynfeed_cmd({"sim", scenario, "--quiet", "--follow", "0,3", "--out", dir});
  BOOST_REQUIRE_MESSAGE(followed.exit_code == 0, followed.err);
  BOOST_TEST(!digest_of(plain.out).empty());
  BOOST_TEST(digest_of(followed.out) == digest_of(plain.out));

  // A row per node and sample (every 5 s of 60), in the order given; the writer (node 0) is in
  // its own swarm from the first sample on, and reader 3 ends there with the writer's length.
  std::istringstream csv(slurp(dir + "/follow.csv"));
  std::string line, last_writer, last_reader;
  std::getline(csv, line);
  BOOST_TEST(line == "t_s,node,running,held,swarm,writer_swarm,peers,swarm_nodes,swarm_ahead,"
                     "id_pushes,requests");
  int rows = 0;
  while (std::getline(csv, line)) {
    ++rows;
    std::string node = line.substr(line.find(',') + 1);
    node = node.substr(0, node.find(','));
    BOOST_TEST(node == (rows % 2 == 1 ? "0" : "3"), line);
    (rows % 2 == 1 ? last_writer : last_reader) = line.substr(line.find(',', line.find(',') + 1) + 1);
  }
  BOOST_TEST(rows == 2 * 12);
  // Both running, the same length, in the same swarm, which is the writer's: running, held,
  // swarm and writer_swarm agree; peers and counts may differ.
  auto head = [](const std::string& rest) {
    size_t at = 0;
    for (int i = 0; i < 4; ++i)
      at = rest.find(',', at) + 1;
    return rest.substr(0, at);
  };
  BOOST_TEST(head(last_reader) == head(last_writer));
  BOOST_TEST(last_writer.compare(0, 2, "1,") == 0, last_writer);

  expect_refused(dynfeed_cmd({"sim", scenario, "--follow", "3"}), "--follow writes follow.csv: give --out DIR");
  expect_refused(dynfeed_cmd({"sim", scenario, "--follow", "7", "--out", tmp / "no"}),
                 "no node 7: this run has nodes 0 to 6");
  BOOST_TEST(!std::filesystem::exists(tmp / "no"));
}

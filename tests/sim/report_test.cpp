// dynfeed sim report on hand-made sweep directories: medians and interquartile ranges, a row
// per cell, real PNGs from gnuplot, and clear refusals.

#define BOOST_TEST_MODULE sim_report
#include "dynfeed/sim/report.hpp"

#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <utility>
#include <vector>

using namespace dynfeed;
using namespace dynfeed::sim;
namespace fs = std::filesystem;

namespace {

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

/// A summary.json as dynfeed sim writes it, with the fields the report reads.
std::string summary(const std::string& mode, int interval, int readers, int seed, double reach50,
                    const std::string& reach99 = "1.5", bool violated = false) {
  std::ostringstream s;
  s << R"({"scenario": {"mode": ")" << mode << R"(", "id_channel": "value-swarm", "append_interval_s": )"
    << interval << R"(.0, "readers": )" << readers << R"(, "network": {"loss": 0.01}}, "seed": )" << seed
    << R"(, "reachLatest": {"p50": {"medianSeconds": )" << reach50
    << R"(}, "p90": {"medianSeconds": 1.0}, "p99": {"medianSeconds": )" << reach99
    << R"(}}, "learnLag": {"p50MedianSeconds": 0.1, "p99MedianSeconds": 0.2},
       "swarms": {"maxIds": 2, "minLargestShare": 0.9},
       "discovery": {"perUpdate": 100, "busiestNodeReceived": 40},
       "bytes": {"perReader": 5000}, "stranded": {"maxShare": 0.0}, "residue": {"maxShare": 0.0},
       "violation": )" << (violated ? R"({"what": "x"})" : "null") << "}";
  return s.str();
}

/// A sweep directory: suite.json with three axes and four seeds, and runs written by tests.
struct sweep_dir {
  fs::path dir;
  sweep_dir() {
    char name[] = "/tmp/dynfeed-report-test-XXXXXX";
    BOOST_REQUIRE(mkdtemp(name));
    dir = name;
    write(dir / "suite.json",
          R"({"name": "tiny", "description": "A hand-made suite.", "base": "small",
              "axes": {"mode": ["rotating", "stable"], "append_interval_s": [10, 60],
                       "readers": [100, 1000]}, "seeds": 4})");
  }
  ~sweep_dir() { fs::remove_all(dir); }
  void run(const std::string& name, const std::string& json) {
    write(dir / "runs" / name / "summary.json", json);
  }
  /// Every cell of rotating mode, four seeds each; reach 50 % = seed (1..4) in the cell of 10 s
  /// and 100 readers.
  void rotating_cells() {
    int i = 0;
    for (int interval : {10, 60})
      for (int readers : {100, 1000})
        for (int seed = 1; seed <= 4; ++seed) {
          double reach = interval == 10 && readers == 100 ? seed : 0.5 * seed + readers / 1000.0;
          run("r" + std::to_string(i++), summary("rotating", interval, readers, seed, reach));
        }
  }
};

/// Width and height from a PNG's IHDR chunk, after checking the signature.
std::pair<uint32_t, uint32_t> png_size(const fs::path& p) {
  std::string b = read(p);
  BOOST_REQUIRE_GE(b.size(), 24u);
  BOOST_REQUIRE(b.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0);
  BOOST_REQUIRE(b.compare(12, 4, "IHDR") == 0);
  auto be32 = [&](size_t at) {
    uint32_t v = 0;
    for (size_t i = 0; i < 4; ++i)
      v = v << 8 | static_cast<uint8_t>(b[at + i]);
    return v;
  };
  return {be32(16), be32(20)};
}

size_t table_rows(const std::string& md) {
  size_t rows = 0;
  std::istringstream in(md);
  for (std::string line; std::getline(in, line);)
    if (line.rfind("| ", 0) == 0)
      ++rows;
  return rows - 1; // the header
}

} // namespace

BOOST_AUTO_TEST_SUITE(report)

BOOST_AUTO_TEST_CASE(quantiles_interpolate_between_order_statistics) {
  spread s = summarize({3.0, 1.0, std::nullopt, 4.0, 2.0});
  BOOST_TEST(*s.median == 2.5);
  BOOST_TEST(*s.q1 == 1.75);
  BOOST_TEST(*s.q3 == 3.25);
  BOOST_TEST(s.count == 4u);
  BOOST_TEST(s.missing == 1u);
  spread one = summarize({7.0});
  BOOST_TEST(*one.median == 7.0);
  BOOST_TEST(*one.q1 == 7.0);
  BOOST_TEST(!summarize({std::nullopt}).median);
  BOOST_TEST(quantile({1, 2, 3, 4, 5}, 0.5) == 3.0);
  BOOST_TEST(quantile({10, 20}, 0.25) == 12.5);
}

BOOST_AUTO_TEST_CASE(a_row_per_cell_with_median_and_spread) {
  sweep_dir d;
  d.rotating_cells();
  d.run("s0", summary("stable", 10, 100, 1, 0.3, "null", true)); // one seed, failed, never 99 %
  auto files = write_report(d.dir, {});
  BOOST_REQUIRE_MESSAGE(files.has_value(), (files ? std::string() : files.error().to_string()));
  BOOST_TEST(files->runs == 17u);
  BOOST_TEST(files->cells == 5u);
  std::string md = read(d.dir / "report.md");
  BOOST_TEST(table_rows(md) == 5u);
  BOOST_TEST(md.find("A hand-made suite.") != std::string::npos);
  BOOST_TEST(md.find("17 finished runs of the 32 in the suite") != std::string::npos);
  // Cell (rotating, 10 s, 100 readers): reach 50 % over seeds 1..4.
  BOOST_TEST(md.find("| rotating | 10 | 100 | 4 | 0 | 2 [2 – 2] | 0.9 [0.9 – 0.9] | 2.5 [1.75 – 3.25] |") != std::string::npos, md);
  // The stable cell: one seed, failed, no 99 % figure.
  BOOST_TEST(md.find("| stable | 10 | 100 | 1 | 1 |") != std::string::npos, md);
  BOOST_TEST(md.find("n/a (1 of 1 none)") != std::string::npos, md);
}

BOOST_AUTO_TEST_CASE(plots_are_real_pngs) {
  sweep_dir d;
  d.rotating_cells();
  auto files = write_report(d.dir, {});
  BOOST_REQUIRE_MESSAGE(files.has_value(), (files ? std::string() : files.error().to_string()));
  // Rotating mode against the interval and against readers; stable has no runs.
  BOOST_REQUIRE_EQUAL(files->plots.size(), 2u);
  for (const fs::path& png : files->plots) {
    auto [width, height] = png_size(png);
    BOOST_TEST(width == 1200u);
    BOOST_TEST(height == 1000u);
  }
  std::string md = read(d.dir / "report.md");
  BOOST_TEST(md.find("(plots/rotating-value-swarm-vs-append_interval_s.png)") != std::string::npos);
  BOOST_TEST(md.find("(plots/rotating-value-swarm-vs-readers.png)") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_poll_interval_axis_gets_its_plot) {
  sweep_dir d;
  write(d.dir / "suite.json", R"({"name": "poll", "base": "small",
    "axes": {"poll_interval_s": [10, 60], "append_interval_s": [10]}, "seeds": 2})");
  for (int poll : {10, 60})
    for (int seed = 1; seed <= 2; ++seed) {
      std::string json = summary("rotating", 10, 100, seed, poll / 10.0);
      json.insert(json.find("{\"mode\"") + 1, "\"poll_interval_s\": " + std::to_string(poll) + ", ");
      d.run("p" + std::to_string(poll) + "-" + std::to_string(seed), json);
    }
  auto files = write_report(d.dir, {});
  BOOST_REQUIRE_MESSAGE(files.has_value(), (files ? std::string() : files.error().to_string()));
  // Against the poll interval only: the append interval has one value.
  BOOST_REQUIRE_EQUAL(files->plots.size(), 1u);
  BOOST_TEST(files->plots[0].filename() == "rotating-value-swarm-vs-poll_interval_s.png");
  BOOST_TEST(png_size(files->plots[0]).first == 1200u);
  BOOST_TEST(table_rows(read(d.dir / "report.md")) == 2u);
}

BOOST_AUTO_TEST_CASE(a_partial_sweep_gives_fewer_rows_and_plots) {
  sweep_dir d;
  d.run("a", summary("rotating", 10, 100, 1, 1.0));
  d.run("b", summary("rotating", 10, 1000, 1, 2.0));
  fs::create_directories(d.dir / "runs" / "c");            // running: no summary.json yet
  fs::create_directories(d.dir / "runs" / ".tmp-d");       // a sweep's temporary directory
  auto files = write_report(d.dir, {});
  BOOST_REQUIRE_MESSAGE(files.has_value(), (files ? std::string() : files.error().to_string()));
  BOOST_TEST(files->cells == 2u);
  BOOST_TEST(files->plots.size() == 1u); // against readers only: one interval
  BOOST_TEST(table_rows(read(d.dir / "report.md")) == 2u);
}

BOOST_AUTO_TEST_CASE(where_selects_runs_as_sweep_does) {
  sweep_dir d;
  d.rotating_cells();
  fs::path into = d.dir / "only-100";
  report_options options;
  options.where = {"readers=100", "seed=1,3"};
  options.into = into;
  auto files = write_report(d.dir, options);
  BOOST_REQUIRE_MESSAGE(files.has_value(), (files ? std::string() : files.error().to_string()));
  BOOST_TEST(files->runs == 4u); // 2 intervals x seeds 1 and 3
  BOOST_TEST(files->cells == 2u);
  BOOST_TEST(!fs::exists(d.dir / "report.md")); // written into, not over, DIR's report
  std::string md = read(into / "report.md");
  BOOST_TEST(md.find("Only the runs of `--where readers=100` `--where seed=1,3`: 4 finished runs") !=
             std::string::npos, md);
  // Cell (rotating, 10 s, 100 readers) over seeds 1 and 3: reach 50 % = 1 and 3.
  BOOST_TEST(md.find("| rotating | 10 | 100 | 2 | 0 | 2 [2 – 2] | 0.9 [0.9 – 0.9] | 2 [1.5 – 2.5] |") !=
             std::string::npos, md);
  BOOST_TEST(md.find("| 1000 |") == std::string::npos, md);
  // Numbers compare by value: the runs' 10.0 is 10, and 10.0 given matches it.
  options.where = {"append_interval_s=10.0"};
  auto by_value = write_report(d.dir, options);
  BOOST_REQUIRE(by_value.has_value());
  BOOST_TEST(by_value->runs == 8u);

  for (auto [condition, says] : std::vector<std::pair<std::string, std::string>>{
         {"loss=0.01", "FIELD one of mode, append_interval_s, readers, seed"},
         {"readers", "give FIELD=VALUE"},
         {"readers=", "give FIELD=VALUE"},
         {"readers=100,10000", "no finished run has readers=10000"},
         {"mode=stable", "no finished run has mode=stable"}}) {
    options.where = {condition};
    auto refused = write_report(d.dir, options);
    BOOST_REQUIRE_MESSAGE(!refused, condition);
    BOOST_TEST(refused.error().to_string().find(says) != std::string::npos, refused.error().to_string());
  }
  options.where = {"readers=100", "append_interval_s=60", "seed=1"};
  BOOST_TEST(write_report(d.dir, options)->runs == 1u);
}

BOOST_AUTO_TEST_CASE(refusals_are_clear) {
  sweep_dir d;
  auto none = write_report(d.dir, {});
  BOOST_REQUIRE(!none);
  BOOST_TEST(none.error().to_string().find("no finished run") != std::string::npos);

  d.rotating_cells();
  report_options missing;
  missing.gnuplot = "/nonexistent/gnuplot";
  auto no_gnuplot = write_report(d.dir, missing);
  BOOST_REQUIRE(!no_gnuplot);
  BOOST_TEST(no_gnuplot.error().to_string().find("gnuplot not found") != std::string::npos);
  BOOST_TEST(!fs::exists(d.dir / "report.md"));
  missing.plots = false;
  BOOST_TEST(write_report(d.dir, missing).has_value()); // the table needs no gnuplot

  d.run("zz", R"({"scenario": {"mode": "stable"}, "seed": 1})");
  auto axis = write_report(d.dir, {});
  BOOST_REQUIRE(!axis);
  BOOST_TEST(axis.error().to_string().find("no field append_interval_s") != std::string::npos);
  d.run("zz", "{not json");
  auto bad = write_report(d.dir, {});
  BOOST_REQUIRE(!bad);
  BOOST_TEST(bad.error().to_string().find("zz/summary.json") != std::string::npos);

  fs::remove(d.dir / "suite.json");
  auto no_suite = write_report(d.dir, {});
  BOOST_REQUIRE(!no_suite);
  BOOST_TEST(no_suite.error().to_string().find("suite.json not found") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(suite_files_are_checked) {
  BOOST_TEST(!parse_suite_summary("[]", "s.json"));
  BOOST_TEST(!parse_suite_summary(R"({"axes": {}})", "s.json")); // no name
  BOOST_TEST(!parse_suite_summary(R"({"name": "x", "axes": {"readers": []}})", "s.json"));
  BOOST_TEST(!parse_suite_summary(R"({"name": "x", "seeds": "3"})", "s.json"));
  auto s = parse_suite_summary(R"({"name": "x", "axes": {"readers": [1, 2, 3], "mode": ["stable"]},
                                   "seeds": [4, 9]})", "s.json");
  BOOST_REQUIRE(s);
  BOOST_TEST(s->runs_planned == 6u);
  BOOST_TEST((s->axes == std::vector<std::string>{"readers", "mode"}));
  // A suite with exclude or extra states its count (suite.hpp's to_json): that one, not the
  // product's.
  auto cut = parse_suite_summary(R"({"name": "x", "axes": {"readers": [1, 2, 3]}, "seeds": 2,
                                     "exclude": [{"readers": 1}], "runs": 4})", "s.json");
  BOOST_REQUIRE(cut);
  BOOST_TEST(cut->runs_planned == 4u);
  BOOST_TEST(!parse_suite_summary(R"({"name": "x", "runs": -1})", "s.json"));
}

BOOST_AUTO_TEST_SUITE_END()

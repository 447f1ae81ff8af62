#define BOOST_TEST_MODULE sweep_cli
#include <boost/test/unit_test.hpp>

// dynfeed sim sweep with real processes: a sweep killed halfway (SIGKILL) resumes without
// redoing a finished run and ends equal to an uninterrupted one; a run's digest is
// `dynfeed sim`'s; --only, --collect, --emit slurm and a DIR holding another suite.
// Waits poll the run directories with a bound; the kill's moment is the fault, not a wait.

#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

using namespace dynfeed;
namespace fs = std::filesystem;

namespace {

// Small enough for a fraction of a second per run.
const std::string base = R"({"name": "tiny", "readers": 12, "duration_s": 120,
  "join_to_s": 10, "first_append_s": 20, "append_interval_s": 10, "settle_s": 30})";

std::string suite_text(int seeds) {
  return R"({"name": "resume", "base": )" + base +
         R"(, "axes": {"mode": ["stable", "rotating"]}, "seeds": )" + std::to_string(seeds) + "}";
}

test::process_result dynfeed_cmd(std::vector<std::string> args) {
  args.insert(args.begin(), DYNFEED_PATH);
  return test::run_process(args);
}

size_t finished_runs(const std::string& dir) {
  size_t count = 0;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir + "/runs", ec))
    count += fs::exists(entry.path() / "run.json");
  return count;
}

std::string digest_line(const std::string& out) {
  size_t at = out.rfind("digest ");
  return at == std::string::npos ? "" : out.substr(at + 7, 16);
}

} // namespace

BOOST_AUTO_TEST_CASE(a_killed_sweep_resumes_and_ends_as_an_uninterrupted_one) {
  test::temp_dir tmp;
  std::ofstream(tmp / "suite.json") << suite_text(3);
  std::string suite = tmp / "suite.json";

  auto whole = dynfeed_cmd({"sim", "sweep", suite, "--out", tmp / "whole", "--jobs", "2"});
  BOOST_REQUIRE_MESSAGE(whole.exit_code == 0, whole.err);
  BOOST_TEST(finished_runs(tmp / "whole") == 6u);

  std::string killed = tmp / "killed";
  size_t before = 0;
  {
    test::child_process sweep({DYNFEED_PATH, "sim", "sweep", suite, "--out", killed, "--jobs", "1"},
                              tmp / "killed.err");
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{120};
    while (finished_runs(killed) < 2 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds{20}); // polling, bounded
    sweep.kill(SIGKILL);
    sweep.wait();
    before = finished_runs(killed);
  }
  BOOST_REQUIRE_GE(before, 2u);
  BOOST_REQUIRE_LT(before, 6u); // killed halfway, or the test proves nothing

  auto resumed = dynfeed_cmd({"sim", "sweep", suite, "--out", killed, "--jobs", "2"});
  BOOST_REQUIRE_MESSAGE(resumed.exit_code == 0, resumed.err);
  // The finished runs were not run again: the sweep counts them as done before it started.
  BOOST_TEST(resumed.err.find("6/6 done (" + std::to_string(before) + " before)") !=
               std::string::npos, resumed.err);
  BOOST_TEST(test::read_file(killed + "/results.csv") == test::read_file(tmp / "whole/results.csv"));
  BOOST_TEST(fs::is_empty(killed + "/tmp")); // what the killed run left half done is gone

  // Again: nothing left to run.
  auto again = dynfeed_cmd({"sim", "sweep", suite, "--out", killed});
  BOOST_TEST(again.exit_code == 0);
  BOOST_TEST(again.err.find("6/6 done (6 before)") != std::string::npos, again.err);
}

BOOST_AUTO_TEST_CASE(a_runs_digest_is_dynfeed_sims) {
  test::temp_dir tmp;
  std::ofstream(tmp / "suite.json") << suite_text(2);
  auto sweep = dynfeed_cmd({"sim", "sweep", tmp / "suite.json", "--out", tmp / "out", "--only", "3"});
  BOOST_REQUIRE_MESSAGE(sweep.exit_code == 0, sweep.err);
  BOOST_TEST(sweep.out.find("0003-mode=rotating,seed=2: done, ok") != std::string::npos, sweep.out);
  BOOST_TEST(finished_runs(tmp / "out") == 1u);

  // The same scenario, written by hand, run by dynfeed sim with the seed on the command line.
  std::string scenario = base;
  scenario.insert(1, R"("mode": "rotating", )");
  std::ofstream(tmp / "scenario.json") << scenario;
  auto sim = dynfeed_cmd({"sim", tmp / "scenario.json", "--seed", "2", "--quiet"});
  BOOST_REQUIRE_MESSAGE(sim.exit_code == 0, sim.err);
  std::string digest = digest_line(sim.out);
  BOOST_REQUIRE_EQUAL(digest.size(), 16u);

  // --collect writes the one finished run and says the sweep is not complete.
  auto collected = dynfeed_cmd({"sim", "sweep", tmp / "suite.json", "--out", tmp / "out", "--collect"});
  BOOST_TEST(collected.exit_code == 1);
  std::string csv = test::read_file(tmp / "out/results.csv");
  BOOST_TEST(csv.find("3,\"0003-mode=rotating,seed=2\",rotating,2,ok,") != std::string::npos, csv);
  BOOST_TEST(csv.substr(csv.size() - 17) == digest + "\n");
  BOOST_TEST(std::count(csv.begin(), csv.end(), '\n') == 2);
}

BOOST_AUTO_TEST_CASE(slurm_script_and_refusals) {
  test::temp_dir tmp;
  std::ofstream(tmp / "suite.json") << suite_text(3);
  auto emit = dynfeed_cmd({"sim", "sweep", tmp / "suite.json", "--out", tmp / "out", "--emit", "slurm"});
  BOOST_REQUIRE_MESSAGE(emit.exit_code == 0, emit.err);
  std::string script = test::read_file(tmp / "out/sweep.sbatch");
  BOOST_TEST(script.find("#SBATCH --array=0-5\n") != std::string::npos, script);
  BOOST_TEST(script.find(" --only \"$SLURM_ARRAY_TASK_ID\"") != std::string::npos, script);
  BOOST_TEST(script.find("exec '/") != std::string::npos, script); // an absolute binary
  BOOST_TEST(finished_runs(tmp / "out") == 0u);

  // The same DIR with another suite is refused, and nothing is run into it.
  std::ofstream(tmp / "suite.json") << suite_text(2);
  auto other = dynfeed_cmd({"sim", "sweep", tmp / "suite.json", "--out", tmp / "out"});
  BOOST_TEST(other.exit_code == 1);
  BOOST_TEST(other.err.find("holds a different suite") != std::string::npos, other.err);
  BOOST_TEST(finished_runs(tmp / "out") == 0u);

  auto range = dynfeed_cmd({"sim", "sweep", tmp / "suite.json", "--out", tmp / "o2", "--only", "4"});
  BOOST_TEST(range.exit_code == 2);
  BOOST_TEST(range.err.find("runs 0 to 3") != std::string::npos, range.err);
  std::ofstream(tmp / "bad.json") << R"({"base": "small", "axes": {"mode": ["sideways"]}})";
  auto bad = dynfeed_cmd({"sim", "sweep", tmp / "bad.json", "--out", tmp / "o3"});
  BOOST_TEST(bad.exit_code == 1);
  BOOST_TEST(bad.err.find("run 0000-mode=sideways,seed=1") != std::string::npos, bad.err);
  BOOST_TEST(!fs::exists(tmp / "o3"));
}

BOOST_AUTO_TEST_CASE(where_runs_a_part_first_with_the_suites_indexes_and_the_rest_resumes) {
  test::temp_dir tmp;
  std::ofstream(tmp / "suite.json") << suite_text(3);
  std::string suite = tmp / "suite.json";
  std::string out = tmp / "out";

  // Rotating runs with seeds 1 and 2: runs 3 and 4 of the 6, under their own names.
  auto part = dynfeed_cmd({"sim", "sweep", suite, "--out", out, "--where", "mode=rotating",
                           "--where", "seed=1,2", "--jobs", "2"});
  BOOST_REQUIRE_MESSAGE(part.exit_code == 0, part.err); // every selected run finished
  BOOST_TEST(part.err.find("2/2 done (0 before)") != std::string::npos, part.err);
  BOOST_TEST(part.out.find("2 of 6 runs (2 of the 2 selected)") != std::string::npos, part.out);
  BOOST_TEST(finished_runs(out) == 2u);
  BOOST_TEST(fs::exists(out + "/runs/0003-mode=rotating,seed=1/run.json"));
  BOOST_TEST(fs::exists(out + "/runs/0004-mode=rotating,seed=2/run.json"));
  std::string csv = test::read_file(out + "/results.csv");
  BOOST_TEST(std::count(csv.begin(), csv.end(), '\n') == 3);

  // A Slurm array of the selection alone.
  auto emit = dynfeed_cmd({"sim", "sweep", suite, "--out", out, "--where", "mode=stable",
                           "--emit", "slurm"});
  BOOST_REQUIRE_MESSAGE(emit.exit_code == 0, emit.err);
  BOOST_TEST(test::read_file(out + "/sweep.sbatch").find("#SBATCH --array=0-2\n") != std::string::npos);

  // The rest, without --where: the two are not run again, and the end equals one whole sweep.
  auto rest = dynfeed_cmd({"sim", "sweep", suite, "--out", out, "--jobs", "2"});
  BOOST_REQUIRE_MESSAGE(rest.exit_code == 0, rest.err);
  BOOST_TEST(rest.err.find("6/6 done (2 before)") != std::string::npos, rest.err);
  auto whole = dynfeed_cmd({"sim", "sweep", suite, "--out", tmp / "whole", "--jobs", "2"});
  BOOST_REQUIRE_MESSAGE(whole.exit_code == 0, whole.err);
  BOOST_TEST(test::read_file(out + "/results.csv") == test::read_file(tmp / "whole/results.csv"));

  // Mistakes are refused by name, before anything runs.
  auto typo = dynfeed_cmd({"sim", "sweep", suite, "--out", tmp / "o2", "--where", "mod=stable"});
  BOOST_TEST(typo.exit_code == 2);
  BOOST_TEST(typo.err.find("--where mod=stable") != std::string::npos, typo.err);
  auto none = dynfeed_cmd({"sim", "sweep", suite, "--out", tmp / "o2", "--where", "seed=4"});
  BOOST_TEST(none.exit_code == 2);
  BOOST_TEST(none.err.find("no run has seed=4") != std::string::npos, none.err);
  auto both = dynfeed_cmd({"sim", "sweep", suite, "--out", tmp / "o2", "--where", "seed=1",
                           "--only", "1"});
  BOOST_TEST(both.exit_code == 2);
  BOOST_TEST(!fs::exists(tmp / "o2"));
}

/// dynfeed sim: runs a scenario in the deterministic simulator.

#include "apps/cli.hpp"
#include "dynfeed/sim/caf_driver.hpp"
#include "dynfeed/sim/runtime.hpp"
#include "dynfeed/sim/scenario.hpp"
#include "dynfeed/sim/simulation.hpp"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <unistd.h>

namespace dynfeed::cli {

namespace {

struct sim_options {
  std::string scenario = "default";
  std::optional<uint64_t> seed;
  std::optional<uint32_t> nodes;
  std::optional<double> duration_s;
  std::string id_channel; ///< empty: the scenario's
  std::string out;
  std::vector<uint32_t> follow; ///< node indexes for follow.csv
  std::string driver = "plain";
  bool list = false;
  bool quiet = false;
};

/// A one-line progress bar on stderr: virtual time, and events per wall second.
class progress_bar {
public:
  progress_bar(clock_time total, const sim::driver& drv) : total_(total), drv_(drv) {}

  void operator()(clock_time now) {
    auto wall = std::chrono::steady_clock::now();
    double elapsed = std::chrono::duration<double>(wall - start_).count();
    double rate = elapsed > 0 ? static_cast<double>(drv_.events()) / elapsed : 0;
    double done = total_.count() > 0 ? static_cast<double>(now.count()) / total_.count() : 1;
    int filled = static_cast<int>(done * width);
    std::fprintf(stderr, "\r[%-*.*s] %5.0f / %.0f s virtual, %llu events, %.0fk events/s ", width,
                 filled, "##################################################",
                 std::chrono::duration<double>(now).count(),
                 std::chrono::duration<double>(total_).count(),
                 static_cast<unsigned long long>(drv_.events()), rate / 1000);
    std::fflush(stderr);
  }
  ~progress_bar() { std::fprintf(stderr, "\n"); }

private:
  static constexpr int width = 30;
  clock_time total_;
  const sim::driver& drv_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

void write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out.flush())
    throw std::runtime_error("cannot write " + path.string());
}

int run_sim(const sim_options& o) {
  if (o.list) {
    for (const std::string& name : sim::builtin_scenarios())
      std::cout << name << '\n';
    return exit_ok;
  }
  auto loaded = sim::load_scenario(o.scenario);
  if (!loaded)
    return report(loaded.error());
  sim::scenario s = std::move(*loaded);
  if (o.seed)
    s.seed = *o.seed;
  if (o.nodes)
    s.readers = *o.nodes;
  if (o.duration_s) {
    if (!(*o.duration_s > 0) || *o.duration_s > 1e7)
      return report("--duration must be between 0 and 10^7 seconds", exit_usage);
    s.duration = std::chrono::duration_cast<clock_time>(std::chrono::duration<double>(*o.duration_s));
  }
  if (!o.id_channel.empty()) {
    auto channels = parse_id_channels(o.id_channel);
    if (!channels)
      return report("--id-channel must list value-swarm, relay and/or dht, each once", exit_usage);
    if (channels->has(id_channel::dht) && s.discovery != sim::discovery_backend::dht)
      return report("--id-channel dht needs a scenario with \"discovery\": \"dht\" (this one "
                      "has " + std::string(to_string(s.discovery)) + ")",
                    exit_usage);
    s.id_channel = *channels;
  }
  if (!o.follow.empty() && o.out.empty())
    return report("--follow writes follow.csv: give --out DIR", exit_usage);
  std::unique_ptr<sim::runtime> drv = o.driver == "caf"
                                        ? sim::make_caf_runtime(s.seed, s.network)
                                        : std::make_unique<sim::runtime>(s.seed, s.network);
  sim::simulation simulation(s, *drv);
  if (!o.follow.empty()) {
    simulation.prepare(); // the nodes exist from here on
    try {
      simulation.follow(o.follow);
    } catch (const std::out_of_range& e) {
      return report("--follow: " + std::string(e.what()), exit_usage);
    }
  }
  if (!o.out.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(o.out, ec);
    if (ec)
      return report("cannot create " + o.out + ": " + ec.message());
  }

  std::cout << "seed " << s.seed << std::endl;
  bool bar = !o.quiet && isatty(STDERR_FILENO);
  {
    std::optional<progress_bar> progress;
    if (bar)
      progress.emplace(s.duration, *drv);
    simulation.run([&](clock_time now) {
      if (progress)
        (*progress)(now);
    });
  }
  std::cout << simulation.summary_table();
  if (!o.out.empty()) {
    std::filesystem::path dir(o.out);
    write_file(dir / "summary.json", simulation.summary_json());
    write_file(dir / "timeseries.csv", simulation.timeseries_csv());
    write_file(dir / "appends.csv", simulation.appends_csv());
    if (!o.follow.empty())
      write_file(dir / "follow.csv", simulation.follow_csv());
    std::cout << "wrote " << (dir / "summary.json").string() << ", timeseries.csv, appends.csv"
              << (o.follow.empty() ? "" : ", follow.csv") << '\n';
  }
  int code = exit_ok;
  if (const auto& v = simulation.violation()) {
    std::fprintf(stderr, "dynfeed: invariant violated at event %llu (seed %llu): %s\n",
                 static_cast<unsigned long long>(v->event),
                 static_cast<unsigned long long>(s.seed), v->what.c_str());
    code = exit_error;
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(simulation.digest()));
  std::cout << "digest " << hex << std::endl;
  return code;
}

} // namespace

void add_sim_commands(CLI::App& app, command& run) {
  auto o = std::make_shared<sim_options>();
  auto* sim = app.add_subcommand(
    "sim", "run a scenario in the deterministic simulator: the seed first, a summary, the "
           "trace digest last");
  sim->add_option("scenario", o->scenario,
                  "a scenario file (JSON), or a built-in scenario's name (see --list)")
    ->capture_default_str();
  sim->add_option("--seed", o->seed, "the seed of every random choice (default: the scenario's)");
  sim->add_option("--nodes", o->nodes, "readers following the feed (default: the scenario's)");
  sim->add_option("--duration", o->duration_s, "virtual seconds to run (default: the scenario's)");
  sim->add_option("--id-channel", o->id_channel,
                  "rotating modes: how readers learn new IDs, value-swarm, relay and/or dht "
                  "(dht: with discovery dht; default: the scenario's)");
  sim->add_option("--out", o->out, "directory for summary.json, timeseries.csv and appends.csv");
  sim->add_option("--follow", o->follow,
                  "nodes to follow (the writer is 0, reader R is R, as a violation names it): "
                  "each one's state at every sample, in DIR/follow.csv; the digest stays the same")
    ->delimiter(',');
  sim->add_option("--driver", o->driver,
                  "plain (components run by the simulator, for scale) or caf (each component "
                  "in a CAF actor on the test coordinator, for fidelity); same digest")
    ->check(CLI::IsMember({"plain", "caf"}))
    ->capture_default_str();
  sim->add_flag("--list", o->list, "list the built-in scenarios");
  sim->add_flag("--quiet", o->quiet, "no progress bar");
  add_sim_report_command(*sim, run);
  add_sweep_command(*sim, run);
  add_campaign_command(*sim, run);
  // A subcommand of sim (report, sweep, campaign) has set `run` already: this callback runs
  // after its.
  sim->callback([&run, o, sim] {
    if (sim->get_subcommands().empty())
      run = [o] { return run_sim(*o); };
  });
}

} // namespace dynfeed::cli

/// dynfeed sim report: the report of a sweep's finished runs (dynfeed/sim/report.hpp).

#include "apps/cli.hpp"
#include "dynfeed/sim/report.hpp"

#include <iostream>
#include <memory>
#include <string>
#include <vector>

namespace dynfeed::cli {

namespace {

struct report_args {
  std::string dir;
  std::string gnuplot = "gnuplot";
  bool no_plots = false;
  std::vector<std::string> where;
  std::string into;
};

int run_report(const report_args& a) {
  sim::report_options options;
  options.plots = !a.no_plots;
  options.gnuplot = a.gnuplot;
  options.where = a.where;
  options.into = a.into;
  auto files = sim::write_report(a.dir, options);
  if (!files)
    return report(files.error());
  std::cout << "wrote " << files->markdown.string() << ": " << files->runs << " runs in "
            << files->cells << " cells, " << files->plots.size() << " plots\n";
  return exit_ok;
}

} // namespace

void add_sim_report_command(CLI::App& sim, command& run) {
  auto a = std::make_shared<report_args>();
  auto* c = sim.add_subcommand(
    "report", "write DIR/report.md and DIR/plots/*.png from a sweep's finished runs "
              "(dynfeed sim sweep SUITE --out DIR): median and interquartile range per cell");
  c->add_option("dir", a->dir, "the sweep's output directory")->required();
  c->add_option("--gnuplot", a->gnuplot, "the gnuplot program")->capture_default_str();
  c->add_flag("--no-plots", a->no_plots, "the table only, without gnuplot");
  c->add_option("--where", a->where,
                "only the runs whose FIELD (an axis, or seed) is one of the VALUEs, as sweep's "
                "--where; repeat for several fields (all must hold)")
    ->type_name("FIELD=VALUE[,VALUE...]")
    ->allow_extra_args(false);
  c->add_option("--into", a->into, "write report.md and plots/ into this directory instead of DIR");
  c->callback([&run, a] { run = [a] { return run_report(*a); }; });
}

} // namespace dynfeed::cli

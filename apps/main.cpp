#include "apps/cli.hpp"

#include <csignal>
#include <iostream>

int main(int argc, char** argv) {
  using namespace dynfeed;
  // A peer or control client that hangs up must not kill us; writes report the error instead.
  std::signal(SIGPIPE, SIG_IGN);
  CLI::App app{"dynfeed: dynamic feeds, single-writer append-only logs that peers replicate, "
               "verify block by block and follow live"};
  app.require_subcommand(1);
  cli::command run;
  cli::add_feed_commands(app, run);
  cli::add_value_commands(app, run);
  cli::add_bench_commands(app, run);
  cli::add_node_commands(app, run);
  cli::add_discovery_commands(app, run);
  cli::add_sim_commands(app, run);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0)
      return app.exit(e);
    std::string message = e.what();
    if (message.empty())
      message = "invalid command line";
    return cli::report(message + " (see --help)", cli::exit_usage);
  }
  if (!run)
    return cli::report("no command given (see --help)", cli::exit_usage);
  try {
    return run();
  } catch (const std::exception& e) {
    return cli::report(e.what());
  }
}

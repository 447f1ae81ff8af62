#pragma once

/// Pieces shared by the commands that run a node or a discovery server until stopped (seed,
/// clone, follow, value get/watch, dht, tracker): the --bootstrap and --tracker options.

#include "dynfeed/actors/node.hpp"
#include "apps/cli.hpp"

#include <optional>
#include <string>
#include <vector>

namespace dynfeed::cli {

/// --bootstrap and --tracker: where a node finds the peers of its swarms besides --peer.
struct discovery_args {
  std::vector<std::string> bootstrap;
  std::vector<std::string> trackers;

  bool empty() const noexcept { return bootstrap.empty() && trackers.empty(); }
};

/// Adds --bootstrap and --tracker (repeatable, exclusive) to `command`.
void add_discovery_options(CLI::App& command, discovery_args& args);

/// "a.b.c.d:port" (or "localhost:port") with a port other than 0, or a message naming
/// `option`.
expected<endpoint> parse_ipv4_address(const std::string& text, const std::string& option);

/// The discovery for `args` with its UDP socket bound to `local`: none without either option;
/// an error (for exit_usage) names an address that is not IPV4:PORT.
expected<std::optional<discovery_config>> discovery_from(const discovery_args& args,
                                                         const endpoint& local);

} // namespace dynfeed::cli

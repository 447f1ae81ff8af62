#pragma once

/// Pieces shared by the commands that run a node or a discovery server until stopped (seed,
/// clone, follow, value get/watch, dht, tracker): stopping on signals, and the --bootstrap and
/// --tracker options.

#include "dynfeed/actors/node.hpp"
#include "apps/cli.hpp"

#include <atomic>
#include <optional>
#include <pthread.h>
#include <signal.h>
#include <string>
#include <thread>
#include <vector>

namespace dynfeed::cli {

/// Set once SIGINT or SIGTERM arrived (while a stop_signals exists).
extern std::atomic<bool> stop_requested;

/// SIGINT and SIGTERM are blocked in every thread (CAF's threads inherit the mask, so a signal
/// never interrupts the multiplexer) and collected by one thread of our own.
class stop_signals {
public:
  stop_signals();
  ~stop_signals();
  stop_signals(const stop_signals&) = delete;
  stop_signals& operator=(const stop_signals&) = delete;

private:
  sigset_t set_;
  std::thread thread_;
};

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

/// A DHT node's settings for a node bound to `local` that joins through `bootstrap`. On a
/// loopback network (every address in 127.0.0.0/8) all nodes share one address, so the rule
/// of one routing table entry per address is lifted there.
dht_config dht_settings(const endpoint& local, const std::vector<endpoint>& bootstrap);

} // namespace dynfeed::cli

#pragma once

/// Shared pieces of the dynfeed command line: every command reports bad input as one line on
/// stderr and a non-zero exit code.

#include "dynfeed/base/error.hpp"
#include "dynfeed/base/expected.hpp"
#include "dynfeed/crypto/crypto.hpp"

#include <CLI/CLI.hpp>

#include <functional>
#include <optional>
#include <string>

namespace dynfeed::cli {

/// What a parsed subcommand will run; returns the process exit code.
using command = std::function<int()>;

/// Exit codes.
inline constexpr int exit_ok = 0;
inline constexpr int exit_error = 1; ///< the command was refused or failed
inline constexpr int exit_usage = 2; ///< the command line itself is wrong
/// clone or follow met a writer that equivocated: the proof is in DIR/equivocation.json.
inline constexpr int exit_equivocation = 3;

/// Prints "dynfeed: <error>" on stderr and returns exit_error.
int report(const error& err);
/// Prints "dynfeed: <message>" on stderr and returns `code`.
int report(const std::string& message, int code = exit_error);

/// A control socket request's error, as seen by a command that found its store locked: when no
/// node answers, says that another process holds the store.
error in_use(const error& err);

/// Parses a decimal unsigned 64-bit integer, with a message naming `what` on failure.
std::optional<uint64_t> parse_u64(const std::string& text, const std::string& what,
                                  std::string& message);

/// The keypair derived from `seed_hex` (--keypair-seed, 64 hex digits), or a fresh random one
/// when it is empty.
expected<keypair> keypair_from_seed_option(const std::string& seed_hex);

void add_feed_commands(CLI::App& app, command& run);
void add_value_commands(CLI::App& app, command& run);
void add_bench_commands(CLI::App& app, command& run);
void add_node_commands(CLI::App& app, command& run);
/// dht, tracker: discovery servers.
void add_discovery_commands(CLI::App& app, command& run);
void add_sim_commands(CLI::App& app, command& run);
/// sim report: added to the `sim` subcommand.
void add_sim_report_command(CLI::App& sim, command& run);
/// sim sweep: added to the `sim` subcommand (apps/sweep_commands.cpp).
void add_sweep_command(CLI::App& sim, command& run);
/// sim campaign: added to the `sim` subcommand.
void add_campaign_command(CLI::App& sim, command& run);
/// value get / watch: added to the `value` subcommand (they run a node).
void add_value_network_commands(CLI::App& value, command& run);

} // namespace dynfeed::cli

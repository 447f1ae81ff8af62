#pragma once

/// A suite: a parameter sweep over scenarios (docs/sweeps.md). A JSON file names a base
/// scenario, axes (scenario fields, each with a list of values) and seeds; its runs are every
/// combination of the axes' values, less the combinations `exclude` drops, then the cases
/// `extra` adds (values outside the product), each with every seed. Each run gets a stable
/// index and a readable, filesystem-safe name, and its scenario is the base with the run's
/// values and seed written over it, parsed by the scenario parser: a value a scenario file
/// would refuse is refused here too, naming the axis, the value and the run.

#include "dynfeed/base/expected.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dynfeed::sim {

/// Most runs a suite may hold (the product of its axes' lengths and its seeds).
inline constexpr size_t suite_runs_max = 100000;

struct suite_axis {
  std::string field;               ///< a scenario field; nested ones as a dotted path
  std::vector<std::string> values; ///< each value as JSON text
};

struct suite_run {
  size_t index = 0;
  std::string name;                ///< e.g. 0007-mode=rotating,append_interval_s=10,seed=2
  std::vector<std::string> values; ///< per axis, its value as JSON text (an extra case's may
                                   ///< lie outside the axis's list)
  uint64_t seed = 1;
};

struct suite {
  std::string name;
  std::string description;
  std::string base_json; ///< the base scenario, resolved to a JSON object
  std::vector<suite_axis> axes;
  std::vector<uint64_t> seeds;
  std::string exclude_json = "[]"; ///< suite.exclude as given (checked), for to_json
  std::string extra_json = "[]";   ///< suite.extra as given (checked), for to_json
  /// The product's runs not excluded (axes in file order, values in list order, seeds
  /// innermost), then the extra cases' runs in the file's order; indexes 0..n-1.
  std::vector<suite_run> runs;
};

/// Parses a suite from JSON text. `origin` names it in errors; a base given as a file path is
/// read relative to `base_dir`.
expected<suite> parse_suite(std::string_view json_text, const std::string& origin,
                            const std::string& base_dir);
/// Reads a suite file.
expected<suite> load_suite(const std::string& path);

/// The runs whose values match every `FIELD=VALUE[,VALUE...]` condition (a run matches a
/// condition when its value of FIELD, as display_value shows it, is one of the VALUEs; FIELD is
/// an axis or `seed`), in index order. A condition naming no axis, or a value no run has, is
/// refused by name, so that a typo never selects nothing.
expected<std::vector<size_t>> select_runs(const suite& s, const std::vector<std::string>& where);

/// An axis value as a run's name and results.csv show it: strings bare, anything else as JSON.
std::string display_value(const std::string& value_json);
/// The scenario `run` runs: the base with the run's axis values and seed, as JSON text that
/// parse_scenario accepts (and the file `dynfeed sim` replays the run from).
std::string run_scenario_json(const suite& s, const suite_run& run);
/// The suite, self-contained (the base as a scenario object), as JSON: DIR/suite.json. It
/// parses back (parse_suite) to the same runs. With `exclude` or `extra` it states `runs`, the
/// count (which `dynfeed sim report` reads without expanding the suite).
std::string to_json(const suite& s);

} // namespace dynfeed::sim

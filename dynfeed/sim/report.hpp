#pragma once

/// `dynfeed sim report DIR`: reads a sweep's finished runs (DIR/suite.json,
/// DIR/runs/<name>/summary.json), groups them into cells (one per combination of the axes'
/// values, over seeds), and writes DIR/report.md with a results table (median and
/// interquartile range per cell) and PNG plots drawn by gnuplot (DIR/plots/). No CAF, no
/// simulator: it reads files only, so a partial sweep can be reported while it runs.

#include "dynfeed/base/error.hpp"
#include "dynfeed/base/expected.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace dynfeed::sim {

/// A figure the report gives per cell: a number in summary.json (a JSON pointer).
struct report_metric {
  const char* key;     ///< short name (file and column names)
  const char* label;   ///< for readers of the report
  const char* pointer; ///< where summary.json holds it
};

/// The report's figures, in the order of its table and plot panels.
const std::vector<report_metric>& report_metrics();

/// The median and interquartile range of one figure over a cell's seeds. Quantiles interpolate
/// linearly between order statistics (position p * (n - 1) in the sorted values).
struct spread {
  std::optional<double> median, q1, q3; ///< nullopt when no run has the figure
  size_t count = 0;   ///< runs that have it
  size_t missing = 0; ///< runs whose figure is null (e.g. an append never reached 99 %)
};

/// The quantile p (0..1) of `sorted` (ascending, not empty).
double quantile(const std::vector<double>& sorted, double p);
spread summarize(const std::vector<std::optional<double>>& values);

/// What the report needs of DIR/suite.json.
struct suite_summary {
  std::string name;
  std::string description;
  std::vector<std::string> axes; ///< scenario fields, in the file's order
  size_t runs_planned = 0;       ///< the product of the axes' sizes, times the seeds
};

/// One finished run: its axes' values (as text, in suite_summary::axes order), read from the
/// scenario its summary.json records.
struct run_result {
  std::string name;
  uint64_t seed = 0;
  std::vector<std::string> axis_values;
  std::string mode;
  std::string id_channel;
  bool violated = false;                       ///< an invariant broke
  std::vector<std::optional<double>> metrics;  ///< in report_metrics() order
};

/// Runs with the same axis values, over seeds.
struct report_cell {
  std::vector<std::string> axis_values;
  std::string mode;
  std::string id_channel;
  std::vector<uint64_t> seeds; ///< sorted
  size_t failed = 0;
  std::vector<spread> metrics; ///< in report_metrics() order
};

expected<suite_summary> parse_suite_summary(const std::string& json_text, const std::string& origin);
/// Reads one run's summary.json text.
expected<run_result> parse_run(const std::string& json_text, const std::string& origin,
                               const suite_summary& suite);
/// The runs whose values match every `FIELD=VALUE[,VALUE...]` condition, as `dynfeed sim sweep
/// --where` selects them: FIELD is an axis of the suite or `seed`, and a run matches when its
/// value of FIELD is one of the VALUEs (numbers compared by value: 1 matches 1.0). A condition
/// naming no axis, or a value no given run has, is refused by name, so that a typo never
/// selects nothing.
expected<std::vector<run_result>> filter_runs(std::vector<run_result> runs, const suite_summary& suite,
                                              const std::vector<std::string>& where);
/// Groups runs into cells, ordered by axis values (numbers by value, text alphabetically).
std::vector<report_cell> group_cells(const std::vector<run_result>& runs);

/// The markdown table: the axes, seeds, failed runs, then each metric as
/// "median [q1 – q3]".
std::string results_table(const suite_summary& suite, const std::vector<report_cell>& cells);

struct report_options {
  bool plots = true;
  std::string gnuplot = "gnuplot"; ///< a path, or a name looked up on PATH
  std::vector<std::string> where;  ///< only these runs (filter_runs); all when empty
  std::filesystem::path into;      ///< where report.md and plots/ go; DIR when empty
};

/// What write_report wrote.
struct report_files {
  std::filesystem::path markdown;
  std::vector<std::filesystem::path> plots;
  size_t runs = 0;
  size_t cells = 0;
};

/// Reads DIR, writes DIR/report.md and (with options.plots) DIR/plots/*.png, or the same under
/// options.into. Refuses a DIR without suite.json or without a finished run (or none that
/// options.where selects), and a gnuplot that is missing or fails.
expected<report_files> write_report(const std::filesystem::path& dir, const report_options& options);

} // namespace dynfeed::sim

#pragma once

/// results.csv of a sweep (docs/sweeps.md): one row per finished run, rebuilt from the run
/// directories, so that it only ever says what a complete run directory holds.

#include "dynfeed/sim/suite.hpp"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dynfeed::sim {

/// A finished run, as its directory records it.
struct run_record {
  size_t index = 0;         ///< into suite::runs
  std::string status;       ///< "ok" or "failed"
  std::string summary_json; ///< summary.json's text; empty when the run left none (a crash)
};

/// summary.json's numbers with dotted names ("reachLatest.p90.medianSeconds"), in the file's
/// order; a null (nothing measured) is an empty value. The scenario (the axes say what
/// differs), the seed, the digest and the wall-clock time are left out: every value here is a
/// function of the scenario and the seed. Not JSON, or not an object: no metrics.
std::vector<std::pair<std::string, std::string>> flatten_metrics(std::string_view summary_json);

/// The digest summary.json records, empty if none.
std::string summary_digest(std::string_view summary_json);

/// results.csv: index, name, each axis, seed, status, every metric any of `records` has (the
/// same columns on every row, in first-seen order), digest. Rows in index order.
std::string results_csv(const suite& s, std::vector<run_record> records);

} // namespace dynfeed::sim

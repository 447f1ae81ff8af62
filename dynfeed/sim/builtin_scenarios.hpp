#pragma once

/// The scenarios under sim/scenarios/, built into the program so that `dynfeed sim NAME` works
/// from anywhere (generated at configure time from the JSON files).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dynfeed::sim {

std::optional<std::string_view> builtin_scenario(const std::string& name);
std::vector<std::string> builtin_scenario_names();

/// Measured data under sim/data/ (latency matrices), by name, built in the same way.
std::optional<std::string_view> builtin_data(const std::string& name);
std::vector<std::string> builtin_data_names();

} // namespace dynfeed::sim

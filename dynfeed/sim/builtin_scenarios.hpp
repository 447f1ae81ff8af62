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

} // namespace dynfeed::sim

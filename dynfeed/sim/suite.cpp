#include "dynfeed/sim/suite.hpp"

#include "dynfeed/sim/builtin_scenarios.hpp"
#include "dynfeed/sim/scenario.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace dynfeed::sim {

// Ordered, so that the axes keep the order the file gives them (run order depends on it).
using ojson = nlohmann::ordered_json;

namespace {

/// Seeds travel through scenario JSON as numbers, exact up to 2^53 only.
constexpr uint64_t seed_max = uint64_t{1} << 53;

error refused(const std::string& origin, const std::string& why) {
  return error{base_errc::invalid_argument, origin + ": " + why};
}

/// A regular file's text only: a device or a pipe (/dev/zero) could not be read to its end.
std::optional<std::string> read_text(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    return std::nullopt;
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

/// "base": a built-in scenario's name, a scenario file (relative to the suite's folder), or
/// a scenario object. The result is the object, checked by the scenario parser.
expected<ojson> resolve_base(const ojson& base, const std::string& origin,
                             const std::string& base_dir) {
  std::string text;
  std::string where = origin + ": base";
  if (base.is_object()) {
    text = base.dump();
  } else if (base.is_string()) {
    std::string name = base.get<std::string>();
    if (auto builtin = builtin_scenario(name)) {
      text = std::string(*builtin);
    } else {
      std::filesystem::path path(name);
      if (path.is_relative() && !base_dir.empty())
        path = std::filesystem::path(base_dir) / path;
      auto file = read_text(path.string());
      if (!file)
        return refused(origin, "base " + name + " is neither a built-in scenario nor a file");
      text = std::move(*file);
      where = origin + ": base " + path.string();
    }
  } else {
    return refused(origin, "suite.base must be a scenario name, a scenario file or an object");
  }
  if (auto checked = parse_scenario(text, where); !checked)
    return checked.error();
  ojson j = ojson::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return refused(where, "not a JSON object");
  return j;
}

expected<std::vector<suite_axis>> parse_axes(const ojson& axes, const std::string& origin) {
  std::vector<suite_axis> out;
  if (!axes.is_object())
    return refused(origin, "suite.axes must be an object {FIELD: [VALUES...]}");
  for (auto it = axes.begin(); it != axes.end(); ++it) {
    const std::string& field = it.key();
    std::string where = "suite.axes." + field;
    if (field.empty() || field.front() == '.' || field.back() == '.' ||
        field.find("..") != std::string::npos)
      return refused(origin, where + " is not a field name (nested fields: a.b)");
    if (field == "seed")
      return refused(origin, where + ": give the seeds in suite.seeds");
    if (!it.value().is_array() || it.value().empty())
      return refused(origin, where + " must be a non-empty list of values");
    suite_axis axis{field, {}};
    std::set<std::string> seen;
    for (const ojson& v : it.value()) {
      std::string text = v.dump();
      if (!seen.insert(text).second)
        return refused(origin, where + " lists " + text + " twice");
      axis.values.push_back(std::move(text));
    }
    out.push_back(std::move(axis));
  }
  return out;
}

expected<std::vector<uint64_t>> parse_seeds(const ojson* seeds, uint64_t base_seed,
                                            const std::string& origin) {
  if (!seeds && base_seed > seed_max)
    return refused(origin, "the base's seed is above 2^53: give suite.seeds");
  if (!seeds)
    return std::vector<uint64_t>{base_seed};
  const std::string why = "suite.seeds must be a count N (seeds 1..N) or a list of distinct "
                          "seeds, each from 0 to 2^53";
  std::vector<uint64_t> out;
  if (seeds->is_number_unsigned()) {
    uint64_t n = seeds->get<uint64_t>();
    if (n == 0 || n > suite_runs_max)
      return refused(origin, "suite.seeds must be a count from 1 to " +
                               std::to_string(suite_runs_max) + ", or a list");
    for (uint64_t seed = 1; seed <= n; ++seed)
      out.push_back(seed);
    return out;
  }
  if (!seeds->is_array() || seeds->empty() || seeds->size() > suite_runs_max)
    return refused(origin, why);
  std::set<uint64_t> seen;
  for (const ojson& v : *seeds) {
    if (!v.is_number_unsigned() || v.get<uint64_t>() > seed_max || !seen.insert(v.get<uint64_t>()).second)
      return refused(origin, why + " (" + v.dump() + ")");
    out.push_back(v.get<uint64_t>());
  }
  return out;
}

/// Writes `value` at the dotted `field` of `scenario`, making the objects on the way.
std::string set_field(ojson& scenario, const std::string& field, const ojson& value) {
  ojson* at = &scenario;
  size_t from = 0;
  for (;;) {
    size_t dot = field.find('.', from);
    std::string key = field.substr(from, dot == std::string::npos ? std::string::npos : dot - from);
    if (dot == std::string::npos) {
      (*at)[key] = value;
      return {};
    }
    ojson& next = (*at)[key];
    if (next.is_null())
      next = ojson::object();
    if (!next.is_object())
      return "scenario." + field.substr(0, dot) + " is not an object, so " + field + " cannot be set";
    at = &next;
    from = dot + 1;
  }
}

std::string safe_name(const std::string& text) {
  std::string out;
  for (char c : text) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-' || c == '+' || c == '=' || c == ',';
    out += ok ? c : '_';
  }
  return out;
}

std::string make_name(const suite& s, const std::vector<size_t>& value_index, uint64_t seed,
                      size_t index, size_t total) {
  // Names (and a sweep's temporary directory, the name with the host and a pid after it) stay
  // below the usual 255-byte limit of a file name; the index keeps them unique.
  constexpr size_t name_size_max = 160;
  size_t width = std::max<size_t>(4, std::to_string(total - 1).size());
  std::string number = std::to_string(index);
  std::string name = std::string(width - std::min(width, number.size()), '0') + number + "-";
  std::string parts;
  for (size_t a = 0; a < s.axes.size(); ++a)
    parts += s.axes[a].field + "=" + display_value(s.axes[a].values[value_index[a]]) + ",";
  parts += "seed=" + std::to_string(seed);
  name += safe_name(parts);
  if (name.size() > name_size_max)
    name.resize(name_size_max);
  return name;
}

/// The runs, in order; each combination of values is checked once, by the scenario parser.
std::optional<error> expand(suite& s, const std::string& origin) {
  size_t combinations = 1;
  for (const suite_axis& axis : s.axes) {
    if (combinations > suite_runs_max / axis.values.size())
      return refused(origin, "the suite has more than " + std::to_string(suite_runs_max) + " runs");
    combinations *= axis.values.size();
  }
  if (combinations > suite_runs_max / s.seeds.size())
    return refused(origin, "the suite has more than " + std::to_string(suite_runs_max) + " runs");
  size_t total = combinations * s.seeds.size();
  s.runs.reserve(total);
  std::vector<size_t> value_index(s.axes.size(), 0);
  for (size_t c = 0; c < combinations; ++c) {
    size_t rest = c;
    for (size_t a = s.axes.size(); a-- > 0;) {
      value_index[a] = rest % s.axes[a].values.size();
      rest /= s.axes[a].values.size();
    }
    for (uint64_t seed : s.seeds) {
      size_t index = s.runs.size();
      s.runs.push_back({index, make_name(s, value_index, seed, index, total), value_index, seed});
    }
    const suite_run& first = s.runs[s.runs.size() - s.seeds.size()];
    std::string text = run_scenario_json(s, first);
    if (text.empty())
      return refused(origin, "run " + first.name + ": a dotted axis crosses a field that is not an object");
    if (auto parsed = parse_scenario(text, origin + ", run " + first.name); !parsed)
      return parsed.error();
  }
  return std::nullopt;
}

} // namespace

std::string display_value(const std::string& value_json) {
  ojson v = ojson::parse(value_json, nullptr, false);
  if (v.is_string())
    return v.get<std::string>();
  return value_json;
}

std::string run_scenario_json(const suite& s, const suite_run& run) {
  ojson j = ojson::parse(s.base_json);
  for (size_t a = 0; a < s.axes.size(); ++a)
    if (!set_field(j, s.axes[a].field, ojson::parse(s.axes[a].values[run.value_index[a]])).empty())
      return {};
  j["seed"] = run.seed;
  return j.dump(2) + "\n";
}

expected<suite> parse_suite(std::string_view json_text, const std::string& origin,
                            const std::string& base_dir) {
  ojson j = ojson::parse(json_text.begin(), json_text.end(), nullptr, false);
  if (j.is_discarded())
    return refused(origin, "not valid JSON");
  if (!j.is_object())
    return refused(origin, "a suite must be a JSON object");
  for (auto it = j.begin(); it != j.end(); ++it)
    if (it.key() != "name" && it.key() != "description" && it.key() != "base" &&
        it.key() != "axes" && it.key() != "seeds")
      return refused(origin, "suite." + it.key() + " is not a known field");
  suite s;
  for (const char* key : {"name", "description"})
    if (j.contains(key) && !j[key].is_string())
      return refused(origin, std::string("suite.") + key + " must be a string");
  s.name = j.value("name", std::string("unnamed"));
  s.description = j.value("description", std::string());
  if (!j.contains("base"))
    return refused(origin, "suite.base is missing (a scenario name, file or object)");
  auto base = resolve_base(j["base"], origin, base_dir);
  if (!base)
    return base.error();
  s.base_json = base->dump();
  auto axes = parse_axes(j.contains("axes") ? j["axes"] : ojson::object(), origin);
  if (!axes)
    return axes.error();
  s.axes = std::move(*axes);
  auto base_seed = parse_scenario(s.base_json, origin)->seed;
  auto seeds = parse_seeds(j.contains("seeds") ? &j["seeds"] : nullptr, base_seed, origin);
  if (!seeds)
    return seeds.error();
  s.seeds = std::move(*seeds);
  if (auto err = expand(s, origin))
    return *err;
  return s;
}

expected<suite> load_suite(const std::string& path) {
  auto text = read_text(path);
  if (!text)
    return error{base_errc::invalid_argument, "no suite file " + path};
  std::string dir = std::filesystem::path(path).parent_path().string();
  return parse_suite(*text, path, dir);
}

std::string to_json(const suite& s) {
  ojson axes = ojson::object();
  for (const suite_axis& axis : s.axes) {
    ojson values = ojson::array();
    for (const std::string& v : axis.values)
      values.push_back(ojson::parse(v));
    axes[axis.field] = values;
  }
  ojson j = {{"name", s.name},
             {"description", s.description},
             {"base", ojson::parse(s.base_json)},
             {"axes", axes},
             {"seeds", s.seeds}};
  return j.dump(2) + "\n";
}

} // namespace dynfeed::sim

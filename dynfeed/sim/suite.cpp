#include "dynfeed/sim/suite.hpp"

#include "dynfeed/sim/builtin_scenarios.hpp"
#include "dynfeed/sim/scenario.hpp"
#include "dynfeed/sim/where.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
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

std::string make_name(const suite& s, const std::vector<std::string>& values, uint64_t seed,
                      size_t index, size_t total) {
  // Names (and a sweep's temporary directory, the name with the host and a pid after it) stay
  // below the usual 255-byte limit of a file name; the index keeps them unique.
  constexpr size_t name_size_max = 160;
  size_t width = std::max<size_t>(4, std::to_string(total - 1).size());
  std::string number = std::to_string(index);
  std::string name = std::string(width - std::min(width, number.size()), '0') + number + "-";
  std::string parts;
  for (size_t a = 0; a < s.axes.size(); ++a)
    parts += s.axes[a].field + "=" + display_value(values[a]) + ",";
  parts += "seed=" + std::to_string(seed);
  name += safe_name(parts);
  if (name.size() > name_size_max)
    name.resize(name_size_max);
  return name;
}

/// An exclude rule or an extra case: per axis, the values it names as JSON text (none: any,
/// which only an exclude rule may leave).
using value_rule = std::vector<std::vector<std::string>>;
using combination = std::vector<std::string>;

/// suite.exclude (`for_extra` false: values from the axes' lists, any axis may be left out) or
/// suite.extra (`for_extra` true: any value, every axis given).
expected<std::vector<value_rule>> parse_rules(const ojson* rules, const suite& s, bool for_extra,
                                              const std::string& origin) {
  const std::string key = for_extra ? "suite.extra" : "suite.exclude";
  std::vector<value_rule> out;
  if (!rules)
    return out;
  if (!rules->is_array())
    return refused(origin, key + " must be a list of objects {AXIS: VALUE or [VALUES...]}");
  for (size_t r = 0; r < rules->size(); ++r) {
    const ojson& rule = (*rules)[r];
    std::string where = key + "[" + std::to_string(r) + "]";
    if (!rule.is_object() || rule.empty())
      return refused(origin, where + " must be a non-empty object {AXIS: VALUE or [VALUES...]}");
    value_rule parsed(s.axes.size());
    for (auto it = rule.begin(); it != rule.end(); ++it) {
      auto axis = std::find_if(s.axes.begin(), s.axes.end(),
                               [&](const suite_axis& a) { return a.field == it.key(); });
      if (axis == s.axes.end())
        return refused(origin, where + "." + it.key() + " is not an axis of the suite");
      const ojson& given = it.value();
      if (given.is_array() && given.empty())
        return refused(origin, where + "." + it.key() + " must be a value or a non-empty list");
      std::vector<std::string>& values = parsed[static_cast<size_t>(axis - s.axes.begin())];
      for (const ojson& v : given.is_array() ? given : ojson::array({given})) {
        std::string text = v.dump();
        bool listed = std::find(axis->values.begin(), axis->values.end(), text) != axis->values.end();
        if (!for_extra && !listed)
          return refused(origin, where + "." + it.key() + ": " + text + " is not one of its values");
        if (std::find(values.begin(), values.end(), text) != values.end())
          return refused(origin, where + "." + it.key() + " lists " + text + " twice");
        values.push_back(std::move(text));
      }
    }
    for (size_t a = 0; a < s.axes.size() && for_extra; ++a)
      if (parsed[a].empty())
        return refused(origin, where + " does not give the axis " + s.axes[a].field);
    out.push_back(std::move(parsed));
  }
  return out;
}

bool matches(const value_rule& rule, const combination& values) {
  for (size_t a = 0; a < rule.size(); ++a)
    if (!rule[a].empty() && std::find(rule[a].begin(), rule[a].end(), values[a]) == rule[a].end())
      return false;
  return true;
}

/// Every combination of `lists` (one list per axis), the last axis varying fastest.
std::vector<combination> product(const std::vector<std::vector<std::string>>& lists) {
  std::vector<combination> out(1);
  for (const auto& list : lists) {
    std::vector<combination> longer;
    for (const combination& c : out)
      for (const std::string& v : list) {
        longer.push_back(c);
        longer.back().push_back(v);
      }
    out = std::move(longer);
  }
  return out;
}

std::string combination_text(const suite& s, const combination& values) {
  std::string out;
  for (size_t a = 0; a < s.axes.size(); ++a)
    out += (a ? "," : "") + s.axes[a].field + "=" + display_value(values[a]);
  return out.empty() ? "(no axes)" : out;
}

/// The product less the excluded combinations, then the extra cases'.
expected<std::vector<combination>> combinations(const suite& s, const std::vector<value_rule>& exclude,
                                                const std::vector<value_rule>& extra,
                                                const std::string& origin) {
  const std::string too_many = "the suite has more than " + std::to_string(suite_runs_max) + " runs";
  // Counted before anything is expanded, so that a file cannot ask for a product too large to
  // hold.
  auto too_large = [](const std::vector<std::vector<std::string>>& lists) {
    size_t count = 1;
    for (const auto& list : lists) {
      if (count > suite_runs_max / list.size())
        return true;
      count *= list.size();
    }
    return false;
  };
  std::vector<std::vector<std::string>> lists;
  for (const suite_axis& axis : s.axes)
    lists.push_back(axis.values);
  if (too_large(lists) || std::any_of(extra.begin(), extra.end(), too_large))
    return refused(origin, too_many);
  std::vector<combination> out;
  for (combination& c : product(lists))
    if (std::none_of(exclude.begin(), exclude.end(), [&](const value_rule& r) { return matches(r, c); }))
      out.push_back(std::move(c));
  std::set<combination> seen(out.begin(), out.end());
  for (size_t e = 0; e < extra.size(); ++e)
    for (combination& c : product(extra[e])) {
      if (!seen.insert(c).second)
        return refused(origin, "suite.extra[" + std::to_string(e) + "] repeats " +
                                 combination_text(s, c) + ", a run the suite already has");
      if (out.size() >= suite_runs_max)
        return refused(origin, too_many);
      out.push_back(std::move(c));
    }
  if (out.empty())
    return refused(origin, "suite.exclude drops every run");
  if (out.size() > suite_runs_max / s.seeds.size())
    return refused(origin, too_many);
  return out;
}

/// The runs, in order; each combination of values is checked once, by the scenario parser.
std::optional<error> expand(suite& s, const std::vector<combination>& combos,
                            const std::string& origin) {
  size_t total = combos.size() * s.seeds.size();
  s.runs.reserve(total);
  for (const combination& values : combos) {
    for (uint64_t seed : s.seeds) {
      size_t index = s.runs.size();
      s.runs.push_back({index, make_name(s, values, seed, index, total), values, seed});
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
    if (!set_field(j, s.axes[a].field, ojson::parse(run.values[a])).empty())
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
        it.key() != "axes" && it.key() != "seeds" && it.key() != "exclude" && it.key() != "extra" &&
        it.key() != "runs")
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
  auto exclude = parse_rules(j.contains("exclude") ? &j["exclude"] : nullptr, s, false, origin);
  if (!exclude)
    return exclude.error();
  auto extra = parse_rules(j.contains("extra") ? &j["extra"] : nullptr, s, true, origin);
  if (!extra)
    return extra.error();
  s.exclude_json = j.value("exclude", ojson::array()).dump();
  s.extra_json = j.value("extra", ojson::array()).dump();
  auto combos = combinations(s, *exclude, *extra, origin);
  if (!combos)
    return combos.error();
  if (auto err = expand(s, *combos, origin))
    return *err;
  // A count the file states is checked, so that a suite says how many runs it means.
  if (j.contains("runs") && (!j["runs"].is_number_unsigned() || j["runs"].get<size_t>() != s.runs.size()))
    return refused(origin, "suite.runs is " + j["runs"].dump() + ", but the suite has " +
                             std::to_string(s.runs.size()) + " runs");
  return s;
}

namespace {

/// A run's value of `field` (an axis or "seed") as display_value shows it.
std::string shown_value(const suite& s, const suite_run& run, size_t axis) {
  return axis == s.axes.size() ? std::to_string(run.seed) : display_value(run.values[axis]);
}

} // namespace

expected<std::vector<size_t>> select_runs(const suite& s, const std::vector<std::string>& where) {
  // The axes, then the seed (index s.axes.size()).
  std::vector<std::string> fields;
  for (const suite_axis& a : s.axes)
    fields.push_back(a.field);
  fields.push_back("seed");
  auto has = [&](size_t field, const std::string& value) {
    return std::any_of(s.runs.begin(), s.runs.end(),
                       [&](const suite_run& run) { return shown_value(s, run, field) == value; });
  };
  auto as_given = [](const std::string& value) { return value; };
  auto conditions = parse_where_all(where, fields, has, as_given, "run");
  if (!conditions)
    return conditions.error();
  std::vector<size_t> out;
  for (const suite_run& run : s.runs)
    if (meets_all(*conditions, [&](size_t field) { return shown_value(s, run, field); }))
      out.push_back(run.index);
  return out;
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
  // Only when given, so that a suite without them keeps the suite.json it always had (a sweep
  // refuses a DIR whose suite.json differs).
  if (ojson exclude = ojson::parse(s.exclude_json); !exclude.empty())
    j["exclude"] = exclude;
  if (ojson extra = ojson::parse(s.extra_json); !extra.empty())
    j["extra"] = extra;
  if (j.contains("exclude") || j.contains("extra"))
    j["runs"] = s.runs.size();
  return j.dump(2) + "\n";
}

} // namespace dynfeed::sim

#include "dynfeed/sim/report.hpp"
#include "dynfeed/sim/where.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>

namespace dynfeed::sim {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

error bad_input(const std::string& what) {
  return error{base_errc::invalid_argument, what};
}

/// A value as the table shows it: text as is, numbers in their shortest form.
std::string value_text(const json& v) {
  if (v.is_string())
    return v.get<std::string>();
  if (v.is_number()) {
    char text[32];
    std::snprintf(text, sizeof text, "%.10g", v.get<double>());
    return text;
  }
  return v.dump();
}

/// The scenario field `path` (dotted for nested fields: network.loss), or nullptr.
const json* field(const json& scenario, const std::string& path) {
  const json* at = &scenario;
  size_t start = 0;
  while (true) {
    size_t dot = path.find('.', start);
    std::string part = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (!at->is_object() || !at->contains(part))
      return nullptr;
    at = &(*at)[part];
    if (dot == std::string::npos)
      return at;
    start = dot + 1;
  }
}

std::optional<double> number(const std::string& text) {
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size())
    return std::nullopt;
  return v;
}

/// Numbers by value, before text; text alphabetically.
bool value_less(const std::string& a, const std::string& b) {
  auto na = number(a), nb = number(b);
  if (na && nb)
    return *na < *nb;
  if (na || nb)
    return static_cast<bool>(na);
  return a < b;
}

bool values_less(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    if (value_less(a[i], b[i]))
      return true;
    if (value_less(b[i], a[i]))
      return false;
  }
  return a.size() < b.size();
}

std::string figure(double v) {
  char text[32];
  if (std::fabs(v) >= 1000)
    std::snprintf(text, sizeof text, "%.0f", v);
  else
    std::snprintf(text, sizeof text, "%.3g", v);
  return text;
}

} // namespace

const std::vector<report_metric>& report_metrics() {
  static const std::vector<report_metric> metrics = {
    {"swarm_ids", "live swarm IDs (at worst)", "/swarms/maxIds"},
    {"largest_share", "share in the largest swarm (at worst)", "/swarms/minLargestShare"},
    {"reach50_s", "time to 50 % (s, median over appends)", "/reachLatest/p50/medianSeconds"},
    {"reach90_s", "time to 90 % (s)", "/reachLatest/p90/medianSeconds"},
    {"reach99_s", "time to 99 % (s)", "/reachLatest/p99/medianSeconds"},
    {"id_lag_p50_s", "ID lag p50 (s)", "/learnLag/p50MedianSeconds"},
    {"id_lag_p99_s", "ID lag p99 (s)", "/learnLag/p99MedianSeconds"},
    {"discovery_per_update", "discovery datagrams per update", "/discovery/perUpdate"},
    {"busiest_node", "datagrams at the busiest node", "/discovery/busiestNodeReceived"},
    {"bytes_per_reader", "bytes per reader", "/bytes/perReader"},
    {"stranded_share", "stranded readers (largest share)", "/stranded/maxShare"},
    {"residue", "residue (worst append)", "/residue/maxShare"},
  };
  return metrics;
}

double quantile(const std::vector<double>& sorted, double p) {
  double pos = p * static_cast<double>(sorted.size() - 1);
  auto below = static_cast<size_t>(std::floor(pos));
  size_t above = std::min(below + 1, sorted.size() - 1);
  double frac = pos - static_cast<double>(below);
  return sorted[below] + frac * (sorted[above] - sorted[below]);
}

spread summarize(const std::vector<std::optional<double>>& values) {
  spread out;
  std::vector<double> sorted;
  for (const auto& v : values) {
    if (v)
      sorted.push_back(*v);
    else
      ++out.missing;
  }
  out.count = sorted.size();
  if (sorted.empty())
    return out;
  std::sort(sorted.begin(), sorted.end());
  out.median = quantile(sorted, 0.5);
  out.q1 = quantile(sorted, 0.25);
  out.q3 = quantile(sorted, 0.75);
  return out;
}

expected<suite_summary> parse_suite_summary(const std::string& json_text, const std::string& origin) {
  // Ordered: the axes keep the file's order.
  nlohmann::ordered_json j = nlohmann::ordered_json::parse(json_text, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return bad_input(origin + ": not a JSON object");
  suite_summary out;
  if (!j.contains("name") || !j["name"].is_string())
    return bad_input(origin + ": name: must be a string");
  out.name = j["name"].get<std::string>();
  if (j.contains("description") && j["description"].is_string())
    out.description = j["description"].get<std::string>();
  out.runs_planned = 1;
  if (j.contains("axes")) {
    if (!j["axes"].is_object())
      return bad_input(origin + ": axes: must be an object of lists");
    for (const auto& [name, values] : j["axes"].items()) {
      if (!values.is_array() || values.empty())
        return bad_input(origin + ": axes." + name + ": must be a list of values");
      out.axes.push_back(name);
      out.runs_planned *= values.size();
    }
  }
  const nlohmann::ordered_json* seeds = j.contains("seeds") ? &j["seeds"] : nullptr;
  if (seeds && seeds->is_number_unsigned())
    out.runs_planned *= seeds->get<size_t>();
  else if (seeds && seeds->is_array())
    out.runs_planned *= seeds->size();
  else if (seeds)
    return bad_input(origin + ": seeds: must be a count or a list of seeds");
  // With excluded combinations or extra cases, the count is not the product's: suite.json
  // then says it (to_json in suite.hpp).
  if (j.contains("runs")) {
    if (!j["runs"].is_number_unsigned())
      return bad_input(origin + ": runs: must be a count");
    out.runs_planned = j["runs"].get<size_t>();
  }
  return out;
}

expected<run_result> parse_run(const std::string& json_text, const std::string& origin,
                               const suite_summary& suite) {
  json j = json::parse(json_text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("scenario") || !j["scenario"].is_object())
    return bad_input(origin + ": not a summary.json of dynfeed sim (no scenario object)");
  const json& scenario = j["scenario"];
  run_result out;
  if (!j.contains("seed") || !j["seed"].is_number_unsigned())
    return bad_input(origin + ": seed: missing");
  out.seed = j["seed"].get<uint64_t>();
  for (const std::string& axis : suite.axes) {
    const json* v = field(scenario, axis);
    if (!v)
      return bad_input(origin + ": the scenario has no field " + axis + " (an axis of the suite)");
    out.axis_values.push_back(value_text(*v));
  }
  const json* mode = field(scenario, "mode");
  const json* channel = field(scenario, "id_channel");
  out.mode = mode ? value_text(*mode) : "";
  out.id_channel = channel ? value_text(*channel) : "";
  out.violated = j.contains("violation") && !j["violation"].is_null();
  for (const report_metric& m : report_metrics()) {
    auto pointer = json::json_pointer(m.pointer);
    const json* v = j.contains(pointer) ? &j[pointer] : nullptr;
    out.metrics.push_back(v && v->is_number() ? std::optional(v->get<double>()) : std::nullopt);
  }
  return out;
}

namespace {

/// A condition's value as run_result holds it: numbers in value_text's form, text as given.
std::string normal_value(const std::string& text) {
  json v = json::parse(text, nullptr, false);
  return !v.is_discarded() && v.is_number() ? value_text(v) : text;
}

} // namespace

expected<std::vector<run_result>> filter_runs(std::vector<run_result> runs, const suite_summary& suite,
                                              const std::vector<std::string>& where) {
  std::vector<std::string> fields = suite.axes;
  fields.push_back("seed");
  auto value_of = [&](const run_result& r, size_t field) {
    return field == suite.axes.size() ? std::to_string(r.seed) : r.axis_values[field];
  };
  // Values are looked for over every given run, whatever the other conditions.
  auto has = [&](size_t field, const std::string& value) {
    return std::any_of(runs.begin(), runs.end(), [&](const run_result& r) { return value_of(r, field) == value; });
  };
  auto conditions = parse_where_all(where, fields, has, normal_value, "finished run");
  if (!conditions)
    return conditions.error();
  runs.erase(std::remove_if(runs.begin(), runs.end(),
                            [&](const run_result& r) {
                              return !meets_all(*conditions, [&](size_t field) { return value_of(r, field); });
                            }),
             runs.end());
  if (runs.empty())
    return bad_input("--where: no finished run matches every condition");
  return runs;
}

std::vector<report_cell> group_cells(const std::vector<run_result>& runs) {
  std::vector<const run_result*> sorted;
  for (const run_result& r : runs)
    sorted.push_back(&r);
  std::stable_sort(sorted.begin(), sorted.end(), [](const run_result* a, const run_result* b) {
    return values_less(a->axis_values, b->axis_values);
  });
  std::vector<report_cell> cells;
  std::vector<std::vector<std::vector<std::optional<double>>>> values; // cell, metric, run
  for (const run_result* r : sorted) {
    if (cells.empty() || cells.back().axis_values != r->axis_values) {
      cells.push_back({r->axis_values, r->mode, r->id_channel, {}, 0, {}});
      values.emplace_back(report_metrics().size());
    }
    report_cell& c = cells.back();
    c.seeds.push_back(r->seed);
    c.failed += r->violated ? 1 : 0;
    for (size_t m = 0; m < r->metrics.size() && m < values.back().size(); ++m)
      values.back()[m].push_back(r->metrics[m]);
  }
  for (size_t i = 0; i < cells.size(); ++i) {
    std::sort(cells[i].seeds.begin(), cells[i].seeds.end());
    for (const auto& per_metric : values[i])
      cells[i].metrics.push_back(summarize(per_metric));
  }
  return cells;
}

std::string results_table(const suite_summary& suite, const std::vector<report_cell>& cells) {
  std::ostringstream out;
  out << '|';
  for (const std::string& axis : suite.axes)
    out << ' ' << axis << " |";
  out << " seeds | failed |";
  for (const report_metric& m : report_metrics())
    out << ' ' << m.label << " |";
  out << "\n|";
  for (size_t i = 0; i < suite.axes.size() + 2 + report_metrics().size(); ++i)
    out << "---|";
  out << '\n';
  for (const report_cell& c : cells) {
    out << '|';
    for (const std::string& v : c.axis_values)
      out << ' ' << v << " |";
    out << ' ' << c.seeds.size() << " | " << c.failed << " |";
    for (const spread& s : c.metrics) {
      if (!s.median)
        out << " n/a";
      else
        out << ' ' << figure(*s.median) << " [" << figure(*s.q1) << " – " << figure(*s.q3) << ']';
      if (s.missing)
        out << " (" << s.missing << " of " << s.missing + s.count << " none)";
      out << " |";
    }
    out << '\n';
  }
  return out.str();
}

} // namespace dynfeed::sim

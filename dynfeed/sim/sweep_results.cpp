#include "dynfeed/sim/sweep_results.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>

namespace dynfeed::sim {

namespace {

using json = nlohmann::json;

void flatten(const json& j, const std::string& prefix,
             std::vector<std::pair<std::string, std::string>>& out) {
  for (auto it = j.begin(); it != j.end(); ++it) {
    std::string name = prefix.empty() ? it.key() : prefix + "." + it.key();
    const json& v = it.value();
    if (v.is_object())
      flatten(v, name, out);
    else if (v.is_number())
      out.emplace_back(name, v.dump());
    else if (v.is_null())
      out.emplace_back(name, "");
  }
}

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n\r") == std::string::npos)
    return text;
  std::string out = "\"";
  for (char c : text)
    out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

} // namespace

std::vector<std::pair<std::string, std::string>> flatten_metrics(std::string_view summary_json) {
  json j = json::parse(summary_json.begin(), summary_json.end(), nullptr, false);
  std::vector<std::pair<std::string, std::string>> out;
  if (j.is_discarded() || !j.is_object())
    return out;
  // Not metrics: what ran (the axes and seed columns say it), and the wall clock (it differs
  // between two runs of the same seed). The violation's text is in the run's directory.
  for (const char* key : {"scenario", "seed", "digest", "wallSeconds", "violation"})
    j.erase(key);
  flatten(j, "", out);
  return out;
}

std::string summary_digest(std::string_view summary_json) {
  json j = json::parse(summary_json.begin(), summary_json.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("digest") || !j["digest"].is_string())
    return {};
  return j["digest"].get<std::string>();
}

std::string results_csv(const suite& s, std::vector<run_record> records) {
  std::sort(records.begin(), records.end(),
            [](const run_record& a, const run_record& b) { return a.index < b.index; });
  std::vector<std::string> columns;
  std::vector<std::map<std::string, std::string>> rows;
  for (const run_record& r : records) {
    std::map<std::string, std::string> row;
    for (auto& [name, value] : flatten_metrics(r.summary_json)) {
      if (std::find(columns.begin(), columns.end(), name) == columns.end())
        columns.push_back(name);
      row[name] = value;
    }
    rows.push_back(std::move(row));
  }
  std::string out = "index,name";
  for (const suite_axis& axis : s.axes)
    out += "," + csv_field(axis.field);
  out += ",seed,status";
  for (const std::string& c : columns)
    out += "," + csv_field(c);
  out += ",digest\n";
  for (size_t i = 0; i < records.size(); ++i) {
    const suite_run& run = s.runs.at(records[i].index);
    out += std::to_string(run.index) + "," + csv_field(run.name);
    for (size_t a = 0; a < s.axes.size(); ++a)
      out += "," + csv_field(display_value(run.values[a]));
    out += "," + std::to_string(run.seed) + "," + csv_field(records[i].status);
    for (const std::string& c : columns) {
      auto it = rows[i].find(c);
      out += "," + (it == rows[i].end() ? std::string() : csv_field(it->second));
    }
    out += "," + summary_digest(records[i].summary_json) + "\n";
  }
  return out;
}

} // namespace dynfeed::sim

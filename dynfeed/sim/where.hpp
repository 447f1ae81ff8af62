#pragma once

/// `--where FIELD=VALUE[,VALUE...]`: how `dynfeed sim sweep` and `dynfeed sim report` name the
/// runs they take (docs/sweeps.md). Header-only: the report's library does not link the
/// simulator's.

#include "dynfeed/base/expected.hpp"

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

namespace dynfeed::sim {

struct where_condition {
  size_t field = 0;                ///< its index in the names parse_where was given
  std::vector<std::string> values; ///< the values accepted, as runs show them
};

/// Splits `condition`. `fields` are the names it may give (a suite's axes, then "seed");
/// `has(field, value)` says whether some run shows `value` for the field; `normal` brings a
/// given value to the form runs show. A value may hold a comma itself (an id_channel list):
/// it is taken whole when some run has it. Refused, naming the condition: no '=', no value, a
/// field not among `fields`, a value no run has (`runs` names them: "run", "finished run").
inline expected<where_condition> parse_where(
  const std::string& condition, const std::vector<std::string>& fields,
  const std::function<bool(size_t, const std::string&)>& has,
  const std::function<std::string(const std::string&)>& normal, const std::string& runs) {
  auto refused = [&](const std::string& why) {
    return error{base_errc::invalid_argument, "--where " + condition + ": " + why};
  };
  size_t eq = condition.find('=');
  std::string name = condition.substr(0, eq);
  size_t field = static_cast<size_t>(std::find(fields.begin(), fields.end(), name) - fields.begin());
  if (eq == std::string::npos || eq + 1 == condition.size() || field == fields.size()) {
    std::string names;
    for (size_t i = 0; i < fields.size(); ++i)
      names += (i ? ", " : "") + fields[i];
    return refused("give FIELD=VALUE[,VALUE...], FIELD one of " + names);
  }
  where_condition out{field, {}};
  std::string text = condition.substr(eq + 1);
  if (has(field, text)) {
    out.values.push_back(text);
    return out;
  }
  for (size_t from = 0; from <= text.size();) {
    size_t comma = std::min(text.find(',', from), text.size());
    std::string value = normal(text.substr(from, comma - from));
    if (!has(field, value))
      return refused("no " + runs + " has " + name + "=" + value);
    out.values.push_back(value);
    from = comma + 1;
  }
  return out;
}

/// Every condition of `where`, each as parse_where takes it; the first refusal, if any.
inline expected<std::vector<where_condition>> parse_where_all(
  const std::vector<std::string>& where, const std::vector<std::string>& fields,
  const std::function<bool(size_t, const std::string&)>& has,
  const std::function<std::string(const std::string&)>& normal, const std::string& runs) {
  std::vector<where_condition> conditions;
  for (const std::string& condition : where) {
    auto parsed = parse_where(condition, fields, has, normal, runs);
    if (!parsed)
      return parsed.error();
    conditions.push_back(std::move(*parsed));
  }
  return conditions;
}

/// Whether a run meets every condition; `value_of(field)` is its value of that field, as runs
/// show them.
template <class ValueOf>
bool meets_all(const std::vector<where_condition>& conditions, ValueOf value_of) {
  return std::all_of(conditions.begin(), conditions.end(), [&](const where_condition& c) {
    return std::find(c.values.begin(), c.values.end(), value_of(c.field)) != c.values.end();
  });
}

} // namespace dynfeed::sim

#include "dynfeed/sim/hostile_json.hpp"

#include "dynfeed/sim/hostile.hpp"
#include "dynfeed/sim/hostile_dht.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>

namespace dynfeed::sim {

namespace {

using json = nlohmann::json;
const std::string where = "scenario.hostile";

std::string show(double d) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", d);
  return text;
}

/// A number in [min, max] (whole when `whole`), or a message naming `key`.
std::string number(const json& v, const std::string& key, double min, double max, bool whole,
                   double& out) {
  if (!v.is_number())
    return where + "." + key + " must be a number";
  double d = v.get<double>();
  if (!(d >= min && d <= max))
    return where + "." + key + " must be between " + show(min) + " and " + show(max);
  if (whole && d != std::floor(d))
    return where + "." + key + " must be a whole number";
  out = d;
  return {};
}

std::string parse_counts(const json& v, hostile_config& out) {
  if (!v.is_object())
    return where + ".nodes must be an object of kinds and counts ({\"bad_proof\": 2})";
  for (auto it = v.begin(); it != v.end(); ++it) {
    auto kind = hostile_kind_named(it.key());
    if (!kind)
      return where + ".nodes." + it.key() + " is not a hostile kind";
    double n = 0;
    if (auto e = number(*it, "nodes." + it.key(), 0, 100000, true, n); !e.empty())
      return e;
    out.nodes[static_cast<size_t>(*kind)] = static_cast<uint32_t>(n);
  }
  return {};
}

std::string parse_kinds(const json& v, hostile_config& out) {
  if (!v.is_array())
    return where + ".kinds must be a list of hostile kinds";
  out.share_kinds = 0;
  for (const json& k : v) {
    auto kind = k.is_string() ? hostile_kind_named(k.get<std::string>()) : std::nullopt;
    if (!kind)
      return where + ".kinds: " + k.dump() + " is not a hostile kind";
    out.share_kinds |= 1u << static_cast<unsigned>(*kind);
  }
  if (out.share_kinds == 0)
    return where + ".kinds must not be empty";
  return {};
}

clock_time to_time(double s) {
  return std::chrono::duration_cast<clock_time>(std::chrono::duration<double>(s));
}

} // namespace

std::string parse_hostile(const json& j, hostile_config& out) {
  if (!j.is_object())
    return where + " must be an object";
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& key = it.key();
    const json& v = *it;
    double d = 0;
    std::string e;
    if (key == "nodes") {
      e = parse_counts(v, out);
    } else if (key == "kinds") {
      e = parse_kinds(v, out);
    } else if (key == "share") {
      if ((e = number(v, key, 0, 0.5, false, d)).empty())
        out.share = d;
    } else if (key == "interval_s") {
      if ((e = number(v, key, 0.001, 86400, false, d)).empty())
        out.interval = to_time(d);
    } else if (key == "start_s") {
      if ((e = number(v, key, 0, 1e7, false, d)).empty())
        out.start = to_time(d);
    } else if (key == "flood_requests") {
      if ((e = number(v, key, 1, 100000, true, d)).empty())
        out.flood_requests = static_cast<uint32_t>(d);
    } else {
      e = where + "." + key + " is not a known field";
    }
    if (!e.empty())
      return e;
  }
  return {};
}

std::string check_hostile(const hostile_config& c, feed_mode mode, id_channels channels,
                          bool dht) {
  uint32_t mask = c.share > 0 ? c.share_kinds : 0; // without kinds, a share skips them
  if (!dht)
    for (hostile_kind k : {hostile_kind::dht_liar, hostile_kind::lookup_flood,
                           hostile_kind::false_announce}) {
      auto i = static_cast<size_t>(k);
      if (c.nodes[i] > 0 || (mask & (1u << i)))
        return where + ": " + std::string(name_of(k)) +
               " speaks to the readers' DHT nodes: it needs \"discovery\": \"dht\"";
    }
  if (mode != feed_mode::stable && channels.has(id_channel::relay))
    return {};
  for (hostile_kind k : {hostile_kind::forged_value, hostile_kind::stale_value}) {
    auto i = static_cast<size_t>(k);
    if (c.nodes[i] > 0 || (mask & (1u << i)))
      return where + ": " + std::string(name_of(k)) +
             " pushes ID announcements on the relay ID channel: it needs a rotating mode and "
             "\"relay\" in id_channel";
  }
  return {};
}

json hostile_to_json(const hostile_config& c) {
  json nodes = json::object();
  json kinds = json::array();
  for (size_t k = 0; k < hostile_kind_count; ++k) {
    if (c.nodes[k] > 0)
      nodes[std::string(name_of(static_cast<hostile_kind>(k)))] = c.nodes[k];
    if (c.share_kinds & (1u << k))
      kinds.push_back(std::string(name_of(static_cast<hostile_kind>(k))));
  }
  using secs = std::chrono::duration<double>;
  json j = {{"nodes", nodes},
            {"share", c.share},
            {"interval_s", std::chrono::duration_cast<secs>(c.interval).count()},
            {"start_s", std::chrono::duration_cast<secs>(c.start).count()},
            {"flood_requests", c.flood_requests}};
  if (!kinds.empty())
    j["kinds"] = kinds;
  return j;
}

json hostile_summary_json(const hostile_book& book,
                          const std::array<uint32_t, hostile_kind_count>& nodes) {
  json out = json::object();
  for (size_t k = 0; k < hostile_kind_count; ++k)
    if (nodes[k] > 0)
      out[std::string(name_of(static_cast<hostile_kind>(k)))] = {
        {"nodes", nodes[k]},
        {"connections", book.tally.connections[k]},
        {"acts", book.tally.acts[k]},
        {"rejected", book.tally.rejected[k]},
        {"unanswered", book.unanswered[k]},
        {"open", book.open[k]}};
  for (size_t k = 0; k < hostile_kind_count; ++k)
    if (nodes[k] > 0 && dht_kind(static_cast<hostile_kind>(k))) {
      json& row = out[std::string(name_of(static_cast<hostile_kind>(k)))];
      row["harmless"] = book.harmless[k];
      row["accepted"] = book.accepted[k];
    }
  return out;
}

} // namespace dynfeed::sim

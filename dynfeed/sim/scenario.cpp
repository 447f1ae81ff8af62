#include "dynfeed/sim/scenario.hpp"

#include "dynfeed/sim/builtin_scenarios.hpp"
#include "dynfeed/sim/hostile_json.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

namespace dynfeed::sim {

using json = nlohmann::json;

std::string_view to_string(discovery_backend backend) noexcept {
  switch (backend) {
    case discovery_backend::none:
      return "none";
    case discovery_backend::ideal:
      return "ideal";
    case discovery_backend::dht:
      return "dht";
    case discovery_backend::tracker:
      return "tracker";
  }
  return "unknown";
}

namespace {

/// Reads the fields of one JSON object, remembering which it saw, so that a misspelt field is
/// an error rather than a silently ignored line.
class fields {
public:
  fields(const json& object, std::string where) : object_(object), where_(std::move(where)) {}

  template <class T>
  void number(const char* key, T& out, double min, double max) {
    const json* v = find(key);
    if (!v)
      return;
    if (!v->is_number()) {
      fail(key, "must be a number");
      return;
    }
    double d = v->get<double>();
    if (!(d >= min && d <= max)) {
      fail(key, "must be between " + show(min) + " and " + show(max));
      return;
    }
    if constexpr (std::is_integral_v<T>) {
      if (d != std::floor(d)) {
        fail(key, "must be a whole number");
        return;
      }
    }
    out = static_cast<T>(d);
  }

  /// Seconds (a number, fractions allowed) into a duration.
  void seconds(const char* key, clock_time& out, double max = 1e7) {
    double s = -1;
    number(key, s, 0, max);
    if (s >= 0)
      out = std::chrono::round<clock_time>(std::chrono::duration<double>(s)); // to_json writes it back exactly
  }

  void text(const char* key, std::string& out) {
    const json* v = find(key);
    if (!v)
      return;
    if (!v->is_string())
      fail(key, "must be a string");
    else
      out = v->get<std::string>();
  }

  void flag(const char* key, bool& out) {
    const json* v = find(key);
    if (!v)
      return;
    if (!v->is_boolean())
      fail(key, "must be true or false");
    else
      out = v->get<bool>();
  }

  const json* find(const char* key) {
    seen_.insert(key);
    auto it = object_.find(key);
    return it == object_.end() ? nullptr : &*it;
  }

  void fail(const std::string& key, const std::string& why) {
    if (error_.empty())
      error_ = where_ + "." + key + " " + why;
  }

  /// The first problem, including fields nobody asked for.
  std::string finish() {
    for (auto it = object_.begin(); it != object_.end(); ++it)
      if (!seen_.count(it.key()))
        fail(it.key(), "is not a known field");
    return error_;
  }

  const std::string& where() const noexcept { return where_; }

private:
  static std::string show(double d) {
    std::ostringstream out;
    out << d;
    return out.str();
  }

  const json& object_;
  std::string where_;
  std::set<std::string> seen_;
  std::string error_;
};

std::string parse_network(const json& j, scenario& s) {
  fields f(j, "network");
  network_config& n = s.network;
  if (const json* regions = f.find("regions")) {
    if (!regions->is_array())
      f.fail("regions", "must be a list of {\"name\", \"share\"}");
    else
      for (size_t i = 0; i < regions->size(); ++i) {
        const json& r = (*regions)[i];
        if (!r.is_object()) {
          f.fail("regions", "must be a list of objects");
          break;
        }
        fields rf(r, "network.regions[" + std::to_string(i) + "]");
        std::string name = "region" + std::to_string(i);
        double share = 1;
        rf.text("name", name);
        rf.number("share", share, 0, 1e9);
        if (auto e = rf.finish(); !e.empty())
          return e;
        n.regions.push_back(name);
        s.region_shares.push_back(share);
      }
  }
  // An empty matrix is no matrix, as when the field is absent: to_json writes one for a
  // scenario without it, and what to_json writes must parse back.
  const json* latency = f.find("latency_ms");
  if (latency && !(latency->is_array() && latency->empty())) {
    size_t count = std::max<size_t>(n.regions.size(), 1);
    bool ok = latency->is_array() && latency->size() == count;
    for (size_t a = 0; ok && a < count; ++a) {
      const json& row = (*latency)[a];
      ok = row.is_array() && row.size() == count;
      std::vector<double> values;
      for (size_t b = 0; ok && b < count; ++b) {
        ok = row[b].is_number() && row[b].get<double>() >= 0 && row[b].get<double>() <= 60000;
        if (ok)
          values.push_back(row[b].get<double>());
      }
      if (ok)
        n.latency_ms.push_back(values);
    }
    if (!ok)
      f.fail("latency_ms", "must be a " + std::to_string(count) + "x" + std::to_string(count)
                             + " matrix of milliseconds (one row per region)");
  }
  f.seconds("default_latency_s", n.default_latency, 60);
  f.number("jitter", n.jitter, 0, 1);
  f.number("loss", n.loss, 0, 1);
  f.number("duplicate", n.duplicate, 0, 1);
  f.number("reorder", n.reorder, 0, 1);
  f.seconds("reorder_delay_s", n.reorder_delay, 60);
  f.number("stream_loss", n.stream_loss, 0, 1);
  f.seconds("stream_loss_delay_s", n.stream_loss_delay, 60);
  double up_kbps = 0, down_kbps = 0;
  f.number("up_kbps", up_kbps, 0, 1e9);
  f.number("down_kbps", down_kbps, 0, 1e9);
  n.up_bytes_per_s = static_cast<uint64_t>(up_kbps * 1000 / 8);
  n.down_bytes_per_s = static_cast<uint64_t>(down_kbps * 1000 / 8);
  return f.finish();
}

// ---- the measured model: "population" and "latency_data" ---------------------------------------

/// A distribution as JSON: {"kind": "weibull", "shape": k, "scale": s}, {"kind": "lognormal",
/// "median": m, "sigma": s}, {"kind": "exponential", "mean": m}, {"kind": "uniform", "min": a,
/// "max": b}, {"kind": "fixed", "value": v}, or {"kind": "none"}. Values are in the unit the
/// field's name ends with, at most `max`.
std::string parse_distribution(const json& j, const std::string& where, distribution& out,
                               double max) {
  if (!j.is_object())
    return where + " must be an object such as {\"kind\": \"weibull\", \"shape\": 0.5, \"scale\": 60}";
  fields f(j, where);
  std::string kind = "none";
  f.text("kind", kind);
  distribution d;
  if (kind == "none") {
  } else if (kind == "fixed") {
    d.what = distribution::kind::fixed;
    f.number("value", d.a, 0, max);
  } else if (kind == "uniform") {
    d.what = distribution::kind::uniform;
    f.number("min", d.a, 0, max);
    f.number("max", d.b, 0, max);
    if (d.b < d.a)
      f.fail("max", "must not be below min");
  } else if (kind == "exponential") {
    d = distribution::exponential(1);
    f.number("mean", d.a, 1e-9, max);
  } else if (kind == "weibull") {
    d = distribution::weibull(1, 1);
    f.number("shape", d.a, 0.05, 20);
    f.number("scale", d.b, 1e-9, max);
  } else if (kind == "lognormal") {
    d = distribution::lognormal(1, 0);
    f.number("median", d.a, 1e-9, max);
    f.number("sigma", d.b, 0, 5);
  } else {
    f.fail("kind", "must be none, fixed, uniform, exponential, weibull or lognormal");
  }
  if (auto e = f.finish(); !e.empty())
    return e;
  out = d;
  return {};
}

json distribution_json(const distribution& d) {
  switch (d.what) {
    case distribution::kind::none:
      return {{"kind", "none"}};
    case distribution::kind::fixed:
      return {{"kind", "fixed"}, {"value", d.a}};
    case distribution::kind::uniform:
      return {{"kind", "uniform"}, {"min", d.a}, {"max", d.b}};
    case distribution::kind::exponential:
      return {{"kind", "exponential"}, {"mean", d.a}};
    case distribution::kind::weibull:
      return {{"kind", "weibull"}, {"shape", d.a}, {"scale", d.b}};
    case distribution::kind::lognormal:
      return {{"kind", "lognormal"}, {"median", d.a}, {"sigma", d.b}};
  }
  return nullptr;
}

std::string parse_population(const json& j, population_model& p) {
  if (!j.is_object())
    return "scenario.population must be an object";
  fields f(j, "population");
  struct dist_field {
    const char* key;
    distribution* out;
    double max;
  };
  const dist_field dists[] = {
    {"session_s", &p.session_s, 1e8},           {"off_s", &p.off_s, 1e8},
    {"hole_punch_s", &p.reach.hole_punch_delay_s, 600}, {"up_kbps", &p.up_kbps, 1e8},
    {"down_kbps", &p.down_kbps, 1e8},           {"access_delay_ms", &p.access_delay_ms, 10000},
  };
  for (const dist_field& d : dists)
    if (const json* v = f.find(d.key))
      if (auto e = parse_distribution(*v, "population." + std::string(d.key), *d.out, d.max);
          !e.empty())
        return e;
  f.number("leave_share", p.leave_share, 0, 1);
  f.number("arrivals_per_hour", p.arrivals_per_hour, 0, 1e7);
  f.number("nat_share", p.nat_share, 0, 1);
  f.flag("hole_punch", p.reach.hole_punch);
  f.number("hole_punch_success", p.reach.hole_punch_success, 0, 1);
  f.seconds("udp_mapping_s", p.reach.udp_mapping_timeout, 86400);
  if (auto e = f.finish(); !e.empty())
    return e;
  if (p.session_s.set() != p.off_s.set())
    return "population.session_s and off_s go together (how long readers stay, and stay away)";
  if (p.reach.hole_punch && !p.reach.hole_punch_delay_s.set())
    return "population.hole_punch needs hole_punch_s (the delay before a punched connection)";
  return {};
}

/// "latency_data" and "population", in the scenario object `f` reads.
template <class Fields>
std::string parse_measured(Fields& f, scenario& s) {
  if (const json* pop = f.find("population"))
    if (auto e = parse_population(*pop, s.population); !e.empty())
      return e;
  std::string name;
  f.text("latency_data", name);
  if (name.empty())
    return {};
  if (!s.network.regions.empty() || !s.network.latency_ms.empty())
    return "scenario.latency_data replaces network.regions and network.latency_ms: give one or the other";
  auto data = load_latency_data(name);
  if (!data)
    return "scenario.latency_data: " + data.error().to_string();
  s.population.latency_data = name;
  s.network.regions = data->regions;
  s.network.latency_ms = data->one_way_ms;
  return {};
}

/// "id_channel": ["relay", "value-swarm"] or "relay,value-swarm".
void parse_id_channel(fields& f, scenario& s) {
  const json* v = f.find("id_channel");
  if (!v)
    return;
  std::string text;
  if (v->is_string()) {
    text = v->get<std::string>();
  } else if (v->is_array()) {
    for (const json& item : *v) {
      if (!item.is_string()) {
        f.fail("id_channel", "must hold names");
        return;
      }
      text += (text.empty() ? "" : ",") + item.get<std::string>();
    }
  } else {
    f.fail("id_channel", "must be a list or a comma-separated string");
    return;
  }
  if (auto channels = parse_id_channels(text))
    s.id_channel = *channels;
  else
    f.fail("id_channel", "must name value-swarm, relay and/or dht, each once");
}

/// The dht ID channel's own rules, once every field is read.
std::string check_id_channel(const scenario& s) {
  if (s.poll_interval.count() <= 0)
    return "scenario.poll_interval_s must be above 0";
  if (s.poll_jitter > s.poll_interval)
    return "scenario.poll_jitter_s must not exceed poll_interval_s";
  if (s.id_channel.has(id_channel::dht) && s.discovery != discovery_backend::dht)
    return "scenario.id_channel dht needs \"discovery\": \"dht\" (the items live in the DHT; "
           "discovery " + std::string(to_string(s.discovery)) + " stores none)";
  return {};
}

std::string parse_object(const json& j, scenario& s) {
  if (!j.is_object())
    return "a scenario must be a JSON object";
  fields f(j, "scenario");
  f.text("name", s.name);
  f.text("description", s.description);
  f.number("seed", s.seed, 0, 1.8e19);
  f.seconds("duration_s", s.duration);
  f.number("readers", s.readers, 0, 10000000);
  std::string mode(to_string(s.mode));
  f.text("mode", mode);
  if (auto m = parse_feed_mode(mode))
    s.mode = *m;
  else
    f.fail("mode", "must be stable, rotating or rotating-roots");
  f.seconds("join_from_s", s.join_from);
  f.seconds("join_to_s", s.join_to);
  f.number("initial_blocks", s.initial_blocks, 0, 1e7);
  f.seconds("first_append_s", s.first_append);
  f.seconds("append_interval_s", s.append_interval);
  f.number("appends", s.appends, 0, 1e7);
  f.number("blocks_per_append", s.blocks_per_append, 1, 1e6);
  f.number("block_size", s.block_size, 1, 4 << 20);
  f.seconds("settle_s", s.settle);
  f.number("inbound_max", s.inbound_max, 1, 1e6);
  f.number("peers_wanted", s.peers_wanted, 1, 1e4);
  f.number("peers_known_max", s.peers_known_max, 1, 1e5);
  f.number("value_peers_wanted", s.value_peers_wanted, 0, 1e4);
  std::string discovery(to_string(s.discovery));
  f.text("discovery", discovery);
  if (discovery == "none")
    s.discovery = discovery_backend::none;
  else if (discovery == "ideal")
    s.discovery = discovery_backend::ideal;
  else if (discovery == "dht")
    s.discovery = discovery_backend::dht;
  else if (discovery == "tracker")
    s.discovery = discovery_backend::tracker;
  else
    f.fail("discovery", "must be none, ideal, dht or tracker");
  f.number("bootstrap_nodes", s.bootstrap_nodes, 1, 1000);
  f.seconds("lookup_interval_s", s.lookup_interval);
  f.seconds("announce_interval_s", s.announce_interval);
  if (const json* net = f.find("network")) {
    if (!net->is_object())
      f.fail("network", "must be an object");
    else if (auto e = parse_network(*net, s); !e.empty())
      return e;
  }
  if (auto e = parse_measured(f, s); !e.empty())
    return e;
  f.number("crashes_per_hour", s.crashes_per_hour, 0, 3600);
  f.seconds("restart_after_s", s.restart_after);
  if (const json* parts = f.find("partitions")) {
    if (!parts->is_array())
      f.fail("partitions", "must be a list of {\"at_s\", \"duration_s\", \"fraction\"}");
    else
      for (size_t i = 0; i < parts->size(); ++i) {
        if (!(*parts)[i].is_object())
          return "scenario.partitions[" + std::to_string(i) + "] must be an object";
        fields pf((*parts)[i], "scenario.partitions[" + std::to_string(i) + "]");
        partition_spec p;
        pf.seconds("at_s", p.at);
        pf.seconds("duration_s", p.duration);
        pf.number("fraction", p.fraction, 0, 1);
        if (auto e = pf.finish(); !e.empty())
          return e;
        s.partitions.push_back(p);
      }
  }
  if (const json* eq = f.find("equivocating_writer")) {
    if (!eq->is_object())
      return "scenario.equivocating_writer must be an object {\"at_s\": T}";
    if (!eq->contains("at_s"))
      return "scenario.equivocating_writer.at_s is missing";
    fields ef(*eq, "scenario.equivocating_writer");
    clock_time at{0};
    ef.seconds("at_s", at);
    if (auto e = ef.finish(); !e.empty())
      return e;
    s.equivocate_at = at;
  }
  if (const json* h = f.find("hostile"))
    if (auto e = parse_hostile(*h, s.hostile); !e.empty())
      return e;
  if (const json* live = f.find("liveness")) {
    if (!live->is_object() || !live->contains("from_s") || !live->contains("bound_s"))
      return "scenario.liveness must be an object {\"from_s\": Q, \"bound_s\": B}";
    fields lf(*live, "scenario.liveness");
    liveness_spec spec;
    lf.seconds("from_s", spec.from);
    lf.seconds("bound_s", spec.bound);
    if (auto e = lf.finish(); !e.empty())
      return e;
    s.liveness = spec;
  }
  f.seconds("sample_interval_s", s.sample_interval);
  f.flag("verify_cache", s.verify_cache);
  parse_id_channel(f, s);
  f.seconds("poll_interval_s", s.poll_interval);
  f.seconds("poll_jitter_s", s.poll_jitter);
  f.seconds("id_overlap_s", s.id_overlap);
  if (auto e = f.finish(); !e.empty())
    return e;
  if (s.join_to < s.join_from)
    return "scenario.join_to_s must not be before join_from_s";
  if (s.sample_interval.count() == 0)
    return "scenario.sample_interval_s must be above 0";
  if (s.append_interval.count() == 0)
    return "scenario.append_interval_s must be above 0";
  if (s.duration <= s.settle)
    return "scenario.duration_s must be longer than settle_s";
  if (auto e = check_id_channel(s); !e.empty())
    return e;
  if (s.equivocate_at && s.mode != feed_mode::stable)
    return "scenario.equivocating_writer works in stable mode only, not " +
           std::string(to_string(s.mode)) + " (a rotating writer's second history is not written)";
  if (auto e = check_hostile(s.hostile, s.mode, s.id_channel,
                                s.discovery == discovery_backend::dht); !e.empty())
    return e;
  if (s.equivocate_at && *s.equivocate_at >= s.duration - s.settle)
    return "scenario.equivocating_writer.at_s must be before duration_s - settle_s";
  return {};
}

} // namespace

expected<scenario> parse_scenario(std::string_view json_text, const std::string& origin) {
  json j = json::parse(json_text.begin(), json_text.end(), nullptr, false);
  if (j.is_discarded())
    return error{base_errc::invalid_argument, origin + ": not valid JSON"};
  scenario s;
  if (auto e = parse_object(j, s); !e.empty())
    return error{base_errc::invalid_argument, origin + ": " + e};
  return s;
}

expected<scenario> load_scenario(const std::string& path_or_name) {
  if (auto text = builtin_scenario(path_or_name))
    return parse_scenario(*text, "scenario " + path_or_name);
  std::ifstream in(path_or_name, std::ios::binary);
  if (!in) {
    std::string names;
    for (const std::string& n : builtin_scenarios())
      names += (names.empty() ? "" : ", ") + n;
    return error{base_errc::invalid_argument,
                 "no scenario file " + path_or_name + " (built in: " + names + ")"};
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse_scenario(text.str(), path_or_name);
}

expected<latency_data> parse_latency_data(std::string_view json_text, const std::string& origin) {
  json j = json::parse(json_text.begin(), json_text.end(), nullptr, false);
  auto refuse = [&](const std::string& why) -> expected<latency_data> {
    return error{base_errc::invalid_argument, origin + ": " + why};
  };
  if (j.is_discarded() || !j.is_object())
    return refuse("not a JSON object");
  latency_data d;
  d.name = j.value("name", std::string());
  d.source = j.value("source", std::string());
  const json& regions = j.contains("regions") ? j["regions"] : json();
  const json& rtt = j.contains("rtt_ms") ? j["rtt_ms"] : json();
  const json& within = j.contains("within_region_rtt_ms") ? j["within_region_rtt_ms"] : json();
  if (d.source.empty())
    return refuse("names no source (the measurement its figures come from)");
  if (!regions.is_array() || regions.size() < 2 || regions.size() > 1000)
    return refuse("regions must be a list of 2 to 1000 {\"name\"} objects");
  for (const json& r : regions) {
    if (!r.is_object() || !r.contains("name") || !r["name"].is_string())
      return refuse("every region needs a name");
    d.regions.push_back(r["name"].get<std::string>());
  }
  size_t n = d.regions.size();
  if (!within.is_number() || within.get<double>() < 0 || within.get<double>() > 60000)
    return refuse("within_region_rtt_ms must be a round trip in ms");
  if (!rtt.is_array() || rtt.size() != n)
    return refuse("rtt_ms must be a " + std::to_string(n) + "x" + std::to_string(n) + " matrix");
  for (size_t a = 0; a < n; ++a) {
    const json& row = rtt[a];
    if (!row.is_array() || row.size() != n)
      return refuse("rtt_ms row " + std::to_string(a) + " must have " + std::to_string(n) + " entries");
    std::vector<double> one_way;
    for (size_t b = 0; b < n; ++b) {
      // The diagonal may be null (no same-city pair measured): within_region_rtt_ms fills it.
      if (a == b && row[b].is_null()) {
        one_way.push_back(within.get<double>() / 2);
        continue;
      }
      if (!row[b].is_number() || row[b].get<double>() < 0 || row[b].get<double>() > 60000)
        return refuse("rtt_ms[" + std::to_string(a) + "][" + std::to_string(b) +
                      "] must be a round trip in ms");
      one_way.push_back(row[b].get<double>() / 2);
    }
    d.one_way_ms.push_back(std::move(one_way));
  }
  return d;
}

expected<latency_data> load_latency_data(const std::string& name_or_path) {
  if (auto text = builtin_data(name_or_path))
    return parse_latency_data(*text, "latency data " + name_or_path);
  std::ifstream in(name_or_path, std::ios::binary);
  if (!in) {
    std::string names;
    for (const std::string& n : builtin_data_names())
      names += (names.empty() ? "" : ", ") + n;
    return error{base_errc::invalid_argument,
                 "no latency data file " + name_or_path + " (built in: " + names + ")"};
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse_latency_data(text.str(), name_or_path);
}

std::vector<std::string> builtin_scenarios() {
  return builtin_scenario_names();
}

std::string to_json(const scenario& s) {
  auto secs = [](clock_time t) { return std::chrono::duration<double>(t).count(); };
  json regions = json::array();
  for (size_t i = 0; i < s.network.regions.size(); ++i)
    regions.push_back({{"name", s.network.regions[i]},
                       {"share", i < s.region_shares.size() ? s.region_shares[i] : 1.0}});
  // A scenario that read its regions from latency data records the data's name instead.
  bool from_data = !s.population.latency_data.empty();
  const population_model& pop = s.population;
  json population = {
    {"session_s", distribution_json(pop.session_s)},
    {"off_s", distribution_json(pop.off_s)},
    {"leave_share", pop.leave_share},
    {"arrivals_per_hour", pop.arrivals_per_hour},
    {"nat_share", pop.nat_share},
    {"hole_punch", pop.reach.hole_punch},
    {"hole_punch_s", distribution_json(pop.reach.hole_punch_delay_s)},
    {"hole_punch_success", pop.reach.hole_punch_success},
    {"udp_mapping_s", secs(pop.reach.udp_mapping_timeout)},
    {"up_kbps", distribution_json(pop.up_kbps)},
    {"down_kbps", distribution_json(pop.down_kbps)},
    {"access_delay_ms", distribution_json(pop.access_delay_ms)}};
  json parts = json::array();
  for (const partition_spec& p : s.partitions)
    parts.push_back({{"at_s", secs(p.at)}, {"duration_s", secs(p.duration)}, {"fraction", p.fraction}});
  json j = {
    {"name", s.name},
    {"description", s.description},
    {"seed", s.seed},
    {"duration_s", secs(s.duration)},
    {"readers", s.readers},
    {"mode", std::string(to_string(s.mode))},
    {"join_from_s", secs(s.join_from)},
    {"join_to_s", secs(s.join_to)},
    {"initial_blocks", s.initial_blocks},
    {"first_append_s", secs(s.first_append)},
    {"append_interval_s", secs(s.append_interval)},
    {"appends", s.appends},
    {"blocks_per_append", s.blocks_per_append},
    {"block_size", s.block_size},
    {"settle_s", secs(s.settle)},
    {"inbound_max", s.inbound_max},
    {"peers_wanted", s.peers_wanted},
    {"peers_known_max", s.peers_known_max},
    {"value_peers_wanted", s.value_peers_wanted},
    {"discovery", std::string(to_string(s.discovery))},
    {"bootstrap_nodes", s.bootstrap_nodes},
    {"lookup_interval_s", secs(s.lookup_interval)},
    {"announce_interval_s", secs(s.announce_interval)},
    {"network",
     {{"regions", regions},
      {"latency_ms", s.network.latency_ms},
      {"default_latency_s", secs(s.network.default_latency)},
      {"jitter", s.network.jitter},
      {"loss", s.network.loss},
      {"duplicate", s.network.duplicate},
      {"reorder", s.network.reorder},
      {"reorder_delay_s", secs(s.network.reorder_delay)},
      {"stream_loss", s.network.stream_loss},
      {"stream_loss_delay_s", secs(s.network.stream_loss_delay)},
      {"up_kbps", static_cast<double>(s.network.up_bytes_per_s) * 8 / 1000},
      {"down_kbps", static_cast<double>(s.network.down_bytes_per_s) * 8 / 1000}}},
    {"latency_data", pop.latency_data},
    {"population", population},
    {"crashes_per_hour", s.crashes_per_hour},
    {"restart_after_s", secs(s.restart_after)},
    {"partitions", parts},
    {"sample_interval_s", secs(s.sample_interval)},
    {"verify_cache", s.verify_cache},
  };
  if (from_data) {
    j["network"].erase("regions");
    j["network"].erase("latency_ms");
  }
  j["id_channel"] = to_string(s.id_channel);
  if (s.id_channel.has(id_channel::dht)) { // only then: other scenarios' records stay as they were
    j["poll_interval_s"] = secs(s.poll_interval);
    j["poll_jitter_s"] = secs(s.poll_jitter);
  }
  // Always, though it came later: a sweep's report reads every axis from each run's record,
  // and a suite crossing make before break with leaving at once has runs at 0.
  j["id_overlap_s"] = secs(s.id_overlap);
  // Only when set: the record of every scenario without it stays as it was.
  if (s.equivocate_at)
    j["equivocating_writer"] = {{"at_s", secs(*s.equivocate_at)}};
  if (s.hostile.set())
    j["hostile"] = hostile_to_json(s.hostile);
  if (s.liveness)
    j["liveness"] = {{"from_s", secs(s.liveness->from)}, {"bound_s", secs(s.liveness->bound)}};
  return j.dump(2);
}

} // namespace dynfeed::sim

/// dynfeed dht | tracker: discovery servers on UDP; and the --bootstrap / --tracker options of
/// the commands that run a node.

#include "apps/dht_support.hpp"
#include "apps/node_support.hpp"

#include "dynfeed/actors/datagram_host.hpp"
#include "dynfeed/actors/process_config.hpp"
#include "dynfeed/base/hex.hpp"
#include "dynfeed/base/stop_signals.hpp"
#include "dynfeed/discovery/dht.hpp"
#include "dynfeed/discovery/dht_settings.hpp"
#include "dynfeed/discovery/tracker.hpp"
#include "dynfeed/udp/udp_socket.hpp"

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>

namespace dynfeed::cli {

// ---- --bootstrap and --tracker --------------------------------------------------------------

void add_discovery_options(CLI::App& command, discovery_args& args) {
  auto* b = command.add_option("--bootstrap", args.bootstrap,
                               "IPV4:PORT of a DHT node to join the DHT through (repeatable; "
                               "`public`: the public routers); swarms find peers in the DHT");
  auto* t = command.add_option("--tracker", args.trackers,
                               "IPV4:PORT of a tracker (repeatable); swarms find peers there");
  b->excludes(t);
}

expected<endpoint> parse_ipv4_address(const std::string& text, const std::string& option) {
  auto e = endpoint::parse(text);
  if (!e || e->ip == 0 || e->port == 0)
    return error{base_errc::invalid_argument,
                 option + " must be IPV4:PORT (a.b.c.d:port, port not 0), got '" + text + "'"};
  return *e;
}

namespace {

expected<std::vector<endpoint>> parse_all(const std::vector<std::string>& texts,
                                          const std::string& option) {
  std::vector<endpoint> out;
  for (const std::string& t : texts) {
    auto e = parse_ipv4_address(t, option);
    if (!e)
      return e.error();
    out.push_back(*e);
  }
  return out;
}

} // namespace

expected<std::optional<discovery_config>> discovery_from(const discovery_args& args,
                                                         const endpoint& local) {
  if (args.empty())
    return std::optional<discovery_config>{};
  discovery_config config;
  config.datagrams = make_udp_transport();
  config.local = local;
  if (!args.bootstrap.empty()) {
    auto nodes = parse_bootstrap(args.bootstrap);
    if (!nodes)
      return nodes.error();
    config.kind = discovery_config::backend::dht;
    config.dht = dht_settings(local, *nodes);
  } else {
    auto trackers = parse_all(args.trackers, "--tracker");
    if (!trackers)
      return trackers.error();
    config.kind = discovery_config::backend::tracker;
    config.tracker.trackers = *trackers;
  }
  return std::optional<discovery_config>{std::move(config)};
}

// ---- dynfeed dht, dynfeed tracker ------------------------------------------------------------

namespace {

struct server_args {
  std::string listen;
  std::vector<std::string> bootstrap;
  std::string table_path;
  bool quiet_log = false;
};

/// Writes the DHT's routing table (dht_table's JSON) to `path` through a temporary file and a
/// rename, so that a reader never sees half a table.
void write_table(const caf::actor& actor, const std::string& path) {
  auto table = dht_table(actor, dht_wait{5'000});
  if (!table) {
    report("--table: " + table.error().to_string());
    return;
  }
  std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << table->dump() << '\n';
    if (!out) {
      report("--table: cannot write " + temporary);
      return;
    }
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0)
    report("--table: cannot rename " + temporary + " to " + path);
}

nlohmann::json to_json(const op_counters& c) {
  return {{"queriesSent", c.queries_sent},       {"responsesReceived", c.responses_received},
          {"timeouts", c.timeouts},              {"errorsReceived", c.errors_received},
          {"queriesReceived", c.queries_received}, {"responsesSent", c.responses_sent},
          {"errorsSent", c.errors_sent}};
}

/// A discovery component's counters as one JSON object (what `dht` and `tracker` print when
/// they stop): operations that saw no traffic are left out.
nlohmann::json to_json(const discovery_stats& s) {
  nlohmann::json ops = nlohmann::json::object();
  for (size_t i = 0; i < discovery_op_count; ++i) {
    const op_counters& c = s.ops[i];
    if (c.queries_sent + c.queries_received + c.responses_received + c.timeouts > 0)
      ops[std::string{to_string(static_cast<discovery_op>(i))}] = to_json(c);
  }
  return {{"datagramsSent", s.datagrams_sent},
          {"datagramsReceived", s.datagrams_received},
          {"bytesSent", s.bytes_sent},
          {"bytesReceived", s.bytes_received},
          {"ops", ops},
          {"refused",
           {{"malformed", s.refused.malformed},
            {"unsolicited", s.refused.unsolicited},
            {"rateLimited", s.refused.rate_limited},
            {"badToken", s.refused.bad_token},
            {"storageFull", s.refused.storage_full},
            {"badValue", s.refused.bad_value}}},
          {"topics", s.by_topic.size()},
          {"lookups", s.lookups},
          {"lookupHops", s.lookup_hops},
          {"lookupHopsMax", s.lookup_hops_max},
          {"recordsHeld", s.records_held}};
}

/// --listen: where a server binds (port 0: one the system picks).
expected<endpoint> parse_listen(const std::string& text) {
  auto e = endpoint::parse(text);
  if (!e)
    return error{base_errc::invalid_argument,
                 "--listen must be IPV4:PORT (port 0 picks one), got '" + text + "'"};
  return *e;
}

/// Hosts one discovery component on UDP at `local` until SIGINT or SIGTERM; prints `first`
/// (if any), "listening on IP:PORT", and at the end the component's counters as JSON. `tick`,
/// if any, runs every second meanwhile, and once more before the end.
int serve(const server_args& a, const endpoint& local, const std::string& first,
          const datagram_component_factory& make,
          const std::function<void(const caf::actor&)>& tick = nullptr) {
  stop_signals signals;
  process_config cfg;
  caf::actor_system sys{cfg};
  uint64_t seed = 0;
  crypto::random_bytes(reinterpret_cast<uint8_t*>(&seed), sizeof seed);
  auto directory = std::make_shared<actor_directory>(seed);
  if (!a.quiet_log)
    directory->set_log([](const std::string& line) { std::cerr << "dynfeed: " + line + "\n"; });
  auto transport = make_udp_transport();
  auto hosted = spawn_datagram_component(sys, directory, *transport, local, make);
  if (!hosted) {
    report("cannot listen on " + a.listen + ": " + hosted.error().context());
    std::fflush(nullptr);
    std::_Exit(exit_error); // nothing runs; the actor system need not come down
  }
  if (!first.empty())
    std::cout << first << '\n';
  std::cout << "listening on " << hosted->local.to_string() << '\n' << std::flush;
  if (tick) {
    do
      tick(hosted->actor);
    while (!signals.wait_for(std::chrono::seconds{1}));
    tick(hosted->actor);
  }
  signals.wait();
  int code = exit_ok;
  {
    caf::scoped_actor self{sys};
    self->request(caf::actor_cast<discovery_actor>(hosted->actor), std::chrono::seconds{10},
                  atoms::info::value)
      .receive([](const discovery_stats& s) { std::cout << to_json(s).dump() << '\n'; },
               [&](caf::error& err) { code = report("no counters: " + sys.render(err)); });
    self->send_exit(hosted->actor, caf::exit_reason::user_shutdown);
    self->wait_for(hosted->actor);
  }
  std::cout.flush();
  std::fflush(nullptr);
  std::_Exit(code);
}

int run_dht(const server_args& a) {
  auto local = parse_listen(a.listen);
  if (!local)
    return report(local.error().context(), exit_usage);
  auto bootstrap = parse_bootstrap(a.bootstrap);
  if (!bootstrap)
    return report(bootstrap.error().context(), exit_usage);
  dht_config config = dht_settings(*local, *bootstrap);
  crypto::random_bytes(config.id.data(), config.id.size());
  auto make = [config](datagram_socket& s) { return std::make_unique<dht>(config, s); };
  std::function<void(const caf::actor&)> tick;
  if (!a.table_path.empty()) {
    // Refused before the node starts when the file cannot be written at all.
    std::string temporary = a.table_path + ".tmp";
    if (!std::ofstream(temporary, std::ios::trunc))
      return report("--table: cannot write " + temporary, exit_usage);
    std::remove(temporary.c_str());
    tick = [path = a.table_path](const caf::actor& actor) { write_table(actor, path); };
  }
  return serve(a, *local, to_hex(config.id), make, tick);
}

int run_tracker(const server_args& a) {
  auto local = parse_listen(a.listen);
  if (!local)
    return report(local.error().context(), exit_usage);
  tracker_server_config config;
  // Tokens must not be predictable from the component's seeded stream.
  crypto::random_bytes(config.secret_key.data(), config.secret_key.size());
  auto make = [config](datagram_socket& s) { return std::make_unique<tracker_server>(s, config); };
  return serve(a, *local, "", make);
}

} // namespace

void add_discovery_commands(CLI::App& app, command& run) {
  auto args = std::make_shared<server_args>();

  auto* d = app.add_subcommand("dht", "run a DHT node (UDP) until stopped; prints its ID, the "
                                      "address, and its counters as JSON at the end");
  d->add_option("--listen", args->listen, "IPV4:PORT to receive datagrams on (port 0 picks one)")
    ->required();
  d->add_option("--bootstrap", args->bootstrap, "IPV4:PORT of a DHT node to join through "
                                                "(repeatable; `public`: the public routers; "
                                                "none: the first node)");
  d->add_option("--table", args->table_path,
                "write the routing table to this file as JSON every second ({\"id\", "
                "\"address\", \"nodes\": [{\"id\", \"address\"}]}), replacing it whole");
  d->add_flag("--quiet", args->quiet_log, "do not log");
  d->callback([&run, args] { run = [args] { return run_dht(*args); }; });

  auto* t = app.add_subcommand("tracker", "run a tracker (UDP) until stopped; prints the address, "
                                          "and its counters as JSON at the end");
  t->add_option("--listen", args->listen, "IPV4:PORT to receive datagrams on (port 0 picks one)")
    ->required();
  t->add_flag("--quiet", args->quiet_log, "do not log");
  t->callback([&run, args] { run = [args] { return run_tracker(*args); }; });
}

} // namespace dynfeed::cli

/// dynfeed seed | clone | follow: a node on TCP, serving or downloading one feed.

#include "apps/dht_support.hpp"
#include "apps/node_support.hpp"

#include "dynfeed/base/hex.hpp"
#include "dynfeed/base/stop_signals.hpp"
#include "dynfeed/base/utf8.hpp"
#include "dynfeed/control/control.hpp"
#include "dynfeed/core/equivocation_file.hpp"
#include "dynfeed/dynfeed.hpp"
#include "dynfeed/feed/bitfield.hpp"
#include "dynfeed/feed/errc.hpp"
#include "dynfeed/tcp/tcp.hpp"
#include "dynfeed/tcp/tcp_process_config.hpp"

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>
#include <unistd.h>

namespace dynfeed::cli {

namespace {

struct node_args {
  std::string dir;
  std::string key;
  std::string listen = "127.0.0.1:0";
  std::vector<std::string> peers;
  std::string range;
  bool live = false;
  double timeout_s = 30;
  bool quiet_log = false;
  std::string mode = "stable";
  std::string id_channel = "value-swarm";
  double poll_interval_s = 60;
  double id_overlap_s = 0;
  discovery_args discovery;
};

/// --id-channel: a list parse_id_channels takes (checked by CLI11, so a bad one exits 2).
CLI::Validator id_channel_check() {
  return CLI::Validator(
    [](std::string& text) -> std::string {
      if (parse_id_channels(text))
        return {};
      return "must list value-swarm, relay and/or dht, comma-separated, each once";
    },
    "LIST");
}

void add_id_channel_option(CLI::App& cmd, node_args& args) {
  cmd.add_option("--id-channel", args.id_channel,
                 "rotating modes: how readers learn new IDs, value-swarm, relay and/or dht "
                 "(dht needs --bootstrap; docs/protocol.md)")
    ->check(id_channel_check())
    ->capture_default_str();
  cmd.add_option("--poll-interval", args.poll_interval_s,
                 "dht ID channel: seconds between a reader's polls of the DHT (+- a quarter)")
    ->check(CLI::Range(0.1, 86400.0))
    ->capture_default_str();
  cmd.add_option("--id-overlap", args.id_overlap_s,
                 "rotating modes: seconds a reader keeps the ID swarm it leaves, at most, until "
                 "the new one gives it a peer (make before break; 0: leave at once)")
    ->check(CLI::Range(0.0, 3600.0))
    ->capture_default_str();
}

/// dht among the ID channels needs the DHT: --bootstrap (a tracker stores no items).
std::optional<std::string> check_id_channel(const node_args& a) {
  auto channels = parse_id_channels(a.id_channel);
  if (channels && channels->has(id_channel::dht) && a.discovery.bootstrap.empty())
    return std::string{"--id-channel dht needs the DHT: give --bootstrap"};
  return std::nullopt;
}

/// An actor system with the I/O layer, quiet logs and a node with TCP.
struct running_node {
  tcp_process_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  node_actor node;

  explicit running_node(bool quiet_log, double poll_interval_s = 60, double id_overlap_s = 0) {
    add_error_categories(cfg);
    sys = std::make_unique<caf::actor_system>(cfg);
    node_config nc;
    auto poll = std::chrono::duration_cast<caf::timespan>(std::chrono::duration<double>(poll_interval_s));
    nc.id_poll_interval = poll;
    nc.id_poll_jitter = poll / 4;
    nc.id_overlap =
      std::chrono::duration_cast<caf::timespan>(std::chrono::duration<double>(id_overlap_s));
    nc.network = make_tcp_transport();
    nc.feeds.parallel_hashing = true;
    if (!quiet_log)
      nc.log = [](const std::string& line) { std::cerr << "dynfeed: " + line + "\n"; };
    node = spawn_node(*sys, nc);
  }
  /// Stops the node, waits until every actor of it has terminated (so every store is closed),
  /// and ends the process with `code`. It does not wait for the actor system to come down:
  /// CAF 0.17's I/O layer closes sockets gracefully and waits, while stopping, until each
  /// remote closes its side too, which a remote need not ever do.
  [[noreturn]] void finish(int code) {
    {
      caf::scoped_actor self{*sys};
      self->send(node, atoms::shutdown::value);
      self->wait_for(node);
    }
    std::cout.flush();
    std::fflush(nullptr);
    std::_Exit(code);
  }

  /// Starts the node's discovery, if `config` says which; false (after reporting why) if it
  /// cannot.
  bool discover(const std::optional<discovery_config>& config) {
    if (!config)
      return true;
    auto port = ask<uint16_t>(atoms::discover::value, *config);
    if (!port) {
      report("cannot start discovery: " + describe(port.error()));
      return false;
    }
    return true;
  }

  /// Prints what the node counted as one JSON line on stderr (what `seed` says as it stops).
  void print_stats() {
    auto stats = ask<node_stats>(atoms::stats::value);
    if (!stats) {
      report("no counters: " + describe(stats.error()));
      return;
    }
    nlohmann::json j{{"disconnects", stats->disconnects},
                     {"peers", stats->peers},
                     {"feeds", stats->feeds},
                     {"valueFeeds", stats->value_feeds}};
    std::cerr << j.dump() + "\n";
  }

  /// Sends `xs` to the node and waits for its answer of type T.
  template <class T, class... Ts>
  caf::expected<T> ask(Ts&&... xs) {
    return dynfeed::ask<T>(*sys, node, std::chrono::seconds{30}, std::forward<Ts>(xs)...);
  }
};

/// Where a command that downloads finds its peers: --peer's addresses and the discovery to
/// start (its socket on every interface, any port), if --bootstrap or --tracker says which.
struct peer_sources {
  std::vector<peer_address> peers;
  std::optional<discovery_config> discovery;
};

/// Checks --peer, --bootstrap and --tracker of a command that downloads: at least one, each
/// well formed; each --peer is parsed here, once, into the address the node takes.
expected<peer_sources> where_peers_are(const std::vector<std::string>& peers,
                                       const discovery_args& discovery) {
  peer_sources out;
  for (const std::string& p : peers) {
    auto address = parse_peer_address(p);
    if (!address || address->kind != peer_address::kind_type::tcp)
      return error{base_errc::invalid_argument, "--peer must be HOST:PORT, got '" + p + "'"};
    out.peers.push_back(std::move(*address));
  }
  if (peers.empty() && discovery.empty())
    return error{base_errc::invalid_argument,
                 "say where the peers are: --peer, --bootstrap or --tracker"};
  auto config = discovery_from(discovery, endpoint{});
  if (!config)
    return config.error();
  out.discovery = std::move(*config);
  return out;
}

/// "A-B" (inclusive) or "A-" into [start, end).
bool parse_range(const std::string& text, uint64_t& start, uint64_t& end, std::string& message) {
  auto dash = text.find('-');
  if (dash == std::string::npos) {
    message = "--range must be A-B or A-, got '" + text + "'";
    return false;
  }
  auto a = parse_u64(text.substr(0, dash), "--range start", message);
  if (!a)
    return false;
  start = *a;
  if (dash + 1 == text.size()) {
    end = download_to_end;
    return true;
  }
  auto b = parse_u64(text.substr(dash + 1), "--range end", message);
  if (!b)
    return false;
  if (*b < *a) {
    message = "--range end is before its start";
    return false;
  }
  end = *b + 1;
  return true;
}

/// What a download of [start, end) without --live waits for while the feed is shorter than the
/// range (empty otherwise): said as soon as the length is known, so that a clone past the end
/// does not wait without a word.
std::string range_wait_note(uint64_t end, uint64_t length) {
  if (end == download_to_end || length == 0 || end <= length)
    return {};
  return "waiting for block " + std::to_string(end - 1) + ": the feed has " + std::to_string(length)
         + " blocks; the writer has not appended the rest yet (--timeout gives up)";
}

/// Prints range_wait_note's words, if any, on stderr.
void say_range_wait(uint64_t end, uint64_t length) {
  std::string note = range_wait_note(end, length);
  if (!note.empty())
    std::cerr << "dynfeed: " + note + "\n";
}

/// Why a download without --live gives up after `timeout_s` without a block.
std::string stall_reason(uint64_t end, uint64_t length, double timeout_s) {
  std::string out = "no progress for " + std::to_string(static_cast<int>(timeout_s)) + " s: ";
  if (!range_wait_note(end, length).empty())
    return out + "the feed has " + std::to_string(length) + " blocks, the range ends at block "
           + std::to_string(end - 1);
  return out + "no peer answered";
}

/// Shows blocks, MB/s and ETA on a terminal; prints nothing otherwise.
class progress_line {
public:
  progress_line() : tty_(::isatty(STDERR_FILENO) == 1), start_(clock::now()) {}
  void update(uint64_t held, uint64_t total, uint64_t bytes) {
    if (!tty_ || clock::now() - last_ < std::chrono::milliseconds{200})
      return;
    last_ = clock::now();
    double s = std::chrono::duration<double>(last_ - start_).count();
    double mbps = s > 0 ? static_cast<double>(bytes) / s / 1e6 : 0;
    double rate = s > 0 ? static_cast<double>(held) / s : 0;
    double eta = rate > 0 && total > held ? static_cast<double>(total - held) / rate : 0;
    std::fprintf(stderr, "\r%llu/%llu blocks  %.1f MB/s  ETA %.0f s   ",
                 static_cast<unsigned long long>(held), static_cast<unsigned long long>(total),
                 mbps, eta);
  }
  void finish() {
    if (tty_)
      std::fputc('\n', stderr);
  }

private:
  using clock = std::chrono::steady_clock;
  bool tty_;
  clock::time_point start_;
  clock::time_point last_{};
};

/// An answer asked for from the control socket's thread, as the control server takes it.
template <class T>
expected<T> control_answer(caf::expected<T> answer) {
  if (!answer)
    return error{base_errc::io_error, describe(answer.error())};
  return std::move(*answer);
}

constexpr auto control_timeout = std::chrono::seconds{60};

/// What `seed` serves: a feed, or a value-feed writer's directory. Returns the key (hex) and
/// starts the control socket through which other commands reach the node.
expected<std::string> serve_dir(running_node& n, const node_args& a,
                                std::unique_ptr<control_server>& control) {
  caf::actor_system* sys = n.sys.get();
  auto feed = n.ask<feed_actor>(atoms::open_feed::value, a.dir);
  if (!feed) {
    // Not a feed: perhaps the directory of a value-feed writer (dynfeed value create).
    auto key = n.ask<public_key>(atoms::open_values::value, a.dir);
    if (!key)
      return error{base_errc::invalid_argument, describe(feed.error())};
    node_actor node = n.node;
    public_key pk = *key;
    auto put = [sys, node, pk](bytes salt, bytes value) -> expected<uint64_t> {
      auto v = control_answer(
        ask<value_actor>(*sys, node, control_timeout, atoms::value_feed::value, pk, salt));
      if (!v)
        return v.error();
      return control_answer(
        ask<uint64_t>(*sys, *v, control_timeout, atoms::put_value::value, std::move(value)));
    };
    auto started = control_server::start(a.dir, control_limits{}, {nullptr, put});
    if (!started)
      return started.error();
    control = std::move(*started);
    return to_hex(*key);
  }
  auto joined = n.ask<bool>(atoms::join::value, *feed, std::vector<peer_address>{},
                            *parse_feed_mode(a.mode), *parse_id_channels(a.id_channel));
  if (!joined)
    return error{base_errc::invalid_argument, "cannot share the feed: " + describe(joined.error())};
  feed_actor target = *feed;
  auto append = [sys, target](std::vector<bytes> blocks) {
    return control_answer(
      ask<uint64_t>(*sys, target, control_timeout, atoms::append::value, std::move(blocks)));
  };
  auto truncate = [sys, target](uint64_t length) {
    return control_answer(
      ask<uint64_t>(*sys, target, control_timeout, atoms::truncate::value, length));
  };
  auto started = control_server::start(a.dir, control_limits{}, {append, nullptr, truncate});
  if (!started)
    return started.error();
  control = std::move(*started);
  auto info = control_answer(ask<feed_info>(*sys, target, control_timeout, atoms::info::value));
  if (!info)
    return info.error();
  return to_hex(info->key);
}

int seed(const node_args& a) {
  std::string host;
  uint16_t port = 0;
  if (!parse_address(a.listen, host, port))
    return report("--listen must be HOST:PORT, got '" + a.listen + "'", exit_usage);
  if (auto wrong = check_id_channel(a))
    return report(*wrong, exit_usage);
  // Announces carry the address datagrams leave from: the socket binds where TCP listens.
  expected<std::optional<discovery_config>> discovery = std::optional<discovery_config>{};
  if (!a.discovery.empty()) {
    auto local = endpoint::parse(host + ":0");
    if (!local)
      return report("with --bootstrap or --tracker, --listen must be IPV4:PORT, got '" + a.listen
                      + "'",
                    exit_usage);
    discovery = discovery_from(a.discovery, *local);
    if (!discovery)
      return report(discovery.error().context(), exit_usage);
  }
  stop_signals signals;
  running_node n{a.quiet_log, a.poll_interval_s, a.id_overlap_s};
  if (!n.discover(*discovery))
    n.finish(exit_error);
  std::unique_ptr<control_server> control;
  auto key = serve_dir(n, a, control);
  if (!key)
    n.finish(report(key.error().context().empty() ? key.error().to_string() : key.error().context()));
  auto bound = n.ask<peer_address>(atoms::listen::value, peer_address::tcp(host, port));
  if (!bound)
    n.finish(report("cannot listen on " + a.listen + ": " + describe(bound.error())));
  std::cout << *key << '\n'
            << "listening on " << to_string(*bound) << '\n'
            << std::flush;
  signals.wait();
  control.reset(); // no more requests from other processes
  n.print_stats();
  n.finish(exit_ok);
}

/// Keeps the proof in DIR/equivocation.json (written whole, then renamed into place) and says
/// what it shows; returns exit_equivocation.
int report_equivocation(const std::string& dir, const std::string& proof) {
  std::string path = equivocation_path(dir);
  std::string detail = "the writer signed two histories";
  if (auto p = decode_equivocation(proof))
    detail += ": trees of length " + std::to_string(p->trees[0].length) + " and "
              + std::to_string(p->trees[1].length) + " at fork " + std::to_string(p->trees[0].fork)
              + " disagree on tree node " + std::to_string(p->index);
  {
    std::ofstream out(path + ".tmp", std::ios::binary | std::ios::trunc);
    out << proof;
    out.close();
    std::error_code ec;
    if (out)
      std::filesystem::rename(path + ".tmp", path, ec);
    if (!out || ec) {
      report(error{feed_errc::equivocation, detail + "; cannot write " + path});
      return exit_equivocation;
    }
  }
  report(error{feed_errc::equivocation, detail + "; proof in " + path});
  return exit_equivocation;
}

/// Downloads (and with `print`, writes each block to stdout in order, one per line).
int fetch(const node_args& a, bool print) {
  std::string message;
  uint64_t start = 0;
  uint64_t end = download_to_end;
  if (!a.range.empty() && !parse_range(a.range, start, end, message))
    return report(message, exit_usage);
  auto key = fixed_from_hex<public_key>(a.key);
  if (!key)
    return report("PUBKEY must be 64 hex digits, got '" + a.key + "'", exit_usage);
  auto sources = where_peers_are(a.peers, a.discovery);
  if (!sources)
    return report(sources.error().context(), exit_usage);
  if (auto wrong = check_id_channel(a))
    return report(*wrong, exit_usage);
  stop_signals signals;
  running_node n{a.quiet_log, a.poll_interval_s, a.id_overlap_s};
  if (!n.discover(sources->discovery))
    n.finish(exit_error);
  auto feed = n.ask<feed_actor>(atoms::clone_feed::value, *key, a.dir);
  if (!feed)
    n.finish(report(describe(feed.error())));
  caf::scoped_actor self{*n.sys};
  self->send(*feed, atoms::subscribe::value, caf::actor_cast<caf::actor>(self));
  bool live = a.live || print;
  self->send(*feed, atoms::download::value, start, end, live);
  auto joined = n.ask<bool>(atoms::join::value, *feed, sources->peers,
                            *parse_feed_mode(a.mode), *parse_id_channels(a.id_channel));
  if (!joined)
    n.finish(report("cannot join the swarm: " + describe(joined.error())));

  progress_line progress;
  uint64_t held = 0;
  uint64_t length = 0;
  uint64_t bytes_in = 0;
  uint64_t next_print = start;
  // Prints the blocks held from next_print on, in order, up to the first one not held yet.
  // It asks the feed rather than counting arrivals: a restarted follower already holds blocks
  // that will never arrive again (it printed nothing, ever, before).
  auto print_held = [&] {
    for (bool held_next = print; held_next;) {
      caf::scoped_actor getter{*n.sys};
      getter->request(*feed, std::chrono::seconds{10}, atoms::get::value, next_print)
        .receive(
          [&](bytes& block) {
            bytes_in += block.size();
            std::cout.write(reinterpret_cast<const char*>(block.data()),
                            static_cast<std::streamsize>(block.size()));
            std::cout << '\n' << std::flush;
            ++next_print;
          },
          [&](caf::error&) { held_next = false; });
    }
  };
  print_held();
  bool done = false;
  auto last_progress = std::chrono::steady_clock::now();
  auto idle_max = std::chrono::duration<double>(a.timeout_s);
  while (!done && !signals.requested()) {
    self->receive(
      [&](atoms::length, uint64_t l) {
        if (!live && l != length)
          say_range_wait(end, l);
        length = l;
      },
      [&](atoms::blocks, uint64_t, uint64_t count) {
        held += count;
        last_progress = std::chrono::steady_clock::now();
        print_held();
      },
      [&](atoms::done) { done = !live; },
      [&](atoms::peers, uint64_t) {},
      [&](atoms::store_failed, const std::string& why) {
        // The store refuses writes until reopened: waiting for the timeout would only hide why.
        progress.finish();
        n.finish(report("cannot store blocks in " + a.dir + ": " + why
                        + " (free space there and run the same command again: it resumes)"));
      },
      [&](atoms::equivocation, const std::string& proof) {
        progress.finish();
        n.finish(report_equivocation(a.dir, proof));
      },
      caf::after(std::chrono::milliseconds{200}) >> [] {});
    uint64_t total = end == download_to_end ? length : std::min(end, length) - std::min(start, length);
    progress.update(held, total, bytes_in);
    if (!live && std::chrono::steady_clock::now() - last_progress > idle_max) {
      progress.finish();
      n.finish(report(stall_reason(end, length, a.timeout_s)));
    }
  }
  progress.finish();
  n.finish(exit_ok);
}

struct value_args {
  std::string key;
  std::string salt;
  std::vector<std::string> peers;
  discovery_args discovery;
  double timeout_s = 30;
  bool quiet_log = false;
  bool json = false;
};

/// {"seq", "value" (hex), "text" (the value itself, only if it is valid UTF-8)}.
nlohmann::json value_json(uint64_t seq, const bytes& v) {
  nlohmann::json out{{"seq", seq}, {"value", to_hex(v)}};
  if (valid_utf8(v))
    out["text"] = std::string(v.begin(), v.end());
  return out;
}

/// With --bootstrap, `value get` also looks for the value in the DHT, as the BEP 44 mutable
/// item of the key and salt: a thread asks the node's DHT node (again every dht_retry while it
/// finds nothing) and sends what it finds to `to` as (get_value, seq, v). It stops when `stop`
/// is set; the process ends without joining it.
void search_dht(running_node& n, const public_key& key, const bytes& salt, const caf::actor& to,
                std::shared_ptr<std::atomic<bool>> stop) {
  auto discovery = n.ask<caf::actor>(atoms::discovery::value);
  if (!discovery) {
    report("no DHT to search: " + describe(discovery.error()));
    return;
  }
  std::thread([actor = *discovery, key, salt, to, stop] {
    constexpr auto dht_retry = std::chrono::seconds{2};
    while (!*stop) {
      if (wait_for_nodes(actor, dht_wait{10'000})) {
        auto found = dht_get(actor, key, salt, dht_wait{60'000});
        if (found && *found) {
          caf::anon_send(to, atoms::get_value::value, (*found)->seq, (*found)->v);
          return;
        }
      }
      auto next = std::chrono::steady_clock::now() + dht_retry;
      while (!*stop && std::chrono::steady_clock::now() < next)
        std::this_thread::sleep_for(std::chrono::milliseconds{100});
    }
  }).detach();
}

/// A value found in the DHT: its v shown as show_bep44_value says; with --json, value_json's
/// object with "from": "dht" (and "bencoded": true when v is not a byte string).
void print_dht_value(int64_t seq, const bytes& v, bool json) {
  shown_value shown = show_bep44_value(v);
  if (json) {
    nlohmann::json out = shown.bencoded
                           ? nlohmann::json{{"seq", seq}, {"value", to_hex(v)}, {"bencoded", true}}
                           : value_json(static_cast<uint64_t>(seq), shown.value);
    out["from"] = "dht";
    std::cout << out.dump() << '\n';
  } else if (shown.bencoded) {
    std::cout << to_hex(v) << '\n';
  } else {
    std::cout << std::string(shown.value.begin(), shown.value.end()) << '\n';
  }
  std::cout.flush();
}

/// `value get` (the first value a peer gives, then exit) or `value watch` (every value, until
/// stopped): prints the value's bytes, one per line; with --json, value_json's object.
int fetch_value(const value_args& a, bool watch) {
  auto key = fixed_from_hex<public_key>(a.key);
  if (!key)
    return report("PUBKEY must be 64 hex digits, got '" + a.key + "'", exit_usage);
  if (a.salt.size() > value_limits{}.salt_size_max)
    return report("--salt has " + std::to_string(a.salt.size()) + " bytes, at most "
                    + std::to_string(value_limits{}.salt_size_max),
                  exit_usage);
  auto sources = where_peers_are(a.peers, a.discovery);
  if (!sources)
    return report(sources.error().context(), exit_usage);
  stop_signals signals;
  running_node n{a.quiet_log};
  if (!n.discover(sources->discovery))
    n.finish(exit_error);
  auto value = n.ask<value_actor>(atoms::value_feed::value, *key,
                                  bytes(a.salt.begin(), a.salt.end()));
  if (!value)
    n.finish(report(describe(value.error())));
  caf::scoped_actor self{*n.sys};
  self->send(*value, atoms::subscribe::value, caf::actor_cast<caf::actor>(self));
  if (!n.ask<bool>(atoms::join_value::value, *value, sources->peers))
    n.finish(report("cannot join the value feed's swarm"));
  auto stop_search = std::make_shared<std::atomic<bool>>(false);
  bool in_dht = !watch && !a.discovery.bootstrap.empty();
  if (in_dht)
    search_dht(n, *key, bytes(a.salt.begin(), a.salt.end()), caf::actor_cast<caf::actor>(self),
               stop_search);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(a.timeout_s);
  bool got = false;
  while (!signals.requested() && (watch || !got)) {
    self->receive(
      [&](atoms::value, uint64_t seq, const bytes& v) {
        got = true;
        if (a.json)
          std::cout << value_json(seq, v).dump() << '\n';
        else if (watch)
          std::cout << seq << ' ' << std::string(v.begin(), v.end()) << '\n';
        else
          std::cout << std::string(v.begin(), v.end()) << '\n';
        std::cout.flush();
      },
      [&](atoms::get_value, int64_t seq, const bytes& v) {
        got = true;
        print_dht_value(seq, v, a.json);
      },
      caf::after(std::chrono::milliseconds{200}) >> [] {});
    if (!watch && !got && std::chrono::steady_clock::now() > deadline)
      n.finish(report("no value within " + std::to_string(static_cast<int>(a.timeout_s))
                      + (in_dht ? " s: neither a peer nor the DHT has one" : " s: no peer has one")));
  }
  *stop_search = true;
  n.finish(exit_ok);
}

} // namespace

void add_value_network_commands(CLI::App& value, command& run) {
  auto args = std::make_shared<value_args>();
  for (bool watch : {false, true}) {
    auto* c = value.add_subcommand(watch ? "watch" : "get",
                                   watch ? "print every new value of a value feed as it arrives"
                                         : "print the latest value of a value feed");
    c->add_option("PUBKEY", args->key, "the value feed's public key (hex)")->required();
    c->add_option("--salt", args->salt, "the value feed's salt (text)");
    c->add_option("--peer", args->peers, "HOST:PORT of a peer that has the value feed");
    add_discovery_options(*c, args->discovery);
    if (!watch)
      c->add_option("--timeout", args->timeout_s, "give up after this many seconds")
        ->capture_default_str();
    c->add_flag("--json", args->json, "print {\"seq\": N, \"value\": HEX, \"text\": TEXT} per "
                                      "value (text only if the value is valid UTF-8)");
    c->add_flag("--quiet", args->quiet_log, "do not log connection events");
    c->callback([&run, args, watch] { run = [args, watch] { return fetch_value(*args, watch); }; });
  }
}

void add_node_commands(CLI::App& app, command& run) {
  auto args = std::make_shared<node_args>();

  auto* s = app.add_subcommand("seed", "serve a feed to peers (appends made while it runs too)");
  s->add_option("DIR", args->dir, "feed directory")->required();
  s->add_option("--listen", args->listen, "HOST:PORT to accept connections on")
    ->capture_default_str();
  s->add_flag("--quiet", args->quiet_log, "do not log connection events");
  add_discovery_options(*s, args->discovery);
  s->add_option("--mode", args->mode, "how the feed is shared: stable, rotating or rotating-roots")
    ->check(CLI::IsMember({"stable", "rotating", "rotating-roots"}))
    ->capture_default_str();
  add_id_channel_option(*s, *args);
  s->callback([&run, args] { run = [args] { return seed(*args); }; });

  auto* c = app.add_subcommand("clone", "download a feed (all blocks, or a range) and verify it");
  c->add_option("PUBKEY", args->key, "the feed's public key (hex)")->required();
  c->add_option("DIR", args->dir, "directory for the copy")->required();
  c->add_option("--peer", args->peers, "HOST:PORT of a peer to download from");
  add_discovery_options(*c, args->discovery);
  c->add_option("--range", args->range, "blocks A-B (inclusive) or A- only");
  c->add_flag("--live", args->live, "keep following new blocks after the download");
  c->add_option("--timeout", args->timeout_s, "give up after this many seconds without progress")
    ->capture_default_str();
  c->add_flag("--quiet", args->quiet_log, "do not log connection events");
  c->add_option("--mode", args->mode, "how the feed is shared: stable, rotating or rotating-roots")
    ->check(CLI::IsMember({"stable", "rotating", "rotating-roots"}))
    ->capture_default_str();
  add_id_channel_option(*c, *args);
  c->callback([&run, args] { run = [args] { return fetch(*args, false); }; });

  auto* f = app.add_subcommand("follow", "print a feed's blocks as they arrive, one per line");
  f->add_option("PUBKEY", args->key, "the feed's public key (hex)")->required();
  f->add_option("DIR", args->dir, "directory for the copy")->required();
  f->add_option("--peer", args->peers, "HOST:PORT of a peer to follow");
  add_discovery_options(*f, args->discovery);
  f->add_flag("--quiet", args->quiet_log, "do not log connection events");
  f->add_option("--mode", args->mode, "how the feed is shared: stable, rotating or rotating-roots")
    ->check(CLI::IsMember({"stable", "rotating", "rotating-roots"}))
    ->capture_default_str();
  add_id_channel_option(*f, *args);
  f->callback([&run, args] { run = [args] { return fetch(*args, true); }; });
}

} // namespace dynfeed::cli

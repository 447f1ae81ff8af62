/// dynfeed bench feed|channel|codec|sim|dht-lookup|tracker: benchmarks that print one JSON object.

#include "apps/cli.hpp"

#include "bench/channel_bench.hpp"
#include "bench/codec_bench.hpp"
#include "bench/dht_lookup_bench.hpp"
#include "bench/feed_bench.hpp"
#include "bench/replicate_bench.hpp"
#include "bench/sim_bench.hpp"
#include "bench/tracker_bench.hpp"

#include <iostream>

namespace dynfeed::cli {

namespace {

/// dynfeed bench dht-lookup: the calibration study of docs/simulator.md.
void add_dht_lookup_bench(CLI::App& bench, command& run) {
  auto opts = std::make_shared<sim::lookup_study_config>();
  auto timeout_ms = std::make_shared<double>(2000);
  auto* d = bench.add_subcommand(
    "dht-lookup", "get_peers lookup times in a simulated Mainline DHT on measured latencies");
  d->add_option("--nodes", opts->nodes, "DHT nodes")->check(CLI::Range(2u, 100000u))->capture_default_str();
  d->add_option("--lookups", opts->lookups, "lookups, one after another")
    ->check(CLI::Range(1u, 100000u))->capture_default_str();
  d->add_option("--seed", opts->seed, "the seed")->capture_default_str();
  d->add_option("--latency-data", opts->latency_data, "a built-in latency set or a file")
    ->capture_default_str();
  d->add_option("--dead-share", opts->dead_share,
                "share of nodes that vanish after the DHT settled (stale routing entries)")
    ->check(CLI::Range(0.0, 0.95))->capture_default_str();
  d->add_option("--loss", opts->loss, "datagram loss")->check(CLI::Range(0.0, 0.95))->capture_default_str();
  d->add_option("--alpha", opts->dht.alpha, "queries in flight per lookup")
    ->check(CLI::Range(size_t{1}, size_t{64}))->capture_default_str();
  d->add_option("--timeout-ms", *timeout_ms, "query timeout (ms)")
    ->check(CLI::Range(10.0, 60000.0))->capture_default_str();
  d->callback([&run, opts, timeout_ms] {
    opts->dht.query_timeout = std::chrono::duration_cast<clock_time>(
      std::chrono::duration<double, std::milli>(*timeout_ms));
    run = [opts] {
      try {
        std::cout << bench::run_dht_lookup_bench(*opts).dump() << '\n';
      } catch (const std::runtime_error& e) {
        return report(e.what(), exit_usage);
      }
      return exit_ok;
    };
  });
}

/// dynfeed bench tracker: a tracker server filled by many sources, its memory and lookups.
void add_tracker_bench(CLI::App& bench, command& run) {
  auto opts = std::make_shared<bench::tracker_bench_options>();
  auto* t = bench.add_subcommand(
    "tracker", "a tracker server filled by announces from many sources: memory per record, lookups/s");
  t->add_option("--sources", opts->sources, "source IPs announcing")
    ->check(CLI::Range(1u, 1000000u))->capture_default_str();
  t->add_option("--records-per-source", opts->records_per_source, "announces per source (quota: 64)")
    ->check(CLI::Range(1u, 64u))->capture_default_str();
  t->add_option("--topics", opts->topics, "topics the records are spread over")
    ->check(CLI::Range(1u, 65536u))->capture_default_str();
  t->add_option("--lookups", opts->lookups, "lookups of the first topic to time")
    ->check(CLI::Range(0u, 10000000u))->capture_default_str();
  t->add_option("--seed", opts->seed, "the seed")->capture_default_str();
  t->callback([&run, opts] {
    run = [opts] {
      std::cout << bench::run_tracker_bench(*opts).dump() << '\n';
      return exit_ok;
    };
  });
}

} // namespace

void add_bench_commands(CLI::App& app, command& run) {
  auto* bench = app.add_subcommand("bench", "benchmarks; each prints one JSON object");
  bench->require_subcommand(1);
  auto feed_opts = std::make_shared<bench::feed_bench_options>();
  auto* f = bench->add_subcommand("feed", "append, read and verified-read speed of one feed");
  f->add_option("--blocks", feed_opts->blocks, "blocks to append")->capture_default_str();
  f->add_option("--block-size", feed_opts->block_size, "bytes per block")->capture_default_str();
  f->add_option("--batch", feed_opts->batch, "blocks per append (one signature each)")
    ->capture_default_str();
  f->add_option("--reads", feed_opts->reads, "random reads per read phase")->capture_default_str();
  f->add_option("--dir", feed_opts->dir, "directory for the store (default: a temporary one)");
  f->add_option("--seed", feed_opts->seed, "seed for data and read order")->capture_default_str();
  f->add_flag("--fsync", feed_opts->fsync, "fsync every append");
  f->add_flag("--memory", feed_opts->in_memory, "use the in-memory store");
  f->add_flag("!--single-thread", feed_opts->parallel_hashing,
              "hash on one thread only (no helper thread)");
  f->callback([&run, feed_opts] {
    run = [feed_opts] {
      std::cout << bench::run_feed_bench(*feed_opts).dump() << '\n';
      return exit_ok;
    };
  });

  auto channel_opts = std::make_shared<bench::channel_bench_options>();
  auto* ch = bench->add_subcommand("channel", "Noise handshakes/s and secure channel MB/s");
  ch->add_option("--handshakes", channel_opts->handshakes, "handshakes to time")
    ->capture_default_str();
  ch->add_option("--frames", channel_opts->frames, "frames to push through one channel")
    ->capture_default_str();
  ch->add_option("--frame-size", channel_opts->frame_size, "bytes per frame")
    ->capture_default_str();
  ch->callback([&run, channel_opts] {
    run = [channel_opts] {
      std::cout << bench::run_channel_bench(*channel_opts).dump() << '\n';
      return exit_ok;
    };
  });

  auto repl_opts = std::make_shared<bench::replicate_bench_options>();
  auto* r = bench->add_subcommand(
    "replicate", "clone a feed from a seeding process over 127.0.0.1 (encrypted, verified)");
  r->add_option("--blocks", repl_opts->blocks, "blocks in the feed")->capture_default_str();
  r->add_option("--block-size", repl_opts->block_size, "bytes per block")->capture_default_str();
  r->add_option("--seed", repl_opts->seed, "seed for the block contents")->capture_default_str();
  r->callback([&run, repl_opts] {
    run = [repl_opts] {
      std::cout << bench::run_replicate_bench(*repl_opts).dump() << '\n';
      return exit_ok;
    };
  });

  auto codec_opts = std::make_shared<bench::codec_bench_options>();
  auto* c = bench->add_subcommand("codec", "encode and decode speed of data frames");
  c->add_option("--frames", codec_opts->frames, "frames per phase")->capture_default_str();
  c->add_option("--blocks", codec_opts->blocks, "blocks per frame")->capture_default_str();
  c->add_option("--block-size", codec_opts->block_size, "bytes per block")
    ->capture_default_str();
  c->add_option("--seed", codec_opts->seed, "seed for the block contents")->capture_default_str();
  c->callback([&run, codec_opts] {
    run = [codec_opts] {
      std::cout << bench::run_codec_bench(*codec_opts).dump() << '\n';
      return exit_ok;
    };
  });

  auto sim_opts = std::make_shared<bench::sim_bench_options>();
  auto* sm = bench->add_subcommand(
    "sim", "the simulator at scale: events and frame deliveries per second, memory per node");
  sm->add_option("--scenario", sim_opts->scenario,
                 "a built-in scenario's name or a scenario file (default: the stable-mode scale "
                 "scenario)");
  sm->add_option("--nodes", sim_opts->nodes,
                 "readers, the writer on top (default: 100000, or the scenario's)");
  sm->add_option("--duration", sim_opts->duration_s,
                 "virtual seconds (default: 180, or the scenario's)");
  sm->add_option("--driver", sim_opts->driver, "plain or caf")
    ->check(CLI::IsMember({"plain", "caf"}))
    ->capture_default_str();
  sm->add_option("--seed", sim_opts->seed, "the seed (default: 1, or the scenario's)");
  sm->add_option("--peers", sim_opts->peers_wanted,
                 "outbound peers per swarm (default: 4, or the scenario's)");
  sm->add_option("--value-peers", sim_opts->value_peers_wanted,
                 "outbound peers of a rotating feed's value swarm (default: the scenario's "
                 "value_peers_wanted, else --peers)")
    ->check(CLI::Range(1u, 10000u));
  sm->callback([&run, sim_opts] {
    run = [sim_opts] {
      try {
        std::cout << bench::run_sim_bench(*sim_opts).dump() << '\n';
      } catch (const std::runtime_error& e) {
        return report(e.what(), exit_usage);
      }
      return exit_ok;
    };
  });
  add_dht_lookup_bench(*bench, run);
  add_tracker_bench(*bench, run);
}

} // namespace dynfeed::cli

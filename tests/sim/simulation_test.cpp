// Whole scenarios on the plain driver: determinism, each fault, and invariant violations
// caught when a fault is injected on purpose.

#include "dynfeed/feed/equivocation.hpp"
#include "dynfeed/sim/caf_driver.hpp"
#include "dynfeed/sim/runtime.hpp"
#include "dynfeed/sim/simulation.hpp"

#include <boost/test/unit_test.hpp>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <map>
#include <sstream>
#include <stdexcept>

using namespace dynfeed;
using namespace dynfeed::sim;
using namespace std::chrono_literals;

namespace {

/// A small scenario: 40 readers in two regions, rotating mode, appends every 20 s.
scenario small(uint64_t seed = 5) {
  scenario s;
  s.name = "small";
  s.seed = seed;
  s.readers = 40;
  s.duration = 240s;
  s.join_to = 20s;
  s.first_append = 30s;
  s.append_interval = 20s;
  s.settle = 60s;
  s.initial_blocks = 4;
  s.block_size = 256;
  s.lookup_interval = 10s;
  s.network.regions = {"a", "b"};
  s.network.latency_ms = {{10, 60}, {60, 10}};
  s.network.jitter = 0.2;
  return s;
}

struct outcome {
  uint64_t digest = 0;
  std::optional<invariant_violation> violation;
  nlohmann::json summary;
  uint32_t crashes = 0;
  uint32_t partitions = 0;
  runtime_stats stats;
};

outcome run(const scenario& s, const std::function<void(simulation&)>& before = nullptr,
            bool on_caf = false) {
  std::unique_ptr<runtime> owned =
    on_caf ? make_caf_runtime(s.seed, s.network) : std::make_unique<runtime>(s.seed, s.network);
  runtime& drv = *owned;
  simulation sim(s, drv);
  sim.prepare();
  if (before)
    before(sim);
  sim.run();
  outcome o;
  o.digest = sim.digest();
  o.violation = sim.violation();
  o.summary = nlohmann::json::parse(sim.summary_json());
  o.crashes = sim.crashes();
  o.partitions = sim.partitions_started();
  o.stats = drv.stats();
  if (o.violation)
    BOOST_TEST_MESSAGE("violation: " << o.violation->what);
  return o;
}

/// Every reader followed every append, and the run kept its invariants.
void expect_converged(const outcome& o, const scenario& s) {
  BOOST_TEST(!o.violation.has_value());
  uint64_t appends = o.summary["appends"];
  BOOST_TEST(appends > 0u);
  BOOST_TEST(o.summary["writerLength"].get<uint64_t>() ==
             s.initial_blocks + appends * s.blocks_per_append);
  BOOST_TEST(o.summary["blocks"]["proofsRejected"].get<uint64_t>() == 0u);
}

} // namespace

BOOST_AUTO_TEST_SUITE(simulation_runs)

BOOST_AUTO_TEST_CASE(readers_follow_the_writer_and_the_same_seed_replays_bit_for_bit) {
  scenario s = small();
  outcome one = run(s);
  expect_converged(one, s);
  // Every append reached every reader: the 100% time is known for each.
  BOOST_TEST(one.summary["reachLatest"]["p99"]["appendsNeverReached"].get<uint64_t>() == 0u);
  BOOST_TEST(!one.summary["reachLatest"]["p99"]["worstSeconds"].is_null());
  BOOST_TEST(one.summary["firstPeer"]["starts"].get<uint64_t>() == s.readers);

  outcome again = run(s);
  BOOST_TEST(again.digest == one.digest);
  // Everything measured is the same too (only the wall time differs).
  one.summary.erase("wallSeconds");
  again.summary.erase("wallSeconds");
  BOOST_TEST(again.summary.dump() == one.summary.dump());
  outcome other = run(small(6));
  BOOST_TEST(other.digest != one.digest);
  expect_converged(other, s);
}

BOOST_AUTO_TEST_CASE(the_caf_driver_gives_the_plain_drivers_digest) {
  // Faults included: crashes, a partition, lossy links.
  scenario s = small(9);
  s.readers = 25;
  s.crashes_per_hour = 20;
  s.restart_after = 15s;
  s.partitions.push_back(partition_spec{40s, 30s, 0.3});
  s.network.stream_loss = 0.02;
  s.network.loss = 0.02;
  s.discovery = discovery_backend::dht; // datagrams too
  s.bootstrap_nodes = 2;
  s.settle = 90s;
  s.duration = 300s;
  outcome plain = run(s);
  outcome caf = run(s, nullptr, true);
  BOOST_TEST(plain.crashes > 0u);
  BOOST_TEST(caf.digest == plain.digest);
  BOOST_TEST(caf.stats.messages == plain.stats.messages);
  plain.summary.erase("wallSeconds");
  caf.summary.erase("wallSeconds");
  BOOST_TEST(caf.summary.dump() == plain.summary.dump());
  expect_converged(caf, s);
}

BOOST_AUTO_TEST_CASE(each_mode_converges) {
  for (feed_mode mode : {feed_mode::stable, feed_mode::rotating, feed_mode::rotating_roots}) {
    BOOST_TEST_CONTEXT("mode " << to_string(mode)) {
      scenario s = small();
      s.mode = mode;
      outcome o = run(s);
      expect_converged(o, s);
    }
  }
}

BOOST_AUTO_TEST_CASE(each_id_channel_alone_and_combined_converges) {
  const uint8_t value_swarm = static_cast<uint8_t>(id_channel::value_swarm);
  const uint8_t relay = static_cast<uint8_t>(id_channel::relay);
  for (feed_mode mode : {feed_mode::rotating, feed_mode::rotating_roots})
    for (uint8_t bits : {value_swarm, relay, uint8_t(value_swarm | relay)}) {
      BOOST_TEST_CONTEXT("mode " << to_string(mode) << ", " << to_string(id_channels{bits})) {
        scenario s = small();
        s.mode = mode;
        s.id_channel = id_channels{bits};
        outcome o = run(s);
        expect_converged(o, s);
        BOOST_TEST(o.summary["reachLatest"]["p99"]["appendsNeverReached"].get<uint64_t>() == 0u);
      }
    }
}

BOOST_AUTO_TEST_CASE(relay_runs_the_same_on_both_drivers) {
  scenario s = small(11);
  s.readers = 20;
  s.mode = feed_mode::rotating_roots;
  s.id_channel = id_channels{static_cast<uint8_t>(id_channel::relay)};
  s.network.loss = 0.02;
  outcome plain = run(s);
  outcome caf = run(s, nullptr, true);
  BOOST_TEST(caf.digest == plain.digest);
  plain.summary.erase("wallSeconds");
  caf.summary.erase("wallSeconds");
  BOOST_TEST(caf.summary.dump() == plain.summary.dump());
  expect_converged(caf, s);
}

BOOST_AUTO_TEST_CASE(naming_the_default_id_channel_changes_nothing) {
  scenario s = small();
  outcome implicit = run(s);
  s.id_channel = id_channels{static_cast<uint8_t>(id_channel::value_swarm)};
  BOOST_TEST(run(s).digest == implicit.digest);
  s.id_channel = id_channels{static_cast<uint8_t>(id_channel::relay)};
  BOOST_TEST(run(s).digest != implicit.digest);
}

BOOST_AUTO_TEST_CASE(the_dht_and_the_tracker_find_the_peers_and_count_their_messages) {
  for (discovery_backend backend : {discovery_backend::dht, discovery_backend::tracker}) {
    BOOST_TEST_CONTEXT("backend " << to_string(backend)) {
      scenario s = small();
      s.discovery = backend;
      s.bootstrap_nodes = 3;
      s.settle = 90s;
      s.duration = 300s;
      outcome o = run(s);
      expect_converged(o, s);
      const auto& d = o.summary["discovery"];
      BOOST_TEST(d["datagramsSent"].get<uint64_t>() > 0u);
      BOOST_TEST(d["busiestNodeReceived"].get<uint64_t>() > 0u);
      BOOST_TEST(o.stats.datagrams > 0u);
      if (backend == discovery_backend::dht) {
        BOOST_TEST(d["lookups"].get<uint64_t>() > 0u);
        BOOST_TEST(d["ops"].contains("get_peers"));
        BOOST_TEST(d["ops"].contains("announce"));
      } else {
        BOOST_TEST(d["ops"].contains("tracker_lookup"));
        BOOST_TEST(d["ops"].contains("tracker_announce"));
        // Every lookup and announce goes to the one tracker: it is the busiest node.
        BOOST_TEST(d["busiestNodeReceived"].get<uint64_t>() * 2 > d["datagramsSent"].get<uint64_t>() / 2);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(static_peers_without_discovery_converge) {
  scenario s = small();
  s.discovery = discovery_backend::none;
  s.mode = feed_mode::stable;
  expect_converged(run(s), s);
}

BOOST_AUTO_TEST_CASE(readers_that_crash_restart_from_their_store_and_catch_up) {
  scenario s = small();
  s.crashes_per_hour = 30; // about one crash per reader every two minutes
  s.restart_after = 15s;
  outcome o = run(s);
  BOOST_TEST(o.crashes > 10u);
  expect_converged(o, s);
  BOOST_TEST(o.stats.links_broken > 0u);
}

BOOST_AUTO_TEST_CASE(a_partition_that_heals_leaves_every_reader_caught_up) {
  scenario s = small();
  s.partitions.push_back(partition_spec{40s, 60s, 0.5});
  outcome o = run(s);
  BOOST_TEST(o.partitions == 1u);
  BOOST_TEST(o.stats.links_broken > 0u);
  expect_converged(o, s);
}

BOOST_AUTO_TEST_CASE(lossy_duplicating_reordering_links_still_converge) {
  scenario s = small();
  s.network.stream_loss = 0.05;
  s.network.loss = 0.1;
  s.network.duplicate = 0.05;
  s.network.reorder = 0.1;
  s.network.up_bytes_per_s = 200000;
  s.network.down_bytes_per_s = 1000000;
  expect_converged(run(s), s);
}

BOOST_AUTO_TEST_CASE(a_store_that_corrupts_a_block_is_caught_with_its_event_number) {
  scenario s = small();
  outcome o = run(s, [](simulation& sim) {
    sim.readers()[7]->store().set_block_fault([](uint64_t index, bytes& block) {
      if (index == 2)
        block[0] ^= 1;
    });
  });
  BOOST_REQUIRE(o.violation.has_value());
  BOOST_TEST(o.violation->what.find("node 8 stores block 2") != std::string::npos,
             o.violation->what);
  BOOST_TEST(o.violation->event > 0u);
  BOOST_TEST(!o.summary["violation"].is_null());
}

BOOST_AUTO_TEST_CASE(a_writer_too_slow_to_serve_everyone_fails_the_convergence_check) {
  scenario s = small();
  s.network.up_bytes_per_s = 20; // 20 bytes/s: a block's frame takes longer than the run
  outcome o = run(s);
  BOOST_REQUIRE(o.violation.has_value());
  BOOST_TEST(o.violation->what.find("after the settle time") != std::string::npos,
             o.violation->what);
}

// Two hosts with one key append different blocks at one fork (the built-in scenario
// "equivocation": 200 readers, the second host from 120 s). Detection spreads through the
// proofs peers hand on; every reader that ran catches it (200 of 200 at seed 1), the proofs
// verify on their own, and no store mixes the two histories.
BOOST_AUTO_TEST_CASE(an_equivocating_writer_is_caught_by_the_readers_and_no_store_mixes_histories) {
  auto s = load_scenario("equivocation");
  BOOST_REQUIRE(s.has_value());
  runtime drv(s->seed, s->network);
  simulation sim(*s, drv);
  sim.run();
  BOOST_TEST(!sim.violation().has_value());
  BOOST_REQUIRE(sim.second_writer() != nullptr);
  equivocation_summary e = sim.equivocation();
  BOOST_TEST(e.second_append.has_value());
  BOOST_TEST(e.fork_length > 0u);
  BOOST_TEST(e.readers_started == s->readers);
  // The proof reaches every peer of a reader that holds it: in one connected swarm, all.
  BOOST_TEST(e.detected == e.readers_started);
  BOOST_TEST(e.delays.size() == e.detected);
  // Readers that hold blocks past the fork hold one history each (the invariant checks it
  // block by block, and at the end); both histories were offered.
  BOOST_TEST(e.on_writer + e.on_second <= e.readers_started);
  uint32_t checked = 0;
  for (sim_node* reader : sim.readers()) {
    const feed_service* service = reader->service();
    BOOST_REQUIRE(service != nullptr);
    BOOST_REQUIRE(service->equivocation().has_value());
    equivocation_proof proof = *service->equivocation();
    BOOST_TEST(verify_equivocation(proof).has_value());
    BOOST_TEST((proof.key == sim.writer().data()->key()));
    if (checked++ < 3) {
      // The proof says something: one bit off in a signature and it no longer verifies.
      proof.trees[1].sig.data()[0] ^= 1;
      BOOST_TEST(!verify_equivocation(proof).has_value());
    }
  }
  nlohmann::json summary = nlohmann::json::parse(sim.summary_json());
  BOOST_TEST(summary["equivocation"]["detected"].get<uint32_t>() == e.detected);
  BOOST_TEST(!summary["equivocation"]["p90Seconds"].is_null());

  runtime drv2(s->seed, s->network);
  simulation again(*s, drv2);
  again.run();
  BOOST_TEST(again.digest() == sim.digest());
  BOOST_TEST(again.equivocation().delays == e.delays);
}

// The invariant fires: a store that puts the second history's block next to the writer's (a
// fault below every check) is caught. Without discovery the readers know only the writer's
// address and follow its history; the fork is at length 18 (16 blocks, appends at 90 and
// 120 s), the writer's block 18 comes at 150 s and 19 at 180 s.
BOOST_AUTO_TEST_CASE(a_store_that_mixes_the_two_histories_is_caught) {
  auto s = load_scenario("equivocation");
  BOOST_REQUIRE(s.has_value());
  s->discovery = discovery_backend::none;
  outcome o = run(*s, [](simulation& sim) {
    sim.readers()[5]->store().set_block_fault([&sim](uint64_t index, bytes& block) {
      if (index == 18)
        block = sim.second_block(index);
    });
  });
  BOOST_REQUIRE(o.violation.has_value());
  BOOST_TEST(o.violation->what.find("node 6 stores block 19 of one history") != std::string::npos,
             o.violation->what);
  // Untouched, the same run keeps the readers on the writer's history (those the writer took:
  // it accepts 64 inbound connections, and readers without discovery know no one else).
  outcome clean = run(*s);
  BOOST_TEST(!clean.violation.has_value());
  BOOST_TEST(clean.summary["equivocation"]["onWriterHistory"].get<uint32_t>() > 0u);
  BOOST_TEST(clean.summary["equivocation"]["onSecondHistory"].get<uint32_t>() == 0u);
  BOOST_TEST(clean.summary["equivocation"]["detected"].get<uint32_t>() == 0u);
}

BOOST_AUTO_TEST_CASE(scenarios_without_an_equivocating_writer_have_no_second_host) {
  runtime drv(1, small().network);
  simulation sim(small(), drv);
  sim.prepare();
  BOOST_TEST(sim.second_writer() == nullptr);
  BOOST_TEST(sim.nodes().nodes().size() == small().readers + 1);
}

BOOST_AUTO_TEST_CASE(following_nodes_changes_nothing_and_agrees_with_the_time_series) {
  scenario s = small();
  s.crashes_per_hour = 30; // readers go offline and come back
  s.restart_after = 15s;
  outcome unfollowed = run(s);

  runtime drv(s.seed, s.network);
  simulation sim(s, drv);
  sim.prepare();
  std::vector<uint32_t> everyone;
  for (uint32_t i = 0; i <= s.readers; ++i)
    everyone.push_back(i);
  BOOST_CHECK_THROW(sim.follow({s.readers + 1}), std::out_of_range);
  sim.follow(everyone);
  sim.run();
  BOOST_TEST(sim.digest() == unfollowed.digest);
  BOOST_TEST(sim.crashes() == unfollowed.crashes);

  struct row {
    uint32_t node = 0;
    bool running = false;
    uint64_t held = 0;
    std::string swarm, writer_swarm;
    uint64_t peers = 0;
    uint32_t swarm_nodes = 0, swarm_ahead = 0;
    uint64_t requests = 0;
  };
  std::map<std::string, std::vector<row>> by_time; // t_s -> one row per node, in order
  std::vector<std::string> times;
  std::istringstream csv(sim.follow_csv());
  std::string line;
  std::getline(csv, line);
  BOOST_TEST(line == "t_s,node,running,held,swarm,writer_swarm,peers,swarm_nodes,swarm_ahead,"
                     "id_pushes,requests");
  while (std::getline(csv, line)) {
    std::istringstream fields(line);
    std::string t, f;
    row r;
    std::getline(fields, t, ',');
    std::getline(fields, f, ',');
    r.node = static_cast<uint32_t>(std::stoul(f));
    std::getline(fields, f, ',');
    r.running = f == "1";
    std::getline(fields, f, ',');
    r.held = std::stoull(f);
    std::getline(fields, r.swarm, ',');
    std::getline(fields, r.writer_swarm, ',');
    std::getline(fields, f, ',');
    r.peers = std::stoull(f);
    std::getline(fields, f, ',');
    r.swarm_nodes = static_cast<uint32_t>(std::stoul(f));
    std::getline(fields, f, ',');
    r.swarm_ahead = static_cast<uint32_t>(std::stoul(f));
    std::getline(fields, f, ','); // id_pushes: none here, where the value swarm tells IDs
    BOOST_TEST(f == "0");
    std::getline(fields, f, ',');
    r.requests = std::stoull(f);
    if (by_time.find(t) == by_time.end())
      times.push_back(t);
    by_time[t].push_back(r);
  }
  const std::vector<sample>& samples = sim.samples();
  BOOST_REQUIRE(times.size() == samples.size());

  bool someone_offline = false;
  for (size_t i = 0; i < samples.size(); ++i) {
    BOOST_TEST_CONTEXT("sample at " << times[i] << " s") {
      const std::vector<row>& rows = by_time[times[i]];
      BOOST_REQUIRE(rows.size() == everyone.size());
      const row& writer = rows[0];
      BOOST_TEST(writer.node == 0u);
      BOOST_TEST(writer.running);
      BOOST_TEST(writer.swarm == writer.writer_swarm);
      uint32_t running = 0, at_latest = 0;
      std::map<std::string, std::vector<const row*>> swarms;
      for (const row& r : rows) {
        BOOST_TEST(r.writer_swarm == writer.swarm);
        if (r.swarm != "-")
          swarms[r.swarm].push_back(&r);
        if (!r.running) {
          someone_offline = true;
          BOOST_TEST(r.swarm == "-");
          BOOST_TEST(r.peers == 0u);
          continue;
        }
        if (r.node == 0)
          continue;
        ++running;
        at_latest += r.held >= writer.held ? 1 : 0;
      }
      // The rows count what the time series counts.
      BOOST_TEST(running == samples[i].running_readers);
      BOOST_TEST(at_latest == samples[i].at_latest);
      for (const auto& [swarm, members] : swarms) {
        for (const row* r : members) {
          BOOST_TEST(r->swarm_nodes == members.size() - 1);
          uint32_t ahead = 0;
          for (const row* other : members)
            ahead += other->held > r->held ? 1 : 0;
          BOOST_TEST(r->swarm_ahead == ahead);
        }
      }
    }
  }
  BOOST_TEST(someone_offline);
  // A reader that gained blocks between two samples asked for them in the session it is in.
  uint32_t gains = 0;
  for (size_t i = 1; i < times.size(); ++i) {
    const std::vector<row>& before = by_time[times[i - 1]];
    const std::vector<row>& after = by_time[times[i]];
    for (size_t n = 1; n < after.size(); ++n) {
      if (!after[n].running || after[n].held <= before[n].held)
        continue;
      ++gains;
      BOOST_TEST(after[n].requests > 0u, "node " << n << " at " << times[i]);
    }
  }
  BOOST_TEST(gains >= s.readers);
  // The run converged: at the end, every reader that has run since the settle time began (no
  // crash comes later) holds the writer's length.
  char settled[32];
  std::snprintf(settled, sizeof settled, "%.3f",
                std::chrono::duration<double>(s.duration - s.settle).count());
  BOOST_REQUIRE(by_time.count(settled) == 1u);
  const std::vector<row>& then = by_time[settled];
  const std::vector<row>& last = by_time[times.back()];
  uint32_t checked = 0;
  for (size_t n = 1; n < last.size(); ++n) {
    if (!then[n].running || !last[n].running)
      continue;
    ++checked;
    BOOST_TEST(last[n].held == last[0].held);
    BOOST_TEST(last[n].swarm == last[0].swarm);
  }
  BOOST_TEST(checked > s.readers / 2);
}

BOOST_AUTO_TEST_SUITE_END()

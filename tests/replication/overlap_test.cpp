// Make before break (node_core_config::id_overlap): a feed moving to a new ID swarm keeps the
// one it leaves, and that swarm's connections, until the new swarm has a connection that stayed
// up, or until the overlap's deadline; without it the old swarm goes at once.

#include "dynfeed/replication/node_core.hpp"

#include <boost/test/unit_test.hpp>

#include "dynfeed/messages/codec.hpp"
#include "dynfeed/sim/runtime.hpp"
#include "support/values.hpp"

#include <algorithm>

using namespace dynfeed;
using namespace std::chrono_literals;

namespace {

/// Stands in for a swarm, a peer or a feed service: counts the punishments it gets.
struct recorder final : component {
  size_t punished = 0;
  void on_message(context&, component_id, byte_span frame) override {
    auto decoded = msg::decode(frame);
    BOOST_REQUIRE(decoded.has_value());
    if (auto* local = std::get_if<msg::local_message>(&*decoded))
      if (std::holds_alternative<msg::punish>(*local))
        ++punished;
  }
};

/// Starts every swarm as a recorder, and remembers which it started and which it stopped.
struct swarm_host final : node_host {
  sim::runtime* rt = nullptr;
  std::vector<component_id> started, stopped;
  component_id start_swarm(context&, const swarm_config&) override {
    started.push_back(rt->spawn(std::make_unique<recorder>()));
    return started.back();
  }
  component_id start_publisher(context&, const publisher_start&) override { return no_component; }
  void set_publisher_rules(context&, component_id, const publisher_start&) override {}
  void stop(context&, component_id id) override { stopped.push_back(id); }
  void dial(context&, const std::string&) override {}
};

hash256 topic(uint8_t n) {
  return hash256::from(bytes(32, n));
}

/// A node core and its feed (a recorder), which moves between the swarms of topics 1, 2, 3...
struct mover {
  sim::runtime rt{7};
  swarm_host host;
  component_id core = no_component;
  component_id feed = no_component;
  uint8_t next_key = 1;

  explicit mover(clock_time overlap, node_core_config config = {}) {
    host.rt = &rt;
    config.id_overlap = overlap;
    config.id_overlap_confirm = 2s;
    core = rt.spawn(std::make_unique<node_core>(config, &host));
    feed = rt.spawn(std::make_unique<recorder>());
  }

  /// The feed is joined with the relay ID channel, as its writer (`writer`) or a reader.
  void join_relay(bool writer) {
    keypair k = test::key_number(1);
    std::optional<secret_key> sk;
    if (writer)
      sk = k.sk;
    rt.with(core, [&](component&, context& ctx) {
      nc().join_feed(ctx, feed, k.pk, sk, {}, feed_mode::rotating,
                     id_channels{static_cast<uint8_t>(id_channel::relay)});
    });
    rt.run_until(rt.now());
  }

  node_core& nc() { return static_cast<node_core&>(*rt.find(core)); }
  bool stopped(component_id swarm) const {
    return std::count(host.stopped.begin(), host.stopped.end(), swarm) > 0;
  }
  size_t punished(component_id peer) { return static_cast<recorder&>(*rt.find(peer)).punished; }
  void run_for(clock_time t) { rt.run_until(rt.now() + t); }

  /// The feed moves from the swarm of `leave` (0: none) to that of `join`: returns the latter.
  component_id move(uint8_t leave, uint8_t join) {
    size_t before = host.started.size();
    hash256 from = leave == 0 ? hash256{} : topic(leave);
    rt.with(feed, [&](component&, context& ctx) {
      ctx.send(core, msg::encode(msg::local_message{msg::rotate_swarm{from, topic(join)}}));
    });
    rt.run_until(rt.now());
    BOOST_REQUIRE_EQUAL(host.started.size(), before + 1);
    return host.started.back();
  }

  /// `swarm` dials `address` and the connection comes up: returns its peer.
  component_id connect(component_id swarm, const std::string& address) {
    rt.with(swarm, [&](component&, context& ctx) {
      ctx.send(core, msg::encode(msg::local_message{msg::dial{address}}));
    });
    rt.run_until(rt.now());
    component_id peer = rt.spawn(std::make_unique<recorder>());
    rt.with(core, [&](component&, context& ctx) {
      nc().connected(ctx, address, peer, node_key::from(bytes(32, next_key++)), true);
    });
    rt.run_until(rt.now());
    return peer;
  }

  /// The swarms a feed moved between, and the peer the first had.
  struct moved {
    component_id first = no_component, old_peer = no_component, second = no_component;
  };
  /// The feed joins topic 1's swarm, which connects to a peer, then moves on to topic 2's.
  moved leave_a_swarm_with_a_peer() {
    moved m;
    m.first = move(0, 1);
    m.old_peer = connect(m.first, "10.0.0.1:7000");
    m.second = move(1, 2);
    return m;
  }

  /// As a relay writer, the feed joins topic 1's swarm and moves on to topic 2's before the
  /// first had any peer: the first is left untold. Returns the two swarms (no old peer).
  moved leave_a_swarm_untold() {
    join_relay(true);
    moved m;
    m.first = move(0, 1);
    m.second = move(1, 2);
    return m;
  }

  /// The connection of `peer` ends (its remote refused it, say).
  void end(component_id peer) {
    rt.with(core, [&](component&, context& ctx) { nc().peer_ended(ctx, peer); });
    rt.run_until(rt.now());
  }
};

} // namespace

BOOST_AUTO_TEST_SUITE(id_overlap)

BOOST_AUTO_TEST_CASE(without_overlap_the_old_swarm_goes_at_once) {
  mover m{0s};
  auto [first, old_peer, second] = m.leave_a_swarm_with_a_peer();
  BOOST_TEST(m.stopped(first));
  BOOST_TEST(!m.stopped(second));
  BOOST_TEST(m.punished(old_peer) == 1u); // "swarm left"
  BOOST_TEST(m.nc().overlapping_count() == 0u);
}

BOOST_AUTO_TEST_CASE(the_old_swarm_stays_until_a_new_connection_has_lasted) {
  mover m{30s};
  auto [first, old_peer, second] = m.leave_a_swarm_with_a_peer();
  BOOST_TEST(!m.stopped(first));
  BOOST_TEST(m.punished(old_peer) == 0u);
  BOOST_TEST(m.nc().overlapping_count() == 1u);

  m.run_for(5s);
  BOOST_TEST(!m.stopped(first)); // the new swarm has no peer yet
  m.connect(second, "10.0.0.2:7000");
  m.run_for(1s);
  BOOST_TEST(!m.stopped(first)); // up, but not for id_overlap_confirm yet
  m.run_for(1500ms);
  BOOST_TEST(m.stopped(first));
  BOOST_TEST(m.punished(old_peer) == 1u);
  BOOST_TEST(!m.stopped(second));
  BOOST_TEST(m.nc().overlapping_count() == 0u);
}

BOOST_AUTO_TEST_CASE(a_refused_connection_does_not_end_the_overlap_but_the_deadline_does) {
  mover m{30s};
  auto [first, old_peer, second] = m.leave_a_swarm_with_a_peer();
  component_id refused = m.connect(second, "10.0.0.2:7000");
  m.run_for(200ms);
  m.end(refused); // a full node's refusal, a round trip after the connection came up
  m.run_for(5s);
  BOOST_TEST(!m.stopped(first));
  BOOST_TEST(m.punished(old_peer) == 0u);
  m.run_for(25s); // 30.2 s after the move
  BOOST_TEST(m.stopped(first));
  BOOST_TEST(m.punished(old_peer) == 1u);
  BOOST_TEST(m.nc().overlapping_count() == 0u);
}

BOOST_AUTO_TEST_CASE(a_swarm_without_connections_is_not_kept) {
  mover m{30s};
  component_id first = m.move(0, 1);
  m.move(1, 2);
  BOOST_TEST(m.stopped(first));
  BOOST_TEST(m.nc().overlapping_count() == 0u);
}

BOOST_AUTO_TEST_CASE(two_quick_moves_keep_the_swarm_with_connections_and_drop_the_empty_one) {
  mover m{30s};
  auto [first, old_peer, second] = m.leave_a_swarm_with_a_peer();
  component_id third = m.move(2, 3); // before the second swarm got any peer
  BOOST_TEST(m.stopped(second));
  BOOST_TEST(!m.stopped(first));
  BOOST_TEST(m.nc().overlapping_count() == 1u);
  // The kept swarm now waits for the third: a connection of the third ends the overlap.
  m.connect(third, "10.0.0.3:7000");
  m.run_for(3s);
  BOOST_TEST(m.stopped(first));
  BOOST_TEST(m.punished(old_peer) == 1u);
}

BOOST_AUTO_TEST_CASE(a_move_from_a_swarm_with_connections_replaces_the_kept_one) {
  mover m{30s};
  component_id first = m.move(0, 1);
  m.connect(first, "10.0.0.1:7000");
  component_id second = m.move(1, 2);
  m.connect(second, "10.0.0.2:7000");
  m.move(2, 3); // within id_overlap_confirm: the second has a peer, so it is the one kept
  BOOST_TEST(m.stopped(first));
  BOOST_TEST(!m.stopped(second));
  BOOST_TEST(m.nc().overlapping_count() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()

// A relay writer tells a new ID only to its peers: a swarm it leaves with none there is kept,
// dialing, until a connection of it lasts (the channel's opening tells the newest ID), or for
// id_linger at most. Run 520 of the fragmentation study: 905 readers left behind for good.
BOOST_AUTO_TEST_SUITE(untold_swarms)

BOOST_AUTO_TEST_CASE(a_relay_writer_keeps_a_swarm_it_left_untold_until_a_connection_there_lasts) {
  mover m{0s};
  auto [first, no_peer, second] = m.leave_a_swarm_untold(); // nobody there heard of the second ID
  BOOST_TEST(!m.stopped(first));
  BOOST_TEST(m.nc().untold_count() == 1u);
  component_id peer = m.connect(first, "10.0.0.1:7000");
  m.run_for(1s);
  BOOST_TEST(!m.stopped(first)); // up, but not for id_overlap_confirm yet
  m.run_for(1500ms);
  BOOST_TEST(m.stopped(first));
  BOOST_TEST(m.punished(peer) == 1u); // "swarm left", once told
  BOOST_TEST(!m.stopped(second));
  BOOST_TEST(m.nc().untold_count() == 0u);
}

BOOST_AUTO_TEST_CASE(a_refused_connection_does_not_end_an_untold_swarm_but_a_lasting_one_does) {
  mover m{0s};
  component_id first = m.leave_a_swarm_untold().first;
  component_id refused = m.connect(first, "10.0.0.1:7000");
  m.run_for(200ms);
  m.end(refused);
  m.run_for(5s);
  BOOST_TEST(!m.stopped(first));
  BOOST_TEST(m.nc().untold_count() == 1u);
  m.connect(first, "10.0.0.2:7000");
  m.run_for(3s);
  BOOST_TEST(m.stopped(first));
  BOOST_TEST(m.nc().untold_count() == 0u);
}

BOOST_AUTO_TEST_CASE(a_writer_that_told_someone_and_a_reader_leave_at_once) {
  mover writer{0s};
  writer.join_relay(true);
  auto [first, old_peer, second] = writer.leave_a_swarm_with_a_peer();
  BOOST_TEST(writer.stopped(first));
  BOOST_TEST(writer.punished(old_peer) == 1u);
  BOOST_TEST(writer.nc().untold_count() == 0u);

  mover reader{0s};
  reader.join_relay(false);
  component_id left = reader.move(0, 1);
  reader.move(1, 2); // a reader moves on what a peer told it: it is not the only one to tell
  BOOST_TEST(reader.stopped(left));
  BOOST_TEST(reader.nc().untold_count() == 0u);
}

BOOST_AUTO_TEST_CASE(an_untold_swarm_goes_after_id_linger_and_the_oldest_beyond_the_most_kept) {
  node_core_config config;
  config.id_linger = 60s;
  config.id_lingering_max = 2;
  mover m{0s, config};
  auto [first, no_peer, second] = m.leave_a_swarm_untold();
  component_id third = m.move(2, 3);
  BOOST_TEST(m.nc().untold_count() == 2u);
  BOOST_TEST(!m.stopped(first));
  BOOST_TEST(!m.stopped(second));
  m.move(3, 4); // a third untold swarm: the oldest goes
  BOOST_TEST(m.stopped(first));
  BOOST_TEST(!m.stopped(second));
  BOOST_TEST(!m.stopped(third));
  BOOST_TEST(m.nc().untold_count() == 2u);
  m.run_for(61s);
  BOOST_TEST(m.stopped(second));
  BOOST_TEST(m.stopped(third));
  BOOST_TEST(m.nc().untold_count() == 0u);
}

BOOST_AUTO_TEST_CASE(a_writer_back_at_an_untold_swarm_keeps_it_as_its_own) {
  mover m{0s};
  component_id first = m.leave_a_swarm_untold().first;
  BOOST_TEST(m.nc().untold_count() == 1u);
  // The writer truncated back to the first ID: the kept swarm is the feed's again (no new
  // swarm starts), and the one it leaves is untold in turn.
  m.rt.with(m.feed, [&](component&, context& ctx) {
    ctx.send(m.core, msg::encode(msg::local_message{msg::rotate_swarm{topic(2), topic(1)}}));
  });
  m.rt.run_until(m.rt.now());
  BOOST_TEST(!m.stopped(first));
  BOOST_TEST(m.nc().untold_count() == 1u);
  m.connect(first, "10.0.0.1:7000");
  m.run_for(3s);
  BOOST_TEST(!m.stopped(first)); // the feed's own swarm: a connection does not end it
}

BOOST_AUTO_TEST_SUITE_END()

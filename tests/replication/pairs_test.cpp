// One connection per pair of nodes: two nodes that dialled each other keep the connection the
// lower key dialled, both ends alike, and every swarm of either end that asked for the other
// is served by it. And how the core counts a second connection to a node it is connected to
// already (node_core::duplicate_count, the simulator's mean_duplicates).

#include "dynfeed/replication/node_core.hpp"

#include <boost/test/unit_test.hpp>

#include "dynfeed/replication/swarm.hpp"
#include "support/core_fixture.hpp"

using namespace dynfeed;
using namespace dynfeed::test;
using namespace std::chrono_literals;

namespace {

/// A node core and the components it talks to: peers and swarms are recorders.
struct core_under_test {
  sim::runtime rt{11};
  dial_host host;
  component_id core = no_component;

  explicit core_under_test(node_core_config config = {}) {
    core = rt.spawn(std::make_unique<node_core>(std::move(config), &host));
  }
  /// A core whose own key is `self`.
  static node_core_config keyed(uint8_t self) {
    node_core_config config;
    config.self_key = key(self);
    return config;
  }
  /// `swarm` asks for a connection to `address`.
  void dial(component_id swarm, const std::string& address) {
    rt.with(swarm, [&](component&, context& ctx) {
      ctx.send(core, msg::encode(msg::local_message{msg::dial{address}}));
    });
    rt.run_until_idle();
  }
  void hang_up(component_id swarm, const std::string& address) {
    rt.with(swarm, [&](component&, context& ctx) {
      ctx.send(core, msg::encode(msg::local_message{msg::hang_up{address}}));
    });
    rt.run_until_idle();
  }
  /// An inbound peer's first find_feed, which tells where its node listens.
  void listens(component_id peer, uint16_t port) {
    rt.with(peer, [&](component&, context& ctx) {
      ctx.send(core, msg::encode(msg::local_message{msg::find_feed{hash256{}, port}}));
    });
    rt.run_until_idle();
  }
  node_core& nc() { return static_cast<node_core&>(*rt.find(core)); }
  component_id spawn() { return rt.spawn(std::make_unique<recorder>()); }
  /// A connection came up: its peer component.
  component_id connect(const std::string& address, const node_key& remote, bool outbound) {
    component_id p = spawn();
    rt.with(core, [&](component& c, context& ctx) {
      static_cast<node_core&>(c).connected(ctx, address, p, remote, outbound);
    });
    rt.run_until_idle();
    return p;
  }
  void end(component_id peer) {
    rt.with(core, [&](component& c, context& ctx) { static_cast<node_core&>(c).peer_ended(ctx, peer); });
    rt.run_until_idle();
  }
};

/// Whether `peer` was told to close as one of two connections to a node.
bool closed_as_twin(sim::runtime& rt, component_id peer) {
  for (const auto& p : rec(rt, peer).all<msg::punish>())
    if (p.detail == "duplicate connection")
      return true;
  return false;
}

} // namespace

BOOST_AUTO_TEST_SUITE(connection_pairs)

BOOST_AUTO_TEST_CASE(both_ends_close_the_same_one_of_two_connections) {
  // Nodes 3 and 7 dial each other: one connection dialled by each. Whichever comes up first
  // at either end, both close the one node 7 dialled.
  for (bool dialled_by_3_first_at_3 : {true, false})
    for (bool dialled_by_3_first_at_7 : {true, false}) {
      core_under_test n3(core_under_test::keyed(3)), n7(core_under_test::keyed(7));
      component_id by3_at3 = n3.spawn(), by7_at3 = n3.spawn();
      component_id by3_at7 = n7.spawn(), by7_at7 = n7.spawn();
      auto up = [](core_under_test& n, const std::string& address, component_id peer,
                   const node_key& remote, bool outbound) {
        n.rt.with(n.core, [&](component& c, context& ctx) {
          static_cast<node_core&>(c).connected(ctx, address, peer, remote, outbound);
        });
        n.rt.run_until_idle();
      };
      auto at3 = [&](bool mine) {
        if (mine)
          up(n3, "10.0.0.7:7000", by3_at3, key(7), true);
        else
          up(n3, "10.0.0.7:52000", by7_at3, key(7), false);
      };
      auto at7 = [&](bool mine) {
        if (mine)
          up(n7, "10.0.0.3:7000", by7_at7, key(3), true);
        else
          up(n7, "10.0.0.3:51000", by3_at7, key(3), false);
      };
      at3(dialled_by_3_first_at_3);
      at3(!dialled_by_3_first_at_3);
      at7(!dialled_by_3_first_at_7);
      at7(dialled_by_3_first_at_7);
      BOOST_TEST(!closed_as_twin(n3.rt, by3_at3));
      BOOST_TEST(!closed_as_twin(n7.rt, by3_at7));
      BOOST_TEST(closed_as_twin(n3.rt, by7_at3));
      BOOST_TEST(closed_as_twin(n7.rt, by7_at7));
      BOOST_TEST(n3.nc().peer_count() == 1u);
      BOOST_TEST(n7.nc().peer_count() == 1u);
      BOOST_TEST(n3.nc().duplicate_count() == 0u);
      BOOST_TEST(n7.nc().duplicate_count() == 0u);
    }
}

BOOST_AUTO_TEST_CASE(a_swarm_whose_connection_is_closed_as_a_twin_moves_to_the_one_kept) {
  // Node 5 dialled node 2, which dialled it too: node 2's connection stays (the lower key).
  core_under_test t(core_under_test::keyed(5));
  component_id swarm = t.spawn(), other_swarm = t.spawn();
  t.dial(swarm, "10.0.0.2:7000");
  BOOST_TEST(t.host.dialled == std::vector<std::string>{"10.0.0.2:7000"});
  component_id mine = t.connect("10.0.0.2:7000", key(2), true);
  BOOST_REQUIRE_EQUAL(rec(t.rt, swarm).all<msg::peer_up>().size(), 1u);
  component_id theirs = t.connect("10.0.0.2:53000", key(2), false);
  BOOST_TEST(closed_as_twin(t.rt, mine));
  BOOST_TEST(!closed_as_twin(t.rt, theirs));
  // The swarm hears of the connection kept, under the address it dialled.
  auto ups = rec(t.rt, swarm).all<msg::peer_up>();
  BOOST_REQUIRE_EQUAL(ups.size(), 2u);
  BOOST_TEST(ups[1].peer == theirs);
  BOOST_TEST(ups[1].address == "10.0.0.2:7000");
  // The closed one ending tells nobody: the swarm is served already.
  t.end(mine);
  BOOST_TEST(rec(t.rt, swarm).all<msg::peer_down>().empty());
  // Another swarm asking for that address gets the kept connection, with no dial.
  t.dial(other_swarm, "10.0.0.2:7000");
  BOOST_TEST(t.host.dialled.size() == 1u);
  BOOST_REQUIRE_EQUAL(rec(t.rt, other_swarm).all<msg::peer_up>().size(), 1u);
  BOOST_TEST(rec(t.rt, other_swarm).all<msg::peer_up>()[0].peer == theirs);
  // Hanging up leaves it open (node 2 dialled it); its end reaches the swarm still on it.
  t.hang_up(other_swarm, "10.0.0.2:7000");
  BOOST_TEST(rec(t.rt, theirs).all<msg::punish>().empty());
  t.end(theirs);
  auto downs = rec(t.rt, swarm).all<msg::peer_down>();
  BOOST_REQUIRE_EQUAL(downs.size(), 1u);
  BOOST_TEST(downs[0].address == "10.0.0.2:7000");
  BOOST_TEST(rec(t.rt, other_swarm).all<msg::peer_down>().empty());
}

BOOST_AUTO_TEST_CASE(a_dial_answered_while_the_other_connection_stays_is_served_by_it) {
  // Node 5 is dialled by node 2 first; its own dial comes up second and is closed, and the
  // swarm that dialled is served by node 2's connection.
  core_under_test t(core_under_test::keyed(5));
  component_id swarm = t.spawn();
  component_id theirs = t.connect("10.0.0.2:53000", key(2), false);
  t.dial(swarm, "10.0.0.2:7000"); // node 2's listening port is not known yet: a dial
  BOOST_TEST(t.host.dialled.size() == 1u);
  component_id mine = t.connect("10.0.0.2:7000", key(2), true);
  BOOST_TEST(closed_as_twin(t.rt, mine));
  auto ups = rec(t.rt, swarm).all<msg::peer_up>();
  BOOST_REQUIRE_EQUAL(ups.size(), 1u);
  BOOST_TEST(ups[0].peer == theirs);
  BOOST_TEST(t.nc().peer_count() == 1u);
}

BOOST_AUTO_TEST_CASE(a_node_that_dialled_us_is_not_dialled_back_where_it_listens) {
  core_under_test t(core_under_test::keyed(5));
  component_id swarm = t.spawn();
  component_id theirs = t.connect("10.0.0.9:53000", key(9), false);
  t.listens(theirs, 7000);
  t.dial(swarm, "10.0.0.8:7000"); // another host: dialled
  t.dial(swarm, "10.0.0.9:7001"); // another port: dialled
  t.dial(swarm, "10.0.0.9:7000"); // where node 9 listens: its connection serves
  BOOST_TEST(t.host.dialled == (std::vector<std::string>{"10.0.0.8:7000", "10.0.0.9:7001"}));
  auto ups = rec(t.rt, swarm).all<msg::peer_up>();
  BOOST_REQUIRE_EQUAL(ups.size(), 1u);
  BOOST_TEST(ups[0].peer == theirs);
  BOOST_TEST(ups[0].address == "10.0.0.9:7000");
}

BOOST_AUTO_TEST_CASE(a_full_node_takes_the_connection_that_replaces_its_own) {
  // Full, node 5 still takes node 2's connection in place of the one it dialled to node 2:
  // refusing it would leave the pair with none, as node 2 closes the other.
  node_core_config config = core_under_test::keyed(5);
  config.inbound_max = 1;
  core_under_test t(config);
  t.connect("10.0.0.3:51000", key(3), false); // the one inbound place taken
  component_id swarm = t.spawn();
  t.dial(swarm, "10.0.0.2:7000");
  component_id mine = t.connect("10.0.0.2:7000", key(2), true);
  component_id theirs = t.connect("10.0.0.2:53000", key(2), false);
  BOOST_TEST(closed_as_twin(t.rt, mine));
  BOOST_TEST(rec(t.rt, theirs).all<msg::punish>().empty());
  BOOST_TEST(t.nc().inbound_count() == 2u);
  // A newcomer is refused as before.
  component_id newcomer = t.connect("10.0.0.4:51000", key(4), false);
  auto refused = rec(t.rt, newcomer).all<msg::punish>();
  BOOST_REQUIRE_EQUAL(refused.size(), 1u);
  BOOST_TEST(refused[0].reason == uint16_t(msg::disconnect_reason::too_many_peers));
}

BOOST_AUTO_TEST_CASE(a_second_connection_to_a_node_counts_as_a_duplicate) {
  core_under_test t;
  t.connect("10.0.0.1:7000", key(1), true);
  t.connect("10.0.0.2:7000", key(2), true);
  BOOST_TEST(t.nc().duplicate_count() == 0u);
  // The same node dialled at another of its addresses: two connections to one node.
  component_id again = t.connect("node-one.example:7000", key(1), true);
  BOOST_TEST(t.nc().peer_count() == 3u);
  BOOST_TEST(t.nc().duplicate_count() == 1u);
  t.end(again);
  BOOST_TEST(t.nc().duplicate_count() == 0u);
}

BOOST_AUTO_TEST_CASE(a_swarm_told_of_the_kept_connection_holds_one_peer_for_it) {
  sim::runtime rt{12};
  component_id node = rt.spawn(std::make_unique<recorder>());
  component_id feed = rt.spawn(std::make_unique<recorder>());
  swarm_config sc;
  sc.topic = hash256::from(bytes(32, 4));
  sc.feed = feed;
  sc.node = node;
  sc.addresses = {"10.0.0.2:7000"};
  component_id s = rt.spawn(std::make_unique<swarm>(sc));
  rt.run_until_idle();
  auto tell = [&](auto m) {
    rt.with(node, [&](component&, context& ctx) {
      ctx.send(s, msg::encode(msg::local_message{std::move(m)}));
    });
    rt.run_until_idle();
  };
  auto& sw = static_cast<swarm&>(*rt.find(s));
  tell(msg::peer_up{41, {}, "10.0.0.2:7000", true});
  BOOST_TEST(sw.connected() == 1u);
  // The node kept the other connection to that node: it replaces the first.
  tell(msg::peer_up{42, {}, "10.0.0.2:7000", false});
  BOOST_TEST(sw.connected() == 1u);
  std::vector<uint64_t> offered;
  for (const auto& o : rec(rt, feed).all<msg::offer_peer>())
    offered.push_back(o.peer);
  BOOST_TEST(offered == (std::vector<uint64_t>{41, 42}));
  // Its end is the end of the swarm's connection to that address: redialled.
  tell(msg::peer_down{42, "10.0.0.2:7000", uint16_t(msg::disconnect_reason::normal), {}});
  BOOST_TEST(sw.connected() == 0u);
  rt.run_until(rt.now() + 60s);
  BOOST_TEST(rec(rt, node).all<msg::dial>().size() == 2u);
}

BOOST_AUTO_TEST_SUITE_END()

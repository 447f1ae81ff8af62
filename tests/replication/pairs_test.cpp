// Connections per pair of nodes: how the node core counts a second connection to a node it is
// connected to already (node_core::duplicate_count, the simulator's mean_duplicates).

#include "dynfeed/replication/node_core.hpp"

#include <boost/test/unit_test.hpp>

#include "support/core_fixture.hpp"

using namespace dynfeed;
using namespace dynfeed::test;

namespace {

/// A node core and the components it talks to: peers and swarms are recorders.
struct core_under_test {
  sim::runtime rt{11};
  dial_host host;
  component_id core = no_component;

  explicit core_under_test(node_core_config config = {}) {
    core = rt.spawn(std::make_unique<node_core>(std::move(config), &host));
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

} // namespace

BOOST_AUTO_TEST_SUITE(connection_pairs)

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

BOOST_AUTO_TEST_CASE(two_nodes_that_dialled_each_other_hold_two_connections) {
  // What the count is for: node 2 dialled us, and a swarm of ours dialled it as well.
  core_under_test t;
  component_id theirs = t.connect("10.0.0.2:53000", key(2), false);
  component_id ours = t.connect("10.0.0.2:7000", key(2), true);
  BOOST_TEST(t.nc().peer_count() == 2u);
  BOOST_TEST(t.nc().inbound_count() == 1u);
  BOOST_TEST(t.nc().duplicate_count() == 1u);
  // Neither is closed for it: each end keeps the connection it dialled.
  BOOST_TEST(rec(t.rt, theirs).all<msg::punish>().empty());
  BOOST_TEST(rec(t.rt, ours).all<msg::punish>().empty());
  t.end(theirs);
  BOOST_TEST(t.nc().duplicate_count() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()

// Refusals that refer the dialler elsewhere, in whole simulated runs.

#include "dynfeed/sim/runtime.hpp"
#include "dynfeed/sim/simulation.hpp"

#include <boost/test/unit_test.hpp>

using namespace dynfeed;
using namespace dynfeed::sim;
using namespace std::chrono_literals;

namespace {

/// Readers that know only the writer's address (no discovery), which takes 3 inbound
/// connections: every reader past those 3 can only find a peer through a referral.
scenario star_of_full_nodes(uint64_t seed) {
  scenario s;
  s.name = "referrals";
  s.seed = seed;
  s.readers = 40;
  s.mode = feed_mode::stable;
  s.discovery = discovery_backend::none;
  s.inbound_max = 3;
  s.peers_wanted = 2;
  s.duration = 240s;
  s.join_to = 20s;
  s.first_append = 30s;
  s.append_interval = 20s;
  s.settle = 60s;
  s.initial_blocks = 4;
  s.block_size = 256;
  s.population.nat_share = 0.25; // they dial out, but are never referred
  return s;
}

} // namespace

BOOST_AUTO_TEST_SUITE(sim_referrals)

BOOST_AUTO_TEST_CASE(readers_beyond_the_full_writer_reach_peers_by_referral) {
  scenario s = star_of_full_nodes(3);
  runtime drv(s.seed, s.network);
  simulation sim(s, drv);
  sim.run();
  BOOST_TEST(!sim.violation().has_value());
  size_t connected = 0;
  size_t caught_up = 0;
  uint64_t length = sim.writer().data()->length();
  for (const sim_node* r : sim.readers()) {
    connected += r->connected_peers() > 0 ? 1 : 0;
    caught_up += r->data() && r->data()->length() == length ? 1 : 0;
  }
  // The writer alone could have served inbound_max of them; the rest were referred.
  BOOST_TEST(connected > s.inbound_max);
  BOOST_TEST(connected == sim.readers().size());
  BOOST_TEST(caught_up == sim.readers().size());
  BOOST_TEST(sim.discover_delays().size() >= sim.readers().size());
}

BOOST_AUTO_TEST_CASE(a_run_with_referrals_replays_bit_for_bit) {
  auto digest = [](uint64_t seed) {
    scenario s = star_of_full_nodes(seed);
    s.duration = 90s;
    runtime drv(s.seed, s.network);
    simulation sim(s, drv);
    sim.run();
    return sim.digest();
  };
  BOOST_TEST(digest(4) == digest(4));
}

BOOST_AUTO_TEST_SUITE_END()

// The network model: latency from regions, bandwidth queues, loss, duplication, reordering,
// stream order and partitions.

#include "dynfeed/sim/network.hpp"

#include <boost/test/unit_test.hpp>

using namespace dynfeed;
using namespace dynfeed::sim;
using namespace std::chrono_literals;

namespace {

network_config two_regions() {
  network_config c;
  c.regions = {"near", "far"};
  c.latency_ms = {{10, 80}, {80, 5}};
  c.jitter = 0;
  return c;
}

} // namespace

BOOST_AUTO_TEST_SUITE(network_model)

BOOST_AUTO_TEST_CASE(latency_comes_from_the_region_matrix) {
  network net(two_regions());
  host_id a = net.add_host({1, 0, 0, 0});
  host_id b = net.add_host({2, 1, 0, 0});
  host_id c = net.add_host({3, 1, 0, 0});
  BOOST_TEST(net.latency(a, b).count() == clock_time{80ms}.count());
  BOOST_TEST(net.latency(b, c).count() == clock_time{5ms}.count());
  rng random(1);
  auto fate = net.datagram(a, b, 100, clock_time{1s}, random);
  BOOST_REQUIRE(fate.count == 1);
  BOOST_TEST(fate.at[0].count() == clock_time{1s + 80ms}.count());
}

BOOST_AUTO_TEST_CASE(jitter_stays_within_its_fraction) {
  network_config c;
  c.default_latency = 100ms;
  c.jitter = 0.2;
  network net(c);
  host_id a = net.add_host({1, 0, 0, 0});
  host_id b = net.add_host({2, 0, 0, 0});
  rng random(7);
  clock_time low = clock_time::max(), high{0};
  for (int i = 0; i < 2000; ++i) {
    auto fate = net.datagram(a, b, 10, clock_time{0}, random);
    BOOST_REQUIRE(fate.count == 1);
    low = std::min(low, fate.at[0]);
    high = std::max(high, fate.at[0]);
  }
  BOOST_TEST(low.count() >= clock_time{80ms}.count());
  BOOST_TEST(high.count() <= clock_time{120ms}.count());
  BOOST_TEST((high - low).count() > clock_time{30ms}.count()); // it does vary
}

BOOST_AUTO_TEST_CASE(uploads_queue_behind_each_other) {
  network_config c = two_regions();
  c.up_bytes_per_s = 1000; // 1 kB/s: a 500-byte transfer takes 0.5 s to leave
  network net(c);
  host_id a = net.add_host({1, 0, 0, 0});
  host_id b = net.add_host({2, 0, 0, 0});
  rng random(1);
  auto first = net.stream(a, b, 500, clock_time{0}, clock_time{0}, random);
  auto second = net.stream(a, b, 500, clock_time{0}, *first, random);
  BOOST_REQUIRE(first && second);
  BOOST_TEST(first->count() == clock_time{500ms + 10ms}.count());
  BOOST_TEST(second->count() == clock_time{1000ms + 10ms}.count());
  BOOST_TEST(net.bytes_sent(a) == 1000u);
  net.reset_queues(a); // a crash empties the queue
  auto third = net.stream(a, b, 500, clock_time{0}, clock_time{0}, random);
  BOOST_TEST(third->count() == clock_time{500ms + 10ms}.count());
}

BOOST_AUTO_TEST_CASE(downloads_queue_at_the_receiver) {
  network_config c = two_regions();
  c.down_bytes_per_s = 2000;
  network net(c);
  host_id a = net.add_host({1, 0, 0, 0});
  host_id b = net.add_host({2, 0, 0, 0});
  host_id r = net.add_host({3, 0, 0, 0});
  rng random(1);
  auto one = net.datagram(a, r, 1000, clock_time{0}, random);
  auto two = net.datagram(b, r, 1000, clock_time{0}, random);
  BOOST_TEST(one.at[0].count() == clock_time{10ms + 500ms}.count());
  BOOST_TEST(two.at[0].count() == clock_time{10ms + 1000ms}.count());
}

BOOST_AUTO_TEST_CASE(datagrams_are_lost_duplicated_and_reordered_at_their_rates) {
  network_config c;
  c.jitter = 0;
  c.loss = 0.25;
  c.duplicate = 0.1;
  c.reorder = 0.2;
  c.reorder_delay = 50ms;
  network net(c);
  host_id a = net.add_host({1, 0, 0, 0});
  host_id b = net.add_host({2, 0, 0, 0});
  rng random(3);
  int lost = 0, doubled = 0, late = 0;
  const int n = 20000;
  for (int i = 0; i < n; ++i) {
    auto fate = net.datagram(a, b, 10, clock_time{0}, random);
    lost += fate.count == 0;
    doubled += fate.count == 2;
    for (uint8_t k = 0; k < fate.count; ++k) {
      BOOST_REQUIRE(fate.at[k] >= clock_time{20ms});
      BOOST_REQUIRE(fate.at[k] <= clock_time{70ms});
      late += fate.at[k] > clock_time{20ms};
    }
  }
  BOOST_TEST(std::abs(lost / double(n) - 0.25) < 0.02);
  BOOST_TEST(std::abs(doubled / double(n) - 0.75 * 0.1) < 0.02);
  BOOST_TEST(late > n / 10);
}

BOOST_AUTO_TEST_CASE(streams_deliver_in_order_and_lost_packets_delay_what_follows) {
  network_config c;
  c.jitter = 0.5;
  c.stream_loss = 0.3;
  c.stream_loss_delay = 200ms;
  network net(c);
  host_id a = net.add_host({1, 0, 0, 0});
  host_id b = net.add_host({2, 0, 0, 0});
  rng random(5);
  clock_time last{0};
  int delayed = 0;
  for (int i = 0; i < 1000; ++i) {
    clock_time now = clock_time{std::chrono::milliseconds{i}};
    auto at = net.stream(a, b, 10, now, last, random);
    BOOST_REQUIRE(at);
    BOOST_REQUIRE(*at >= last);
    delayed += *at - now >= clock_time{200ms};
    last = *at;
  }
  BOOST_TEST(delayed > 100);
}

BOOST_AUTO_TEST_CASE(partitions_cut_both_kinds_of_transfer_until_they_heal) {
  network net(two_regions());
  host_id a = net.add_host({1, 0, 0, 0});
  host_id b = net.add_host({2, 0, 0, 0});
  host_id c = net.add_host({3, 0, 0, 0});
  rng random(1);
  net.set_group(b, 1);
  BOOST_TEST(net.partitioned());
  BOOST_TEST(!net.reachable(a, b));
  BOOST_TEST(net.reachable(a, c));
  BOOST_TEST(net.datagram(a, b, 10, clock_time{0}, random).count == 0);
  BOOST_TEST(!net.stream(b, a, 10, clock_time{0}, clock_time{0}, random).has_value());
  net.heal();
  BOOST_TEST(!net.partitioned());
  BOOST_TEST(net.reachable(a, b));
  BOOST_TEST(net.datagram(a, b, 10, clock_time{0}, random).count == 1);
}

BOOST_AUTO_TEST_SUITE_END()

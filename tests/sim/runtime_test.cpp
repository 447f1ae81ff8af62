// The plain driver: links and datagrams over the network model, crashes, partitions, and the
// trace digest; and how a component starts, stops and ends on either driver.

#include "dynfeed/sim/runtime.hpp"

#include "dynfeed/crypto/crypto.hpp"
#include "dynfeed/sim/caf_driver.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

using namespace dynfeed;
using namespace dynfeed::sim;
using namespace std::chrono_literals;

namespace {

using event_log = std::vector<std::string>;

std::string at(const context& ctx) {
  return std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(ctx.now()).count());
}

/// Bounces a counter back and forth over its link until it reaches `last`.
class bouncer final : public connected_component {
public:
  bouncer(connection& c, event_log& log, std::string name, uint8_t last)
    : conn_(c), log_(log), name_(std::move(name)), last_(last) {}
  void on_start(context&) override {
    if (conn_.initiator())
      conn_.transmit(bytes{0});
  }
  void on_remote(context& ctx, byte_span frame) override {
    log_.push_back(name_ + " got " + std::to_string(frame[0]) + " at " + at(ctx));
    if (frame[0] < last_)
      conn_.transmit(bytes{static_cast<uint8_t>(frame[0] + 1)});
  }
  void on_disconnect(context& ctx, msg::disconnect_reason why) override {
    log_.push_back(name_ + " disconnected (" + msg::to_string(why) + ") at " + at(ctx));
    gone_ = true;
  }
  void on_message(context&, component_id, byte_span) override {}
  bool alive() const override { return !gone_; }

private:
  connection& conn_;
  event_log& log_;
  std::string name_;
  uint8_t last_;
  bool gone_ = false;
};

/// Logs each datagram with its sender, and answers a 0 with a 1.
class answerer final : public datagram_component {
public:
  answerer(datagram_socket& s, event_log& log) : socket_(s), log_(log) {}
  void on_datagram(context& ctx, const endpoint& from, byte_span data) override {
    log_.push_back(socket_.local().to_string() + " got " + std::to_string(data[0]) + " from " +
                   from.to_string() + " at " + at(ctx));
    if (data[0] == 0)
      socket_.send_to(from, bytes{1});
  }
  void on_message(context&, component_id, byte_span) override {}
  datagram_socket& socket() { return socket_; }

private:
  datagram_socket& socket_;
  event_log& log_;
};

node_key id_of(uint8_t n) {
  node_key id;
  id.bytes[0] = n;
  return id;
}

struct two_hosts {
  explicit two_hosts(uint64_t seed, network_config c = {}) : rt(seed, c) {
    a = rt.add_host({0x0a000001, 0, 0, 0});
    b = rt.add_host({0x0a000002, 0, 0, 0});
  }
  std::pair<component_id, component_id> link(uint8_t last) {
    return rt.connect(
      a, b, id_of(1), id_of(2),
      [&](connection& c) { return std::make_unique<bouncer>(c, log, "a", last); },
      [&](connection& c) { return std::make_unique<bouncer>(c, log, "b", last); });
  }
  runtime rt;
  host_id a = 0, b = 0;
  event_log log;
};

network_config jittery() {
  network_config c;
  c.jitter = 0.5;
  c.stream_loss = 0.1;
  return c;
}

} // namespace

BOOST_AUTO_TEST_SUITE(plain_runtime)

BOOST_AUTO_TEST_CASE(frames_take_the_network_latency_and_keep_their_order) {
  network_config c;
  c.jitter = 0;
  c.default_latency = 20ms;
  two_hosts w(1, c);
  w.link(3);
  w.rt.run_until(1s);
  BOOST_TEST(w.log == (event_log{"b got 0 at 20000", "a got 1 at 40000", "b got 2 at 60000",
                                 "a got 3 at 80000"}),
             boost::test_tools::per_element());
  BOOST_TEST(w.rt.stats().link_frames == 4u);
}

BOOST_AUTO_TEST_CASE(a_seed_replays_exactly_and_another_seed_differs) {
  auto trace = [](uint64_t seed) {
    two_hosts w(seed, jittery());
    w.link(50);
    w.rt.run_until(60s);
    return std::make_pair(w.rt.digest(), w.log);
  };
  auto one = trace(11), again = trace(11), other = trace(12);
  BOOST_TEST(one.first == again.first);
  BOOST_TEST(one.second == again.second, boost::test_tools::per_element());
  BOOST_TEST(one.first != other.first);
  BOOST_TEST(one.second != other.second, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(datagrams_reach_bound_sockets_with_their_sender_address) {
  network_config c;
  c.jitter = 0;
  c.default_latency = 15ms;
  two_hosts w(1, c);
  component_id sa = w.rt.open_datagram(w.a, 6881, [&](datagram_socket& s) {
    return std::make_unique<answerer>(s, w.log);
  });
  w.rt.open_datagram(w.b, 6881, [&](datagram_socket& s) {
    return std::make_unique<answerer>(s, w.log);
  });
  w.rt.run_until(1ms);
  w.rt.with(sa, [](component& comp, context&) {
    auto& s = static_cast<answerer&>(comp).socket();
    s.send_to(endpoint{0x0a000002, 6881}, bytes{0});
    s.send_to(endpoint{0x0a000002, 9999}, bytes{0}); // nobody listens there
  });
  w.rt.run_until(1s);
  BOOST_TEST(w.log == (event_log{"10.0.0.2:6881 got 0 from 10.0.0.1:6881 at 16000",
                                 "10.0.0.1:6881 got 1 from 10.0.0.2:6881 at 31000"}),
             boost::test_tools::per_element());
  BOOST_TEST(w.rt.stats().datagrams == 2u);
  BOOST_TEST(w.rt.stats().datagrams_lost == 1u);
}

BOOST_AUTO_TEST_CASE(a_crash_breaks_links_silences_the_host_and_a_restart_revives_it) {
  network_config c;
  c.jitter = 0;
  c.default_latency = 10ms;
  two_hosts w(1, c);
  auto [pa, pb] = w.link(255);
  component_id sb = w.rt.open_datagram(w.b, 6881, [&](datagram_socket& s) {
    return std::make_unique<answerer>(s, w.log);
  });
  w.rt.run_until(1s);
  w.log.clear();
  w.rt.crash(w.b);
  BOOST_TEST(!w.rt.alive(w.b));
  BOOST_TEST(w.rt.find(pb) == nullptr);
  BOOST_TEST(w.rt.find(sb) == nullptr);
  w.rt.run_until(2s);
  // a learns of it one latency later; b, crashed, says nothing.
  BOOST_TEST(w.log == (event_log{"a disconnected (transport error) at 1010000"}),
             boost::test_tools::per_element());
  BOOST_TEST(w.rt.find(pa) == nullptr); // a's peer ended with its link
  BOOST_TEST(w.rt.stats().links_broken == 1u);

  w.rt.restart(w.b);
  BOOST_TEST(w.rt.alive(w.b));
  w.log.clear();
  w.link(1);
  w.rt.run_until(3s);
  BOOST_TEST(w.log.size() == 2u);
}

BOOST_AUTO_TEST_CASE(a_partition_breaks_links_and_drops_datagrams_until_it_heals) {
  network_config c;
  c.jitter = 0;
  c.default_latency = 10ms;
  two_hosts w(1, c);
  w.link(255);
  component_id sa = w.rt.open_datagram(w.a, 6881, [&](datagram_socket& s) {
    return std::make_unique<answerer>(s, w.log);
  });
  w.rt.open_datagram(w.b, 6881, [&](datagram_socket& s) {
    return std::make_unique<answerer>(s, w.log);
  });
  w.rt.run_until(1s);
  w.rt.net().set_group(w.b, 1);
  w.rt.run_until(2s);
  BOOST_TEST(w.rt.stats().links_broken == 1u);
  size_t disconnects = 0;
  for (const std::string& line : w.log)
    disconnects += line.find("disconnected") != std::string::npos;
  BOOST_TEST(disconnects == 2u); // both ends
  auto send = [&] {
    w.rt.with(sa, [](component& comp, context&) {
      static_cast<answerer&>(comp).socket().send_to(endpoint{0x0a000002, 6881}, bytes{7});
    });
  };
  send();
  w.rt.run_until(3s);
  BOOST_TEST(w.rt.stats().datagrams_lost == 1u);
  w.rt.net().heal();
  send();
  w.rt.run_until(4s);
  BOOST_TEST(w.log.back() == "10.0.0.2:6881 got 7 from 10.0.0.1:6881 at 3010000");
}

BOOST_AUTO_TEST_CASE(actions_run_at_their_time_in_the_order_given) {
  runtime rt(1);
  std::vector<std::string> order;
  rt.at(2s, [&] { order.push_back("2s first"); });
  rt.at(1s, [&] { order.push_back("1s"); });
  rt.at(2s, [&] { order.push_back("2s second"); });
  rt.at(5s, [&] { order.push_back("5s"); });
  rt.run_until(3s);
  BOOST_TEST(order == (std::vector<std::string>{"1s", "2s first", "2s second"}),
             boost::test_tools::per_element());
  BOOST_TEST(rt.now().count() == clock_time{3s}.count());
}

BOOST_AUTO_TEST_SUITE_END()

namespace {

/// Logs what happens to it: start, its timer, frames (one to itself per timer), stop.
class recorder final : public component {
public:
  recorder(event_log& log, std::string name) : log_(log), name_(std::move(name)) {}
  void on_start(context& ctx) override {
    log_.push_back(name_ + " start at " + at(ctx));
    ctx.start_timer(10ms, 7);
  }
  void on_timer(context& ctx, uint64_t tag) override {
    log_.push_back(name_ + " timer " + std::to_string(tag) + " at " + at(ctx));
    ctx.send(ctx.self(), bytes{2});
    ctx.start_timer(10ms, tag + 1);
  }
  void on_message(context& ctx, component_id, byte_span frame) override {
    log_.push_back(name_ + " frame " + std::to_string(frame[0]) + " at " + at(ctx));
  }
  void on_stop(context& ctx) override { log_.push_back(name_ + " stop at " + at(ctx)); }

private:
  event_log& log_;
  std::string name_;
};

/// Starts two recorders on two hosts, stops one (a frame after the stop is never handled),
/// crashes the other's host (no on_stop): the log and the digest.
std::pair<event_log, uint64_t> stop_and_crash(runtime& rt) {
  event_log log;
  host_id h1 = rt.add_host({0x0a000001, 0, 0, 0});
  host_id h2 = rt.add_host({0x0a000002, 0, 0, 0});
  component_id one = rt.spawn(std::make_unique<recorder>(log, "one"), h1);
  component_id two = rt.spawn(std::make_unique<recorder>(log, "two"), h2);
  rt.run_until(15ms);
  rt.post_frame(one, bytes{1});
  rt.stop(one);
  rt.post_frame(one, bytes{3}); // behind the stop: dropped
  rt.run_until(25ms);
  BOOST_TEST(rt.find(one) == nullptr);
  rt.crash(h2);
  BOOST_TEST(rt.find(two) == nullptr);
  rt.run_until(100ms);
  return {log, rt.digest()};
}

} // namespace

BOOST_AUTO_TEST_CASE(components_start_stop_and_end_alike_on_both_drivers) {
  runtime plain(3);
  auto on_plain = stop_and_crash(plain);
  // A component drains its mailbox before the next runs: one's frame to itself comes first.
  event_log expected{"one start at 0",       "two start at 0",       "one timer 7 at 10000",
                     "one frame 2 at 10000", "two timer 7 at 10000", "two frame 2 at 10000",
                     "one frame 1 at 15000", "one stop at 15000",    "two timer 8 at 20000",
                     "two frame 2 at 20000"};
  BOOST_TEST(on_plain.first == expected, boost::test_tools::per_element());
  auto caf = make_caf_runtime(3);
  auto on_caf = stop_and_crash(*caf);
  BOOST_TEST(on_caf.first == expected, boost::test_tools::per_element());
  BOOST_TEST(on_caf.second == on_plain.second);
  BOOST_TEST(caf->stats().messages == plain.stats().messages);
  BOOST_TEST(caf->stats().timers == plain.stats().timers);
}

namespace {

/// Records what its end of the link says of the link, whenever asked.
class link_reader final : public connected_component {
public:
  explicit link_reader(connection& c) : conn_(c) {}
  void on_remote(context&, byte_span) override {}
  void on_disconnect(context&, msg::disconnect_reason) override { gone_ = true; }
  void on_message(context&, component_id, byte_span) override {}
  bool alive() const override { return !gone_; }
  const connection& conn() const { return conn_; }

private:
  connection& conn_;
  bool gone_ = false;
};

} // namespace

BOOST_AUTO_TEST_CASE(the_ends_of_a_link_know_each_other_and_share_one_handshake_hash) {
  two_hosts w(1);
  link_reader* ra = nullptr;
  link_reader* rb = nullptr;
  auto [ia, ib] = w.rt.connect(
    w.a, w.b, id_of(1), id_of(2),
    [&](connection& c) { return std::unique_ptr<connected_component>(ra = new link_reader(c)); },
    [&](connection& c) { return std::unique_ptr<connected_component>(rb = new link_reader(c)); });
  auto [ic, id] = w.link(0); // a second link between the same hosts: a hash of its own ends
  (void)ic;
  (void)id;
  BOOST_TEST((ra->conn().remote() == id_of(2)));
  BOOST_TEST((rb->conn().remote() == id_of(1)));
  BOOST_TEST(ra->conn().initiator());
  BOOST_TEST(!rb->conn().initiator());
  hash256 expected = crypto::blake2b_256({id_of(1).span(), id_of(2).span()});
  BOOST_TEST((hash256::from(ra->conn().handshake_hash()) == expected));
  BOOST_TEST((hash256::from(rb->conn().handshake_hash()) == expected));
  // One end goes; the other still reads the link until it hears of it and goes too.
  w.rt.stop(ia);
  w.rt.run_until(1us); // the stop is handled at once; the close reaches b a latency later
  BOOST_TEST(w.rt.find(ia) == nullptr);
  BOOST_TEST_REQUIRE(w.rt.find(ib) != nullptr);
  BOOST_TEST((rb->conn().remote() == id_of(1)));
  BOOST_TEST((hash256::from(rb->conn().handshake_hash()) == expected));
  w.rt.run_until(1s);
  BOOST_TEST(w.rt.find(ib) == nullptr);
}

BOOST_AUTO_TEST_CASE(every_link_has_the_handshake_hash_of_its_own_two_identities) {
  // More links than the runtime keeps hashes for, asked in a random order: each end reads the
  // hash bound to its link's identities, the opener's first, whatever was asked before.
  runtime rt(1);
  std::vector<link_reader*> ends;
  std::vector<std::pair<node_key, node_key>> keys;
  auto key = [](uint32_t n) {
    node_key k;
    std::memcpy(k.bytes.data(), &n, sizeof n);
    return k;
  };
  for (uint32_t i = 0; i < 3000; ++i) {
    node_key a = key(i % 700);
    node_key b = key(1000 + i % 1300);
    for (int side = 0; side < 2; ++side)
      keys.push_back(side == 0 ? std::pair{a, b} : std::pair{b, a});
    rt.connect(
      a, b, 1ms,
      [&](connection& c) { return std::unique_ptr<connected_component>(ends.emplace_back(new link_reader(c))); },
      [&](connection& c) { return std::unique_ptr<connected_component>(ends.emplace_back(new link_reader(c))); });
  }
  rng random(3);
  for (int n = 0; n < 20000; ++n) {
    size_t i = random.below(ends.size());
    const connection& c = ends[i]->conn();
    BOOST_TEST_REQUIRE((c.remote() == keys[i].second));
    const node_key& opener = c.initiator() ? keys[i].first : keys[i].second;
    const node_key& other = c.initiator() ? keys[i].second : keys[i].first;
    hash256 expected = crypto::blake2b_256({opener.span(), other.span()});
    BOOST_TEST_REQUIRE((hash256::from(c.handshake_hash()) == expected));
  }
}

BOOST_AUTO_TEST_CASE(links_between_hostless_components_keep_their_own_latency) {
  // Each link's latency is its own, kept until both its ends are gone, even as links come and
  // go around it; the identities of links that reuse a key read back as given.
  runtime rt(1);
  event_log log;
  auto bounce = [&](const char* name, uint8_t last) {
    return [&log, name, last](connection& c) { return std::make_unique<bouncer>(c, log, name, last); };
  };
  auto [s1, s2] = rt.connect(id_of(1), id_of(2), 7ms, bounce("slow a", 2), bounce("slow b", 2));
  auto [f1, f2] = rt.connect(id_of(1), id_of(3), 1ms, bounce("fast a", 0), bounce("fast b", 0));
  (void)s1, (void)s2, (void)f1, (void)f2;
  rt.run_until(2ms); // the fast link's frame is in
  rt.stop(f1);
  rt.run_until(5ms); // and both its ends have gone
  BOOST_TEST(rt.component_count() == 2u);
  auto [g1, g2] = rt.connect(id_of(3), id_of(1), 3ms, bounce("late a", 0), bounce("late b", 0));
  (void)g1, (void)g2;
  rt.run_until(1s);
  event_log expected{"fast b got 0 at 1000", "fast b disconnected (normal) at 3000",
                     "late b got 0 at 8000", "slow b got 0 at 7000",
                     "slow a got 1 at 14000", "slow b got 2 at 21000"};
  std::sort(log.begin(), log.end());
  std::sort(expected.begin(), expected.end());
  BOOST_TEST(log == expected, boost::test_tools::per_element());
}


namespace {

/// Starts a timer at 5 s and one at 6 s, and cancels the first at once; logs what fires.
class sleeper final : public component {
public:
  explicit sleeper(event_log& log) : log_(log) {}
  void on_start(context& ctx) override {
    timer_id first = ctx.start_timer(5s, 1);
    ctx.start_timer(6s, 2);
    ctx.cancel_timer(first);
  }
  void on_timer(context& ctx, uint64_t tag) override {
    log_.push_back("timer " + std::to_string(tag) + " at " + at(ctx));
  }
  void on_message(context&, component_id, byte_span) override {}

private:
  event_log& log_;
};

} // namespace

BOOST_AUTO_TEST_CASE(timers_no_longer_wanted_leave_the_timed_queue_at_once) {
  // A cancelled timer, and the timers of a removed component, take no room until they would
  // have been due: the queue is empty as soon as nothing wanted is left, on both drivers.
  std::vector<std::unique_ptr<runtime>> drivers;
  drivers.push_back(std::make_unique<runtime>(1));
  drivers.push_back(make_caf_runtime(1));
  for (auto& rt : drivers) {
    event_log kept;
    rt->spawn(std::make_unique<sleeper>(kept));
    rt->run_until(1s);
    BOOST_TEST(rt->step()); // the 6 s timer, the only entry left
    BOOST_TEST(rt->now().count() == clock_time{6s}.count());
    BOOST_TEST(kept == event_log{"timer 2 at 6000000"}, boost::test_tools::per_element());
    BOOST_TEST(!rt->step());

    // run_until looks at the next entry, which brings the calendar to its bucket, and an entry
    // in the bucket being run stays until due: an action at 7.5 s keeps the calendar there.
    event_log stopped;
    component_id id = rt->spawn(std::make_unique<sleeper>(stopped));
    bool acted = false;
    rt->at(7500ms, [&] { acted = true; });
    rt->run_until(7s);
    rt->stop(id);
    rt->run_until(8s);
    BOOST_TEST(rt->find(id) == nullptr);
    BOOST_TEST(acted);
    BOOST_TEST(!rt->step());
    BOOST_TEST(rt->now().count() == clock_time{8s}.count());
    BOOST_TEST(stopped.empty());
  }
}

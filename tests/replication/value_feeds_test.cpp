#include "dynfeed/replication/value_feeds.hpp"

#include <boost/test/unit_test.hpp>

#include "dynfeed/replication/node_core.hpp"
#include "dynfeed/sim/ideal_discovery.hpp"
#include "dynfeed/sim/runtime.hpp"
#include "dynfeed/sim/sim_node.hpp"
#include "dynfeed/storage/memory_store.hpp"
#include "support/print.hpp"
#include "support/values.hpp"

using namespace dynfeed;
using namespace std::chrono_literals;

namespace {

// ---- the policy alone: a core whose host records what it is asked -----------------------------

/// Records every swarm and publisher the core starts, and every rule replacement.
struct recording_host final : node_host {
  struct swarm_started {
    hash256 topic;
    component_id owner = no_component;
    std::vector<std::string> addresses;
    component_id discovery = no_component;
    size_t outbound_wanted = 0;
  };
  std::vector<swarm_started> swarms;
  std::vector<component_id> stopped;
  std::vector<publisher_start> publishers;
  std::vector<component_id> replaced; ///< publishers told to take new rules
  component_id next = 1000;

  component_id start_swarm(context&, const swarm_config& config) override {
    swarms.push_back(
      {config.topic, config.feed, config.addresses, config.discovery, config.outbound_wanted});
    return next++;
  }
  component_id start_publisher(context&, const publisher_start& start) override {
    publishers.push_back(start);
    return next++;
  }
  void set_publisher_rules(context&, component_id publisher, const publisher_start&) override {
    replaced.push_back(publisher);
  }
  void stop(context&, component_id id) override { stopped.push_back(id); }
  void dial(context&, const std::string&) override {}
};

/// A node core on the plain driver with a recording host.
struct core_fixture {
  sim::runtime rt{11};
  recording_host host;
  component_id core;

  explicit core_fixture(node_core_config config = {})
    : core(rt.spawn(std::make_unique<node_core>(std::move(config), &host))) {}

  template <class F>
  auto with_core(F&& f) {
    std::optional<decltype(f(std::declval<node_core&>(), std::declval<context&>()))> out;
    rt.with(core, [&](component& c, context& ctx) { out = f(static_cast<node_core&>(c), ctx); });
    return std::move(*out);
  }
  expected<value_feed_entry> start(const value_feed_def& def, bool replace = false) {
    return with_core([&](node_core& c, context& ctx) {
      publisher_start s;
      s.def = def;
      return c.values().start(ctx, std::move(s), replace);
    });
  }
  expected<value_keys_opened> open(const keypair& keys, value_store& store) {
    return with_core([&](node_core& c, context& ctx) { return c.values().open_keys(ctx, keys, store); });
  }
  bool join(component_id publisher, std::vector<std::string> addresses) {
    return with_core([&](node_core& c, context& ctx) {
      return c.values().join(ctx, publisher, std::move(addresses));
    });
  }
  void discover(component_id discovery) {
    with_core([&](node_core& c, context& ctx) {
      c.set_discovery(ctx, discovery);
      return true;
    });
  }
  size_t swarms_of(const hash256& topic) const {
    return static_cast<size_t>(std::count_if(host.swarms.begin(), host.swarms.end(),
                                             [&](const auto& s) { return s.topic == topic; }));
  }
};

/// Stores `value` as seq `seq` of `def` in `store`, signed with `sk`, as `dynfeed value put`
/// would in a value directory.
void store_value(value_store& store, const value_feed_def& def, uint64_t seq, std::string_view value,
                 const secret_key& sk) {
  auto held = load_value_state(store, def);
  BOOST_REQUIRE(held.has_value());
  auto decision = offer_value(store, def, *held, make_signed_value(def, seq, test::text(value), sk));
  BOOST_REQUIRE(decision.has_value());
  BOOST_REQUIRE(!decision->err);
}

} // namespace

BOOST_AUTO_TEST_SUITE(value_feed_policy)

BOOST_AUTO_TEST_CASE(a_second_request_for_a_feed_id_gets_the_running_publisher) {
  core_fixture f;
  value_feed_def def = single_key_feed(test::key_number(1).pk, test::text("news"));
  auto first = f.start(def);
  auto second = f.start(def);
  BOOST_REQUIRE(first && second);
  BOOST_TEST(second->publisher == first->publisher);
  BOOST_TEST(f.host.publishers.size() == 1u);
  BOOST_TEST(f.host.replaced.empty());
  // Asked to replace the rules, the host hands them to that publisher; none starts.
  auto third = f.start(def, true);
  BOOST_REQUIRE(third.has_value());
  BOOST_TEST(third->publisher == first->publisher);
  BOOST_TEST(f.host.publishers.size() == 1u);
  BOOST_TEST(f.host.replaced == std::vector<component_id>{first->publisher});
  // Another salt is another feed.
  auto other = f.start(single_key_feed(test::key_number(1).pk, test::text("sport")));
  BOOST_REQUIRE(other.has_value());
  BOOST_TEST(other->publisher != first->publisher);
  BOOST_TEST(f.with_core([](node_core& c, context&) { return c.values().count(); }) == 2u);
}

/// A core told to keep `value_outbound_wanted` peers in value swarms, reading a rotating feed
/// (whose IDs come through its value swarm) and a stable feed, and moved into an ID swarm as
/// its feed service would ask: the swarms it started, by topic.
std::map<hash256, recording_host::swarm_started> swarms_of_a_reader(size_t value_outbound_wanted) {
  node_core_config config;
  config.value_outbound_wanted = value_outbound_wanted;
  core_fixture f{config};
  constexpr component_id rotating_feed = 500, stable_feed = 501; // stand-ins: never run
  f.with_core([&](node_core& nc, context& ctx) {
    nc.join_feed(ctx, rotating_feed, test::key_number(1).pk, std::nullopt, {}, feed_mode::rotating,
                 id_channels{});
    nc.join_feed(ctx, stable_feed, test::key_number(2).pk, std::nullopt, {}, feed_mode::stable);
    nc.join_swarm(ctx, crypto::discovery_key(test::key_number(3).pk), rotating_feed);
    return true;
  });
  std::map<hash256, recording_host::swarm_started> by_topic;
  for (const auto& s : f.host.swarms)
    by_topic[s.topic] = s;
  BOOST_TEST(by_topic.size() == f.host.swarms.size()); // one swarm a topic
  return by_topic;
}

BOOST_AUTO_TEST_CASE(a_value_swarm_keeps_its_own_count_of_peers_and_other_swarms_the_usual) {
  hash256 value_topic = id_announcements(test::key_number(1).pk).topic();
  hash256 stable_topic = crypto::discovery_key(test::key_number(2).pk);
  hash256 id_topic = crypto::discovery_key(test::key_number(3).pk);
  size_t usual = swarm_config{}.outbound_wanted;
  BOOST_REQUIRE(usual != 3u);

  auto swarms = swarms_of_a_reader(3);
  BOOST_REQUIRE(swarms.size() == 3u);
  BOOST_REQUIRE(swarms.count(value_topic) && swarms.count(stable_topic) && swarms.count(id_topic));
  BOOST_TEST(swarms[value_topic].outbound_wanted == 3u);
  BOOST_TEST(swarms[value_topic].owner != 500u); // the announcement publisher's swarm
  BOOST_TEST(swarms[stable_topic].outbound_wanted == usual);
  BOOST_TEST(swarms[id_topic].outbound_wanted == usual);

  // Unset (0), the value swarm keeps as many as every other swarm.
  auto unset = swarms_of_a_reader(0);
  BOOST_REQUIRE(unset.count(value_topic));
  BOOST_TEST(unset[value_topic].outbound_wanted == usual);
}

BOOST_AUTO_TEST_CASE(a_definition_check_def_refuses_starts_nothing) {
  core_fixture f;
  value_feed_def def = single_key_feed(test::key_number(1).pk, bytes(65, 'x')); // salt too large
  auto refused = f.start(def);
  BOOST_REQUIRE(!refused);
  BOOST_TEST(refused.error().is(value_errc::salt_too_large));
  BOOST_TEST(f.host.publishers.empty());
  BOOST_TEST(f.with_core([&](node_core& c, context&) { return c.server_of(def.topic()); })
             == no_component);
}

BOOST_AUTO_TEST_CASE(the_first_listed_key_the_node_holds_signs_and_its_store_persists) {
  core_fixture f;
  memory_store store_b;
  keypair a = test::key_number(1), b = test::key_number(2), c = test::key_number(3);
  BOOST_REQUIRE(f.open(b, store_b));
  value_feed_def two_of_three{2, {a.pk, c.pk, b.pk}, test::text("board")};
  auto started = f.start(two_of_three);
  BOOST_REQUIRE(started.has_value());
  BOOST_TEST(started->own);
  const publisher_start& s = f.host.publishers.back();
  BOOST_REQUIRE(s.signer.has_value());
  BOOST_TEST(s.signer->first == 2u);
  BOOST_TEST(s.signer->second.embedded_public_key() == b.pk);
  BOOST_TEST(s.store == &store_b);
  // A feed none of whose keys the node holds is a reader's, in memory, not announced.
  auto foreign = f.start(single_key_feed(a.pk, test::text("news")));
  BOOST_REQUIRE(foreign.has_value());
  BOOST_TEST(!foreign->own);
  BOOST_TEST(!f.host.publishers.back().signer.has_value());
  BOOST_TEST(f.host.publishers.back().store == nullptr);
}

BOOST_AUTO_TEST_CASE(opening_keys_serves_the_stored_feeds_of_that_key_only) {
  core_fixture f;
  memory_store store;
  keypair mine = test::key_number(1), theirs = test::key_number(2);
  value_feed_def news = single_key_feed(mine.pk, test::text("news"));
  value_feed_def weather = single_key_feed(mine.pk, test::text("weather"));
  value_feed_def other = single_key_feed(theirs.pk, test::text("news"));
  store_value(store, news, 1, "one", mine.sk);
  store_value(store, weather, 4, "rain", mine.sk);
  store_value(store, other, 1, "not mine", theirs.sk);
  auto opened = f.open(mine, store);
  BOOST_REQUIRE(opened.has_value());
  BOOST_TEST(opened->served.size() == 2u);
  BOOST_TEST(opened->unreadable.empty());
  BOOST_TEST(f.host.publishers.size() == 2u);
  for (const value_feed_def& def : {news, weather}) {
    const value_feed_entry* e =
      f.with_core([&](node_core& c, context&) { return c.values().find(def.id()); });
    BOOST_REQUIRE(e != nullptr);
    BOOST_TEST(e->own);
    BOOST_TEST(f.with_core([&](node_core& c, context&) { return c.server_of(def.topic()); })
               == e->publisher);
  }
  BOOST_TEST(f.with_core([&](node_core& c, context&) { return c.values().find(other.id()); })
             == nullptr);
  // The same key again is refused and changes nothing.
  memory_store second;
  auto again = f.open(mine, second);
  BOOST_REQUIRE(!again);
  BOOST_TEST(again.error().is(store_errc::already_exists));
  BOOST_TEST(f.host.publishers.size() == 2u);
  BOOST_TEST(f.host.publishers.front().store == &store);
}

BOOST_AUTO_TEST_CASE(own_feeds_join_their_swarms_once_discovery_runs_and_not_before) {
  core_fixture f;
  memory_store store;
  keypair mine = test::key_number(1);
  value_feed_def news = single_key_feed(mine.pk, test::text("news"));
  value_feed_def foreign = single_key_feed(test::key_number(2).pk, test::text("news"));
  BOOST_REQUIRE(f.open(mine, store));
  BOOST_REQUIRE(f.start(news));
  BOOST_REQUIRE(f.start(foreign));
  BOOST_TEST(f.host.swarms.empty()); // nothing to announce through yet
  f.discover(77);
  BOOST_REQUIRE(f.swarms_of(news.topic()) == 1u);
  BOOST_TEST(f.host.swarms.back().discovery == 77u);
  BOOST_TEST(f.swarms_of(foreign.topic()) == 0u); // a reader's feed waits for join
  // An own feed started while discovery runs joins at once; nothing joins twice.
  value_feed_def later = single_key_feed(mine.pk, test::text("later"));
  BOOST_REQUIRE(f.start(later));
  BOOST_TEST(f.swarms_of(later.topic()) == 1u);
  BOOST_TEST(f.swarms_of(news.topic()) == 1u);
}

BOOST_AUTO_TEST_CASE(join_restarts_a_running_swarm_with_the_addresses) {
  core_fixture f;
  memory_store store;
  keypair mine = test::key_number(1);
  value_feed_def news = single_key_feed(mine.pk, test::text("news"));
  BOOST_REQUIRE(f.open(mine, store));
  f.discover(77);
  auto e = f.start(news);
  BOOST_REQUIRE(e.has_value());
  BOOST_REQUIRE(f.swarms_of(news.topic()) == 1u);
  component_id announced_swarm = f.host.next - 1;
  BOOST_TEST(f.host.swarms.back().addresses.empty());
  BOOST_TEST(f.join(e->publisher, {"10.0.0.9:7000"}));
  BOOST_TEST(f.host.stopped == std::vector<component_id>{announced_swarm});
  BOOST_REQUIRE(f.swarms_of(news.topic()) == 2u);
  BOOST_TEST(f.host.swarms.back().owner == e->publisher);
  BOOST_TEST(f.host.swarms.back().addresses == std::vector<std::string>{"10.0.0.9:7000"});
  // A publisher of no value feed of the node: refused, nothing moves.
  BOOST_TEST(!f.join(e->publisher + 12345, {"10.0.0.9:7000"}));
  BOOST_TEST(f.host.swarms.size() == 2u);
}

// ---- the policy in simulated nodes: discovery, connections and stores are real -------------

namespace {

constexpr uint32_t ip_of(uint32_t i) { return 0x0a000001u + i; }

/// Two simulated nodes with ideal discovery: `writer` (of a feed nobody reads here) and
/// `reader`, who know nothing of each other but what discovery tells them.
struct value_world {
  sim::runtime rt{23};
  sim::world w{rt};
  sim::ideal_registry registry;
  keypair feed_keys = test::key_number(9);
  keypair value_keys = test::key_number(1);
  value_feed_def news = single_key_feed(value_keys.pk, test::text("news"));
  sim::sim_node* writer = nullptr;
  sim::sim_node* reader = nullptr;

  value_world() {
    auto config = std::make_shared<sim::sim_node_config>();
    config->discovery = [this](sim::sim_node& node, datagram_socket&) {
      sim::ideal_config ic;
      ic.self = node.address();
      return std::make_unique<sim::ideal_discovery>(registry, ic);
    };
    writer = &w.add_node(sim::host_config{ip_of(0), 0, 0, 0}, feed_keys.pk, feed_keys, config);
    reader = &w.add_node(sim::host_config{ip_of(1), 0, 0, 0}, feed_keys.pk, std::nullopt, config);
    writer->start();
    reader->start();
  }

  const publisher& pub(component_id id) { return static_cast<const publisher&>(*rt.find(id)); }
  uint64_t held_seq(component_id id) {
    const auto& current = pub(id).state().current;
    return current ? current->seq : 0;
  }
  /// The reader asks for the feed and joins its swarm with no address: discovery must help.
  component_id read_news() {
    auto e = reader->value_feed(news);
    BOOST_REQUIRE(e.has_value());
    BOOST_TEST(!e->own);
    BOOST_TEST(reader->join_value(e->publisher, {}));
    rt.run_until(rt.now() + 5s);
    return e->publisher;
  }
};

} // namespace

BOOST_AUTO_TEST_CASE(a_node_announces_the_feeds_of_its_value_keys_and_readers_find_it) {
  value_world v;
  store_value(v.writer->store(), v.news, 3, "hello", v.value_keys.sk);
  auto opened = v.writer->open_values(v.value_keys);
  BOOST_REQUIRE(opened.has_value());
  BOOST_TEST(opened->served == std::vector<hash256>{v.news.id()});
  v.rt.run_until(v.rt.now() + 1s);
  // Announced through discovery: the registry names the writer under the feed's topic.
  auto announcers = v.registry.peers(v.news.topic(), v.reader->address(), 20, 0);
  BOOST_TEST(announcers == std::vector<std::string>{v.writer->address().to_string()});
  component_id got = v.read_news();
  BOOST_REQUIRE(v.held_seq(got) == 3u);
  BOOST_TEST(v.pub(got).state().current->value == test::text("hello"));
  // The writer signs the next value and persists it in its store; the reader follows.
  const value_feed_entry* mine = nullptr;
  v.rt.with(v.writer->core_id(), [&](component& c, context&) {
    mine = static_cast<node_core&>(c).values().find(v.news.id());
  });
  BOOST_REQUIRE(mine != nullptr);
  BOOST_TEST(mine->own);
  component_id writer_pub = mine->publisher;
  v.rt.with(writer_pub, [&](component& c, context& ctx) {
    BOOST_TEST(static_cast<publisher&>(c).put(ctx, test::text("world")).has_value());
  });
  v.rt.run_until(v.rt.now() + 2s);
  BOOST_TEST(v.held_seq(got) == 4u);
  auto stored = v.writer->store().load_value(v.news.id());
  BOOST_REQUIRE(stored && *stored);
  BOOST_TEST((*stored)->state.current->seq == 4u);
}

BOOST_AUTO_TEST_CASE(a_feed_the_node_only_reads_is_not_announced) {
  value_world v;
  store_value(v.writer->store(), v.news, 3, "hello", v.value_keys.sk);
  // The writer's node holds the feed, but not its key: nothing announces it.
  auto e = v.writer->value_feed(v.news);
  BOOST_REQUIRE(e.has_value());
  BOOST_TEST(!e->own);
  component_id got = v.read_news();
  BOOST_TEST(v.registry.peers(v.news.topic(), v.reader->address(), 20, 0).empty());
  BOOST_TEST(v.held_seq(got) == 0u);
}

BOOST_AUTO_TEST_CASE(a_restarted_node_opens_its_value_keys_again) {
  value_world v;
  BOOST_REQUIRE(v.writer->open_values(v.value_keys));
  auto e = v.writer->value_feed(v.news);
  BOOST_REQUIRE(e.has_value());
  BOOST_TEST(e->own);
  v.rt.with(e->publisher, [&](component& c, context& ctx) {
    BOOST_TEST(static_cast<publisher&>(c).put(ctx, test::text("before the crash")).has_value());
  });
  v.w.crash(*v.writer);
  v.rt.run_until(v.rt.now() + 1s);
  v.w.restart(*v.writer);
  v.rt.run_until(v.rt.now() + 1s);
  component_id got = v.read_news();
  BOOST_REQUIRE(v.held_seq(got) == 1u);
  BOOST_TEST(v.pub(got).state().current->value == test::text("before the crash"));
}

BOOST_AUTO_TEST_SUITE_END()

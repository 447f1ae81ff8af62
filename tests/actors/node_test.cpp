#define BOOST_TEST_MODULE actors
#include <boost/test/unit_test.hpp>

#include "dynfeed/base/hex.hpp"
#include "dynfeed/core/feed_dir.hpp"
#include "dynfeed/core/value_dir.hpp"
#include "dynfeed/dynfeed.hpp"
#include "dynfeed/component/connection.hpp"
#include "dynfeed/messages/messages.hpp"
#include "support/caf_fixture.hpp"
#include "support/print.hpp"
#include "support/temp_dir.hpp"
#include "support/values.hpp"

using namespace dynfeed;
using namespace std::chrono_literals;

namespace {

struct two_nodes : test::caf_fixture {
  test::temp_dir tmp;
  std::shared_ptr<memory_network> net = std::make_shared<memory_network>();
  node_actor writer_node;
  node_actor reader_node;

  two_nodes() {
    writer_node = spawn_node(sys, config("writer", 1));
    reader_node = spawn_node(sys, config("reader", 2));
    run();
  }
  ~two_nodes() {
    caf::anon_send(writer_node, atoms::shutdown::value);
    caf::anon_send(reader_node, atoms::shutdown::value);
    run();
  }

  node_config config(const std::string& name, uint64_t seed) {
    node_config nc;
    nc.seed = seed;
    nc.memory = net;
    nc.memory_name = name;
    nc.memory_latency = 5ms;
    return nc;
  }

  std::vector<bytes> blocks(uint64_t first, uint64_t count) {
    std::vector<bytes> out;
    for (uint64_t i = first; i < first + count; ++i) {
      std::string s = "entry " + std::to_string(i);
      out.emplace_back(s.begin(), s.end());
    }
    return out;
  }
};

/// Collects a feed's events.
struct events {
  uint64_t length = 0;
  uint64_t blocks = 0;
  bool done = false;
};

caf::behavior listener(caf::event_based_actor*, events* e) {
  return {
    [e](atoms::length, uint64_t l) { e->length = l; },
    [e](atoms::blocks, uint64_t, uint64_t count) { e->blocks += count; },
    [e](atoms::done) { e->done = true; },
    [](atoms::peers, uint64_t) {},
  };
}

/// Collects a value feed's events.
struct value_events {
  std::vector<uint64_t> seqs;
  std::vector<std::pair<signed_value, signed_value>> equivocations;
};

caf::behavior value_listener(caf::event_based_actor*, value_events* e) {
  return {
    [e](atoms::value, uint64_t seq, const bytes&) { e->seqs.push_back(seq); },
    [e](atoms::equivocation, const signed_value& held, const signed_value& other) {
      e->equivocations.emplace_back(held, other);
    },
  };
}

/// A validator actor that refuses values starting with "bad" and counts what it was asked.
caf::behavior refusing_bad(caf::event_based_actor*, int* asked) {
  return {
    [asked](atoms::validate, uint64_t, const bytes& value, uint64_t, const bytes&) {
      ++*asked;
      return std::string(value.begin(), value.end()).rfind("bad", 0) != 0;
    },
  };
}

/// A node that takes an in-process link and at once ends it for `why`, as a far end does (with
/// setup_backlog: one whose set-up backlog overflowed; actor_connection tells its peer
/// (disconnected, why)). The argument also keeps CAF 0.17 from dereferencing a null tuple, as
/// it does for a function actor spawned without any.
caf::behavior ending_node(caf::event_based_actor* self, msg::disconnect_reason why) {
  return {
    [self, why](atoms::connect, caf::actor remote_peer, const node_key&, const bytes&) {
      self->send(remote_peer, atoms::disconnected::value, static_cast<uint16_t>(why));
    },
  };
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(node_actors, two_nodes)

BOOST_AUTO_TEST_CASE(create_append_get_info) {
  auto feed = ask<feed_actor>(writer_node, atoms::create_feed::value, tmp / "w", key_seed{});
  BOOST_TEST(ask<uint64_t>(feed, atoms::append::value, blocks(0, 3)) == 3u);
  BOOST_TEST(ask<uint64_t>(feed, atoms::append::value, blocks(3, 2)) == 5u);
  bytes b = ask<bytes>(feed, atoms::get::value, uint64_t{4});
  BOOST_TEST(std::string(b.begin(), b.end()) == "entry 4");
  feed_info info = ask<feed_info>(feed, atoms::info::value);
  BOOST_TEST(info.length == 5u);
  BOOST_TEST(info.writable);
  BOOST_TEST(info.held == 5u);
  // The same directory again is the same actor.
  auto again = ask<feed_actor>(writer_node, atoms::open_feed::value, tmp / "w");
  BOOST_TEST((again == feed));
}

BOOST_AUTO_TEST_CASE(errors_come_back_as_errors_of_dynfeeds_categories) {
  auto missing = try_ask<feed_actor>(writer_node, atoms::open_feed::value, tmp / "missing");
  BOOST_REQUIRE(!missing);
  BOOST_TEST((missing.error() == store_errc::not_found));
  BOOST_TEST(describe(missing.error()).rfind("store: ", 0) == 0u);
  auto feed = ask<feed_actor>(writer_node, atoms::create_feed::value, tmp / "w", key_seed{});
  auto block = try_ask<bytes>(feed, atoms::get::value, uint64_t{0});
  BOOST_REQUIRE(!block);
  BOOST_TEST((block.error() == feed_errc::out_of_range));
  BOOST_TEST((block.error() != feed_errc::not_writable));
  BOOST_TEST((block.error() != store_errc::not_found)); // same code, another category
  // A reader cannot append; a feed of another node cannot join.
  feed_info info = ask<feed_info>(feed, atoms::info::value);
  auto reader = ask<feed_actor>(reader_node, atoms::clone_feed::value, info.key, tmp / "r");
  auto appended = try_ask<uint64_t>(reader, atoms::append::value, blocks(0, 1));
  BOOST_REQUIRE(!appended);
  BOOST_TEST((appended.error() == feed_errc::not_writable));
  auto joined = try_ask<bool>(reader_node, atoms::join::value, feed, std::vector<peer_address>{},
                              feed_mode::stable);
  BOOST_REQUIRE(!joined);
  BOOST_TEST((joined.error() == base_errc::invalid_argument));
  // A directory that holds another feed is not cloned into.
  BOOST_REQUIRE(feed_dir::create_reader(tmp / "r2", public_key::from(bytes(32, 7)), {}, {}));
  auto clash = try_ask<feed_actor>(writer_node, atoms::clone_feed::value,
                                   public_key::from(bytes(32, 8)), tmp / "r2");
  BOOST_REQUIRE(!clash);
  BOOST_TEST((clash.error() == store_errc::already_exists));
  // So is a directory the node runs a feed of another key in.
  auto running = try_ask<feed_actor>(writer_node, atoms::clone_feed::value,
                                     public_key::from(bytes(32, 8)), tmp / "w");
  BOOST_REQUIRE(!running);
  BOOST_TEST((running.error() == store_errc::already_exists));
  auto same = try_ask<feed_actor>(writer_node, atoms::clone_feed::value, info.key, tmp / "w");
  BOOST_REQUIRE(same);
  BOOST_TEST((*same == feed));
}

BOOST_AUTO_TEST_CASE(a_seed_makes_the_same_key_pair) {
  key_seed seed = key_seed::from(bytes(32, 9));
  auto a = ask<feed_actor>(writer_node, atoms::create_feed::value, tmp / "a", seed);
  auto b = ask<feed_actor>(reader_node, atoms::create_feed::value, tmp / "b", seed);
  auto c = ask<feed_actor>(writer_node, atoms::create_feed::value, tmp / "c", key_seed{});
  public_key ka = ask<feed_info>(a, atoms::info::value).key;
  BOOST_TEST(ka == crypto::keypair_from_seed(seed).pk);
  BOOST_TEST(ask<feed_info>(b, atoms::info::value).key == ka);
  BOOST_TEST(ask<feed_info>(c, atoms::info::value).key != ka);
}

BOOST_AUTO_TEST_CASE(listening_needs_a_tcp_address_and_a_transport) {
  auto memory = try_ask<peer_address>(writer_node, atoms::listen::value,
                                      peer_address::memory("writer"));
  BOOST_REQUIRE(!memory);
  BOOST_TEST((memory.error() == base_errc::unsupported));
  auto tcp = try_ask<peer_address>(writer_node, atoms::listen::value,
                                   peer_address::tcp("127.0.0.1", 0));
  BOOST_REQUIRE(!tcp); // these nodes link in memory only
  BOOST_TEST((tcp.error() == base_errc::unsupported));
}

BOOST_AUTO_TEST_CASE(a_reader_node_clones_and_follows_a_writer_node) {
  auto wfeed = ask<feed_actor>(writer_node, atoms::create_feed::value, tmp / "w", key_seed{});
  ask<uint64_t>(wfeed, atoms::append::value, blocks(0, 100));
  feed_info winfo = ask<feed_info>(wfeed, atoms::info::value);

  auto rfeed = ask<feed_actor>(reader_node, atoms::clone_feed::value, winfo.key, tmp / "r");
  events e;
  auto watcher = sys.spawn(listener, &e);
  caf::anon_send(rfeed, atoms::subscribe::value, watcher);
  caf::anon_send(rfeed, atoms::download::value, uint64_t{0}, download_to_end, true);
  BOOST_TEST(ask<bool>(reader_node, atoms::join::value, rfeed, std::vector<peer_address>{peer_address::memory("writer")}, feed_mode::stable));
  advance(1s);
  BOOST_TEST(e.length == 100u);
  BOOST_TEST(e.blocks == 100u);
  feed_info rinfo = ask<feed_info>(rfeed, atoms::info::value);
  BOOST_TEST(rinfo.held == 100u);
  BOOST_TEST(rinfo.id == winfo.id);
  BOOST_TEST(rinfo.peers == 1u);

  // Live: new appends reach the reader within a few link delays, in virtual time.
  ask<uint64_t>(wfeed, atoms::append::value, blocks(100, 7));
  advance(100ms);
  BOOST_TEST(e.length == 107u);
  BOOST_TEST(ask<feed_info>(rfeed, atoms::info::value).held == 107u);
  bytes b = ask<bytes>(rfeed, atoms::get::value, uint64_t{106});
  BOOST_TEST(std::string(b.begin(), b.end()) == "entry 106");
  caf::anon_send_exit(watcher, caf::exit_reason::user_shutdown);
}

BOOST_AUTO_TEST_CASE(nodes_follow_in_every_mode_in_virtual_time) {
  for (feed_mode mode : {feed_mode::stable, feed_mode::rotating, feed_mode::rotating_roots}) {
    BOOST_TEST_CONTEXT("mode " << to_string(mode)) {
      auto wfeed = ask<feed_actor>(writer_node, atoms::create_feed::value, tmp / ("w-" + std::string{to_string(mode)}),
                                   key_seed{});
      ask<uint64_t>(wfeed, atoms::append::value, blocks(0, 10));
      BOOST_TEST(ask<bool>(writer_node, atoms::join::value, wfeed, std::vector<peer_address>{}, mode));
      feed_info winfo = ask<feed_info>(wfeed, atoms::info::value);
      auto rfeed = ask<feed_actor>(reader_node, atoms::clone_feed::value, winfo.key,
                                   tmp / ("r-" + std::string{to_string(mode)}));
      caf::anon_send(rfeed, atoms::download::value, uint64_t{0}, download_to_end, true);
      BOOST_TEST(ask<bool>(reader_node, atoms::join::value, rfeed,
                           std::vector<peer_address>{peer_address::memory("writer")}, mode));
      advance(1s);
      BOOST_TEST(ask<feed_info>(rfeed, atoms::info::value).held == 10u);
      for (uint64_t round = 1; round <= 3; ++round) {
        ask<uint64_t>(wfeed, atoms::append::value, blocks(10 * round, 10));
        advance(500ms);
        feed_info rinfo = ask<feed_info>(rfeed, atoms::info::value);
        BOOST_TEST(rinfo.length == 10 * (round + 1));
        BOOST_TEST(rinfo.held == 10 * (round + 1));
        BOOST_TEST(rinfo.id == ask<feed_info>(wfeed, atoms::info::value).id);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(value_feeds_reach_readers) {
  // A writer's value feed, read by another node through the value feed's swarm.
  auto keys = crypto::keypair_from_seed(key_seed::from(bytes(32, 5)));
  auto dir = value_dir::create(tmp / "keys", keys);
  BOOST_REQUIRE(dir);
  BOOST_REQUIRE((*dir)->put(bytes{'h', 'i'}, bytes{'s'}));
  dir->reset();
  public_key key = ask<public_key>(writer_node, atoms::open_values::value, tmp / "keys");
  BOOST_TEST(key == keys.pk);
  auto wvalue = ask<value_actor>(writer_node, atoms::value_feed::value, key, bytes{'s'});
  auto rvalue = ask<value_actor>(reader_node, atoms::value_feed::value, key, bytes{'s'});
  BOOST_TEST(ask<bool>(reader_node, atoms::join_value::value, rvalue,
                       std::vector<peer_address>{peer_address::memory("writer")}));
  advance(1s);
  auto first = ask2<uint64_t, bytes>(rvalue, atoms::get_value::value);
  BOOST_TEST(first.first == 1u);
  BOOST_TEST(first.second == (bytes{'h', 'i'}));
  BOOST_TEST(ask<uint64_t>(wvalue, atoms::put_value::value, bytes{'y', 'o'}) == 2u);
  advance(500ms);
  auto second = ask2<uint64_t, bytes>(rvalue, atoms::get_value::value);
  BOOST_TEST(second.first == 2u);
  BOOST_TEST(second.second == (bytes{'y', 'o'}));
  // The reader cannot sign.
  BOOST_CHECK_THROW(ask<uint64_t>(rvalue, atoms::put_value::value, bytes{'x'}), std::runtime_error);
}

BOOST_AUTO_TEST_CASE(m_of_n_value_feeds_with_the_users_rules) {
  // A 2-of-3 feed. The writer node holds key 0's directory and a callback rule; the reader
  // asks a validator actor about every value from its peers.
  keypair k[3] = {test::key_number(11), test::key_number(12), test::key_number(13)};
  value_feed_def def{2, {k[0].pk, k[1].pk, k[2].pk}, test::text("council")};
  BOOST_REQUIRE(value_dir::create(tmp / "k0", k[0]));
  ask<public_key>(writer_node, atoms::open_values::value, tmp / "k0");
  value_feed_spec wspec;
  wspec.def = def;
  wspec.validate = [](const value_feed_def&, const signed_value& v,
                      const std::optional<signed_value>&) -> status {
    if (!v.value.empty() && v.value[0] == 'x')
      return error{base_errc::invalid_argument, "no x"};
    return {};
  };
  auto wvalue = ask<value_actor>(writer_node, atoms::value_feed::value, wspec);
  int asked = 0;
  value_feed_spec rspec;
  rspec.def = def;
  rspec.validator = sys.spawn(refusing_bad, &asked);
  auto rvalue = ask<value_actor>(reader_node, atoms::value_feed::value, rspec);
  value_events seen;
  caf::anon_send(rvalue, atoms::subscribe::value,
                 caf::actor_cast<caf::actor>(sys.spawn(value_listener, &seen)));
  BOOST_TEST(ask<bool>(reader_node, atoms::join_value::value, rvalue,
                       std::vector<peer_address>{peer_address::memory("writer")}));
  advance(1s);
  auto signed_by = [&](std::vector<int> who, uint64_t seq, std::string_view text) {
    signed_value v{seq, test::text(text), {}};
    for (int i : who)
      v.sigs.push_back(sign_value(def, static_cast<uint32_t>(i), seq, v.value, k[i].sk));
    return v;
  };
  // One key is not enough, whether the node signs or the value comes signed.
  BOOST_CHECK_THROW(ask<uint64_t>(wvalue, atoms::put_value::value, test::text("solo")),
                    std::runtime_error);
  BOOST_CHECK_THROW(ask<uint64_t>(wvalue, atoms::offer_value::value, signed_by({2}, 1, "solo")),
                    std::runtime_error);
  BOOST_TEST(ask<uint64_t>(wvalue, atoms::offer_value::value, signed_by({0, 2}, 1, "hello")) == 1u);
  advance(500ms);
  BOOST_TEST((ask2<uint64_t, bytes>(rvalue, atoms::get_value::value).first == 1u));
  BOOST_TEST(asked == 1);
  // The writer's rule refuses "x..."; the reader's validator refuses "bad...".
  BOOST_CHECK_THROW(ask<uint64_t>(wvalue, atoms::offer_value::value, signed_by({1, 2}, 2, "xyz")),
                    std::runtime_error);
  BOOST_TEST(ask<uint64_t>(wvalue, atoms::offer_value::value, signed_by({1, 2}, 2, "bad news")) == 2u);
  advance(500ms);
  BOOST_TEST(asked == 2);
  value_feed_info rinfo = ask<value_feed_info>(rvalue, atoms::info::value);
  BOOST_TEST(rinfo.seq == 1u);
  BOOST_TEST(rinfo.rejected_by[static_cast<uint8_t>(value_errc::rejected)] == 1u);
  BOOST_TEST(!rinfo.writable);
  value_feed_info winfo = ask<value_feed_info>(wvalue, atoms::info::value);
  BOOST_TEST(winfo.seq == 2u);
  BOOST_TEST(winfo.writable);
  BOOST_TEST(winfo.id == def.id());
  BOOST_TEST(winfo.rejected_by[static_cast<uint8_t>(value_errc::not_enough_signatures)] == 2u);
  // Two signers sign another value with seq 1: the reader keeps "hello" and reports both.
  BOOST_CHECK_THROW(ask<uint64_t>(rvalue, atoms::offer_value::value, signed_by({0, 1}, 1, "hola")),
                    std::runtime_error);
  run();
  BOOST_TEST(seen.seqs == (std::vector<uint64_t>{1}));
  BOOST_REQUIRE(seen.equivocations.size() == 1u);
  BOOST_TEST(seen.equivocations[0].first.value == test::text("hello"));
  BOOST_TEST(seen.equivocations[0].second.value == test::text("hola"));
  BOOST_TEST(ask<value_feed_info>(rvalue, atoms::info::value).equivocation);
}

BOOST_AUTO_TEST_CASE(an_unreachable_peer_is_retried_without_blocking_anyone) {
  auto rfeed = ask<feed_actor>(reader_node, atoms::clone_feed::value,
                               public_key::from(bytes(32, 0xaa)), tmp / "r");
  BOOST_TEST(ask<bool>(reader_node, atoms::join::value, rfeed,
                       std::vector<peer_address>{peer_address::memory("nobody")},
                       feed_mode::stable));
  advance(5s);
  BOOST_TEST(ask<feed_info>(rfeed, atoms::info::value).peers == 0u);
}

BOOST_AUTO_TEST_CASE(stats_count_connections_ended_by_reason) {
  node_stats before = ask<node_stats>(reader_node, atoms::stats::value);
  BOOST_TEST(before.disconnects.empty());
  BOOST_TEST(before.peers == 0u);
  BOOST_TEST(before.feeds == 0u);
  net->add("overflowing", sys.spawn(ending_node, msg::disconnect_reason::setup_backlog));
  auto rfeed = ask<feed_actor>(reader_node, atoms::clone_feed::value,
                               public_key::from(bytes(32, 0xaa)), tmp / "r");
  BOOST_TEST(ask<bool>(reader_node, atoms::join::value, rfeed,
                       std::vector<peer_address>{peer_address::memory("overflowing")},
                       feed_mode::stable));
  run();
  node_stats after = ask<node_stats>(reader_node, atoms::stats::value);
  BOOST_TEST(after.disconnects.count("setup_backlog") == 1u);
  BOOST_TEST(after.disconnects["setup_backlog"] >= 1u);
  BOOST_TEST(after.disconnects.count("normal") == 0u);
  BOOST_TEST(after.peers == 0u); // the connection is gone
  BOOST_TEST(after.feeds == 1u);
  // The writer took no part: its counters are its own.
  BOOST_TEST(ask<node_stats>(writer_node, atoms::stats::value).disconnects.empty());
}

BOOST_AUTO_TEST_CASE(stats_count_an_open_link_on_both_ends_and_no_disconnects) {
  auto wfeed = ask<feed_actor>(writer_node, atoms::create_feed::value, tmp / "w", key_seed{});
  ask<uint64_t>(wfeed, atoms::append::value, blocks(0, 3));
  feed_info info = ask<feed_info>(wfeed, atoms::info::value);
  auto rfeed = ask<feed_actor>(reader_node, atoms::clone_feed::value, info.key, tmp / "r");
  BOOST_TEST(ask<bool>(writer_node, atoms::join::value, wfeed, std::vector<peer_address>{},
                       feed_mode::stable));
  BOOST_TEST(ask<bool>(reader_node, atoms::join::value, rfeed,
                       std::vector<peer_address>{peer_address::memory("writer")},
                       feed_mode::stable));
  advance(1s);
  BOOST_TEST(ask<node_stats>(reader_node, atoms::stats::value).peers == 1u);
  BOOST_TEST(ask<node_stats>(writer_node, atoms::stats::value).peers == 1u);
  BOOST_TEST(ask<node_stats>(reader_node, atoms::stats::value).disconnects.empty());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(api_values)

BOOST_AUTO_TEST_CASE(peer_addresses_parse_and_print) {
  struct good_case {
    std::string text;
    peer_address address;
  };
  for (const auto& c : std::vector<good_case>{
         {"127.0.0.1:7000", peer_address::tcp("127.0.0.1", 7000)},
         {"example.org:0", peer_address::tcp("example.org", 0)},
         {"localhost:65535", peer_address::tcp("localhost", 65535)},
         {"mem:writer", peer_address::memory("writer")},
         {"mem:a:b", peer_address::memory("a:b")},
       }) {
    BOOST_TEST_CONTEXT(c.text) {
      auto parsed = parse_peer_address(c.text);
      BOOST_REQUIRE(parsed);
      BOOST_TEST((*parsed == c.address));
      BOOST_TEST(to_string(*parsed) == c.text);
    }
  }
  for (std::string bad : {"", "host", ":7000", "host:", "host:65536", "host:-1", "host:7x",
                          "host: 70", "mem:", "::1:80", "[::1]:80"}) {
    BOOST_TEST_CONTEXT(bad) {
      auto parsed = parse_peer_address(bad);
      BOOST_REQUIRE(!parsed);
      BOOST_TEST((parsed.error() == base_errc::invalid_argument));
      BOOST_TEST(describe(parsed.error()).find("\"" + bad + "\"") != std::string::npos);
    }
  }
}

// A feed ID (or any other hash) does not stand in for a discovery key, nor the other way round;
// only an explicit conversion crosses over.
static_assert(!std::is_convertible_v<hash256, swarm_topic>);
static_assert(!std::is_convertible_v<swarm_topic, hash256>);
static_assert(!std::is_assignable_v<swarm_topic&, const hash256&>);
static_assert(!std::is_assignable_v<hash256&, const swarm_topic&>);
static_assert(std::is_same_v<decltype(feed_info::discovery_key), swarm_topic>);
static_assert(std::is_same_v<decltype(value_feed_info::topic), swarm_topic>);

BOOST_AUTO_TEST_CASE(discovery_keys_are_the_feeds_and_the_value_feeds_topics) {
  test::caf_fixture f;
  auto node = spawn_node(f.sys, node_config{});
  test::temp_dir tmp;
  auto feed = f.ask<feed_actor>(node, atoms::create_feed::value, tmp / "f", key_seed{});
  feed_info info = f.ask<feed_info>(feed, atoms::info::value);
  BOOST_TEST((info.discovery_key == swarm_topic::from(crypto::discovery_key(info.key).span())));
  auto value = f.ask<value_actor>(node, atoms::value_feed::value, info.key, bytes{});
  value_feed_info vinfo = f.ask<value_feed_info>(value, atoms::info::value);
  BOOST_TEST((vinfo.topic == swarm_topic::from(single_key_feed(info.key, {}).topic().span())));
  caf::anon_send(node, atoms::shutdown::value);
  f.run();
}

BOOST_AUTO_TEST_CASE(dynfeed_categories_render_through_the_actor_system_config) {
  caf::actor_system_config cfg;
  add_error_categories(cfg);
  auto names = error_category_names();
  BOOST_TEST(names.size() == 10u);
  for (std::string_view name : names)
    BOOST_TEST(cfg.error_renderers.count(caf::atom_from_string(name)) == 1u, name);
  auto& render = cfg.error_renderers[caf::atom("feed")];
  caf::error bare = feed_errc::not_writable;
  BOOST_TEST(render(bare.code(), bare.category(), bare.context()) == "feed: feed is not writable");
  caf::error full = to_caf_error(error{store_errc::not_found, "/x"});
  BOOST_TEST((full == store_errc::not_found));
  BOOST_TEST(render(full.code(), full.category(), full.context()) == "store: no store there: /x");
  caf::error msg_err = msg::msg_errc::truncated;
  BOOST_TEST(describe(msg_err) == "msg: " + std::string{category_of(msg::msg_errc::truncated)
                                                          .describe(msg_err.code())});
  // Not one of ours: CAF's own form.
  caf::error timeout = caf::sec::request_timeout;
  BOOST_TEST(describe(timeout) == caf::to_string(timeout));
}

BOOST_AUTO_TEST_SUITE_END()

#include "dynfeed/replication/node_core.hpp"

#include <boost/test/unit_test.hpp>

#include "dynfeed/messages/codec.hpp"
#include "dynfeed/messages/limits.hpp"
#include "dynfeed/replication/peer.hpp"
#include "dynfeed/replication/swarm.hpp"
#include "dynfeed/sim/runtime.hpp"
#include "support/core_fixture.hpp"
#include "support/print.hpp"

#include <algorithm>
#include <set>

using namespace dynfeed;
using namespace dynfeed::test;
using namespace std::chrono_literals;
using msg::disconnect_reason;

namespace {

std::set<std::string> as_set(const std::vector<std::string>& v) {
  return {v.begin(), v.end()};
}

/// A core with two inbound places, and its peers: one it dialled (10.0.0.1:7000, key 1), one
/// inbound that listens on 7000 (from 10.0.0.2, key 2), one inbound behind NAT (10.0.0.3, key 3),
/// two it dialled by a name and in process (keys 4 and 5).
struct full_node {
  sim::runtime rt{5};
  component_id core = no_component;
  component_id dialled = no_component, listening = no_component, natted = no_component;

  full_node() {
    node_core_config config;
    config.inbound_max = 2;
    core = rt.spawn(std::make_unique<node_core>(config));
    dialled = rt.spawn(std::make_unique<recorder>());
    listening = rt.spawn(std::make_unique<recorder>());
    natted = rt.spawn(std::make_unique<recorder>());
    rt.with(core, [&](component& c, context& ctx) {
      auto& nc = static_cast<node_core&>(c);
      nc.connected(ctx, "10.0.0.1:7000", dialled, key(1), true);
      nc.connected(ctx, "10.0.0.2:51000", listening, key(2), false);
      nc.connected(ctx, "10.0.0.3:52000", natted, key(3), false);
      // Dialled by name or in process: nothing a referral could carry.
      nc.connected(ctx, "seed.example.org:7000", rt.spawn(std::make_unique<recorder>()), key(4), true);
      nc.connected(ctx, "mem:other", rt.spawn(std::make_unique<recorder>()), key(5), true);
    });
    // Inbound peers tell their listen port with their first find_feed (from the remote's hello).
    for (auto [from, port] : {std::pair{listening, uint16_t{7000}}, std::pair{natted, uint16_t{0}}})
      rt.with(from, [&, from = from, port = port](component&, context& ctx) {
        ctx.send(core, msg::encode(msg::local_message{msg::find_feed{hash256{}, port}}));
      });
    rt.run_until_idle();
  }

  /// An inbound connection from `remote`, refused: the referrals of its punish.
  std::vector<std::string> refuse(const node_key& remote) {
    component_id p = rt.spawn(std::make_unique<recorder>());
    rt.with(core, [&](component& c, context& ctx) {
      static_cast<node_core&>(c).connected(ctx, "10.0.0.9:53000", p, remote, false);
    });
    rt.run_until_idle();
    auto punished = rec(rt, p).all<msg::punish>();
    BOOST_REQUIRE_EQUAL(punished.size(), 1u);
    BOOST_TEST(punished[0].reason == uint16_t(disconnect_reason::too_many_peers));
    return punished[0].referrals;
  }
};

/// A link whose dialling side is a real peer (its node: a recorder) and whose other side
/// sends `frames` as soon as it starts. With `dialler_is_peer` false, the real peer is the side
/// that was dialled. Returns the recorder and what ended the peer.
struct scripted_link {
  sim::runtime rt{6};
  component_id node = no_component;
  std::optional<disconnect_reason> reason;

  struct script final : connected_component {
    script(connection& c, std::vector<bytes> frames) : conn(c), frames(std::move(frames)) {}
    void on_start(context&) override {
      for (bytes& f : frames)
        conn.transmit(std::move(f));
    }
    void on_message(context&, component_id, byte_span) override {}
    void on_remote(context&, byte_span) override {}
    void on_disconnect(context&, disconnect_reason) override { done = true; }
    bool alive() const override { return !done; }
    connection& conn;
    std::vector<bytes> frames;
    bool done = false;
  };

  scripted_link(std::vector<bytes> frames, bool dialler_is_peer = true) {
    node = rt.spawn(std::make_unique<recorder>());
    peer_config pc;
    pc.node = node;
    auto real = [&](connection& c) { return std::make_unique<watched>(pc, c, &reason); };
    auto fake = [&](connection& c) { return std::make_unique<script>(c, frames); };
    if (dialler_is_peer)
      rt.connect(key(1), key(2), 10ms, real, fake);
    else
      rt.connect(key(2), key(1), 10ms, fake, real);
    rt.run_until(rt.now() + 5s);
  }
  std::vector<msg::referred> referrals() { return rec(rt, node).all<msg::referred>(); }

  /// A peer that says why it ended into *reason (the runtime removes it once it has).
  struct watched final : connected_component {
    watched(const peer_config& c, connection& conn, std::optional<disconnect_reason>* r)
      : p(c, conn), reason(r) {}
    void on_start(context& ctx) override { p.on_start(ctx); }
    void on_message(context& ctx, component_id from, byte_span f) override {
      p.on_message(ctx, from, f);
      *reason = p.close_reason();
    }
    void on_remote(context& ctx, byte_span f) override {
      p.on_remote(ctx, f);
      *reason = p.close_reason();
    }
    void on_disconnect(context& ctx, disconnect_reason why) override {
      p.on_disconnect(ctx, why);
      *reason = p.close_reason();
    }
    bool alive() const override { return p.alive(); }
    peer p;
    std::optional<disconnect_reason>* reason;
  };
};

bytes hello_frame() {
  return msg::encode(msg::wire_message{msg::hello{msg::protocol_version, 0, "x", 7000}});
}

bytes bye_frame(disconnect_reason code, std::vector<std::string> referrals) {
  msg::bye b{uint16_t(code), "node full", std::move(referrals)};
  return msg::encode(msg::wire_message{b});
}

/// A swarm whose node, feed and discovery are one recorder, told `found` by discovery and
/// wanting one outbound connection; its first dial is recorded when this returns.
struct swarm_under_test {
  sim::runtime rt{10};
  component_id node = rt.spawn(std::make_unique<recorder>());
  swarm_config sc;
  component_id s = no_component;

  swarm_under_test(size_t discovered_max, const std::vector<std::string>& found) {
    sc.topic = hash256::from(bytes(32, 4));
    sc.feed = node;
    sc.node = node;
    sc.discovery = node;
    if (discovered_max != 0)
      sc.discovered_max = discovered_max;
    sc.outbound_wanted = 1;
    s = rt.spawn(std::make_unique<swarm>(sc));
    rt.run_until_idle();
    tell(msg::peers_found{sc.topic, found});
    rt.run_until_idle();
  }
  template <class Message>
  void tell(Message m) {
    rt.with(node, [&](component&, context& ctx) {
      ctx.send(s, msg::encode(msg::local_message{std::move(m)}));
    });
  }
  recorder& node_log() { return rec(rt, node); }
};

} // namespace

BOOST_AUTO_TEST_SUITE(referrals)

BOOST_AUTO_TEST_CASE(a_full_node_refers_to_its_dialable_peers_never_the_dialler) {
  full_node n;
  // The peer it dialled, and the inbound one at the port it listens on; not the one behind NAT.
  BOOST_TEST(as_set(n.refuse(key(9))) == (std::set<std::string>{"10.0.0.1:7000", "10.0.0.2:7000"}));
  // A dialler connected to us the other way (we dialled it) is not referred to itself.
  BOOST_TEST(as_set(n.refuse(key(1))) == (std::set<std::string>{"10.0.0.2:7000"}));
  BOOST_TEST(as_set(n.refuse(key(2))) == (std::set<std::string>{"10.0.0.1:7000"}));
  BOOST_TEST(n.rt.find(n.core) != nullptr);
}

BOOST_AUTO_TEST_CASE(a_refusal_names_a_random_sample_of_at_most_referrals) {
  sim::runtime rt{7};
  node_core_config config;
  config.inbound_max = 0;
  config.referrals = 3;
  component_id core = rt.spawn(std::make_unique<node_core>(config));
  std::set<std::string> all;
  rt.with(core, [&](component& c, context& ctx) {
    for (uint8_t i = 1; i <= 20; ++i) {
      std::string a = "10.0.1." + std::to_string(i) + ":7000";
      static_cast<node_core&>(c).connected(ctx, a, 100 + i, key(i), true);
      all.insert(a);
    }
  });
  std::set<std::string> seen;
  for (uint8_t i = 0; i < 10; ++i) {
    component_id p = rt.spawn(std::make_unique<recorder>());
    rt.with(core, [&](component& c, context& ctx) {
      static_cast<node_core&>(c).connected(ctx, "10.0.2.1:5000", p, key(200 + i), false);
    });
    rt.run_until_idle();
    auto refs = rec(rt, p).all<msg::punish>().at(0).referrals;
    BOOST_TEST(refs.size() == 3u);
    BOOST_TEST(as_set(refs).size() == 3u);
    for (const auto& a : refs)
      BOOST_TEST(all.count(a) == 1u);
    seen.insert(refs.begin(), refs.end());
  }
  BOOST_TEST(seen.size() > 3u); // drawn anew each time
}

BOOST_AUTO_TEST_CASE(the_dialler_hands_a_referral_to_the_swarms_that_asked) {
  sim::runtime rt{8};
  dial_host host;
  node_core_config config;
  config.self_addresses = {"10.0.0.7:7000"};
  component_id core = rt.spawn(std::make_unique<node_core>(config, &host));
  component_id swarm_a = rt.spawn(std::make_unique<recorder>());
  component_id peer_p = rt.spawn(std::make_unique<recorder>());
  rt.with(swarm_a, [&](component&, context& ctx) {
    ctx.send(core, msg::encode(msg::local_message{msg::dial{"10.0.0.9:7000"}}));
  });
  rt.run_until_idle();
  BOOST_TEST(host.dialled == std::vector<std::string>{"10.0.0.9:7000"});
  rt.with(core, [&](component& c, context& ctx) {
    static_cast<node_core&>(c).connected(ctx, "10.0.0.9:7000", peer_p, key(9), true);
  });
  // The refused peer passes the referral on, and ends once the node took it.
  rt.with(peer_p, [&](component&, context& ctx) {
    msg::referred r{{"10.0.0.5:7000", "10.0.0.9:7000", "10.0.0.7:7000", "10.0.0.6:7000"}};
    ctx.send(core, msg::encode(msg::local_message{r}));
  });
  rt.run_until_idle();
  BOOST_TEST(rec(rt, peer_p).all<msg::referral_taken>().size() == 1u);
  rt.with(core, [&](component& c, context& ctx) { static_cast<node_core&>(c).peer_ended(ctx, peer_p); });
  rt.run_until_idle();
  auto downs = rec(rt, swarm_a).all<msg::peer_down>();
  BOOST_REQUIRE_EQUAL(downs.size(), 1u);
  // Neither the refusing node itself nor this node's own address.
  BOOST_TEST(downs[0].referrals == (std::vector<std::string>{"10.0.0.5:7000", "10.0.0.6:7000"}));
}

BOOST_AUTO_TEST_CASE(a_referral_from_a_connection_we_did_not_dial_is_ignored) {
  sim::runtime rt{9};
  component_id core = rt.spawn(std::make_unique<node_core>());
  component_id swarm_a = rt.spawn(std::make_unique<recorder>());
  component_id peer_p = rt.spawn(std::make_unique<recorder>());
  rt.with(core, [&](component& c, context& ctx) {
    static_cast<node_core&>(c).connected(ctx, "10.0.0.9:5000", peer_p, key(9), false);
  });
  rt.with(peer_p, [&](component&, context& ctx) {
    ctx.send(core, msg::encode(msg::local_message{msg::referred{{"10.0.0.5:7000"}}}));
  });
  rt.run_until_idle();
  BOOST_TEST(rec(rt, peer_p).all<msg::referral_taken>().size() == 1u); // it may end all the same
  rt.with(core, [&](component& c, context& ctx) { static_cast<node_core&>(c).peer_ended(ctx, peer_p); });
  rt.run_until_idle();
  BOOST_TEST(rec(rt, swarm_a).got.empty());
}

BOOST_AUTO_TEST_CASE(a_refused_dialler_passes_the_referral_to_its_node_then_ends) {
  scripted_link link({hello_frame(), bye_frame(disconnect_reason::too_many_peers, {"10.0.0.5:7000"})});
  auto refs = link.referrals();
  BOOST_REQUIRE_EQUAL(refs.size(), 1u);
  BOOST_TEST(refs[0].addresses == std::vector<std::string>{"10.0.0.5:7000"});
  BOOST_TEST(link.reason.has_value()); // ended, once the node answered
}

BOOST_AUTO_TEST_CASE(bad_or_unasked_referrals_are_refused_and_change_nothing) {
  std::vector<std::string> nine;
  for (int i = 1; i <= int(referrals_max) + 1; ++i)
    nine.push_back("10.0.0." + std::to_string(i) + ":7000");
  struct bad_case {
    std::string name;
    std::vector<std::string> referrals;
  };
  for (const bad_case& c : std::vector<bad_case>{{"over referrals_max", nine},
                                                 {"no port", {"10.0.0.5"}},
                                                 {"port zero", {"10.0.0.5:0"}},
                                                 {"address zero", {"0.0.0.0:7000"}},
                                                 {"a name", {"localhost:7000"}},
                                                 {"not canonical", {"10.0.0.05:7000"}},
                                                 {"too long", {std::string(40, '1')}},
                                                 {"empty", {""}}}) {
    BOOST_TEST_CONTEXT(c.name) {
      scripted_link link({hello_frame(), bye_frame(disconnect_reason::too_many_peers, c.referrals)});
      BOOST_TEST(link.referrals().empty());
      BOOST_TEST((link.reason == disconnect_reason::malformed_frame));
    }
  }
  // Well formed, but not the answer to a dial of ours refused for being full.
  scripted_link not_full({hello_frame(), bye_frame(disconnect_reason::normal, {"10.0.0.5:7000"})});
  BOOST_TEST(not_full.referrals().empty());
  BOOST_TEST((not_full.reason == disconnect_reason::normal));
  scripted_link not_dialled({hello_frame(), bye_frame(disconnect_reason::too_many_peers, {"10.0.0.5:7000"})},
                            false);
  BOOST_TEST(not_dialled.referrals().empty());
  BOOST_TEST((not_dialled.reason == disconnect_reason::normal));
}

BOOST_AUTO_TEST_CASE(a_swarm_dials_a_referred_address_next_and_each_once) {
  std::vector<std::string> found{"10.0.0.1:7000", "10.0.0.2:7000", "10.0.0.3:7000"};
  swarm_under_test t(4, found);
  auto& rt = t.rt;
  auto node = t.node;
  auto dials = rec(rt, node).all<msg::dial>();
  BOOST_REQUIRE_EQUAL(dials.size(), 1u);
  std::string first = dials[0].address;
  // Up, then refused with two referrals: one takes the free place, and the refusing address,
  // the only one that failed, makes room for the other.
  std::vector<std::string> referred{"10.0.9.1:7000", "10.0.9.2:7000"};
  rec(rt, node).fail_dials = true; // every later dial fails at once
  t.tell(msg::peer_up{77, hash256{}, first, true});
  t.tell(msg::peer_down{77, first, uint16_t(disconnect_reason::normal), referred});
  rt.run_until(rt.now() + 100ms);
  dials = rec(rt, node).all<msg::dial>();
  BOOST_REQUIRE_GE(dials.size(), 3u);
  // Both referred addresses first, before any address discovery gave.
  BOOST_TEST(as_set({dials[1].address, dials[2].address}) == as_set(referred));
  // Over the next minutes: the referred addresses were dialled once each (a failed referral is
  // forgotten), the discovered ones again after backoff; never more than discovered_max known.
  rt.run_until(rt.now() + 300s);
  dials = rec(rt, node).all<msg::dial>();
  std::map<std::string, int> count;
  for (const auto& d : dials)
    ++count[d.address];
  BOOST_TEST(count[referred[0]] == 1);
  BOOST_TEST(count[referred[1]] == 1);
  BOOST_TEST(count[first] == 1); // dropped for them; only discovery could bring it back
  BOOST_TEST(count.size() <= found.size() + referred.size());
  BOOST_TEST(dials.size() > 3u);
}

BOOST_AUTO_TEST_CASE(referrals_beyond_the_room_failed_addresses_leave_are_ignored) {
  std::vector<std::string> found{"10.0.0.1:7000", "10.0.0.2:7000", "10.0.0.3:7000"};
  swarm_under_test t(3, found);
  auto& rt = t.rt;
  auto node = t.node;
  std::string first = rec(rt, node).all<msg::dial>().at(0).address;
  rec(rt, node).fail_dials = true;
  std::vector<std::string> referred{"10.0.9.1:7000", "10.0.9.2:7000", "10.0.9.3:7000"};
  t.tell(msg::peer_down{0, first, uint16_t(disconnect_reason::normal), referred});
  rt.run_until(rt.now() + 300s);
  std::map<std::string, int> count;
  for (const auto& d : rec(rt, node).all<msg::dial>())
    ++count[d.address];
  // Full, with one failed address: the first referral replaced it, the others found no room.
  BOOST_TEST(count[referred[0]] == 1);
  BOOST_TEST(count.count(referred[1]) == 0u);
  BOOST_TEST(count.count(referred[2]) == 0u);
}

BOOST_AUTO_TEST_CASE(a_swarm_ignores_a_peer_down_without_referrals_as_before) {
  // The same as above without referrals: the next dial is one of the discovered addresses.
  std::vector<std::string> found{"10.0.0.1:7000", "10.0.0.2:7000"};
  swarm_under_test t(0, found);
  auto& rt = t.rt;
  auto node = t.node;
  std::string first = rec(rt, node).all<msg::dial>().at(0).address;
  t.tell(msg::peer_down{0, first, uint16_t(disconnect_reason::transport_error), {}});
  rt.run_until_idle();
  auto dials = rec(rt, node).all<msg::dial>();
  BOOST_REQUIRE_EQUAL(dials.size(), 2u);
  BOOST_TEST(dials[1].address != first);
  BOOST_TEST(as_set(found).count(dials[1].address) == 1u);
}

BOOST_AUTO_TEST_SUITE_END()

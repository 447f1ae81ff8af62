#include "dynfeed/replication/feed_service.hpp"

#include <boost/test/unit_test.hpp>

#include "dynfeed/feed/dynamic.hpp"
#include "dynfeed/replication/publisher.hpp"
#include "support/print.hpp"
#include "support/sim_nodes.hpp"

using namespace dynfeed;
using namespace std::chrono_literals;

namespace {

/// Stands in for the node's swarms: records every move and hands the one linked peer to
/// whoever joins a swarm (as discovery would find it there).
struct recording_swarms final : node_host {
  component_id peer = no_component;
  std::vector<component_id> more_peers; ///< offered too, after `peer`
  std::vector<hash256> joined;
  std::vector<hash256> left;
  std::map<component_id, hash256> running;
  component_id next = 1000000;

  component_id start_swarm(context& ctx, const swarm_config& config) override {
    joined.push_back(config.topic);
    if (peer != no_component)
      ctx.send(config.feed, msg::encode(msg::local_message{msg::offer_peer{peer}}));
    for (component_id p : more_peers)
      ctx.send(config.feed, msg::encode(msg::local_message{msg::offer_peer{p}}));
    running[next] = config.topic;
    return next++;
  }
  component_id start_publisher(context&, const publisher_start&) override {
    return no_component; // the test starts its own
  }
  void set_publisher_rules(context&, component_id, const publisher_start&) override {}
  void stop(context&, component_id id) override {
    left.push_back(running.at(id));
    running.erase(id);
  }
  void dial(context&, const std::string&) override {}
};

/// A node in a dynamic mode: a feed service, its announcement publisher and a directory that
/// moves swarms through `swarms`.
struct mode_node {
  node_key id;
  memory_store store;
  std::unique_ptr<feed> f;
  test::recording_observer observer;
  recording_swarms swarms;
  component_id directory = no_component;
  component_id service = no_component;
  component_id announcer = no_component;

  feed_service& svc(sim::runtime& rt) { return static_cast<feed_service&>(*rt.find(service)); }
  publisher& pub(sim::runtime& rt) { return static_cast<publisher&>(*rt.find(announcer)); }
};

std::unique_ptr<mode_node> make_mode_node(sim::runtime& rt, uint8_t name, bool writer) {
  auto n = std::make_unique<mode_node>();
  n->id = node_key::from(bytes(32, name));
  keypair kp = test::test_writer_keys();
  n->f = writer ? std::move(*feed::create(n->store, kp)) : std::move(*feed::create_reader(n->store, kp.pk));
  n->directory = rt.spawn(std::make_unique<node_core>(node_core_config{}, &n->swarms));
  n->service = rt.spawn(std::make_unique<feed_service>(*n->f, feed_service_config{}, &n->observer));
  value_feed_def def = id_announcements(kp.pk);
  std::optional<std::pair<uint32_t, secret_key>> signer;
  if (writer)
    signer = std::make_pair(uint32_t{0}, kp.sk);
  publisher_config pc;
  pc.limits = announcement_limits();
  n->announcer = rt.spawn(std::make_unique<publisher>(def, signer, nullptr, pc));
  auto& dir = static_cast<node_core&>(*rt.find(n->directory));
  dir.serve(n->f->discovery_key(), n->service);
  dir.serve(def.topic(), n->announcer);
  return n;
}

/// Makes `n`'s end of a link: a peer of its node core.
auto peer_of(mode_node& n) {
  return [&n](connection& c) {
    peer_config pc;
    pc.node = n.directory;
    return std::make_unique<peer>(pc, c);
  };
}

void set_mode(sim::runtime& rt, mode_node& n, feed_mode mode, id_channels channels = {}) {
  rt.with(n.service, [&](component&, context& ctx) {
    msg::set_mode m{static_cast<uint8_t>(mode), n.announcer, n.directory, channels.wire()};
    ctx.send(n.service, msg::encode(msg::local_message{m}));
  });
}

struct following {
  sim::runtime rt{5};
  std::unique_ptr<mode_node> w;
  std::unique_ptr<mode_node> r;

  explicit following(feed_mode mode) {
    w = make_mode_node(rt, 1, true);
    r = make_mode_node(rt, 2, false);
    test::append_blocks(rt, w->service, test::numbered_blocks(0, 20));
    auto [pw, pr] = rt.connect(w->id, r->id, 20ms, peer_of(*w), peer_of(*r));
    w->swarms.peer = pw;
    r->swarms.peer = pr;
    set_mode(rt, *w, mode);
    set_mode(rt, *r, mode);
    rt.with(r->service, [&](component& c, context& ctx) {
      static_cast<feed_service&>(c).download(ctx, 0, std::nullopt, true);
    });
    // The reader's value-feed swarm finds the writer: its publisher gets the peer.
    rt.with(r->announcer, [&, pr = pr](component&, context& ctx) {
      ctx.send(r->announcer, msg::encode(msg::local_message{msg::offer_peer{pr}}));
    });
    rt.run_until(rt.now() + 2s);
  }
};

/// The relay ID channel alone: a writer, a reader linked to it, and a second reader linked
/// only to the first, which hears of new IDs through it. No value swarm: no publisher has a
/// peer, so every announcement travels as id_push inside the ID swarms.
struct relaying {
  sim::runtime rt{7};
  std::unique_ptr<mode_node> w;
  std::unique_ptr<mode_node> a;
  std::unique_ptr<mode_node> b;
  component_id writer_to_a = no_component; ///< the writer's end of its link to a

  explicit relaying(feed_mode mode) {
    w = make_mode_node(rt, 1, true);
    a = make_mode_node(rt, 2, false);
    b = make_mode_node(rt, 3, false);
    test::append_blocks(rt, w->service, test::numbered_blocks(0, 20));
    // Readers dial, as they do in a swarm: the side that was dialed tells the newest ID.
    auto [paw, pw] = rt.connect(a->id, w->id, 20ms, peer_of(*a), peer_of(*w));
    auto [pb, pab] = rt.connect(b->id, a->id, 30ms, peer_of(*b), peer_of(*a));
    writer_to_a = pw;
    w->swarms.peer = pw;
    a->swarms.peer = paw;
    a->swarms.more_peers = {pab};
    b->swarms.peer = pb;
    id_channels relay{static_cast<uint8_t>(id_channel::relay)};
    set_mode(rt, *w, mode, relay);
    set_mode(rt, *a, mode, relay);
    set_mode(rt, *b, mode, relay);
    for (mode_node* r : {a.get(), b.get()})
      rt.with(r->service, [](component& c, context& ctx) {
        static_cast<feed_service&>(c).download(ctx, 0, std::nullopt, true);
      });
    rt.run_until(rt.now() + 2s);
  }

  /// Sends `v` to a as the writer's end of their link would, on the feed's channel (the
  /// first and only channel each side opened on that connection).
  void push_to_a(const signed_value& v) {
    rt.with(w->service, [&](component&, context& ctx) {
      ctx.send(writer_to_a, msg::encode(msg::wire_message{msg::id_push{1, v}}));
    });
    rt.run_until(rt.now() + 1s);
  }
};

} // namespace

BOOST_AUTO_TEST_SUITE(proto_modes)

BOOST_AUTO_TEST_CASE(relay_alone_carries_every_id_through_the_id_swarms) {
  for (feed_mode mode : {feed_mode::rotating, feed_mode::rotating_roots}) {
    BOOST_TEST_CONTEXT("mode " << to_string(mode)) {
      relaying t{mode};
      for (uint64_t batch = 1; batch <= 4; ++batch) {
        test::append_blocks(t.rt, t.w->service, test::numbered_blocks(20 * batch, 7));
        t.rt.run_until(t.rt.now() + 2s);
        for (mode_node* r : {t.a.get(), t.b.get()}) {
          BOOST_TEST(r->f->length() == 20 + 7 * batch);
          BOOST_TEST(r->f->have().count() == 20 + 7 * batch);
          BOOST_TEST(r->f->id() == t.w->f->id());
        }
      }
      // The announcement feed's own swarm was never used: every value came by relay.
      for (mode_node* n : {t.w.get(), t.a.get(), t.b.get()})
        BOOST_TEST(n->pub(t.rt).peer_count() == 0u);
      BOOST_TEST(t.b->svc(t.rt).stats().announcements_followed == 5u);
      BOOST_TEST(t.b->svc(t.rt).stats().id_pushes_received >= 5u);
      BOOST_TEST(t.a->svc(t.rt).stats().id_pushes_sent >= 5u); // relayed on to b
      BOOST_TEST(t.b->pub(t.rt).state().current->seq == t.w->f->length());
      BOOST_TEST(t.w->swarms.joined.back() == id_topic(t.w->f->id()));
      BOOST_TEST(t.b->swarms.joined.back() == id_topic(t.w->f->id()));
    }
  }
}

BOOST_AUTO_TEST_CASE(relay_refuses_forged_stale_and_replayed_values_and_never_passes_them_on) {
  relaying t{feed_mode::rotating};
  signed_value old = *t.w->pub(t.rt).state().current;
  test::append_blocks(t.rt, t.w->service, test::numbered_blocks(20, 3));
  t.rt.run_until(t.rt.now() + 2s);
  signed_value current = *t.w->pub(t.rt).state().current;
  BOOST_TEST(t.b->f->length() == 23u);
  const feed_service_stats before_a = t.a->svc(t.rt).stats();
  const feed_service_stats before_b = t.b->svc(t.rt).stats();

  // Replayed: what a holds already is dropped without a signature check.
  t.push_to_a(current);
  BOOST_TEST(t.a->svc(t.rt).stats().id_pushes_known == before_a.id_pushes_known + 1);
  // Stale: an older, validly signed value is answered with the newer one.
  t.push_to_a(old);
  BOOST_TEST(t.a->svc(t.rt).stats().id_pushes_stale == before_a.id_pushes_stale + 1);
  BOOST_TEST(t.a->f->length() == 23u);
  // Neither reached b.
  BOOST_TEST(t.b->svc(t.rt).stats().id_pushes_received == before_b.id_pushes_received);

  // Forged: a newer ID the writer never signed. Refused and counted by the publisher, the
  // connection it came on ends, a does not move, and b never hears of it.
  signed_value forged = current;
  forged.seq += 10;
  forged.value = bytes(40, 0x33); // length 0x3333..., an ID of 0x33s
  t.push_to_a(forged);
  const publisher_stats& ps = t.a->pub(t.rt).stats();
  BOOST_TEST(ps.rejected.count(static_cast<uint8_t>(value_errc::bad_signature)) == 1u);
  BOOST_TEST(t.a->pub(t.rt).state().current->seq == 23u);
  BOOST_TEST(t.a->svc(t.rt).stats().announcements_followed == before_a.announcements_followed);
  BOOST_TEST(t.b->svc(t.rt).stats().id_pushes_received == before_b.id_pushes_received);
  BOOST_TEST(t.b->pub(t.rt).state().current->seq == 23u);
  BOOST_TEST(t.a->svc(t.rt).peer_count() == 1u); // only b is left
}


BOOST_AUTO_TEST_CASE(a_reader_without_an_id_is_told_it_by_whichever_side_dialed) {
  // A reader that holds no signed ID (restarted: signed values live in memory) meets the
  // writer after the writer's last announcement, so no new ID will come to tell it. The
  // dialed side tells its ID at the opening; when the reader was the one dialed, its sync
  // says it holds none and the writer, the dialer, tells it instead.
  for (bool writer_dials : {false, true}) {
    BOOST_TEST_CONTEXT("writer dials: " << writer_dials) {
      sim::runtime rt{11};
      auto w = make_mode_node(rt, 1, true);
      auto r = make_mode_node(rt, 2, false);
      id_channels relay{static_cast<uint8_t>(id_channel::relay)};
      set_mode(rt, *w, feed_mode::rotating, relay);
      set_mode(rt, *r, feed_mode::rotating, relay);
      test::append_blocks(rt, w->service, test::numbered_blocks(0, 12));
      rt.with(r->service, [](component& c, context& ctx) {
        static_cast<feed_service&>(c).download(ctx, 0, std::nullopt, true);
      });
      rt.run_until(rt.now() + 2s);
      BOOST_TEST_REQUIRE(w->pub(rt).state().current->seq == 12u); // announced, to nobody
      BOOST_TEST_REQUIRE(r->f->length() == 0u);

      mode_node& dialer = writer_dials ? *w : *r;
      mode_node& dialed = writer_dials ? *r : *w;
      auto [from_dialer, from_dialed] =
        rt.connect(dialer.id, dialed.id, 20ms, peer_of(dialer), peer_of(dialed));
      for (auto [n, end] : {std::pair{&dialer, from_dialer}, std::pair{&dialed, from_dialed}})
        rt.with(n->service, [&, n = n, end = end](component&, context& ctx) {
          ctx.send(n->service, msg::encode(msg::local_message{msg::offer_peer{end}}));
        });
      rt.run_until(rt.now() + 2s);

      BOOST_TEST(w->svc(rt).stats().id_pushes_sent == 1u); // told once, by either rule
      BOOST_TEST(r->svc(rt).stats().id_pushes_received == 1u);
      BOOST_TEST(r->svc(rt).stats().id_pushes_sent == 0u); // it had nothing to tell
      BOOST_TEST(r->f->id() == w->f->id());
      BOOST_TEST(r->f->have().count() == 12u);
    }
  }
}

BOOST_AUTO_TEST_CASE(rotating_readers_follow_announcements_from_swarm_to_swarm) {
  following t{feed_mode::rotating};
  BOOST_TEST(t.r->f->length() == 20u);
  BOOST_TEST(t.r->f->have().count() == 20u);
  for (uint64_t batch = 1; batch <= 4; ++batch) {
    test::append_blocks(t.rt, t.w->service, test::numbered_blocks(20 * batch, 20));
    t.rt.run_until(t.rt.now() + 2s);
    BOOST_TEST(t.r->f->length() == 20 * (batch + 1));
    BOOST_TEST(t.r->f->have().count() == 20 * (batch + 1));
    BOOST_TEST(t.r->f->id() == t.w->f->id());
  }
  // Each announcement moved both sides to the new ID's swarm, leaving the previous one.
  BOOST_TEST(t.w->swarms.joined.size() == 5u);
  BOOST_TEST(t.w->swarms.joined.back() == id_topic(t.w->f->id()));
  BOOST_TEST(t.r->swarms.joined.back() == id_topic(t.w->f->id()));
  BOOST_TEST(t.r->swarms.left.size() == t.r->swarms.joined.size() - 1);
  BOOST_TEST(t.r->svc(t.rt).stats().announcements_followed == 5u);
  BOOST_TEST(t.w->pub(t.rt).state().current->seq == 100u); // seq = length
}

BOOST_AUTO_TEST_CASE(rotating_roots_readers_verify_the_tree_before_asking_anyone) {
  following t{feed_mode::rotating_roots};
  BOOST_TEST(t.r->f->length() == 20u);
  BOOST_TEST(t.r->f->have().count() == 20u);
  test::append_blocks(t.rt, t.w->service, test::numbered_blocks(20, 13));
  t.rt.run_until(t.rt.now() + 2s);
  BOOST_TEST(t.r->f->length() == 33u);
  BOOST_TEST(t.r->f->have().count() == 33u);
  BOOST_TEST((t.r->f->tree() == t.w->f->tree()));
  REQUIRE_OK(t.r->f->verify_all());
  BOOST_TEST(t.r->svc(t.rt).stats().announcements_followed == 2u);
}

BOOST_AUTO_TEST_CASE(stable_mode_needs_no_announcements) {
  following t{feed_mode::stable};
  test::append_blocks(t.rt, t.w->service, test::numbered_blocks(20, 5));
  // Stable: the feed channel itself must be opened by the feed's own swarm.
  t.rt.with(t.r->service, [&](component&, context& ctx) {
    ctx.send(t.r->service, msg::encode(msg::local_message{msg::offer_peer{t.r->swarms.peer}}));
  });
  t.rt.run_until(t.rt.now() + 2s);
  BOOST_TEST(t.r->f->have().count() == 25u);
  BOOST_TEST(t.r->svc(t.rt).stats().announcements_followed == 0u);
  BOOST_TEST(t.w->swarms.joined.empty());
}

BOOST_AUTO_TEST_SUITE_END()

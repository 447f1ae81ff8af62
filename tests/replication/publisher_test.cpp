#include "dynfeed/replication/publisher.hpp"

#include <boost/test/unit_test.hpp>

#include "dynfeed/messages/codec.hpp"
#include "dynfeed/replication/node_core.hpp"
#include "dynfeed/replication/peer.hpp"
#include "dynfeed/sim/runtime.hpp"
#include "dynfeed/storage/memory_store.hpp"
#include "support/hostile_connection.hpp"
#include "support/print.hpp"
#include "support/values.hpp"

using namespace dynfeed;
using namespace std::chrono_literals;
using msg::disconnect_reason;

namespace {

struct recording final : publisher_observer {
  std::vector<uint64_t> seqs;
  std::vector<uint64_t> asked; ///< tokens handed out for the asynchronous rule
  std::vector<std::string> rejected;
  std::vector<std::pair<signed_value, signed_value>> equivocations;

  void on_value(const signed_value& v) override { seqs.push_back(v.seq); }
  void on_rejected(component_id, const error& why) override { rejected.push_back(why.to_string()); }
  void on_equivocation(const signed_value& held, const signed_value& other) override {
    equivocations.emplace_back(held, other);
  }
  void on_validate(uint64_t token, const signed_value&, const std::optional<signed_value>&) override {
    asked.push_back(token);
  }
};

const keypair& writer_keys() {
  static const keypair kp = test::key_number(1);
  return kp;
}

value_feed_def news() {
  return single_key_feed(writer_keys().pk, test::text("news"));
}

/// A node holding one value feed: a directory that serves its topic and a publisher over a
/// memory store.
struct value_node {
  node_key id;
  memory_store store;
  recording seen;
  component_id directory = no_component;
  component_id pub = no_component;

  publisher& get(sim::runtime& rt) { return static_cast<publisher&>(*rt.find(pub)); }
  const value_state& state(sim::runtime& rt) { return get(rt).state(); }
  uint64_t held_seq(sim::runtime& rt) {
    const auto& current = state(rt).current;
    return current ? current->seq : 0;
  }
};

std::unique_ptr<value_node> make_value_node(sim::runtime& rt, uint8_t name, bool writer,
                                            publisher_config config = {}) {
  auto n = std::make_unique<value_node>();
  n->id = node_key::from(bytes(32, name));
  std::optional<std::pair<uint32_t, secret_key>> signer;
  if (writer)
    signer = std::make_pair(uint32_t{0}, writer_keys().sk);
  n->directory = rt.spawn(std::make_unique<node_core>());
  n->pub = rt.spawn(std::make_unique<publisher>(news(), signer, &n->store, config, &n->seen));
  static_cast<node_core&>(*rt.find(n->directory)).serve(news().topic(), n->pub);
  return n;
}

void put(sim::runtime& rt, value_node& n, std::string_view value) {
  rt.with(n.pub, [&](component& c, context& ctx) {
    auto seq = static_cast<publisher&>(c).put(ctx, test::text(value));
    BOOST_REQUIRE_MESSAGE(seq.has_value(), (seq ? std::string{} : seq.error().to_string()));
  });
}

/// Connects a and b (a's outgoing frames through `rewrite`, if any) and hands the link to a's
/// publisher, as a's swarm would; b's side finds its publisher through its directory. Returns
/// a's peer; `*b_closed` learns why b's end closed, if it does.
component_id link(sim::runtime& rt, value_node& a, value_node& b,
                  test::hostile_connection::rewrite_fn rewrite = nullptr,
                  std::optional<disconnect_reason>* b_closed = nullptr) {
  peer_config ca, cb;
  ca.node = a.directory;
  cb.node = b.directory;
  auto ids = rt.connect(
    a.id, b.id, 10ms,
    [&](connection& c) { return std::make_unique<test::watched_peer>(ca, c, nullptr, rewrite); },
    [&](connection& c) { return std::make_unique<test::watched_peer>(cb, c, b_closed); });
  rt.with(a.pub, [&](component&, context& ctx) {
    ctx.send(a.pub, msg::encode(msg::local_message{msg::offer_peer{ids.first}}));
  });
  return ids.first;
}

/// Rewrites every value_push a sends through `fn`.
template <class Fn>
test::hostile_connection::rewrite_fn rewrite_pushes(Fn fn) {
  return [fn](bytes frame, uint64_t) {
    std::vector<bytes> out;
    auto m = msg::decode_wire(frame);
    if (m)
      if (auto* push = std::get_if<msg::value_push>(&*m)) {
        fn(push->value);
        out.push_back(msg::encode(*m));
        return out;
      }
    out.push_back(std::move(frame));
    return out;
  };
}

void settle(sim::runtime& rt) {
  rt.run_until(rt.now() + 2s);
}

/// A local component that subscribes to a publisher (to plain values, signed ones, or both,
/// each `times` times) and records the seqs it hears of.
struct subscriber final : component {
  component_id pub;
  bool plain, with_signatures;
  int times;
  std::vector<uint64_t>* plain_seqs;
  std::vector<uint64_t>* signed_seqs;

  subscriber(component_id p, bool pl, bool si, int t, std::vector<uint64_t>* ps,
             std::vector<uint64_t>* ss)
    : pub(p), plain(pl), with_signatures(si), times(t), plain_seqs(ps), signed_seqs(ss) {}
  void on_start(context& ctx) override {
    for (int i = 0; i < times; ++i) {
      if (plain)
        ctx.send(pub, msg::encode(msg::local_message{msg::subscribe_values{}}));
      if (with_signatures)
        ctx.send(pub, msg::encode(msg::local_message{msg::subscribe_signed{}}));
    }
  }
  void on_message(context&, component_id, byte_span frame) override {
    auto m = msg::decode(frame);
    BOOST_REQUIRE(m);
    auto& local = std::get<msg::local_message>(*m);
    if (auto* u = std::get_if<msg::value_update>(&local))
      plain_seqs->push_back(u->seq);
    else if (auto* s = std::get_if<msg::signed_update>(&local))
      signed_seqs->push_back(s->value.seq);
  }
};

} // namespace

BOOST_AUTO_TEST_SUITE(proto_publisher)

BOOST_AUTO_TEST_CASE(each_subscriber_hears_each_value_once_however_often_it_subscribed) {
  sim::runtime rt(7);
  auto w = make_value_node(rt, 1, true);
  auto r = make_value_node(rt, 2, false);
  BOOST_TEST(w->get(rt).writable());
  BOOST_TEST(!r->get(rt).writable());
  // Subscribed before any value (nothing to hear yet), some of them more than once.
  std::vector<uint64_t> plain[3], signed_seqs[3];
  rt.spawn(std::make_unique<subscriber>(w->pub, true, false, 3, &plain[0], &signed_seqs[0]));
  rt.spawn(std::make_unique<subscriber>(w->pub, false, true, 2, &plain[1], &signed_seqs[1]));
  rt.spawn(std::make_unique<subscriber>(w->pub, true, true, 1, &plain[2], &signed_seqs[2]));
  settle(rt);
  put(rt, *w, "one");
  settle(rt);
  put(rt, *w, "two");
  settle(rt);
  const std::vector<uint64_t> both{1, 2}, none;
  BOOST_TEST(plain[0] == both, boost::test_tools::per_element());
  BOOST_TEST(signed_seqs[0] == none, boost::test_tools::per_element());
  BOOST_TEST(plain[1] == none, boost::test_tools::per_element());
  BOOST_TEST(signed_seqs[1] == both, boost::test_tools::per_element());
  BOOST_TEST(plain[2] == both, boost::test_tools::per_element());
  BOOST_TEST(signed_seqs[2] == both, boost::test_tools::per_element());
  // A late subscriber hears the value held at once, then the next ones.
  std::vector<uint64_t> late, late_signed;
  rt.spawn(std::make_unique<subscriber>(w->pub, true, false, 1, &late, &late_signed));
  settle(rt);
  put(rt, *w, "three");
  settle(rt);
  const std::vector<uint64_t> two_three{2, 3};
  BOOST_TEST(late == two_three, boost::test_tools::per_element());
  BOOST_TEST(plain[0].size() == 3u);
}

BOOST_AUTO_TEST_CASE(values_spread_along_a_chain_and_newcomers_get_the_latest_at_once) {
  sim::runtime rt{3};
  auto a = make_value_node(rt, 1, true);
  auto b = make_value_node(rt, 2, false);
  auto c = make_value_node(rt, 3, false);
  link(rt, *b, *a);
  put(rt, *a, "one");
  put(rt, *a, "two");
  put(rt, *a, "three");
  settle(rt);
  BOOST_TEST(b->held_seq(rt) == 3u);
  // c arrives late: it gets the latest value at once, and none of the older ones.
  link(rt, *c, *b);
  settle(rt);
  BOOST_TEST(c->held_seq(rt) == 3u);
  BOOST_TEST(c->seen.seqs == (std::vector<uint64_t>{3}));
  put(rt, *a, "four");
  settle(rt);
  BOOST_TEST(b->held_seq(rt) == 4u);
  BOOST_TEST(c->held_seq(rt) == 4u);
  BOOST_TEST(c->state(rt).current->value == test::text("four"));
  // b relayed 4 to c only, not back to a, where it came from (c got 3 as a newcomer).
  BOOST_TEST(b->get(rt).stats().relayed == 1u);
}

BOOST_AUTO_TEST_CASE(a_peer_that_is_behind_is_brought_up_to_date) {
  sim::runtime rt{4};
  auto a = make_value_node(rt, 1, true);
  auto b = make_value_node(rt, 2, true); // same key: b signs "one" and "two" as a does
  for (auto* n : {a.get(), b.get()}) {
    put(rt, *n, "one");
    put(rt, *n, "two");
  }
  put(rt, *a, "three");
  put(rt, *a, "four");
  link(rt, *a, *b);
  settle(rt);
  BOOST_TEST(b->held_seq(rt) == 4u);
  BOOST_TEST(a->held_seq(rt) == 4u); // never goes backwards
  BOOST_TEST(a->state(rt).rejected_count(value_errc::stale_seq) == 1u);
}

BOOST_AUTO_TEST_CASE(a_forged_value_ends_the_connection_and_changes_nothing) {
  sim::runtime rt{5};
  auto a = make_value_node(rt, 1, true);
  auto b = make_value_node(rt, 2, false);
  put(rt, *a, "one");
  std::optional<disconnect_reason> closed;
  link(rt, *a, *b, rewrite_pushes([](signed_value& v) { v.value = test::text("evil"); }), &closed);
  settle(rt);
  BOOST_TEST(b->held_seq(rt) == 0u);
  BOOST_TEST(b->state(rt).rejected_count(value_errc::bad_signature) == 1u);
  BOOST_TEST((closed == disconnect_reason::invalid_proof));
  BOOST_TEST(b->get(rt).peer_count() == 0u);
}

BOOST_AUTO_TEST_CASE(an_oversized_value_is_refused_even_when_validly_signed) {
  sim::runtime rt{6};
  auto a = make_value_node(rt, 1, true);
  auto b = make_value_node(rt, 2, false);
  put(rt, *a, "one");
  std::optional<disconnect_reason> closed;
  link(rt, *a, *b, rewrite_pushes([](signed_value& v) {
    v = make_signed_value(news(), v.seq, bytes(value_limits{}.value_size_max + 1, 7),
                          writer_keys().sk);
  }), &closed);
  settle(rt);
  BOOST_TEST(b->held_seq(rt) == 0u);
  BOOST_TEST(b->state(rt).rejected_count(value_errc::value_too_large) == 1u);
  BOOST_TEST((closed == disconnect_reason::invalid_proof));
}

BOOST_AUTO_TEST_CASE(the_held_value_survives_a_restart_and_a_failed_write_changes_nothing) {
  sim::runtime rt{7};
  auto a = make_value_node(rt, 1, true);
  auto b = make_value_node(rt, 2, false);
  link(rt, *a, *b);
  put(rt, *a, "one");
  settle(rt);
  BOOST_REQUIRE(b->held_seq(rt) == 1u);
  b->store.fail_commits(1);
  put(rt, *a, "two");
  settle(rt);
  BOOST_TEST(b->held_seq(rt) == 1u); // its write failed: memory kept the stored value
  // A publisher started over b's store (as after a restart) holds what b stored.
  component_id again = rt.spawn(std::make_unique<publisher>(news(), std::nullopt, &b->store,
                                                            publisher_config{}));
  settle(rt);
  const auto& restored = static_cast<publisher&>(*rt.find(again)).state().current;
  BOOST_REQUIRE(restored.has_value());
  BOOST_TEST(restored->seq == 1u);
  BOOST_TEST(restored->value == test::text("one"));
}

BOOST_AUTO_TEST_CASE(an_asynchronous_rule_decides_peers_values_later) {
  sim::runtime rt{8};
  publisher_config async;
  async.validate_async = true;
  auto a = make_value_node(rt, 1, true);
  auto b = make_value_node(rt, 2, false, async);
  auto c = make_value_node(rt, 3, false);
  link(rt, *a, *b);
  link(rt, *c, *b);
  put(rt, *a, "one");
  settle(rt);
  BOOST_REQUIRE(b->seen.asked.size() == 1u);
  BOOST_TEST(b->held_seq(rt) == 0u); // waits for the verdict
  rt.with(b->pub, [&](component& comp, context& ctx) {
    static_cast<publisher&>(comp).validated(ctx, b->seen.asked[0], {});
  });
  settle(rt);
  BOOST_TEST(b->held_seq(rt) == 1u);
  BOOST_TEST(c->held_seq(rt) == 1u); // and relayed once accepted
  put(rt, *a, "two");
  settle(rt);
  BOOST_REQUIRE(b->seen.asked.size() == 2u);
  rt.with(b->pub, [&](component& comp, context& ctx) {
    static_cast<publisher&>(comp).validated(ctx, b->seen.asked[1],
                                            error{base_errc::invalid_argument, "not today"});
  });
  settle(rt);
  BOOST_TEST(b->held_seq(rt) == 1u);
  BOOST_TEST(c->held_seq(rt) == 1u);
  BOOST_TEST(b->state(rt).rejected_count(value_errc::rejected) == 1u);
  BOOST_REQUIRE(!b->seen.rejected.empty());
  BOOST_TEST(b->seen.rejected.back().find("not today") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_waiting_value_overtaken_by_a_newer_one_is_stale) {
  sim::runtime rt{9};
  publisher_config async;
  async.validate_async = true;
  auto a = make_value_node(rt, 1, true);
  auto b = make_value_node(rt, 2, false, async);
  link(rt, *a, *b);
  settle(rt);
  put(rt, *a, "one");
  put(rt, *a, "two");
  settle(rt);
  BOOST_REQUIRE(b->seen.asked.size() == 2u);
  auto decide = [&](uint64_t token) {
    rt.with(b->pub, [&](component& comp, context& ctx) {
      static_cast<publisher&>(comp).validated(ctx, token, {});
    });
  };
  decide(b->seen.asked[1]);
  decide(b->seen.asked[0]);
  decide(b->seen.asked[0]); // an answer for a token already decided is ignored
  settle(rt);
  BOOST_TEST(b->held_seq(rt) == 2u);
  BOOST_TEST(b->state(rt).rejected_count(value_errc::stale_seq) == 1u);
}

BOOST_AUTO_TEST_CASE(values_waiting_for_the_rule_are_bounded) {
  sim::runtime rt{10};
  publisher_config async;
  async.validate_async = true;
  async.validations_waiting_max = 2;
  auto a = make_value_node(rt, 1, true);
  auto b = make_value_node(rt, 2, false, async);
  link(rt, *a, *b);
  settle(rt);
  for (const char* v : {"one", "two", "three"})
    put(rt, *a, v);
  settle(rt);
  BOOST_TEST(b->seen.asked.size() == 2u);
  BOOST_TEST(b->get(rt).stats().validations_dropped == 1u);
  BOOST_TEST(b->state(rt).rejected_count(value_errc::rejected) == 1u);
}

BOOST_AUTO_TEST_CASE(an_equivocation_is_kept_as_proof_and_reported) {
  sim::runtime rt{11};
  auto a = make_value_node(rt, 1, true);
  auto a2 = make_value_node(rt, 2, true); // the same key, signing another value with seq 1
  auto b = make_value_node(rt, 3, false);
  put(rt, *a, "one");
  put(rt, *a2, "uno");
  link(rt, *a, *b);
  settle(rt);
  link(rt, *a2, *b);
  settle(rt);
  BOOST_TEST(b->state(rt).current->value == test::text("one")); // the first is kept
  BOOST_REQUIRE(b->seen.equivocations.size() == 1u);
  BOOST_TEST(b->seen.equivocations[0].first.value == test::text("one"));
  BOOST_TEST(b->seen.equivocations[0].second.value == test::text("uno"));
  BOOST_REQUIRE(b->state(rt).equivocation.has_value());
  // The relaying peer did nothing wrong: b keeps both connections.
  BOOST_TEST(b->get(rt).peer_count() == 2u);
}

BOOST_AUTO_TEST_SUITE_END()

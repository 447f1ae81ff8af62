#include "dynfeed/replication/feed_service.hpp"

#include <boost/test/unit_test.hpp>

#include "support/print.hpp"
#include "support/sim_nodes.hpp"

using namespace dynfeed;
using namespace std::chrono_literals;
using test::sim_node;

BOOST_AUTO_TEST_SUITE(proto_replication)

BOOST_AUTO_TEST_CASE(a_reader_clones_everything_the_writer_has) {
  sim::runtime rt{1};
  auto w = test::make_node(rt, 1, true);
  auto r = test::make_node(rt, 2, false);
  test::append(rt, *w, test::numbered_blocks(0, 300));
  test::append(rt, *w, test::numbered_blocks(300, 5));
  auto [pw, pr] = test::link(rt, *w, *r);
  test::download(rt, *r, 0, std::nullopt, false);
  test::offer(rt, *r, pr);
  BOOST_REQUIRE(rt.run_until_idle());
  BOOST_TEST(r->observer.done);
  BOOST_TEST(r->f->length() == 305u);
  BOOST_TEST(r->f->have().count() == 305u);
  BOOST_TEST((r->f->tree() == w->f->tree()));
  for (uint64_t i = 0; i < 305; i += 17)
    BOOST_TEST(*r->f->get(i) == *w->f->get(i));
  REQUIRE_OK(r->f->verify_all());
  // Chunks: far fewer requests than blocks.
  BOOST_TEST(r->svc(rt).stats().requests_sent < 40u);
  BOOST_TEST(r->svc(rt).stats().redundant_blocks == 0u);
  (void)pw;
}

BOOST_AUTO_TEST_CASE(a_range_download_fetches_only_that_range) {
  sim::runtime rt{2};
  auto w = test::make_node(rt, 1, true);
  auto r = test::make_node(rt, 2, false);
  test::append(rt, *w, test::numbered_blocks(0, 1000));
  auto [pw, pr] = test::link(rt, *w, *r);
  test::download(rt, *r, 100, 200, false);
  test::offer(rt, *r, pr);
  BOOST_REQUIRE(rt.run_until_idle());
  BOOST_TEST(r->observer.done);
  BOOST_TEST(r->f->have().count() == 100u);
  BOOST_TEST(r->f->have().count(100, 200) == 100u);
  (void)pw;
}

BOOST_AUTO_TEST_CASE(a_live_reader_follows_new_appends) {
  sim::runtime rt{3};
  auto w = test::make_node(rt, 1, true);
  auto r = test::make_node(rt, 2, false);
  test::append(rt, *w, test::numbered_blocks(0, 10));
  auto [pw, pr] = test::link(rt, *w, *r, 5ms);
  test::download(rt, *r, 0, std::nullopt, true);
  test::offer(rt, *r, pr);
  rt.run_until(rt.now() + 1s);
  BOOST_TEST(r->f->have().count() == 10u);
  for (uint64_t batch = 1; batch <= 5; ++batch) {
    test::append(rt, *w, test::numbered_blocks(10 * batch, 10));
    rt.run_until(rt.now() + 1s);
    BOOST_TEST(r->f->length() == 10 * (batch + 1));
    BOOST_TEST(r->f->have().count() == 10 * (batch + 1));
  }
  (void)pw;
}

BOOST_AUTO_TEST_CASE(readers_serve_each_other) {
  // w -- a -- b: b never talks to the writer.
  sim::runtime rt{4};
  auto w = test::make_node(rt, 1, true);
  auto a = test::make_node(rt, 2, false);
  auto b = test::make_node(rt, 3, false);
  test::append(rt, *w, test::numbered_blocks(0, 200));
  auto [w_to_a, a_to_w] = test::link(rt, *w, *a);
  auto [a_to_b, b_to_a] = test::link(rt, *a, *b);
  test::download(rt, *a, 0, std::nullopt, true);
  test::download(rt, *b, 0, 200, false);
  test::offer(rt, *a, a_to_w);
  test::offer(rt, *b, b_to_a);
  BOOST_REQUIRE(rt.run_until_idle());
  BOOST_TEST(b->observer.done);
  BOOST_TEST(b->f->have().count() == 200u);
  BOOST_TEST((b->f->tree() == w->f->tree()));
  (void)w_to_a;
  (void)a_to_b;
}

BOOST_AUTO_TEST_CASE(the_same_seed_gives_the_same_trace) {
  auto run = [](uint64_t seed) {
    sim::runtime rt{seed};
    auto w = test::make_node(rt, 1, true);
    auto r = test::make_node(rt, 2, false);
    test::append(rt, *w, test::numbered_blocks(0, 100));
    auto [pw, pr] = test::link(rt, *w, *r);
    test::download(rt, *r, 0, std::nullopt, false);
    test::offer(rt, *r, pr);
    rt.run_until_idle();
    (void)pw;
    return rt.digest();
  };
  BOOST_TEST(run(7) == run(7));
}

BOOST_AUTO_TEST_SUITE_END()

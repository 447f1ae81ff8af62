#include "dynfeed/replication/peer.hpp"

#include <boost/test/unit_test.hpp>

#include "dynfeed/messages/codec.hpp"
#include "support/hostile_connection.hpp"
#include "support/print.hpp"
#include "support/sim_nodes.hpp"

using namespace dynfeed;
using namespace std::chrono_literals;
using msg::disconnect_reason;

namespace {

using test::hostile_connection;

struct outcome {
  std::optional<disconnect_reason> reason;
  uint64_t reader_blocks = 0;
  uint64_t reader_length = 0;
  std::vector<std::string> rejected;
};

template <class Message>
Message* as(msg::wire_message& m) {
  return std::get_if<Message>(&m);
}

/// A writer with 64 blocks whose outgoing frames pass through `rewrite`, and an honest reader
/// that tries to clone it. The honest side's peer records why the connection ended.
outcome run(hostile_connection::rewrite_fn rewrite, feed_service_config reader_config = {},
            const std::vector<hash256>& busy_topics = {}) {
  sim::runtime rt{11};
  auto w = test::make_node(rt, 1, true);
  auto r = test::make_node(rt, 2, false, reader_config);
  // Topics the reader serves through a component too busy to answer: their channels stay
  // half open.
  if (!busy_topics.empty()) {
    struct silent final : component {
      void on_message(context&, component_id, byte_span) override {}
    };
    component_id busy = rt.spawn(std::make_unique<silent>());
    for (const hash256& topic : busy_topics)
      r->dir(rt).serve(topic, busy);
  }
  test::append(rt, *w, test::numbered_blocks(0, 64));
  outcome out;
  peer_config cw, cr;
  cw.node = w->directory;
  cr.node = r->directory;
  auto [pw, pr] = rt.connect(
    w->id, r->id, 10ms,
    [&](connection& c) { return std::make_unique<test::watched_peer>(cw, c, nullptr, rewrite); },
    [&](connection& c) { return std::make_unique<test::watched_peer>(cr, c, &out.reason); });
  test::download(rt, *r, 0, std::nullopt, false);
  test::offer(rt, *r, pr);
  rt.run_until(rt.now() + 120s);
  out.reader_blocks = r->f->have().count();
  out.reader_length = r->f->length();
  out.rejected = r->observer.rejected;
  (void)pw;
  return out;
}

std::vector<bytes> one(bytes b) {
  std::vector<bytes> v;
  v.push_back(std::move(b));
  return v;
}

/// Rewrites frames of one kind through `fn`, passing every other frame unchanged.
template <class Message, class Fn>
hostile_connection::rewrite_fn rewrite_each(Fn fn) {
  return [fn](bytes frame, uint64_t) {
    auto m = msg::decode_wire(frame);
    if (m)
      if (auto* x = as<Message>(*m)) {
        fn(*x);
        return one(msg::encode(*m));
      }
    return one(std::move(frame));
  };
}

} // namespace

BOOST_AUTO_TEST_SUITE(proto_hostile)

BOOST_AUTO_TEST_CASE(an_honest_writer_is_cloned) {
  outcome o = run([](bytes f, uint64_t) { return one(std::move(f)); });
  BOOST_TEST(!o.reason.has_value());
  BOOST_TEST(o.reader_blocks == 64u);
}

BOOST_AUTO_TEST_CASE(garbage_instead_of_hello) {
  outcome o = run([](bytes f, uint64_t i) { return one(i == 0 ? bytes{1, 2, 3} : std::move(f)); });
  BOOST_TEST((o.reason == disconnect_reason::malformed_frame));
  BOOST_TEST(o.reader_blocks == 0u);
}

BOOST_AUTO_TEST_CASE(no_hello_first) {
  outcome o = run([](bytes f, uint64_t i) {
    return one(i == 0 ? msg::encode(msg::wire_message{msg::close_channel{1}}) : std::move(f));
  });
  BOOST_TEST((o.reason == disconnect_reason::unexpected_message));
}

BOOST_AUTO_TEST_CASE(another_protocol_version) {
  outcome o = run(rewrite_each<msg::hello>([](msg::hello& h) { h.version = 99; }));
  BOOST_TEST((o.reason == disconnect_reason::protocol_version));
}

BOOST_AUTO_TEST_CASE(a_second_hello) {
  outcome o = run([](bytes f, uint64_t i) {
    std::vector<bytes> out = one(f);
    if (i == 0)
      out.push_back(f);
    return out;
  });
  BOOST_TEST((o.reason == disconnect_reason::unexpected_message));
}

BOOST_AUTO_TEST_CASE(a_forged_capability) {
  outcome o = run(rewrite_each<msg::open_channel>([](msg::open_channel& m) { m.capability.bytes[0] ^= 1; }));
  BOOST_TEST((o.reason == disconnect_reason::bad_capability));
  BOOST_TEST(o.reader_blocks == 0u);
}

BOOST_AUTO_TEST_CASE(a_tampered_block) {
  outcome o = run(rewrite_each<msg::data>([](msg::data& d) {
    if (d.body.block)
      d.body.block->values.back().back() ^= 0x40;
  }));
  BOOST_TEST((o.reason == disconnect_reason::invalid_proof));
  BOOST_TEST(o.reader_blocks == 0u);
  BOOST_TEST(!o.rejected.empty());
}

BOOST_AUTO_TEST_CASE(a_forged_signature) {
  outcome o = run(rewrite_each<msg::data>([](msg::data& d) {
    if (d.body.upgrade)
      d.body.upgrade->sig.bytes[5] ^= 1;
  }));
  BOOST_TEST((o.reason == disconnect_reason::invalid_proof));
  BOOST_TEST(o.reader_length == 0u);
  BOOST_TEST(o.reader_blocks == 0u);
}

BOOST_AUTO_TEST_CASE(data_nobody_asked_for) {
  outcome o = run([](bytes f, uint64_t) {
    std::vector<bytes> out = one(f);
    auto m = msg::decode_wire(f);
    if (m)
      if (auto* d = as<msg::data>(*m)) {
        d->id += 1000;
        out.push_back(msg::encode(*m));
      }
    return out;
  });
  BOOST_TEST((o.reason == disconnect_reason::unsolicited_data));
}

BOOST_AUTO_TEST_CASE(data_on_a_channel_that_is_not_open) {
  outcome o = run(rewrite_each<msg::data>([](msg::data& d) { d.channel += 7; }));
  BOOST_TEST((o.reason == disconnect_reason::unexpected_message));
  BOOST_TEST(o.reader_blocks == 0u);
}

BOOST_AUTO_TEST_CASE(a_writer_that_stops_answering) {
  feed_service_config config;
  config.request_timeout = 2s;
  config.timeouts_max = 2;
  outcome o = run(
    [](bytes f, uint64_t) {
      auto m = msg::decode_wire(f);
      if (m && (as<msg::data>(*m) || as<msg::no_data>(*m)))
        return std::vector<bytes>{};
      return one(std::move(f));
    },
    config);
  BOOST_TEST((o.reason == disconnect_reason::timeout));
  BOOST_TEST(o.reader_blocks == 0u);
}

BOOST_AUTO_TEST_CASE(too_many_channels) {
  // Channels for topics nobody here serves are forgotten as soon as the directory says so; these
  // 300 are served by a component that does not answer yet, so they pile up.
  std::vector<hash256> topics;
  for (uint32_t c = 1000; c < 1300; ++c)
    topics.push_back(crypto::blake2b_256(byte_span{std::to_string(c)}));
  outcome o = run([topics](bytes f, uint64_t i) {
    std::vector<bytes> out = one(std::move(f));
    if (i == 0)
      for (uint32_t c = 0; c < topics.size(); ++c) {
        msg::open_channel open;
        open.channel = 1000 + c;
        open.discovery_key = topics[c];
        out.push_back(msg::encode(msg::wire_message{open}));
      }
    return out;
  }, {}, topics);
  BOOST_TEST((o.reason == disconnect_reason::too_many_channels), (o.reason ? msg::to_string(*o.reason) : std::string("none")));
}

BOOST_AUTO_TEST_SUITE_END()

// Datagram components in actors, and a node's discovery, on CAF's test coordinator: a fake
// datagram transport stands in for UDP (the test hands it datagrams and reads what was sent),
// a fake TCP transport records whom the node dials.

#include "dynfeed/actors/datagram_host.hpp"

#include <boost/test/unit_test.hpp>

#include "dynfeed/actors/node.hpp"
#include "dynfeed/discovery/dht.hpp"
#include "dynfeed/discovery/tracker.hpp"
#include "dynfeed/krpc/codec.hpp"
#include "dynfeed/messages/tracker_codec.hpp"
#include "support/caf_fixture.hpp"
#include "support/print.hpp"
#include "support/temp_dir.hpp"

using namespace dynfeed;
using namespace std::chrono_literals;
namespace tracker = dynfeed::msg::tracker;

namespace {

/// Opens sockets that live in memory: what components send is kept in `sent`, and
/// `deliver` hands the last opened socket a datagram as if the network had.
class fake_datagrams final : public datagram_transport {
public:
  struct sent_datagram {
    endpoint to;
    bytes data;
  };

  class socket final : public datagram_socket {
  public:
    socket(fake_datagrams& owner, endpoint at) : owner_(owner), at_(at) {}
    ~socket() override { ++owner_.closed; }
    void send_to(const endpoint& to, bytes datagram) override {
      owner_.sent.push_back({to, std::move(datagram)});
    }
    endpoint local() const override { return at_; }

  private:
    fake_datagrams& owner_;
    endpoint at_;
  };

  expected<std::unique_ptr<datagram_socket>> open(const endpoint& local,
                                                  receive_fn on_receive) override {
    if (refuse)
      return error{base_errc::io_error,
                   "udp: bind " + local.to_string() + ": Address already in use"};
    deliver = std::move(on_receive);
    ++opened;
    endpoint at = local;
    if (at.port == 0)
      at.port = 40000; // "the system picked one"
    return std::unique_ptr<datagram_socket>{std::make_unique<socket>(*this, at)};
  }

  /// The datagrams sent to `to` that decode as tracker packets.
  std::vector<tracker::packet> packets_to(const endpoint& to) const {
    std::vector<tracker::packet> out;
    for (const sent_datagram& d : sent)
      if (d.to == to)
        if (auto p = tracker::decode(d.data))
          out.push_back(std::move(*p));
    return out;
  }

  std::vector<sent_datagram> sent;
  receive_fn deliver;
  int opened = 0;
  int closed = 0;
  bool refuse = false;
};

/// A TCP transport that records dials and listens without sockets.
class fake_tcp final : public transport {
public:
  caf::expected<uint16_t> listen(caf::actor_system&, caf::actor, const noise_keypair&,
                                 const std::string&, uint16_t) override {
    return uint16_t{7777};
  }
  void connect(caf::actor_system&, caf::actor, const noise_keypair&,
               const std::string& address) override {
    dialed.push_back(address);
  }
  void shutdown() override {}

  std::vector<std::string> dialed;
};

const endpoint tracker_at{0x0a000001, 6969}; // 10.0.0.1:6969

struct discovery_fixture : test::caf_fixture {
  test::temp_dir tmp;
  std::shared_ptr<fake_datagrams> datagrams = std::make_shared<fake_datagrams>();
  std::shared_ptr<fake_tcp> tcp = std::make_shared<fake_tcp>();

  node_actor make_node() {
    node_config nc;
    nc.seed = 7;
    nc.network = tcp;
    node_actor node = spawn_node(sys, nc);
    run();
    return node;
  }

  discovery_config tracker_discovery() {
    discovery_config dc;
    dc.kind = discovery_config::backend::tracker;
    dc.datagrams = datagrams;
    dc.local = endpoint{0x7f000001, 0};
    dc.tracker.trackers = {tracker_at};
    return dc;
  }

  /// Answers the last lookup sent to the tracker with `peers` and a token.
  void answer_lookup(const std::vector<endpoint>& peers) {
    auto sent = datagrams->packets_to(tracker_at);
    BOOST_REQUIRE(!sent.empty());
    BOOST_REQUIRE(std::holds_alternative<tracker::lookup>(sent.back().what));
    tracker::lookup_reply reply{peers, bytes(16, 0x42), 0x7f000001};
    datagrams->deliver(tracker_at, tracker::encode({sent.back().transaction, reply}));
    run();
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(discovery_actors, discovery_fixture)

BOOST_AUTO_TEST_CASE(a_hosted_tracker_answers_datagrams_and_counts_them) {
  auto directory = std::make_shared<actor_directory>(3);
  const endpoint asker{0x0a000005, 5000};
  tracker::packet lookup{11, tracker::lookup{hash256::from(bytes(32, 1)), 0}};
  auto hosted = spawn_datagram_component(sys, directory, *datagrams, endpoint{0x7f000001, 6969},
                                         [&](datagram_socket& s) {
                                           // Arrives before the actor exists: it waits.
                                           datagrams->deliver(asker, tracker::encode(lookup));
                                           return std::make_unique<tracker_server>(s);
                                         });
  BOOST_REQUIRE(hosted.has_value());
  BOOST_TEST(hosted->local.to_string() == "127.0.0.1:6969");
  run();
  lookup.transaction = 12;
  datagrams->deliver(asker, tracker::encode(lookup));
  datagrams->deliver(asker, bytes{1, 2, 3}); // junk: counted, unanswered
  run();
  auto replies = datagrams->packets_to(asker);
  BOOST_REQUIRE_EQUAL(replies.size(), 2u);
  BOOST_TEST(replies[0].transaction == 11u);
  BOOST_TEST(replies[1].transaction == 12u);
  BOOST_TEST(std::holds_alternative<tracker::lookup_reply>(replies[1].what));

  auto stats =
    ask<discovery_stats>(caf::actor_cast<discovery_actor>(hosted->actor), atoms::info::value);
  BOOST_TEST(stats[discovery_op::tracker_lookup].queries_received == 2u);
  BOOST_TEST(stats[discovery_op::tracker_lookup].responses_sent == 2u);
  BOOST_TEST(stats.refused.malformed == 1u);
  BOOST_TEST(stats.datagrams_received == 3u);

  // The socket closes with the actor.
  BOOST_TEST(datagrams->closed == 0);
  caf::anon_send_exit(hosted->actor, caf::exit_reason::user_shutdown);
  run();
  BOOST_TEST(datagrams->closed == 1);
}

BOOST_AUTO_TEST_CASE(a_socket_that_cannot_open_leaves_nothing_behind) {
  auto directory = std::make_shared<actor_directory>(3);
  datagrams->refuse = true;
  bool built = false;
  auto hosted = spawn_datagram_component(sys, directory, *datagrams, endpoint{0x7f000001, 6969},
                                         [&](datagram_socket& s) {
                                           built = true;
                                           return std::make_unique<tracker_server>(s);
                                         });
  BOOST_REQUIRE(!hosted.has_value());
  BOOST_TEST(hosted.error().to_string().find("Address already in use") != std::string::npos);
  BOOST_TEST(!built);
  BOOST_TEST(datagrams->opened == 0);
}

BOOST_AUTO_TEST_CASE(a_node_finds_and_announces_through_its_tracker) {
  node_actor node = make_node();
  auto feed = ask<feed_actor>(node, atoms::create_feed::value, tmp / "w", key_seed{});
  feed_info info = ask<feed_info>(feed, atoms::info::value);
  BOOST_TEST(ask<uint16_t>(node, atoms::discover::value, tracker_discovery()) == 40000u);
  BOOST_TEST(ask<bool>(node, atoms::join::value, feed, std::vector<peer_address>{},
                       feed_mode::stable));
  run();
  // The swarm asked the tracker for the feed's discovery key; with no port yet, no announce.
  auto sent = datagrams->packets_to(tracker_at);
  BOOST_REQUIRE_EQUAL(sent.size(), 1u);
  auto* asked = std::get_if<tracker::lookup>(&sent[0].what);
  BOOST_REQUIRE(asked);
  BOOST_TEST((swarm_topic::from(asked->topic.span()) == info.discovery_key));
  BOOST_TEST(asked->port == 0u);

  // The tracker names a peer: the node dials it.
  answer_lookup({endpoint{0x0a000009, 7000}});
  BOOST_REQUIRE_EQUAL(tcp->dialed.size(), 1u);
  BOOST_TEST(tcp->dialed[0] == "10.0.0.9:7000");

  // Once the node listens, it announces the port it listens on.
  BOOST_TEST(ask<peer_address>(node, atoms::listen::value, peer_address::tcp("127.0.0.1", 0)).port
             == 7777u);
  run();
  answer_lookup({});
  sent = datagrams->packets_to(tracker_at);
  auto* announced = std::get_if<tracker::announce>(&sent.back().what);
  BOOST_REQUIRE(announced);
  BOOST_TEST((swarm_topic::from(announced->topic.span()) == info.discovery_key));
  BOOST_TEST(announced->port == 7777u);
  BOOST_TEST(announced->token == bytes(16, 0x42));

  // One discovery per node.
  BOOST_CHECK_THROW(ask<uint16_t>(node, atoms::discover::value, tracker_discovery()),
                    std::runtime_error);
  caf::anon_send(node, atoms::shutdown::value);
  run();
  BOOST_TEST(datagrams->closed == 1);
}

BOOST_AUTO_TEST_CASE(a_node_joins_the_dht_through_its_bootstrap_nodes) {
  node_actor node = make_node();
  discovery_config dc;
  dc.datagrams = datagrams;
  dc.local = endpoint{0x7f000001, 6881};
  dc.dht.bootstrap = {endpoint{0x0a000002, 6881}};
  BOOST_TEST(ask<uint16_t>(node, atoms::discover::value, dc) == 6881u);
  run();
  BOOST_REQUIRE_EQUAL(datagrams->sent.size(), 1u);
  BOOST_TEST(datagrams->sent[0].to.to_string() == "10.0.0.2:6881");
  auto m = krpc::decode(datagrams->sent[0].data);
  BOOST_REQUIRE(m.has_value());
  BOOST_REQUIRE(krpc::is_query(*m));
  BOOST_TEST(std::holds_alternative<krpc::find_node>(std::get<krpc::query>(m->content)));
  caf::anon_send(node, atoms::shutdown::value);
  run();
}

BOOST_AUTO_TEST_CASE(bad_discovery_configs_are_refused) {
  node_actor node = make_node();
  discovery_config no_tracker = tracker_discovery();
  no_tracker.tracker.trackers.clear();
  BOOST_CHECK_THROW(ask<uint16_t>(node, atoms::discover::value, no_tracker), std::runtime_error);
  discovery_config no_transport = tracker_discovery();
  no_transport.datagrams = nullptr;
  BOOST_CHECK_THROW(ask<uint16_t>(node, atoms::discover::value, no_transport), std::runtime_error);
  datagrams->refuse = true;
  BOOST_CHECK_THROW(ask<uint16_t>(node, atoms::discover::value, tracker_discovery()),
                    std::runtime_error);
  BOOST_TEST(datagrams->opened == 0);
  // Nothing was started: a good config still works.
  datagrams->refuse = false;
  BOOST_TEST(ask<uint16_t>(node, atoms::discover::value, tracker_discovery()) == 40000u);
  caf::anon_send(node, atoms::shutdown::value);
  run();
}

BOOST_AUTO_TEST_CASE(a_task_runs_in_the_nodes_dht_through_its_discovery_actor) {
  node_actor node = make_node();
  // No discovery yet: nothing to hand out.
  BOOST_TEST(!try_ask<caf::actor>(node, atoms::discovery::value));
  discovery_config dc;
  dc.datagrams = datagrams;
  dc.local = endpoint{0x7f000001, 6881};
  dc.dht.id.data()[0] = 0xab;
  dc.dht.bootstrap = {endpoint{0x0a000002, 6881}};
  ask<uint16_t>(node, atoms::discover::value, dc);
  auto actor = ask<caf::actor>(node, atoms::discovery::value);
  // The task runs in the actor, with the DHT component the node started and its context.
  bool ran = false;
  caf::anon_send(actor, atoms::run::value, datagram_task{[&](datagram_component& comp, context&) {
                   auto* d = dynamic_cast<dht*>(&comp);
                   BOOST_REQUIRE(d != nullptr);
                   BOOST_TEST(d->id() == dc.dht.id);
                   BOOST_TEST(d->local().to_string() == "127.0.0.1:6881");
                   ran = true;
                 }});
  BOOST_TEST(!ran); // nothing runs until the actor's turn
  run();
  BOOST_TEST(ran);
  // An empty task is ignored, and the component keeps running.
  caf::anon_send(actor, atoms::run::value, datagram_task{});
  run();
  auto stats = try_ask<discovery_stats>(caf::actor_cast<discovery_actor>(actor), atoms::info::value);
  BOOST_TEST(static_cast<bool>(stats));
  caf::anon_send(node, atoms::shutdown::value);
  run();
}

BOOST_AUTO_TEST_SUITE_END()

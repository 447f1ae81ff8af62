// actor_connection hosted by the node's component actor, on CAF's test coordinator: frames a
// peer transmits while its link is still being set up wait in order, within a bound; past it
// the connection closes with setup_backlog, counted, and nothing is delivered; a far end that
// is watched learns that the link broke.

#include "dynfeed/actors/hosted.hpp"

#include "support/caf_fixture.hpp"

#include <boost/test/unit_test.hpp>

#include <memory>
#include <vector>

using namespace dynfeed;

namespace {

using reason = msg::disconnect_reason;

/// What each end of the link saw.
struct seen {
  std::vector<bytes> frames;
  std::vector<uint16_t> closes;
};

/// A peer reduced to its connection: transmits what the test tells it, records its end.
class sender final : public connected_component {
public:
  sender(std::unique_ptr<actor_connection> conn, std::shared_ptr<seen> log)
    : conn_(std::move(conn)), log_(std::move(log)) {}

  void on_message(context&, component_id, byte_span) override {}
  void on_remote(context&, byte_span frame) override { log_->frames.push_back(frame.to_bytes()); }
  void on_disconnect(context&, reason why) override {
    log_->closes.push_back(static_cast<uint16_t>(why));
    done_ = true;
  }
  bool alive() const override { return !done_; }

  actor_connection& conn() noexcept { return *conn_; }
  /// Closes the connection as a peer that is done with it, and ends.
  void hang_up(reason why) {
    conn_->close(why);
    done_ = true;
  }

private:
  std::unique_ptr<actor_connection> conn_;
  std::shared_ptr<seen> log_;
  bool done_ = false;
};

caf::message_handler sender_behavior(component_actor_type* self) {
  auto& s = static_cast<sender&>(*self->state.comp);
  s.conn().bind(self);
  return {
    [self](atoms::transmit, bytes& frame) {
      static_cast<sender&>(*self->state.comp).conn().transmit(std::move(frame));
    },
    [self](atoms::connected, caf::actor target) {
      static_cast<sender&>(*self->state.comp).conn().set_target(std::move(target));
    },
    [self](atoms::close, uint16_t code) {
      static_cast<sender&>(*self->state.comp).hang_up(static_cast<reason>(code));
      self->quit();
    },
  };
}

struct link_fixture : test::caf_fixture {
  std::shared_ptr<actor_directory> directory = std::make_shared<actor_directory>(7);
  std::shared_ptr<seen> near = std::make_shared<seen>();
  std::shared_ptr<seen> far = std::make_shared<seen>();
  caf::actor peer;   ///< the near end: its far end is not known yet (a link being set up)
  caf::actor remote; ///< the far end: it knows the near one from the start, as a node's does

  explicit link_fixture(caf::timespan latency = caf::timespan{0}) {
    auto conn = std::make_unique<actor_connection>(actor_connection::target_kind::remote_peer,
                                                   node_key{}, bytes(64, 1), true, latency);
    spawn_component(sys, directory, std::make_unique<sender>(std::move(conn), near),
                    sender_behavior, &peer);
    auto far_conn = std::make_unique<actor_connection>(
      actor_connection::target_kind::remote_peer, node_key{}, bytes(64, 1), false, latency);
    far_conn->set_target(peer);
    spawn_component(sys, directory, std::make_unique<sender>(std::move(far_conn), far),
                    sender_behavior, &remote);
    run();
  }
  ~link_fixture() {
    caf::anon_send_exit(peer, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(remote, caf::exit_reason::user_shutdown);
    run();
  }

  void transmit(bytes frame) { caf::anon_send(peer, atoms::transmit::value, std::move(frame)); }
  void connect() { caf::anon_send(peer, atoms::connected::value, remote); }
  uint16_t code(reason why) { return static_cast<uint16_t>(why); }
};

struct slow_link_fixture : link_fixture {
  slow_link_fixture() : link_fixture(std::chrono::milliseconds{5}) {}
};

bytes numbered(uint32_t n, size_t size = 8) {
  bytes b(size, 0);
  for (size_t i = 0; i < 4 && i < size; ++i)
    b[i] = static_cast<uint8_t>(n >> (8 * i));
  return b;
}

} // namespace

BOOST_FIXTURE_TEST_CASE(frames_that_wait_for_the_far_end_arrive_in_order, link_fixture) {
  for (uint32_t n = 0; n < 100; ++n)
    transmit(numbered(n));
  run();
  BOOST_TEST(far->frames.empty());
  connect();
  transmit(numbered(100));
  run();
  BOOST_REQUIRE_EQUAL(far->frames.size(), 101u);
  for (uint32_t n = 0; n <= 100; ++n)
    BOOST_TEST((far->frames[n] == numbered(n)));
  BOOST_TEST(far->closes.empty());
  BOOST_TEST(near->closes.empty());
  BOOST_TEST(directory->disconnects(reason::setup_backlog) == 0u);
  // And back: the far end knew the near one all along.
  BOOST_TEST(near->frames.empty());
}

BOOST_FIXTURE_TEST_CASE(the_bound_in_frames_holds_exactly, link_fixture) {
  for (uint32_t n = 0; n < frame_backlog::frames_max; ++n)
    transmit(numbered(n));
  connect();
  run();
  BOOST_TEST(far->frames.size() == frame_backlog::frames_max);
  BOOST_TEST(far->closes.empty());
  BOOST_TEST(near->closes.empty());
}

BOOST_FIXTURE_TEST_CASE(one_frame_past_the_bound_closes_with_setup_backlog, link_fixture) {
  for (uint32_t n = 0; n <= frame_backlog::frames_max; ++n)
    transmit(numbered(n));
  connect(); // the far end's answer, already in the mail when the bound is passed
  run();
  // The near end hears it at once, the far end once it is known: no frame at all, never one
  // past a gap, and the same reason. Both ends count it (they share one directory here).
  BOOST_TEST(near->closes == std::vector<uint16_t>{code(reason::setup_backlog)});
  BOOST_TEST(far->frames.empty());
  BOOST_TEST(far->closes == std::vector<uint16_t>{code(reason::setup_backlog)});
  BOOST_TEST(directory->disconnects(reason::setup_backlog) == 2u);
  BOOST_TEST(directory->disconnects(reason::normal) == 0u);
}

BOOST_FIXTURE_TEST_CASE(a_far_end_that_comes_too_late_sees_the_link_broken, link_fixture) {
  for (uint32_t n = 0; n <= frame_backlog::frames_max; ++n)
    transmit(numbered(n));
  run();
  BOOST_TEST(near->closes == std::vector<uint16_t>{code(reason::setup_backlog)});
  BOOST_TEST(directory->disconnects(reason::setup_backlog) == 1u);
  connect(); // the near end has ended: the far end, watching it, learns the link is gone
  run();
  BOOST_TEST(far->frames.empty());
  BOOST_TEST(far->closes == std::vector<uint16_t>{code(reason::transport_error)});
  BOOST_TEST(directory->disconnects(reason::transport_error) == 1u);
}

BOOST_FIXTURE_TEST_CASE(the_bound_in_bytes_closes_the_connection_too, link_fixture) {
  size_t half = frame_backlog::size_max / 2;
  transmit(numbered(0, half));
  transmit(numbered(1, half));
  run();
  BOOST_TEST(near->closes.empty()); // exactly the bound still waits
  transmit(numbered(2, 1));
  run();
  BOOST_TEST(near->closes == std::vector<uint16_t>{code(reason::setup_backlog)});
  BOOST_TEST(directory->disconnects(reason::setup_backlog) == 1u);
  BOOST_TEST(far->frames.empty());
  BOOST_TEST(far->closes == std::vector<uint16_t>{code(reason::transport_error)});
}

BOOST_FIXTURE_TEST_CASE(a_peer_that_closes_and_ends_leaves_nothing_behind_on_a_slow_link,
                        slow_link_fixture) {
  // The far end watches the near one, which ends at once; its frames and its close are still on
  // the way (5 ms): they arrive first, and the end of the actor says nothing more.
  connect();
  run();
  for (uint32_t n = 0; n < 10; ++n)
    transmit(numbered(n));
  caf::anon_send(peer, atoms::close::value, code(reason::normal));
  run();
  BOOST_TEST(far->frames.empty());
  advance(std::chrono::milliseconds{20});
  BOOST_REQUIRE_EQUAL(far->frames.size(), 10u);
  for (uint32_t n = 0; n < 10; ++n)
    BOOST_TEST((far->frames[n] == numbered(n)));
  BOOST_TEST(far->closes == std::vector<uint16_t>{code(reason::normal)});
  BOOST_TEST(directory->disconnects(reason::transport_error) == 0u);
}

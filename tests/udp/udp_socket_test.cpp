// The UDP socket on 127.0.0.1: datagrams both ways, oversized ones refused on either side,
// close while datagrams pour in, and a tracker server answering through it. Waits are on
// condition variables with a deadline, never sleeps.

#include "dynfeed/udp/udp_socket.hpp"

#include <boost/test/unit_test.hpp>

#include "dynfeed/messages/tracker_codec.hpp"
#include "dynfeed/discovery/tracker.hpp"
#include "support/print.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>

using namespace dynfeed;
using namespace std::chrono_literals;
namespace tracker = dynfeed::msg::tracker;

namespace {

const endpoint loopback_any{0x7f000001, 0};

/// What a socket's receiving thread hands over, for the test's thread to wait on.
class mailbox {
public:
  udp_socket::receive_fn receiver() {
    return [this](const endpoint& from, bytes datagram) {
      std::lock_guard<std::mutex> lock(mutex_);
      received_.emplace_back(from, std::move(datagram));
      arrived_.notify_all();
    };
  }
  /// The next datagram, or nothing after `deadline`.
  std::optional<std::pair<endpoint, bytes>> next(std::chrono::milliseconds deadline = 5000ms) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!arrived_.wait_for(lock, deadline, [&] { return !received_.empty(); }))
      return std::nullopt;
    auto out = std::move(received_.front());
    received_.pop_front();
    return out;
  }

private:
  std::mutex mutex_;
  std::condition_variable arrived_;
  std::deque<std::pair<endpoint, bytes>> received_;
};

std::unique_ptr<udp_socket> open_or_fail(mailbox& box, const endpoint& at = loopback_any) {
  auto s = udp_socket::open(at, box.receiver());
  REQUIRE_OK(s);
  return std::move(*s);
}

bytes pattern(size_t size, uint8_t seed) {
  bytes out(size);
  for (size_t i = 0; i < size; ++i)
    out[i] = static_cast<uint8_t>(seed + i * 7);
  return out;
}

/// Sends from a plain socket, bypassing udp_socket's own size check.
void send_raw(const endpoint& to, const bytes& datagram) {
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  BOOST_REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(to.port);
  addr.sin_addr.s_addr = htonl(to.ip);
  ssize_t n = ::sendto(fd, datagram.data(), datagram.size(), 0,
                       reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  ::close(fd);
  BOOST_REQUIRE(n == static_cast<ssize_t>(datagram.size()));
}

/// A context for driving one component by hand on the test's thread.
class manual_context final : public context {
public:
  component_id self() const override { return 1; }
  void send(component_id, bytes) override {}
  clock_time now() const override { return now_; }
  timer_id start_timer(clock_time, uint64_t) override { return ++timers_; }
  void cancel_timer(timer_id) override {}
  rng& random() override { return random_; }

private:
  clock_time now_{std::chrono::seconds{1}};
  timer_id timers_ = 0;
  rng random_{5};
};

} // namespace

BOOST_AUTO_TEST_SUITE(udp_socket_tests)

BOOST_AUTO_TEST_CASE(two_sockets_exchange_datagrams) {
  mailbox box_a, box_b;
  auto a = open_or_fail(box_a);
  auto b = open_or_fail(box_b);
  BOOST_TEST(a->local().ip == 0x7f000001u);
  BOOST_TEST(a->local().port != 0u);
  BOOST_TEST(a->local().port != b->local().port);

  // One at a time, so that no kernel buffer overflows; sizes up to the largest allowed.
  for (size_t size : {size_t{0}, size_t{1}, size_t{100}, size_t{1400}, datagram_size_max}) {
    a->send_to(b->local(), pattern(size, 1));
    auto got = box_b.next();
    BOOST_REQUIRE(got.has_value());
    BOOST_TEST((got->first == a->local()));
    BOOST_TEST(got->second == pattern(size, 1));
    b->send_to(got->first, pattern(size, 2)); // answer to where it came from
    auto back = box_a.next();
    BOOST_REQUIRE(back.has_value());
    BOOST_TEST((back->first == b->local()));
    BOOST_TEST(back->second == pattern(size, 2));
  }
  BOOST_TEST(a->stats().sent == 5u);
  BOOST_TEST(b->stats().received == 5u);
  BOOST_TEST(a->stats().send_dropped + a->stats().send_refused + a->stats().send_failed == 0u);
}

BOOST_AUTO_TEST_CASE(oversized_datagrams_are_refused_both_ways) {
  mailbox box_a, box_b;
  auto a = open_or_fail(box_a);
  auto b = open_or_fail(box_b);
  a->send_to(b->local(), bytes(datagram_size_max + 1, 1));
  BOOST_TEST(a->stats().send_refused == 1u);
  BOOST_TEST(a->stats().sent == 0u);
  // From a plain socket: dropped by the receiving side, which goes on receiving.
  send_raw(b->local(), bytes(datagram_size_max + 1, 2));
  send_raw(b->local(), bytes(60000, 3));
  send_raw(b->local(), bytes(10, 4));
  auto got = box_b.next();
  BOOST_REQUIRE(got.has_value());
  BOOST_TEST(got->second == bytes(10, 4));
  BOOST_TEST(b->stats().received_oversized == 2u);
  BOOST_TEST(b->stats().received == 1u);
}

BOOST_AUTO_TEST_CASE(a_taken_port_is_an_error) {
  mailbox box;
  auto a = open_or_fail(box);
  auto again = udp_socket::open(a->local(), box.receiver());
  BOOST_REQUIRE(!again.has_value());
  BOOST_TEST(again.error().is(base_errc::io_error));
  BOOST_TEST(again.error().context().find("bind") != std::string::npos);
  BOOST_TEST_MESSAGE(again.error().to_string());
}

BOOST_AUTO_TEST_CASE(close_while_receiving_is_clean) {
  for (int round = 0; round < 20; ++round) {
    std::atomic<bool> closed{false};
    std::atomic<uint64_t> late{0};
    std::atomic<uint64_t> count{0};
    std::mutex mutex;
    std::condition_variable some;
    auto b = udp_socket::open(loopback_any, [&](const endpoint&, bytes) {
      if (closed)
        ++late; // a callback after close() returned
      if (++count == 10) {
        std::lock_guard<std::mutex> lock(mutex);
        some.notify_all();
      }
    });
    REQUIRE_OK(b);
    mailbox unused;
    auto sender = open_or_fail(unused);
    const endpoint to = (*b)->local();
    std::atomic<bool> stop{false};
    std::thread flood([&] {
      while (!stop)
        sender->send_to(to, bytes(100, 1));
    });
    {
      std::unique_lock<std::mutex> lock(mutex);
      BOOST_REQUIRE(some.wait_for(lock, 5s, [&] { return count >= 10; }));
    }
    (*b)->close();
    closed = true;
    uint64_t at_close = count;
    (*b)->send_to(to, bytes(1, 1)); // refused, not a crash
    BOOST_TEST((*b)->stats().send_refused == 1u);
    (*b)->close(); // idempotent
    stop = true;
    flood.join();
    BOOST_TEST(late == 0u);
    BOOST_TEST(count == at_close);
    b->reset(); // the destructor after close
  }
}

BOOST_AUTO_TEST_CASE(the_destructor_stops_a_busy_socket) {
  mailbox unused;
  auto sender = open_or_fail(unused);
  for (int round = 0; round < 20; ++round) {
    std::atomic<uint64_t> count{0};
    auto b = udp_socket::open(loopback_any, [&](const endpoint&, bytes) { ++count; });
    REQUIRE_OK(b);
    for (int i = 0; i < 50; ++i)
      sender->send_to((*b)->local(), bytes(500, 1));
    b->reset(); // closes and joins whatever is still queued
  }
}

BOOST_AUTO_TEST_CASE(a_tracker_server_answers_through_it) {
  // The server is driven on this thread; the socket's thread only hands datagrams over.
  mailbox to_server, to_client;
  auto server_socket = open_or_fail(to_server);
  auto client_socket = open_or_fail(to_client);
  tracker_server server{*server_socket};
  manual_context ctx;
  server.on_start(ctx);

  const hash256 topic = hash256::from(bytes(32, 7));
  client_socket->send_to(server_socket->local(), tracker::encode({11, tracker::lookup{topic, 0}}));
  auto request = to_server.next();
  BOOST_REQUIRE(request.has_value());
  server.on_datagram(ctx, request->first, request->second);
  auto reply = to_client.next();
  BOOST_REQUIRE(reply.has_value());
  auto decoded = tracker::decode(reply->second);
  REQUIRE_OK(decoded);
  BOOST_TEST(decoded->transaction == 11u);
  auto& found = std::get<tracker::lookup_reply>(decoded->what);
  BOOST_TEST(found.observed_ip == 0x7f000001u);

  client_socket->send_to(server_socket->local(),
                         tracker::encode({12, tracker::announce{topic, 7000, found.token}}));
  request = to_server.next();
  BOOST_REQUIRE(request.has_value());
  server.on_datagram(ctx, request->first, request->second);
  reply = to_client.next();
  BOOST_REQUIRE(reply.has_value());
  decoded = tracker::decode(reply->second);
  REQUIRE_OK(decoded);
  BOOST_TEST(std::holds_alternative<tracker::announce_reply>(decoded->what));
  BOOST_TEST(server.peers_of(topic, ctx.now()).at(0).to_string() == "127.0.0.1:7000");
}

BOOST_AUTO_TEST_SUITE_END()

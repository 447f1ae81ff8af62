#include "dynfeed/channel/secure_channel.hpp"

#include <boost/test/unit_test.hpp>

#include "dynfeed/base/hex.hpp"
#include "dynfeed/base/random.hpp"
#include "support/noise_support.hpp"

#include <algorithm>
#include <deque>

using namespace dynfeed;
using namespace dynfeed::test;

namespace {

secure_channel_config test_config(std::string_view payload, size_t frame_size_max = 8u << 20) {
  secure_channel_config config;
  config.prologue = byte_span{std::string_view{"dynfeed test"}}.to_bytes();
  config.handshake_payload = byte_span{payload}.to_bytes();
  config.frame_size_max = frame_size_max;
  config.output_buffer_max = 3 * frame_size_max + (1u << 20);
  return config;
}

/// An initiator and a responder, with what each received.
struct channel_pair {
  secure_channel a{noise_role::initiator, test_keys(1), test_config("from a")};
  secure_channel b{noise_role::responder, test_keys(2), test_config("from b")};
  channel_events a_events;
  channel_events b_events;
};

/// How the bytes of a pump are cut into feed() calls: 0 = all at once, 1 = one byte at a time,
/// otherwise random sizes up to `chunk_max`. Partial writes consume only what was fed.
struct chunking {
  size_t chunk_max = 0;
  rng random{7};

  size_t next(size_t available) {
    if (chunk_max == 0)
      return available;
    return 1 + random.below(std::min(chunk_max, available));
  }
};

/// Moves everything `from` has to write into `to`. Returns false if `to` failed.
bool pump(secure_channel& from, secure_channel& to, channel_events& events, chunking& cut) {
  for (;;) {
    byte_span out = from.output();
    if (out.empty())
      return true;
    size_t size = cut.next(out.size());
    status st = to.feed(out.subspan(0, size), events);
    from.consume_output(size);
    if (!st)
      return false;
  }
}

bool pump_both(channel_pair& p, chunking& cut) {
  bool ok = true;
  for (int round = 0; round < 4 && ok; ++round)
    ok = pump(p.a, p.b, p.b_events, cut) && pump(p.b, p.a, p.a_events, cut);
  return ok;
}

void open_pair(channel_pair& p) {
  chunking whole;
  BOOST_REQUIRE(pump_both(p, whole));
  BOOST_REQUIRE(p.a.handshake_complete());
  BOOST_REQUIRE(p.b.handshake_complete());
  p.a_events.clear();
  p.b_events.clear();
}

/// The wire bytes of one more transport message from `from`, carrying one frame.
bytes sealed_frame(secure_channel& from, byte_span frame) {
  BOOST_REQUIRE(from.send(frame));
  return from.take_output();
}

} // namespace

BOOST_AUTO_TEST_SUITE(channel)

BOOST_AUTO_TEST_CASE(handshake_completes_and_authenticates_both_sides) {
  channel_pair p;
  BOOST_TEST(p.a.output().size() == 2 + 32); // message 1: the ephemeral key only
  BOOST_TEST(p.b.output().empty());
  chunking whole;
  BOOST_TEST(pump_both(p, whole));
  BOOST_TEST(p.a_events.handshake_completed);
  BOOST_TEST(p.b_events.handshake_completed);
  BOOST_TEST(p.a.handshake_complete());
  BOOST_TEST(p.b.handshake_complete());
  BOOST_TEST(to_hex(p.a.remote_static()) == to_hex(test_keys(2).pk));
  BOOST_TEST(to_hex(p.b.remote_static()) == to_hex(test_keys(1).pk));
  BOOST_TEST(to_text(p.a.remote_payload()) == "from b");
  BOOST_TEST(to_text(p.b.remote_payload()) == "from a");
  BOOST_TEST(to_hex(p.a.handshake_hash()) == to_hex(p.b.handshake_hash()));
  BOOST_TEST(p.a_events.frames.empty());
  BOOST_TEST(p.b_events.frames.empty());
}

BOOST_AUTO_TEST_CASE(handshake_fed_one_byte_at_a_time) {
  channel_pair p;
  chunking bytewise{1};
  BOOST_TEST(pump_both(p, bytewise));
  BOOST_TEST(p.a.handshake_complete());
  BOOST_TEST(p.b.handshake_complete());
}

BOOST_AUTO_TEST_CASE(frames_sent_before_the_handshake_follow_it) {
  channel_pair p;
  BOOST_REQUIRE(p.a.send(byte_span{std::string_view{"early a"}}));
  BOOST_REQUIRE(p.b.send(byte_span{std::string_view{"early b"}}));
  BOOST_REQUIRE(p.b.send(bytes{}));
  chunking whole;
  BOOST_REQUIRE(pump_both(p, whole));
  BOOST_REQUIRE(p.b_events.frames.size() == 1u);
  BOOST_TEST(to_text(p.b_events.frames[0]) == "early a");
  BOOST_REQUIRE(p.a_events.frames.size() == 2u);
  BOOST_TEST(to_text(p.a_events.frames[0]) == "early b");
  BOOST_TEST(p.a_events.frames[1].empty());
}

BOOST_AUTO_TEST_CASE(frames_of_every_awkward_size_round_trip) {
  const size_t m = noise_plaintext_size_max;
  std::vector<size_t> sizes = {0,     1,     2,     3,      4,         5,
                               m - 5, m - 4, m - 3, m,      m + 1,     noise_message_size_max,
                               65536, 2 * m - 4,   2 * m,   3u << 20,  (3u << 20) + 7};
  for (size_t cut_max : {size_t{0}, size_t{1}, size_t{700}, size_t{70000}}) {
    channel_pair p;
    open_pair(p);
    std::vector<bytes> sent;
    for (size_t size : sizes) {
      sent.push_back(pattern_bytes(size, size));
      BOOST_REQUIRE(p.a.send(sent.back()));
      BOOST_REQUIRE(p.b.send(sent.back()));
    }
    chunking cut{cut_max};
    BOOST_REQUIRE(pump_both(p, cut));
    BOOST_TEST_CONTEXT("chunks up to " << cut_max) {
      BOOST_REQUIRE(p.b_events.frames.size() == sent.size());
      BOOST_REQUIRE(p.a_events.frames.size() == sent.size());
      for (size_t i = 0; i < sent.size(); ++i) {
        BOOST_TEST((p.b_events.frames[i] == sent[i]), "frame " << i);
        BOOST_TEST((p.a_events.frames[i] == sent[i]), "frame " << i);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(frame_headers_split_at_every_message_boundary) {
  // A first frame that ends k bytes before a transport message is full puts the next frame's
  // 4-byte size across the boundary for k = 1..3, and right at it for k = 0 and 4.
  for (size_t k = 0; k <= 8; ++k) {
    channel_pair p;
    open_pair(p);
    std::vector<bytes> sent = {pattern_bytes(noise_plaintext_size_max - 4 - k, k),
                               pattern_bytes(10, 100 + k), bytes{},
                               pattern_bytes(noise_plaintext_size_max * 2, 200 + k), bytes{1}};
    for (const bytes& frame : sent)
      BOOST_REQUIRE(p.a.send(frame));
    chunking cut{1 + 997 * k};
    BOOST_REQUIRE(pump(p.a, p.b, p.b_events, cut));
    BOOST_REQUIRE(p.b_events.frames.size() == sent.size());
    for (size_t i = 0; i < sent.size(); ++i)
      BOOST_TEST((p.b_events.frames[i] == sent[i]), "k " << k << " frame " << i);
  }
}

BOOST_AUTO_TEST_CASE(small_frames_share_transport_messages) {
  channel_pair p;
  open_pair(p);
  for (int i = 0; i < 1000; ++i)
    BOOST_REQUIRE(p.a.send(bytes(10, static_cast<uint8_t>(i))));
  size_t plaintext = 1000 * (4 + 10);
  BOOST_TEST(p.a.output().size() == plaintext + 2 + 16); // one message
  chunking whole;
  BOOST_REQUIRE(pump(p.a, p.b, p.b_events, whole));
  BOOST_REQUIRE(p.b_events.frames.size() == 1000u);
  BOOST_TEST(p.b_events.frames[999] == bytes(10, static_cast<uint8_t>(999)));
}

BOOST_AUTO_TEST_CASE(random_traffic_with_partial_writes) {
  rng random{2024};
  channel_pair p;
  chunking cut{5000};
  std::deque<bytes> to_b;
  std::deque<bytes> to_a;
  for (int round = 0; round < 200; ++round) {
    for (int i = static_cast<int>(random.below(4)); i > 0; --i) {
      size_t size = random.chance(0.1) ? random.below(300000) : random.below(300);
      bool from_a = random.chance(0.5);
      bytes frame = pattern_bytes(size, random.next());
      BOOST_REQUIRE((from_a ? p.a : p.b).send(frame));
      (from_a ? to_b : to_a).push_back(std::move(frame));
    }
    // Sometimes only one side writes, and only part of its output.
    if (random.chance(0.5))
      BOOST_REQUIRE(pump(p.a, p.b, p.b_events, cut));
    if (random.chance(0.5))
      BOOST_REQUIRE(pump(p.b, p.a, p.a_events, cut));
  }
  BOOST_REQUIRE(pump_both(p, cut));
  BOOST_REQUIRE(p.b_events.frames.size() == to_b.size());
  BOOST_REQUIRE(p.a_events.frames.size() == to_a.size());
  for (size_t i = 0; i < to_b.size(); ++i)
    BOOST_TEST((p.b_events.frames[i] == to_b[i]), "to b " << i);
  for (size_t i = 0; i < to_a.size(); ++i)
    BOOST_TEST((p.a_events.frames[i] == to_a[i]), "to a " << i);
}

// ---- failures -------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(wrong_prologue_fails_the_handshake) {
  secure_channel_config other = test_config("from b");
  other.prologue = byte_span{std::string_view{"another protocol"}}.to_bytes();
  channel_pair p;
  p.b = secure_channel{noise_role::responder, test_keys(2), other};
  chunking whole;
  BOOST_TEST(!pump_both(p, whole));
  BOOST_TEST(p.a.failure().is(noise_errc::decrypt_failed));
  BOOST_TEST(!p.a.handshake_complete());
  BOOST_TEST(!p.b.handshake_complete());
}

BOOST_AUTO_TEST_CASE(every_tampered_handshake_byte_fails) {
  for (int target = 0; target < 3; ++target) {
    size_t size = target == 0 ? 2 + 32 : target == 1 ? 2 + 96 + 6 : 2 + 64 + 6;
    for (size_t at = 0; at < size; ++at) {
      channel_pair p;
      secure_channel* from[3] = {&p.a, &p.b, &p.a};
      secure_channel* to[3] = {&p.b, &p.a, &p.b};
      channel_events* events[3] = {&p.b_events, &p.a_events, &p.b_events};
      bool failed = false;
      for (int step = 0; step < 3 && !failed; ++step) {
        bytes wire = from[step]->take_output();
        if (wire.empty())
          break; // the reader waits for the rest of a message whose size grew
        if (step <= target)
          BOOST_REQUIRE(wire.size() == (step == 0 ? 34u : step == 1 ? 104u : 72u));
        if (step == target)
          wire[at] ^= 0x20;
        failed = !to[step]->feed(wire, *events[step]);
      }
      BOOST_TEST_CONTEXT("message " << target << " byte " << at) {
        BOOST_TEST(!(p.a.handshake_complete() && p.b.handshake_complete()));
        // A larger size prefix leaves the reader waiting for bytes that never come; any
        // other change fails the handshake at once or at the next message.
        if (at >= 2)
          BOOST_TEST(failed);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(tampered_replayed_and_truncated_transport_messages_fail) {
  channel_pair base;
  open_pair(base);
  bytes wire = sealed_frame(base.a, byte_span{std::string_view{"hello"}});
  BOOST_REQUIRE(wire.size() == 2 + 4 + 5 + 16);
  for (size_t at = 2; at < wire.size(); ++at) {
    channel_pair p;
    open_pair(p);
    bytes w = sealed_frame(p.a, byte_span{std::string_view{"hello"}});
    w[at] ^= 0x01;
    BOOST_TEST(p.b.feed(w, p.b_events).error().is(noise_errc::decrypt_failed));
    BOOST_TEST(p.b_events.frames.empty());
  }
  channel_pair p;
  open_pair(p);
  bytes w = sealed_frame(p.a, byte_span{std::string_view{"hello"}});
  BOOST_REQUIRE(p.b.feed(w, p.b_events));
  BOOST_TEST(p.b.feed(w, p.b_events).error().is(noise_errc::decrypt_failed)); // replay
  // Everything is refused after a failure.
  BOOST_TEST(p.b.failed());
  BOOST_TEST(p.b.feed(bytes{0}, p.b_events).error().is(channel_errc::channel_failed));
  BOOST_TEST(p.b.send(bytes{1}).error().is(channel_errc::channel_failed));

  // Truncated: a size prefix one smaller cuts the tag short.
  channel_pair q;
  open_pair(q);
  bytes t = sealed_frame(q.a, byte_span{std::string_view{"hello"}});
  t[1] -= 1;
  t.pop_back();
  BOOST_TEST(q.b.feed(t, q.b_events).error().is(noise_errc::decrypt_failed));
}

BOOST_AUTO_TEST_CASE(reordered_transport_messages_fail) {
  channel_pair p;
  open_pair(p);
  bytes first = sealed_frame(p.a, byte_span{std::string_view{"1"}});
  bytes second = sealed_frame(p.a, byte_span{std::string_view{"2"}});
  BOOST_TEST(p.b.feed(second, p.b_events).error().is(noise_errc::decrypt_failed));
}

BOOST_AUTO_TEST_CASE(malformed_message_sizes_fail) {
  for (bytes wire : {bytes{0, 0}, bytes{0, 15, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}}) {
    channel_pair p;
    open_pair(p);
    BOOST_TEST(p.b.feed(wire, p.b_events).error().is(channel_errc::message_too_short));
  }
  // The largest size prefix just waits for its bytes; garbage bytes then fail the tag.
  channel_pair p;
  open_pair(p);
  BOOST_TEST(p.b.feed(bytes{0xff, 0xff}, p.b_events).has_value());
  BOOST_TEST(p.b.feed(pattern_bytes(65534, 1), p.b_events).has_value());
  BOOST_TEST(!p.b.failed());
  BOOST_TEST(p.b.feed(bytes{0}, p.b_events).error().is(noise_errc::decrypt_failed));
  // Before the handshake a short message 1 fails.
  channel_pair q;
  BOOST_TEST(q.b.feed(bytes{0, 3, 1, 2, 3}, q.b_events).error().is(noise_errc::message_too_short));
}

BOOST_AUTO_TEST_CASE(garbage_fails_the_channel) {
  for (uint64_t seed = 1; seed <= 50; ++seed) {
    bytes garbage = pattern_bytes(200000, seed);
    channel_pair fresh;
    BOOST_TEST(!fresh.b.feed(garbage, fresh.b_events));
    BOOST_TEST(!fresh.b.handshake_complete());
    channel_pair open;
    open_pair(open);
    BOOST_TEST(!open.b.feed(garbage, open.b_events));
    BOOST_TEST(open.b_events.frames.empty());
  }
}

BOOST_AUTO_TEST_CASE(oversized_frames_fail) {
  channel_pair p;
  // b accepts at most 1000 bytes; a may send up to 8 MiB.
  p.b = secure_channel{noise_role::responder, test_keys(2), test_config("from b", 1000)};
  open_pair(p);
  BOOST_REQUIRE(p.a.send(bytes(1000, 7)));
  BOOST_REQUIRE(p.a.send(bytes(1001, 7)));
  BOOST_TEST(p.b.feed(p.a.take_output(), p.b_events).error().is(channel_errc::frame_too_large));
  BOOST_REQUIRE(p.b_events.frames.size() == 1u); // the frame before the bad one arrived
  BOOST_TEST(p.b_events.frames[0].size() == 1000u);
  BOOST_TEST(p.b.failed());
  // b refuses to send more than its own limit, without failing.
  channel_pair q;
  q.b = secure_channel{noise_role::responder, test_keys(2), test_config("from b", 1000)};
  open_pair(q);
  BOOST_TEST(q.b.send(bytes(1001)).error().is(channel_errc::send_frame_too_large));
  BOOST_TEST(!q.b.failed());
  BOOST_TEST(q.b.send(bytes(1000)).has_value());
}

BOOST_AUTO_TEST_CASE(output_is_bounded) {
  channel_pair p;
  open_pair(p);
  size_t frame = 1u << 20;
  bytes data(frame, 1);
  int accepted = 0;
  while (p.a.send(data))
    ++accepted;
  BOOST_TEST(accepted >= 20); // 3 * 8 MiB + 1 MiB of room
  BOOST_TEST(p.a.output_size() <= 3 * (8u << 20) + (1u << 20));
  BOOST_TEST(p.a.send(data).error().is(channel_errc::output_full));
  BOOST_TEST(!p.a.failed());
  // Writing some output makes room again.
  p.a.consume_output(p.a.output().size() / 2);
  BOOST_TEST(p.a.send(data).has_value());
}

BOOST_AUTO_TEST_CASE(handshake_payload_limits) {
  channel_pair p;
  p.b = secure_channel{noise_role::responder, test_keys(2),
                       test_config(std::string(5000, 'x'))};
  chunking whole;
  BOOST_TEST(!pump_both(p, whole));
  BOOST_TEST(p.a.failure().is(channel_errc::handshake_payload_too_large));

  // Message 1 travels in clear, so a payload there is refused.
  auto hs = noise_handshake::initiator(test_keys(1), test_config("").prologue);
  bytes msg1 = hs.write_message(byte_span{std::string_view{"secret?"}}).value();
  bytes wire = {0, static_cast<uint8_t>(msg1.size())};
  wire.insert(wire.end(), msg1.begin(), msg1.end());
  channel_pair q;
  BOOST_TEST(q.b.feed(wire, q.b_events).error().is(channel_errc::cleartext_payload));
}

BOOST_AUTO_TEST_CASE(low_order_ephemeral_fails) {
  bytes wire(2 + 32);
  wire[1] = 32;
  channel_pair p;
  BOOST_TEST(p.b.feed(wire, p.b_events).error().is(noise_errc::bad_dh));
}

BOOST_AUTO_TEST_SUITE_END()

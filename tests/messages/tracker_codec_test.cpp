// The tracker codec: every packet kind round-trips, every limit holds at and past its maximum,
// and hostile bytes (truncated, random, damaged, crafted with Cap'n Proto itself) are refused
// with a msg_errc error, never an exception or a crash.

#include "dynfeed/messages/tracker_codec.hpp"

#include <boost/test/unit_test.hpp>

#include "dynfeed/base/random.hpp"
#include "dynfeed/messages/tracker.capnp.h"
#include "support/print.hpp"

#include <capnp/message.h>
#include <capnp/serialize.h>

#include <string>

using namespace dynfeed;
using namespace dynfeed::msg::tracker;
using dynfeed::msg::msg_errc;

namespace {

hash256 topic_of(uint8_t n) {
  return hash256::from(bytes(32, n));
}

bool same(const packet& a, const packet& b) {
  if (a.transaction != b.transaction || a.what.index() != b.what.index())
    return false;
  return std::visit(
    [&](const auto& x) {
      using T = std::decay_t<decltype(x)>;
      const T& y = std::get<T>(b.what);
      if constexpr (std::is_same_v<T, lookup>)
        return x.topic == y.topic && x.port == y.port;
      else if constexpr (std::is_same_v<T, lookup_reply>)
        return x.peers == y.peers && x.token == y.token && x.observed_ip == y.observed_ip;
      else if constexpr (std::is_same_v<T, announce>)
        return x.topic == y.topic && x.port == y.port && x.token == y.token;
      else if constexpr (std::is_same_v<T, announce_reply>)
        return true;
      else
        return x.code == y.code && x.message == y.message;
    },
    a.what);
}

std::vector<endpoint> numbered_peers(size_t n) {
  std::vector<endpoint> out;
  for (size_t i = 0; i < n; ++i)
    out.push_back(endpoint{static_cast<uint32_t>(0x0a000000 + i), static_cast<uint16_t>(1000 + i)});
  return out;
}

std::vector<packet> samples() {
  return {
    {1, lookup{topic_of(1), 0}},
    {~uint64_t{0}, lookup{topic_of(2), 7000}},
    {0, lookup_reply{}},
    {3, lookup_reply{numbered_peers(3), bytes(16, 0xab), 0x0a000002}},
    {4, lookup_reply{numbered_peers(512), bytes(32, 1), 0xffffffff}},
    {5, announce{topic_of(3), 65535, bytes(16, 7)}},
    {6, announce{topic_of(4), 1, {}}},
    {7, announce_reply{}},
    {8, error_reply{static_cast<uint16_t>(error_code::bad_token), "not a token of ours"}},
    {9, error_reply{0, ""}},
  };
}

bool fails_with(const expected<packet>& decoded, msg_errc code) {
  if (decoded) {
    BOOST_TEST_MESSAGE("decoded, expected " << error{code}.to_string());
    return false;
  }
  BOOST_TEST_MESSAGE(decoded.error().to_string());
  return decoded.error().is(code);
}

/// Whatever damaged bytes decode to must survive a round trip of its own.
void check_outcome(const expected<packet>& decoded) {
  if (!decoded) {
    BOOST_REQUIRE(decoded.error().category() == "msg");
    return;
  }
  bytes again = encode(*decoded);
  BOOST_REQUIRE(again.size() == encoded_size(*decoded));
  auto back = decode(again);
  REQUIRE_OK(back);
  BOOST_REQUIRE(same(*back, *decoded));
}

/// A packet that Cap'n Proto builds from `fill`, in segments of `segment_words` words.
template <class Fill>
bytes crafted(Fill&& fill, unsigned segment_words = capnp::SUGGESTED_FIRST_SEGMENT_WORDS) {
  capnp::MallocMessageBuilder builder{segment_words, capnp::AllocationStrategy::FIXED_SIZE};
  fill(builder.initRoot<tracker_wire::TrackerPacket>());
  auto words = capnp::messageToFlatArray(builder);
  auto raw = words.asBytes();
  return bytes(raw.begin(), raw.end());
}

capnp::Data::Reader blob_of(const bytes& b) {
  return capnp::Data::Reader(b.data(), b.size());
}

} // namespace

BOOST_AUTO_TEST_SUITE(tracker_codec)

BOOST_AUTO_TEST_CASE(every_kind_round_trips) {
  for (const packet& p : samples()) {
    bytes datagram = encode(p);
    BOOST_TEST(datagram.size() == encoded_size(p));
    BOOST_TEST(datagram.size() <= dynfeed::datagram_size_max);
    auto back = decode(datagram);
    REQUIRE_OK(back);
    BOOST_TEST(same(*back, p));
  }
}

BOOST_AUTO_TEST_CASE(reuses_a_buffer_and_reads_unaligned_bytes) {
  bytes out(3, 0xee);
  for (const packet& p : samples()) {
    encode(p, out);
    BOOST_TEST(out == encode(p));
    bytes shifted(out.size() + 1);
    std::copy(out.begin(), out.end(), shifted.begin() + 1);
    auto back = decode(byte_span{shifted.data() + 1, out.size()});
    REQUIRE_OK(back);
    BOOST_TEST(same(*back, p));
  }
}

BOOST_AUTO_TEST_CASE(the_largest_lookup_reply_fits_a_datagram) {
  packet p{1, lookup_reply{numbered_peers(limits{}.peers_max), bytes(limits{}.token_size_max, 1), 1}};
  BOOST_TEST(encoded_size(p) <= dynfeed::datagram_size_max);
}

BOOST_AUTO_TEST_CASE(limits_hold_at_and_past_their_maximum) {
  limits lim;
  lim.peers_max = 4;
  lim.token_size_max = 8;
  lim.text_size_max = 5;
  REQUIRE_OK(decode(encode({1, lookup_reply{numbered_peers(4), bytes(8, 1), 0}}), lim));
  BOOST_TEST(fails_with(decode(encode({1, lookup_reply{numbered_peers(5), {}, 0}}), lim),
                        msg_errc::limit_exceeded));
  BOOST_TEST(fails_with(decode(encode({1, lookup_reply{{}, bytes(9, 1), 0}}), lim),
                        msg_errc::limit_exceeded));
  REQUIRE_OK(decode(encode({1, announce{topic_of(1), 1, bytes(8, 1)}}), lim));
  BOOST_TEST(fails_with(decode(encode({1, announce{topic_of(1), 1, bytes(9, 1)}}), lim),
                        msg_errc::limit_exceeded));
  REQUIRE_OK(decode(encode({1, error_reply{1, "12345"}}), lim));
  BOOST_TEST(fails_with(decode(encode({1, error_reply{1, "123456"}}), lim), msg_errc::limit_exceeded));

  // Sizes: the default maximum is a datagram; one byte more is too large.
  bytes big = encode({1, lookup_reply{numbered_peers(600), {}, 0}});
  lim = limits{};
  lim.peers_max = 1000;
  REQUIRE_OK(decode(big, lim));
  lim.size_max = big.size() - 1;
  BOOST_TEST(fails_with(decode(big, lim), msg_errc::too_large));
  bytes huge(dynfeed::datagram_size_max + 8, 0);
  BOOST_TEST(fails_with(decode(huge), msg_errc::too_large));
}

BOOST_AUTO_TEST_CASE(every_truncation_is_refused) {
  for (const packet& p : samples()) {
    bytes datagram = encode(p);
    for (size_t n = 0; n < datagram.size(); ++n)
      BOOST_REQUIRE(fails_with(decode(byte_span{datagram.data(), n}), msg_errc::truncated));
  }
}

BOOST_AUTO_TEST_CASE(bytes_after_the_packet_are_refused) {
  bytes datagram = encode({1, announce_reply{}});
  datagram.push_back(0);
  BOOST_TEST(fails_with(decode(datagram), msg_errc::malformed));
  datagram.resize(datagram.size() + 7);
  BOOST_TEST(fails_with(decode(datagram), msg_errc::malformed));
}

BOOST_AUTO_TEST_CASE(an_empty_message_is_refused) {
  // One segment of one word: a null root pointer, so every field is zero (`invalid`).
  bytes zero = {0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  BOOST_TEST(fails_with(decode(zero), msg_errc::malformed));
  BOOST_TEST(fails_with(decode(bytes{}), msg_errc::truncated));
}

BOOST_AUTO_TEST_CASE(an_unknown_kind_is_refused) {
  bytes datagram = encode({42, announce_reply{}});
  // Segment table (1 word), root pointer (1 word), transaction (1 word), then the union's
  // discriminant in the next 16 bits.
  const size_t at = 24;
  BOOST_REQUIRE(datagram[at] == tracker_wire::TrackerPacket::ANNOUNCE_REPLY);
  datagram[at] = tracker_wire::TrackerPacket::ERROR + 1;
  BOOST_TEST(fails_with(decode(datagram), msg_errc::unknown_kind));
  datagram[at] = 0xff;
  datagram[at + 1] = 0xff;
  BOOST_TEST(fails_with(decode(datagram), msg_errc::unknown_kind));
}

BOOST_AUTO_TEST_CASE(a_topic_of_another_size_is_refused) {
  for (size_t size : {0, 1, 31, 33, 64}) {
    bytes topic(size, 9);
    bytes l = crafted([&](auto root) {
      auto body = root.initLookup();
      if (size > 0)
        body.setTopic(blob_of(topic));
    });
    BOOST_TEST(fails_with(decode(l), msg_errc::wrong_size));
    bytes a = crafted([&](auto root) {
      auto body = root.initAnnounce();
      body.setPort(1);
      if (size > 0)
        body.setTopic(blob_of(topic));
    });
    BOOST_TEST(fails_with(decode(a), msg_errc::wrong_size));
  }
}

BOOST_AUTO_TEST_CASE(other_writers_segments_are_read_within_limits) {
  // Cap'n Proto itself, in segments of 2 words: the peer list and token land in other
  // segments, reached through far pointers.
  bytes token(16, 5);
  auto fill = [&](auto root) {
    root.setTransaction(77);
    auto body = root.initLookupReply();
    auto peers = body.initPeers(2);
    peers[0].setIp(0x0a000001);
    peers[0].setPort(7);
    peers[1].setIp(0x0a000002);
    peers[1].setPort(8);
    body.setToken(blob_of(token));
  };
  bytes split = crafted(fill, 2);
  uint32_t segments = uint32_t{split[0]} + 1;
  BOOST_REQUIRE(segments > 1);
  limits lim;
  lim.segment_count_max = segments;
  auto back = decode(split, lim);
  REQUIRE_OK(back);
  const auto& reply = std::get<lookup_reply>(back->what);
  BOOST_TEST(back->transaction == 77u);
  BOOST_TEST(reply.peers.size() == 2u);
  BOOST_TEST(reply.token == token);
  lim.segment_count_max = segments - 1;
  BOOST_TEST(fails_with(decode(split, lim), msg_errc::limit_exceeded));
}

BOOST_AUTO_TEST_CASE(damaged_bytes_never_crash) {
  rng random{2024};
  for (const packet& p : samples()) {
    bytes datagram = encode(p);
    // Every byte set to a few values, including the segment table and pointers.
    for (size_t i = 0; i < datagram.size() && i < 600; ++i)
      for (uint8_t v : {uint8_t{0}, uint8_t{1}, uint8_t{0x80}, uint8_t{0xff},
                        static_cast<uint8_t>(datagram[i] ^ 0x04)}) {
        bytes damaged = datagram;
        damaged[i] = v;
        check_outcome(decode(damaged));
      }
  }
  for (int round = 0; round < 20000; ++round) {
    bytes junk(random.below(200));
    for (uint8_t& b : junk)
      b = static_cast<uint8_t>(random.next());
    if (junk.size() >= 8 && random.chance(0.5)) {
      // A plausible one-segment table, so that the pointers behind it get read.
      size_t words = junk.size() / 8 - 1;
      junk.resize(8 * (words + 1));
      for (int k = 0; k < 4; ++k) {
        junk[k] = 0;
        junk[4 + k] = static_cast<uint8_t>(words >> (8 * k));
      }
    }
    check_outcome(decode(junk));
  }
}

BOOST_AUTO_TEST_SUITE_END()

// Frames no honest peer sends: truncated, random, damaged, and crafted with Cap'n Proto itself
// (wrong field sizes, many segments, far pointers, aliased and amplified pointers).

#include "dynfeed/messages/codec.hpp"

#include <boost/test/unit_test.hpp>

#include "dynfeed/base/random.hpp"
#include "dynfeed/messages/wire.capnp.h"
#include "messages/checks.hpp"
#include "support/message_samples.hpp"
#include "support/print.hpp"

#include <capnp/message.h>
#include <capnp/schema.h>
#include <capnp/serialize.h>

#include <cstring>
#include <string>

using namespace dynfeed;
using namespace dynfeed::msg;
using test::fails_with;
using test::same;

namespace {

bytes to_bytes(const kj::Array<capnp::word>& words) {
  auto raw = words.asBytes();
  return bytes(raw.begin(), raw.end());
}

/// A frame that Cap'n Proto builds from `fill`, in segments of `segment_words` words.
template <class Fill>
bytes crafted(Fill&& fill, unsigned segment_words = capnp::SUGGESTED_FIRST_SEGMENT_WORDS) {
  capnp::MallocMessageBuilder builder{segment_words, capnp::AllocationStrategy::FIXED_SIZE};
  fill(builder.initRoot<wire::Frame>());
  return to_bytes(capnp::messageToFlatArray(builder));
}

capnp::Data::Reader blob_of(const bytes& b) {
  return capnp::Data::Reader(b.data(), b.size());
}

uint64_t word_at(const bytes& frame, size_t word) {
  return load_u64le(frame.data() + 8 * word);
}
void set_word(bytes& frame, size_t word, uint64_t value) {
  store_u64le(frame.data() + 8 * word, value);
}

/// A Cap'n Proto list pointer at word `from` to `count` bytes at word `to`.
uint64_t byte_list_pointer(size_t from, size_t to, uint64_t count) {
  auto offset = static_cast<uint32_t>(static_cast<int32_t>(to - from - 1));
  return count << 35 | uint64_t{2} << 32 | uint64_t{offset} << 2 | 1;
}

/// Whatever a damaged frame decodes to must survive a round trip of its own.
void check_outcome(const expected<wire_message>& decoded) {
  if (!decoded) {
    BOOST_REQUIRE(decoded.error().category() == "msg");
    return;
  }
  bytes again = encode(*decoded);
  BOOST_REQUIRE(again.size() == encoded_size(*decoded));
  auto back = decode_wire(again);
  REQUIRE_OK(back);
  BOOST_REQUIRE(same(*back, *decoded));
}

} // namespace

BOOST_AUTO_TEST_SUITE(hostile_frames)

BOOST_AUTO_TEST_CASE(every_truncation_is_refused) {
  for (const wire_message& m : test::sample_messages()) {
    bytes frame = encode(m);
    size_t step = frame.size() > 4096 ? 61 : 1; // every length of the small frames
    for (size_t n = 0; n < frame.size(); n += step)
      BOOST_REQUIRE(fails_with(decode_wire(byte_span{frame.data(), n}), msg_errc::truncated));
  }
}

BOOST_AUTO_TEST_CASE(bytes_after_the_message_are_refused) {
  bytes frame = encode(msg::sync{1, 2, 3});
  for (size_t extra : {1, 7, 8, 64}) {
    bytes longer = frame;
    longer.resize(frame.size() + extra);
    BOOST_TEST(fails_with(decode_wire(longer), msg_errc::malformed));
  }
}

BOOST_AUTO_TEST_CASE(empty_messages_are_refused) {
  // A segment holding only a null root pointer, and a segment of no words at all.
  BOOST_TEST(fails_with(decode_wire(bytes{0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}),
                        msg_errc::malformed));
  BOOST_TEST(fails_with(decode_wire(bytes{0, 0, 0, 0, 0, 0, 0, 0}), msg_errc::malformed));
  BOOST_TEST(fails_with(decode_wire(bytes{}), msg_errc::truncated));
}

BOOST_AUTO_TEST_CASE(random_bytes_never_crash_and_never_decode_to_junk) {
  rng random{20240611};
  int decoded = 0;
  for (int round = 0; round < 4000; ++round) {
    bytes buffer(random.below(400));
    for (uint8_t& b : buffer)
      b = static_cast<uint8_t>(random.next());
    // Half get a plausible one-segment table, so that Cap'n Proto itself sees the garbage.
    if (buffer.size() >= 24 && random.chance(0.5)) {
      buffer.resize(buffer.size() / 8 * 8);
      std::memset(buffer.data(), 0, 4);
      uint32_t words = static_cast<uint32_t>(buffer.size() / 8 - 1);
      std::memcpy(buffer.data() + 4, &words, 4);
      // The root: a struct of one data word and one pointer right after it, like a Frame.
      set_word(buffer, 1, uint64_t{1} << 32 | uint64_t{1} << 48);
      buffer[16] = static_cast<uint8_t>(random.below(12)); // a known member, mostly
      buffer[17] = 0;
      // The member: a small struct right after the Frame, if the frame has room.
      if (buffer.size() >= 40 && random.chance(0.7))
        set_word(buffer, 3, random.below(4) << 32 | random.below(4) << 48);
    }
    auto result = decode_wire(buffer);
    decoded += result.has_value();
    check_outcome(result);
  }
  BOOST_TEST_MESSAGE(decoded << " of 4000 random buffers decoded");
  BOOST_TEST(decoded > 0); // the plausible ones do reach the message readers
}

BOOST_AUTO_TEST_CASE(damaged_frames_decode_cleanly_or_fail_cleanly) {
  data m = test::data_frame(3, 9, 4);
  m.body.upgrade = test::sample_upgrade(2, 1);
  std::vector<bytes> frames{encode(m), encode(hello{1, 2, "agent"}),
                            encode(open_channel{4, test::patterned<hash256>(1), {}})};
  rng random{99};
  for (const bytes& frame : frames) {
    for (size_t at = 0; at < frame.size(); ++at) {
      for (uint8_t mask : {uint8_t{0x01}, uint8_t{0x80}, uint8_t{0xff},
                           static_cast<uint8_t>(random.between(1, 255))}) {
        bytes damaged = frame;
        damaged[at] ^= mask;
        check_outcome(decode_wire(damaged));
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(unknown_kinds_are_reported_as_such) {
  bytes frame = encode(close_channel{5});
  // The first ordinals past the last Frame member (see wire.capnp), and the largest.
  auto members = static_cast<uint16_t>(capnp::Schema::from<wire::Frame>().getUnionFields().size());
  for (uint16_t kind : {members, static_cast<uint16_t>(members + 1), uint16_t{0xffff}}) {
    bytes newer = frame;
    newer[16] = static_cast<uint8_t>(kind); // the Frame's first data word holds the member
    newer[17] = static_cast<uint8_t>(kind >> 8);
    auto decoded = decode_wire(newer);
    BOOST_TEST(fails_with(decoded, msg_errc::unknown_kind));
    BOOST_TEST(decoded.error().context() == "Frame member " + std::to_string(kind));
  }
}

BOOST_AUTO_TEST_CASE(local_kinds_from_a_peer_are_refused) {
  // A remote cannot speak for our own components: every local member arriving as a peer's
  // frame is refused, while components decode it.
  for (const local_message& m :
       {local_message{find_feed{}}, local_message{feed_unknown{}}, local_message{offer_peer{7}},
        local_message{attach{}}, local_message{detach{}}, local_message{channel_up{3, {}}},
        local_message{channel_down{1}}, local_message{punish{2, "x", {"10.0.0.1:7000"}}},
        local_message{peer_up{1, {}, "a:1", true}}, local_message{peer_down{1, "a:1", 2, {}}},
        local_message{referred{{"10.0.0.1:7000"}}}, local_message{referral_taken{}},
        local_message{publish_value{bytes{1, 2}, 7}}, local_message{subscribe_values{}},
        local_message{value_update{3, bytes{4}}}, local_message{set_mode{2, 5, 6}},
        local_message{rotate_swarm{{}, hash256::from(bytes(32, 9))}},
        local_message{find_peers{hash256::from(bytes(32, 1)), true}},
        local_message{peers_found{hash256::from(bytes(32, 2)), {"10.0.0.1:7", "", "b:2"}}},
        local_message{stop_finding{hash256::from(bytes(32, 3))}}, local_message{dial{"a:1"}},
        local_message{hang_up{"a:1"}},
        local_message{dial{""}}}) {
    bytes frame = encode(m);
    BOOST_TEST(fails_with(decode_wire(frame), msg_errc::local_only));
    auto decoded = decode(frame);
    BOOST_REQUIRE(decoded.has_value());
    BOOST_TEST(std::get<local_message>(*decoded).index() == m.index());
    BOOST_TEST(*is_local(frame));
  }
  BOOST_TEST(!*is_local(encode(close_channel{5})));
  // Lists of texts come back whole, empty texts included.
  peers_found found{hash256::from(bytes(32, 2)), {"10.0.0.1:7", "", "b:2"}};
  auto back = decode(encode(local_message{found}));
  BOOST_REQUIRE(back.has_value());
  const auto& got = std::get<peers_found>(std::get<local_message>(*back));
  BOOST_TEST(got.topic == found.topic);
  BOOST_TEST(got.addresses == found.addresses, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(wrong_size_hashes_and_signatures_are_refused) {
  for (size_t size : {0, 1, 31, 33, 64}) {
    BOOST_TEST_CONTEXT("hash of " << size << " bytes") {
      bytes hash(size, 7), good(32, 7);
      BOOST_TEST(fails_with(decode_wire(crafted([&](wire::Frame::Builder f) {
                              auto o = f.initOpenChannel();
                              o.setDiscoveryKey(blob_of(hash));
                              o.setCapability(blob_of(good));
                            })),
                            msg_errc::wrong_size));
      BOOST_TEST(fails_with(decode_wire(crafted([&](wire::Frame::Builder f) {
                              auto o = f.initOpenChannel();
                              o.setDiscoveryKey(blob_of(good));
                              o.setCapability(blob_of(hash));
                            })),
                            msg_errc::wrong_size));
      BOOST_TEST(fails_with(decode_wire(crafted([&](wire::Frame::Builder f) {
                              auto nodes = f.initData().initBody().initBlock().initNodes(2);
                              nodes[0].setHash(blob_of(good));
                              nodes[1].setHash(blob_of(hash));
                            })),
                            msg_errc::wrong_size));
    }
  }
  for (size_t size : {0, 32, 63, 65}) {
    bytes sig(size, 1);
    BOOST_TEST(fails_with(decode_wire(crafted([&](wire::Frame::Builder f) {
                            f.initData().initBody().initUpgrade().setSignature(blob_of(sig));
                          })),
                          msg_errc::wrong_size));
  }
}

BOOST_AUTO_TEST_CASE(text_without_its_terminator_is_refused) {
  bytes frame = encode(hello{1, 2, "agent"});
  auto at = std::search(frame.begin(), frame.end(), std::begin("agent"), std::end("agent") - 1);
  BOOST_REQUIRE(at != frame.end());
  at[5] = 'x'; // the NUL after "agent"
  BOOST_TEST(fails_with(decode_wire(frame), msg_errc::malformed));
}

BOOST_AUTO_TEST_CASE(wrong_pointer_kinds_are_refused) {
  // The hello's user agent pointer (last word of Hello) made a struct pointer.
  bytes frame = encode(hello{1, 2, "agent"});
  // Words: table, root, Frame data, Frame pointer, Hello data, Hello pointer, text.
  uint64_t text_pointer = word_at(frame, 5);
  set_word(frame, 5, (text_pointer & ~uint64_t{3}) | 0); // kind 0: struct
  BOOST_TEST(fails_with(decode_wire(frame), msg_errc::malformed));
}

BOOST_AUTO_TEST_CASE(several_segments_with_far_pointers_decode_within_the_limit) {
  data m = test::data_frame(3, 20, 3);
  m.body.upgrade = test::sample_upgrade(2, 2);
  // One-word segments: almost every pointer becomes a far pointer, many of them double-far.
  bytes frame = crafted(
    [&](wire::Frame::Builder f) {
      bytes reference = encode(m);
      auto words = kj::heapArray<capnp::word>(reference.size() / 8);
      std::memcpy(words.begin(), reference.data(), reference.size());
      capnp::FlatArrayMessageReader reader{words};
      f.setData(reader.getRoot<wire::Frame>().getData());
    },
    1);
  uint64_t segments = load_u64le(frame.data()) % (uint64_t{1} << 32) + 1;
  BOOST_TEST_MESSAGE(segments << " segments");
  BOOST_REQUIRE(segments > 10u);
  codec_limits limits;
  limits.segment_count_max = segments;
  auto decoded = decode_wire(frame, limits);
  REQUIRE_OK(decoded);
  BOOST_TEST(same(*decoded, m));
  limits.segment_count_max = segments - 1;
  BOOST_TEST(fails_with(decode_wire(frame, limits), msg_errc::limit_exceeded));
  BOOST_TEST(fails_with(decode_wire(frame), msg_errc::limit_exceeded)); // the default is 16
}

BOOST_AUTO_TEST_CASE(far_pointers_out_of_the_message_are_refused) {
  // One-word segments: the first holds only the root pointer, which must be a far pointer.
  bytes frame = crafted([](wire::Frame::Builder f) { f.initSync().setLength(9); }, 1);
  size_t root = (frame[0] + 1) / 2 + 1; // the first word after the segment table
  BOOST_REQUIRE((word_at(frame, root) & 3) == 2);
  BOOST_REQUIRE(decode_wire(frame).has_value());
  bytes bad_segment = frame;
  set_word(bad_segment, root, (word_at(frame, root) & 0xffffffffu) | uint64_t{7} << 32);
  BOOST_TEST(fails_with(decode_wire(bad_segment), msg_errc::malformed));
  bytes bad_offset = frame;
  set_word(bad_offset, root, word_at(frame, root) | uint64_t{1000} << 3);
  BOOST_TEST(fails_with(decode_wire(bad_offset), msg_errc::malformed));
}

BOOST_AUTO_TEST_CASE(aliased_values_cannot_amplify_a_frame) {
  // 1024 values that all point at the same 4000 bytes: 12 KB of frame, 4 MB once copied.
  data m = test::data_frame(1024, 0, 0);
  m.body.block->values[0] = bytes(4000, 0xab);
  bytes frame = encode(m);
  size_t first = 0;
  for (size_t w = 1; w < frame.size() / 8 && !first; ++w)
    if ((word_at(frame, w) & 3) == 1 && word_at(frame, w) >> 35 == 4000)
      first = w;
  BOOST_REQUIRE(first != 0);
  int32_t offset = static_cast<int32_t>(static_cast<uint32_t>(word_at(frame, first))) >> 2;
  size_t target = first + 1 + offset;
  for (size_t i = 1; i < 1024; ++i)
    set_word(frame, first + i, byte_list_pointer(first + i, target, 4000));
  codec_limits generous;
  generous.traversal_words_max = uint64_t{1} << 40; // each frame is still held to its own size
  BOOST_TEST(fails_with(decode_wire(frame, generous), msg_errc::limit_exceeded));
}

BOOST_AUTO_TEST_CASE(lists_of_empty_structs_cannot_amplify_a_frame) {
  // A node list whose tag claims a million nodes of zero words each.
  data m = test::data_frame(0, 0, 2);
  bytes frame = encode(m);
  uint64_t tag = uint64_t{2} << 2 | uint64_t{2} << 32 | uint64_t{1} << 48; // 2 nodes of 2+1 words
  size_t at = 0;
  for (size_t w = 1; w < frame.size() / 8 && !at; ++w)
    if (word_at(frame, w) == tag)
      at = w;
  BOOST_REQUIRE(at != 0);
  set_word(frame, at, uint64_t{1000000} << 2);
  BOOST_TEST(fails_with(decode_wire(frame), msg_errc::limit_exceeded));
}

BOOST_AUTO_TEST_SUITE_END()

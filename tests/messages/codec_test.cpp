#include "dynfeed/messages/codec.hpp"
#include "dynfeed/messages/limits.hpp"

#include <boost/test/unit_test.hpp>

#include "messages/checks.hpp"
#include "support/message_samples.hpp"
#include "support/print.hpp"

#include <functional>
#include <string>

using namespace dynfeed;
using namespace dynfeed::msg;
using test::fails_with;
using test::same;

namespace {

/// Decodes `frame` from a buffer starting `offset` bytes past an 8-byte boundary.
expected<wire_message> decode_at(byte_span frame, size_t offset, const codec_limits& limits = {}) {
  std::vector<uint64_t> storage(frame.size() / 8 + 2);
  auto* start = reinterpret_cast<uint8_t*>(storage.data()) + offset;
  std::copy(frame.begin(), frame.end(), start);
  return decode_wire(byte_span{start, frame.size()}, limits);
}

} // namespace

BOOST_AUTO_TEST_SUITE(codec)

BOOST_AUTO_TEST_CASE(an_equivocation_with_too_many_nodes_is_refused) {
  for (size_t part = 0; part < 3; ++part) {
    msg::equivocation m{1, {}};
    m.proof.paths[0] = {tree_node{}};
    if (part == 0)
      m.proof.trees[1].roots.resize(proof_depth_max + 2);
    else
      m.proof.paths[part - 1].resize(proof_depth_max + 2);
    auto back = decode_wire(encode(wire_message{m}));
    BOOST_TEST(!back, "part " << part);
  }
}

BOOST_AUTO_TEST_CASE(every_kind_round_trips_with_edge_values) {
  auto samples = test::sample_messages();
  std::vector<bool> kinds(std::variant_size_v<wire_message>);
  for (size_t i = 0; i < samples.size(); ++i) {
    BOOST_TEST_CONTEXT("sample " << i) {
      const wire_message& m = samples[i];
      kinds[m.index()] = true;
      bytes frame = encode(m);
      BOOST_TEST(frame.size() == encoded_size(m));
      auto back = decode_wire(frame);
      REQUIRE_OK(back);
      BOOST_TEST(same(*back, m));
      BOOST_TEST(encode(*back) == frame); // encoding is deterministic
    }
  }
  for (size_t kind = 0; kind < kinds.size(); ++kind)
    BOOST_TEST(kinds[kind], "kind " << kind << " has a sample");
}

BOOST_AUTO_TEST_CASE(wire_channel_reads_the_channel_a_decode_would_give) {
  // What a peer routes by without decoding must agree with the full decode, kind by kind.
  for (const wire_message& m : test::sample_messages()) {
    BOOST_TEST_CONTEXT("kind " << m.index()) {
      auto channel = wire_channel(encode(m));
      REQUIRE_OK(channel);
      std::optional<uint32_t> want = std::visit(
        [](const auto& x) -> std::optional<uint32_t> {
          using T = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<T, hello> || std::is_same_v<T, bye>
                        || std::is_same_v<T, open_channel> || std::is_same_v<T, close_channel>)
            return std::nullopt;
          else
            return x.channel;
        },
        m);
      BOOST_TEST((*channel == want));
    }
  }
  // It refuses what decode_wire refuses at the root.
  auto local = wire_channel(encode(local_message{find_feed{hash256{}, 0}}));
  BOOST_TEST((!local && local.error().is(msg_errc::local_only)));
  bytes garbage(24, 0xff);
  BOOST_TEST(!wire_channel(garbage));
  bytes empty_frame(16, 0); // one segment of one word: a null root, the Frame's `invalid`
  empty_frame[4] = 1;
  auto none = wire_channel(empty_frame);
  BOOST_TEST((!none && none.error().is(msg_errc::malformed)));
}

BOOST_AUTO_TEST_CASE(a_frame_is_a_segment_table_and_one_segment) {
  bytes frame = encode(close_channel{5});
  // 1 segment; 4 words: root pointer, Frame (discriminant word, pointer), CloseChannel (1 word).
  bytes expected_start{0, 0, 0, 0, 4, 0, 0, 0};
  BOOST_TEST(bytes(frame.begin(), frame.begin() + 8) == expected_start);
  BOOST_TEST(frame.size() == 8u + 4 * 8);
}

BOOST_AUTO_TEST_CASE(a_reused_buffer_gives_the_same_frames) {
  bytes buffer;
  auto samples = test::sample_messages();
  for (const wire_message& m : samples) { // large and small frames alternate
    encode(m, buffer);
    BOOST_TEST(buffer == encode(m));
  }
}

BOOST_AUTO_TEST_CASE(decodes_at_every_alignment) {
  bytes frame = encode(test::data_frame(3, 13, 5));
  auto reference = decode_wire(frame);
  REQUIRE_OK(reference);
  for (size_t offset = 0; offset < 8; ++offset) {
    auto back = decode_at(frame, offset);
    REQUIRE_OK(back);
    BOOST_TEST(same(*back, *reference));
  }
}

// ---- limits: exactly at each maximum passes, one over fails -------------------------------

struct limit_case {
  const char* name;
  /// The message at `n`.
  std::function<wire_message(uint64_t n)> make;
  /// The limit under test, in the given limits.
  std::function<uint64_t&(codec_limits&)> limit;
};

std::vector<limit_case> limit_cases() {
  auto nodes_in = [](int list) {
    return [list](uint64_t n) -> wire_message {
      data m;
      if (list == 0) {
        m.body.block = block_proof{0, {}, test::sample_nodes(n, 0)};
      } else {
        m.body.upgrade = test::sample_upgrade(list == 1 ? n : 0, list == 2 ? n : 0);
      }
      return m;
    };
  };
  auto nodes_max = [](codec_limits& l) -> uint64_t& { return l.proof_nodes_max; };
  auto text_max = [](codec_limits& l) -> uint64_t& { return l.text_size_max; };
  return {
    {"block nodes", nodes_in(0), nodes_max},
    {"upgrade nodes", nodes_in(1), nodes_max},
    {"additional nodes", nodes_in(2), nodes_max},
    {"values", [](uint64_t n) -> wire_message { return test::data_frame(n, 0, 0); },
     [](codec_limits& l) -> uint64_t& { return l.values_max; }},
    {"value size", [](uint64_t n) -> wire_message { return test::data_frame(1, n, 0); },
     [](codec_limits& l) -> uint64_t& { return l.value_size_max; }},
    {"user agent", [](uint64_t n) -> wire_message { return hello{1, 0, std::string(n, 'u'), 0}; },
     text_max},
    {"bye reason", [](uint64_t n) -> wire_message { return bye{1, std::string(n, 'r'), {}}; },
     text_max},
  };
}

BOOST_AUTO_TEST_CASE(every_list_value_and_text_limit_holds_at_its_default) {
  for (const limit_case& c : limit_cases()) {
    BOOST_TEST_CONTEXT(c.name) {
      codec_limits limits;
      uint64_t max = c.limit(limits);
      BOOST_TEST(decode_wire(encode(c.make(max))).has_value());
      BOOST_TEST(fails_with(decode_wire(encode(c.make(max + 1))), msg_errc::limit_exceeded));
    }
  }
}

BOOST_AUTO_TEST_CASE(every_list_value_and_text_limit_is_configurable) {
  for (const limit_case& c : limit_cases()) {
    for (uint64_t max : {0, 1, 5}) {
      BOOST_TEST_CONTEXT(c.name << " at " << max) {
        codec_limits limits;
        c.limit(limits) = max;
        BOOST_TEST(decode_wire(encode(c.make(max)), limits).has_value());
        BOOST_TEST(
          fails_with(decode_wire(encode(c.make(max + 1)), limits), msg_errc::limit_exceeded));
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(the_default_frame_fits_the_largest_block_with_a_full_proof) {
  data m = test::data_frame(1, append_limits::default_block_size_max,
                            codec_limits{}.proof_nodes_max);
  m.body.upgrade = test::sample_upgrade(64, 64);
  bytes frame = encode(m);
  BOOST_TEST(frame.size() <= codec_limits::default_frame_size_max);
  REQUIRE_OK(decode_wire(frame));
}

BOOST_AUTO_TEST_CASE(frame_size_limit) {
  bytes frame = encode(test::data_frame(4, 100, 3));
  codec_limits limits;
  limits.frame_size_max = frame.size();
  BOOST_TEST(decode_wire(frame, limits).has_value());
  limits.frame_size_max = frame.size() - 1;
  BOOST_TEST(fails_with(decode_wire(frame, limits), msg_errc::too_large));
  // Checked first: any bytes over the limit fail the same way.
  bytes garbage(codec_limits::default_frame_size_max + 1, 0xee);
  BOOST_TEST(fails_with(decode_wire(garbage), msg_errc::too_large));
}

BOOST_AUTO_TEST_CASE(traversal_limit_is_the_words_a_frame_reads) {
  for (const wire_message& m : test::sample_messages()) {
    bytes frame = encode(m);
    uint64_t frame_words = frame.size() / 8;
    // The least traversal limit that decodes the frame: about the frame's size (Cap'n Proto
    // counts each object once, and the root pointer twice).
    codec_limits limits;
    limits.traversal_words_max = frame_words / 2;
    while (!decode_wire(frame, limits))
      ++limits.traversal_words_max;
    BOOST_TEST(limits.traversal_words_max <= frame_words);
    BOOST_TEST(limits.traversal_words_max + 2 >= frame_words);
    --limits.traversal_words_max;
    BOOST_TEST(fails_with(decode_wire(frame, limits), msg_errc::limit_exceeded));
  }
}

BOOST_AUTO_TEST_CASE(nesting_limit_covers_the_schema) {
  data m = test::data_frame(2, 8, 2);
  m.body.upgrade = test::sample_upgrade(1, 1);
  bytes frame = encode(m);
  codec_limits limits;
  limits.nesting_depth_max = 6; // frame, message, proof, block, node list, hash
  BOOST_TEST(decode_wire(frame, limits).has_value());
  limits.nesting_depth_max = 5;
  BOOST_TEST(fails_with(decode_wire(frame, limits), msg_errc::limit_exceeded));
  BOOST_TEST(codec_limits{}.nesting_depth_max >= 6u);
}

BOOST_AUTO_TEST_CASE(errors_name_their_area_and_reason) {
  codec_limits limits;
  limits.values_max = 2;
  auto decoded = decode_wire(encode(test::data_frame(3, 1, 0)), limits);
  BOOST_REQUIRE(!decoded);
  BOOST_TEST(decoded.error().to_string()
             == "msg: frame exceeds a decoding limit: block values: 3 > 2");
}

BOOST_AUTO_TEST_CASE(the_id_channel_messages_round_trip_and_stay_inside_the_node) {
  signed_value v;
  v.seq = test::u64_max;
  v.value = bytes(40, 7);
  v.sigs.push_back(value_signature{3, test::patterned<signature>(5)});
  for (const local_message& m : {local_message{offer_value{test::u64_max, v}},
                                 local_message{signed_update{9, v}},
                                 local_message{subscribe_signed{}},
                                 local_message{set_mode{2, 5, 6, 3}}}) {
    BOOST_TEST_CONTEXT("kind " << m.index()) {
      bytes frame = encode(m);
      BOOST_TEST(frame.size() == encoded_size(m));
      auto back = decode(frame);
      REQUIRE_OK(back);
      BOOST_TEST(encode(std::get<local_message>(*back)) == frame);
      // A peer may never send them.
      auto from_peer = decode_wire(frame);
      BOOST_TEST((!from_peer && from_peer.error().is(msg_errc::local_only)));
    }
  }
  auto offered = decode(encode(local_message{offer_value{8, v}}));
  REQUIRE_OK(offered);
  const auto& o = std::get<offer_value>(std::get<local_message>(*offered));
  BOOST_TEST(o.peer == 8u);
  BOOST_TEST((o.value == v));
  auto mode = decode(encode(local_message{set_mode{1, 2, 3, 6}}));
  REQUIRE_OK(mode);
  BOOST_TEST(std::get<set_mode>(std::get<local_message>(*mode)).id_channels == 6);
  // The choice rides in the padding of the first word: a frame of the default is as large
  // as before the field existed (the simulator's digests depend on frame sizes).
  BOOST_TEST(encoded_size(local_message{set_mode{1, 2, 3, 0}})
             == encoded_size(local_message{set_mode{1, 2, 3, 6}}));
  // id_push is a wire frame with a channel; too many signatures are refused like value_push's.
  id_push many{1, v};
  many.value.sigs.assign(codec_limits{}.value_signatures_max + 1, v.sigs[0]);
  auto refused = decode_wire(encode(wire_message{many}));
  BOOST_TEST((!refused && refused.error().is(msg_errc::limit_exceeded)));
}

BOOST_AUTO_TEST_CASE(hello_and_bye_keep_their_sizes_unless_a_bye_refers) {
  // 1 segment: root pointer, Frame (discriminant word, pointer), then the member. Hello: its
  // data word (version, listenPort in bits 16-31, frameSizeMax) and the user agent's pointer.
  BOOST_TEST(encode(wire_message{hello{1, 4 << 20, "", 0}}).size() == 8u + 5 * 8);
  BOOST_TEST(encode(wire_message{hello{1, 4 << 20, "", 7000}}).size() == 8u + 5 * 8);
  // A bye without referrals is the bye of builds that had none: a data word and one pointer.
  BOOST_TEST(encode(wire_message{bye{11, "", {}}}).size() == 8u + 5 * 8);
  BOOST_TEST(encode(wire_message{bye{0, "normal", {}}}).size() == 8u + 6 * 8);
  auto short_bye = decode_wire(encode(wire_message{bye{11, "node full", {}}}));
  REQUIRE_OK(short_bye);
  BOOST_TEST(std::get<bye>(*short_bye).reason == "node full");
  BOOST_TEST(std::get<bye>(*short_bye).referrals.empty());
  // With referrals: one more pointer, to a list of one pointer per text.
  bye refers{11, "", {"10.0.0.1:7000", "10.0.0.2:7000"}};
  BOOST_TEST(encode(wire_message{refers}).size() == 8u + 6 * 8 + 2 * 8 + 2 * 16);
  auto back = decode_wire(encode(wire_message{refers}));
  REQUIRE_OK(back);
  BOOST_TEST(std::get<bye>(*back).referrals == refers.referrals);
  hello h{1, 0, "x", 7000};
  auto hb = decode_wire(encode(wire_message{h}));
  REQUIRE_OK(hb);
  BOOST_TEST(std::get<hello>(*hb).listen_port == 7000u);
}

BOOST_AUTO_TEST_CASE(a_sync_that_says_it_holds_an_id_keeps_its_size) {
  // Sync's data: channel (bits 0-31 of the first word), fork, length; holdsId took bit 32, so a
  // sync is as large as before it existed: root pointer, Frame (discriminant, pointer), 3 words.
  for (bool holds : {false, true}) {
    msg::sync s{7, 2, 1000, holds};
    bytes frame = encode(wire_message{s});
    BOOST_TEST(frame.size() == 8u + 3 * 8 + 3 * 8);
    auto back = decode_wire(frame);
    REQUIRE_OK(back);
    BOOST_TEST(std::get<msg::sync>(*back).holds_id == holds);
    BOOST_TEST(std::get<msg::sync>(*back).length == 1000u);
  }
}

BOOST_AUTO_TEST_CASE(referrals_are_bounded_and_canonical) {
  std::vector<std::string> full;
  for (size_t i = 1; i <= referrals_max; ++i)
    full.push_back("10.0.0." + std::to_string(i) + ":7000");
  REQUIRE_OK(decode_wire(encode(wire_message{bye{11, "", full}})));
  full.push_back("10.0.0.99:7000");
  BOOST_TEST(fails_with(decode_wire(encode(wire_message{bye{11, "", full}})), msg_errc::limit_exceeded));
  for (const char* bad : {"10.0.0.1", "10.0.0.1:0", "0.0.0.0:7000", "localhost:7000",
                          "10.0.0.01:7000", " 10.0.0.1:7000", "10.0.0.1:70000", ""})
    BOOST_TEST_CONTEXT(bad) {
      BOOST_TEST(fails_with(decode_wire(encode(wire_message{bye{11, "", {bad}}})), msg_errc::malformed));
      BOOST_TEST(!decode(encode(local_message{referred{{bad}}})).has_value());
    }
  BOOST_TEST(fails_with(decode_wire(encode(wire_message{bye{11, "", {std::string(22, '1')}}})),
                        msg_errc::limit_exceeded));
  // The local messages that carry them.
  auto down = decode(encode(local_message{peer_down{3, "10.0.0.9:7000", 0, {"10.0.0.1:7000"}}}));
  REQUIRE_OK(down);
  BOOST_TEST(std::get<peer_down>(std::get<local_message>(*down)).referrals
             == std::vector<std::string>{"10.0.0.1:7000"});
  auto p = decode(encode(local_message{punish{11, "node full", {"10.0.0.1:7000"}}}));
  REQUIRE_OK(p);
  BOOST_TEST(std::get<punish>(std::get<local_message>(*p)).referrals.size() == 1u);
  auto f = decode(encode(local_message{find_feed{hash256{}, 7000}}));
  REQUIRE_OK(f);
  BOOST_TEST(std::get<find_feed>(std::get<local_message>(*f)).listen_port == 7000u);
}

BOOST_AUTO_TEST_SUITE_END()

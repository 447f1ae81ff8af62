#include "dynfeed/messages/dht_codec.hpp"

#include <boost/test/unit_test.hpp>

#include "dynfeed/base/random.hpp"
#include "support/print.hpp"
#include "support/values.hpp"

#include <string>

using namespace dynfeed;
using namespace dynfeed::msg;

namespace {

hash256 filled(uint8_t b) {
  hash256 h;
  h.bytes.fill(b);
  return h;
}

std::vector<dht_node> some_nodes(size_t count) {
  std::vector<dht_node> out;
  for (size_t i = 0; i < count; ++i)
    out.push_back(dht_node{filled(static_cast<uint8_t>(i + 1)),
                           endpoint{0x0a000000u + static_cast<uint32_t>(i), static_cast<uint16_t>(6000 + i)}});
  return out;
}

dht_value some_item() {
  keypair kp = test::key_number(3);
  value_feed_def def = single_key_feed(kp.pk, test::text("salt"));
  return dht_value{def, make_signed_value(def, 7, test::text("hello"), kp.sk)};
}

dht_value multi_signer_item() {
  keypair a = test::key_number(4);
  keypair b = test::key_number(5);
  value_feed_def def{2, {a.pk, b.pk}, {}};
  signed_value v;
  v.seq = 3;
  v.value = test::text("two of two");
  v.sigs.push_back(sign_value(def, 0, v.seq, v.value, a.sk));
  v.sigs.push_back(sign_value(def, 1, v.seq, v.value, b.sk));
  return dht_value{def, v};
}

/// One rpc of every kind, with every optional part both present and absent.
std::vector<dht_rpc> samples() {
  hash256 sender = filled(0xaa);
  std::vector<dht_body> bodies{
    dht_ping{},
    dht_find_node{filled(1)},
    dht_get_peers{filled(2)},
    dht_announce{filled(3), 7000, bytes(16, 9)},
    dht_announce{filled(3), 1, {}},
    dht_get_value{filled(4)},
    dht_put_value{some_item(), std::nullopt, bytes(16, 1)},
    dht_put_value{multi_signer_item(), uint64_t{2}, bytes(16, 2)},
    dht_put_value{some_item(), uint64_t{0}, {}},
    dht_ack{},
    dht_nodes{},
    dht_nodes{some_nodes(20)},
    dht_peers{bytes(16, 3), {endpoint{1, 2}, endpoint{0x7f000001, 65535}}, some_nodes(8)},
    dht_peers{},
    dht_value_response{bytes(16, 4), some_nodes(3), some_item()},
    dht_value_response{bytes(16, 4), {}, std::nullopt},
    dht_error{302, "seq not newer"},
    dht_error{201, {}},
  };
  std::vector<dht_rpc> out;
  uint64_t transaction = 1;
  for (auto& b : bodies)
    out.push_back(dht_rpc{transaction++ * 0x9e3779b97f4a7c15ULL, sender, b});
  return out;
}

bool same(const dht_body& a, const dht_body& b) {
  if (a.index() != b.index())
    return false;
  return std::visit(
    [&](const auto& x) {
      using T = std::decay_t<decltype(x)>;
      const T& y = std::get<T>(b);
      if constexpr (std::is_same_v<T, dht_ping> || std::is_same_v<T, dht_ack>)
        return true;
      else if constexpr (std::is_same_v<T, dht_find_node>)
        return x.target == y.target;
      else if constexpr (std::is_same_v<T, dht_get_peers>)
        return x.topic == y.topic;
      else if constexpr (std::is_same_v<T, dht_announce>)
        return x.topic == y.topic && x.port == y.port && x.token == y.token;
      else if constexpr (std::is_same_v<T, dht_get_value>)
        return x.target == y.target;
      else if constexpr (std::is_same_v<T, dht_put_value>)
        return x.item == y.item && x.cas == y.cas && x.token == y.token;
      else if constexpr (std::is_same_v<T, dht_nodes>)
        return x.nodes == y.nodes;
      else if constexpr (std::is_same_v<T, dht_peers>)
        return x.token == y.token && x.peers == y.peers && x.nodes == y.nodes;
      else if constexpr (std::is_same_v<T, dht_value_response>)
        return x.token == y.token && x.nodes == y.nodes && x.item == y.item;
      else
        return x.code == y.code && x.message == y.message;
    },
    a);
}

bool same(const dht_rpc& a, const dht_rpc& b) {
  return a.transaction == b.transaction && a.sender == b.sender && same(a.body, b.body);
}

bool fails_with(const expected<dht_rpc>& decoded, msg_errc code) {
  if (decoded) {
    BOOST_TEST_MESSAGE("decoded, expected " << error{code}.to_string());
    return false;
  }
  BOOST_TEST_MESSAGE(decoded.error().to_string());
  return decoded.error().is(code);
}

/// Whatever hostile bytes decode to must survive a round trip of its own.
void check_outcome(const expected<dht_rpc>& decoded) {
  if (!decoded)
    return;
  bytes again = encode_rpc(*decoded);
  auto back = decode_rpc(again);
  BOOST_TEST_REQUIRE(back.has_value());
  BOOST_TEST_REQUIRE(same(*back, *decoded));
}

// Where the fields of the root Rpc lie in a datagram encode_rpc wrote: the 8-byte segment
// table, the root pointer, then the Rpc struct (the schema puts the transaction in its first
// data word, the union's discriminant at the start of the second, and the sender in its first
// pointer).
size_t rpc_struct_byte(const bytes& d) {
  uint64_t root = load_u64le(d.data() + 8);
  auto offset = static_cast<int32_t>(static_cast<uint32_t>(root) & ~3u) >> 2;
  return 16 + 8 * static_cast<size_t>(offset);
}
size_t rpc_data_words(const bytes& d) {
  return static_cast<size_t>((load_u64le(d.data() + 8) >> 32) & 0xffff);
}

} // namespace

BOOST_AUTO_TEST_SUITE(dht_codec_suite)

BOOST_AUTO_TEST_CASE(every_kind_round_trips_at_its_computed_size) {
  for (const dht_rpc& rpc : samples()) {
    bytes d = encode_rpc(rpc);
    BOOST_TEST_REQUIRE(d.size() == encoded_rpc_size(rpc));
    BOOST_TEST_REQUIRE(d.size() % 8 == 0);
    auto back = decode_rpc(d);
    BOOST_TEST_REQUIRE(back.has_value(), (back ? "" : back.error().to_string()));
    BOOST_TEST_REQUIRE(same(*back, rpc));
    BOOST_TEST(is_query(back->body) == (rpc.body.index() <= 5));
    // Any alignment.
    bytes shifted(d.size() + 1);
    std::copy(d.begin(), d.end(), shifted.begin() + 1);
    auto unaligned = decode_rpc(byte_span{shifted.data() + 1, d.size()});
    BOOST_TEST_REQUIRE(unaligned.has_value());
    BOOST_TEST_REQUIRE(same(*unaligned, rpc));
  }
}

BOOST_AUTO_TEST_CASE(responses_stay_inside_one_udp_packet) {
  hash256 sender = filled(1);
  // k = 20 nodes, the largest find_node answer.
  size_t nodes = encoded_rpc_size(dht_rpc{1, sender, dht_nodes{some_nodes(20)}});
  // 20 nodes, 32 peers and a token, the largest get_peers answer.
  std::vector<endpoint> peers(32, endpoint{0x0a000001, 7000});
  size_t with_peers = encoded_rpc_size(dht_rpc{1, sender, dht_peers{bytes(16, 1), peers, some_nodes(20)}});
  size_t value = encoded_rpc_size(dht_rpc{1, sender, dht_value_response{bytes(16, 1), some_nodes(20), some_item()}});
  BOOST_TEST_MESSAGE("nodes " << nodes << " B, peers " << with_peers << " B, value " << value << " B");
  BOOST_TEST(nodes <= 1100u);
  BOOST_TEST(with_peers <= 1400u);
  BOOST_TEST(value <= 1400u);
}

BOOST_AUTO_TEST_CASE(limits_refuse_oversized_parts) {
  hash256 sender = filled(1);
  dht_limits limits;
  auto check = [&](dht_body body) {
    return fails_with(decode_rpc(encode_rpc(dht_rpc{1, sender, std::move(body)}), limits),
                      msg_errc::limit_exceeded);
  };
  BOOST_TEST(check(dht_nodes{some_nodes(limits.nodes_max + 1)}));
  BOOST_TEST(!check(dht_nodes{some_nodes(limits.nodes_max)}));
  BOOST_TEST(check(dht_peers{{}, std::vector<endpoint>(limits.peers_max + 1, endpoint{1, 1}), {}}));
  BOOST_TEST(!check(dht_peers{{}, std::vector<endpoint>(limits.peers_max, endpoint{1, 1}), {}}));
  BOOST_TEST(check(dht_announce{filled(1), 1, bytes(limits.token_size_max + 1, 1)}));
  BOOST_TEST(!check(dht_announce{filled(1), 1, bytes(limits.token_size_max, 1)}));
  BOOST_TEST(check(dht_error{201, std::string(limits.text_size_max + 1, 'x')}));
  BOOST_TEST(!check(dht_error{201, std::string(limits.text_size_max, 'x')}));
  dht_value item = some_item();
  item.def.salt = bytes(limits.salt_size_max + 1, 's');
  BOOST_TEST(check(dht_put_value{item, std::nullopt, {}}));
  item = some_item();
  item.def.signers.assign(limits.signers_max + 1, item.def.signers[0]);
  BOOST_TEST(check(dht_put_value{item, std::nullopt, {}}));
  item = some_item();
  item.value.sigs.assign(limits.signatures_max + 1, item.value.sigs[0]);
  BOOST_TEST(check(dht_value_response{{}, {}, item}));
  // A salt or a value too large for BEP 44 still decodes: the responder refuses it with its
  // own code (207, 205).
  item = some_item();
  item.def.salt = bytes(65, 's');
  item.value.value = bytes(1001, 'v');
  BOOST_TEST(decode_rpc(encode_rpc(dht_rpc{1, sender, dht_put_value{item, std::nullopt, {}}})).has_value());
}

BOOST_AUTO_TEST_CASE(framing_errors) {
  bytes d = encode_rpc(dht_rpc{5, filled(1), dht_ping{}});
  BOOST_TEST(fails_with(decode_rpc(bytes{}), msg_errc::truncated));
  BOOST_TEST(fails_with(decode_rpc(bytes(4, 0)), msg_errc::truncated));
  BOOST_TEST(fails_with(decode_rpc(bytes(9000, 0)), msg_errc::too_large));
  bytes longer = d;
  longer.resize(d.size() + 8);
  BOOST_TEST(fails_with(decode_rpc(longer), msg_errc::malformed));
  longer.resize(d.size() + 3);
  BOOST_TEST(fails_with(decode_rpc(longer), msg_errc::malformed));
  bytes many = d;
  many[0] = 200; // 201 segments
  BOOST_TEST(fails_with(decode_rpc(many), msg_errc::limit_exceeded));
  bytes bigger = d;
  bigger[4] = static_cast<uint8_t>(bigger[4] + 1); // one word more than there is
  BOOST_TEST(fails_with(decode_rpc(bigger), msg_errc::truncated));
  // All-zero words: a null root, which reads as an empty Rpc without a sender.
  BOOST_TEST(fails_with(decode_rpc(bytes{0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}),
                        msg_errc::wrong_size));
  // Every proper prefix is refused.
  for (const dht_rpc& rpc : samples()) {
    bytes full = encode_rpc(rpc);
    for (size_t n = 0; n < full.size(); ++n)
      BOOST_TEST_REQUIRE(!decode_rpc(byte_span{full.data(), n}).has_value());
  }
}

BOOST_AUTO_TEST_CASE(crafted_fields) {
  bytes d = encode_rpc(dht_rpc{5, filled(1), dht_ping{}});
  size_t rpc = rpc_struct_byte(d);
  size_t words = rpc_data_words(d);
  BOOST_TEST_REQUIRE(load_u64le(d.data() + rpc) == 5u); // the transaction
  // An unknown member of the union: a newer peer's rpc.
  bytes unknown = d;
  BOOST_TEST_REQUIRE(unknown[rpc + 8] == 1u); // ping is the union's second member
  unknown[rpc + 8] = 12;                       // one past error, the last
  BOOST_TEST(fails_with(decode_rpc(unknown), msg_errc::unknown_kind));
  // The invalid member.
  bytes invalid = d;
  invalid[rpc + 8] = 0;
  BOOST_TEST(fails_with(decode_rpc(invalid), msg_errc::malformed));
  // A sender of 31 bytes.
  bytes short_sender = d;
  size_t sender_ptr = rpc + 8 * words;
  uint64_t ptr = load_u64le(short_sender.data() + sender_ptr);
  BOOST_TEST_REQUIRE((ptr >> 35) == 32u);
  store_u64le(short_sender.data() + sender_ptr, (ptr & ((uint64_t{1} << 35) - 1)) | uint64_t{31} << 35);
  BOOST_TEST(fails_with(decode_rpc(short_sender), msg_errc::wrong_size));
  // A sender pointer that points past the segment.
  bytes wild = d;
  store_u64le(wild.data() + sender_ptr, (ptr & ~uint64_t{0xfffffffc}) | uint64_t{0x1000} << 2);
  BOOST_TEST(fails_with(decode_rpc(wild), msg_errc::malformed));
  // A put whose value is missing.
  dht_rpc put{6, filled(1), dht_put_value{some_item(), std::nullopt, {}}};
  bytes p = encode_rpc(put);
  // Its union pointer is the Rpc's second pointer; the PutValue's second pointer is the value.
  size_t body_ptr = rpc_struct_byte(p) + 8 * rpc_data_words(p) + 8;
  uint64_t body = load_u64le(p.data() + body_ptr);
  size_t put_struct = body_ptr + 8 + 8 * static_cast<size_t>(static_cast<int32_t>(static_cast<uint32_t>(body) & ~3u) >> 2);
  size_t put_data_words = static_cast<size_t>((body >> 32) & 0xffff);
  store_u64le(p.data() + put_struct + 8 * put_data_words + 8, 0);
  BOOST_TEST(fails_with(decode_rpc(p), msg_errc::malformed));
}

BOOST_AUTO_TEST_CASE(random_bytes_never_crash) {
  rng r{2024};
  size_t decoded = 0;
  for (int i = 0; i < 20000; ++i) {
    bytes d(r.below(600));
    for (auto& b : d)
      b = static_cast<uint8_t>(r.next());
    // Half of them get a plausible segment table, so that the reader goes deeper.
    if (i % 2 == 0 && d.size() >= 16) {
      d.resize(d.size() / 8 * 8);
      store_u64le(d.data(), uint64_t{d.size() / 8 - 1} << 32);
    }
    auto out = decode_rpc(d);
    check_outcome(out);
    decoded += out.has_value();
  }
  BOOST_TEST_MESSAGE(decoded << " of 20000 random datagrams decoded");
  BOOST_TEST(decoded < 2000u);
}

BOOST_AUTO_TEST_CASE(mutated_datagrams_never_crash) {
  rng r{77};
  size_t refused = 0;
  size_t total = 0;
  for (const dht_rpc& rpc : samples()) {
    bytes good = encode_rpc(rpc);
    for (int i = 0; i < 1500; ++i) {
      bytes d = good;
      int flips = 1 + static_cast<int>(r.below(4));
      for (int f = 0; f < flips; ++f) {
        size_t at = r.below(d.size());
        if (r.chance(0.5))
          d[at] ^= static_cast<uint8_t>(1u << r.below(8));
        else
          d[at] = static_cast<uint8_t>(r.next());
      }
      auto out = decode_rpc(d);
      check_outcome(out);
      refused += !out.has_value();
      ++total;
    }
  }
  BOOST_TEST_MESSAGE(refused << " of " << total << " mutated datagrams refused");
  BOOST_TEST(refused > 0u);
}

BOOST_AUTO_TEST_SUITE_END()

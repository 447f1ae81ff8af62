#include "dynfeed/krpc/codec.hpp"

#include "dynfeed/krpc/errc.hpp"

#include <boost/test/unit_test.hpp>

#include "krpc/support.hpp"

#include <string>
#include <vector>

using namespace dynfeed;
using namespace dynfeed::krpc;
using test::text;

namespace {

const std::string id_arg = "2:id20:abcdefghij0123456789";

/// A query datagram; `args` is the inside of `a`, keys sorted.
std::string query_wire(std::string_view method, std::string_view args) {
  return "d1:ad" + std::string{args} + "e1:q" + std::to_string(method.size()) + ":"
         + std::string{method} + "1:t2:aa1:y1:qe";
}

/// A response datagram; `values` is the inside of `r`, keys sorted.
std::string response_wire(std::string_view values) {
  return "d1:rd" + std::string{values} + "e1:t2:aa1:y1:re";
}

node_id id_of(std::string_view twenty) { return node_id::from(text(twenty)); }

/// Two compact node infos: 20-byte ID, IPv4, port, network byte order.
std::string two_nodes() {
  std::string out = "01234567890123456789";
  out += std::string{"\x7f\x00\x00\x01\x1a\xe1", 6}; // 127.0.0.1:6881
  out += "abcdefghijklmnopqrst";
  out += std::string{"\xc0\xa8\x01\x02\x00\x50", 6}; // 192.168.1.2:80
  return out;
}

template <class T>
const T& query_as(const message& m) {
  BOOST_REQUIRE(is_query(m));
  const query& q = std::get<query>(m.content);
  BOOST_REQUIRE(std::holds_alternative<T>(q));
  return std::get<T>(q);
}

const response& response_of(const message& m) {
  BOOST_REQUIRE(std::holds_alternative<response>(m.content));
  return std::get<response>(m.content);
}

/// Decodes `wire`, checks that it encodes back to the same bytes, and returns the message.
message decode_exactly(const std::string& wire) {
  auto m = decode(text(wire));
  BOOST_TEST_CONTEXT(wire) {
    BOOST_REQUIRE_MESSAGE(m.has_value(), (m ? std::string{} : m.error().to_string()));
    BOOST_TEST(encode(*m) == text(wire));
  }
  return *m;
}

public_key key_of(uint8_t fill) {
  public_key k;
  k.bytes.fill(fill);
  return k;
}

signature sig_of(uint8_t fill) {
  signature s;
  s.bytes.fill(fill);
  return s;
}

message with(body content, node_id sender = id_of("abcdefghij0123456789")) {
  message m;
  m.transaction = text("aa");
  m.sender = sender;
  m.content = std::move(content);
  return m;
}

/// One message of every kind and shape the codec knows.
std::vector<message> sample_messages() {
  node_id target = id_of("mnopqrstuvwxyz123456");
  mutable_put mp{key_of(7), text("salt"), 42, text("d1:ai1ee"), sig_of(9), int64_t{41}};
  mutable_put bare{key_of(8), {}, 0, text("0:"), sig_of(1), std::nullopt};
  response full;
  full.nodes = {node_info{target, endpoint{0x7f000001, 6881}},
                node_info{id_of("abcdefghij0123456789"), endpoint{0x01020304, 65535}}};
  full.token = text("tok");
  full.values = {endpoint{0x0a000001, 1}, endpoint{0xffffffff, 0}};
  full.v = text("l4:spami-3ee");
  full.k = key_of(3);
  full.seq = int64_t{1} << 40;
  full.sig = sig_of(4);
  std::vector<message> out{
    with(query{ping{}}),
    with(query{find_node{target}}),
    with(query{get_peers{target}}),
    with(query{announce_peer{target, 6881, true, text("aoeusnth")}}),
    with(query{announce_peer{target, 0, false, {}}}),
    with(query{get{target, std::nullopt}}),
    with(query{get{target, int64_t{-5}}}),
    with(query{put{immutable_put{text("12:Hello World!")}, text("t0k")}}),
    with(query{put{mp, text("x")}}),
    with(query{put{bare, {}}}),
    with(query{unknown_query{"vote"}}),
    with(response{}),
    with(full),
    with(error_reply{302, "seq not newer"}),
  };
  out[0].read_only = true;
  out[0].version = text("DF01");
  out[11].ip = endpoint{0xc0a80001, 4242};
  out[13].transaction = {};
  out[13].sender = node_id{};
  return out;
}

void require_refused(const std::string& wire, krpc_errc code, std::string_view context,
                     const limits& lim = {}) {
  auto m = decode(text(wire), lim);
  BOOST_TEST_CONTEXT(wire) {
    BOOST_REQUIRE(!m);
    BOOST_TEST(m.error().is(code), m.error().to_string());
    BOOST_TEST(m.error().context().find(context) != std::string::npos, m.error().to_string());
  }
}

} // namespace

BOOST_AUTO_TEST_CASE(bep5_examples_decode_and_encode_back) {
  // BEP 5's example messages. Its find_node and get_peers responses show "nodes" as a
  // placeholder ("def456..."); two real compact node infos stand in for it.
  auto m = decode_exactly("d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe");
  query_as<ping>(m);
  BOOST_TEST(m.transaction == text("aa"));
  BOOST_TEST((m.sender == id_of("abcdefghij0123456789")));

  m = decode_exactly("d1:rd2:id20:mnopqrstuvwxyz123456e1:t2:aa1:y1:re");
  BOOST_TEST((m.sender == id_of("mnopqrstuvwxyz123456")));
  BOOST_TEST((response_of(m) == response{}));

  m = decode_exactly(
    "d1:ad2:id20:abcdefghij01234567896:target20:mnopqrstuvwxyz123456e1:q9:find_node1:t2:aa1:y1:qe");
  BOOST_TEST(query_as<find_node>(m).target == id_of("mnopqrstuvwxyz123456"));

  m = decode_exactly("d1:rd2:id20:0123456789abcdefghij5:nodes52:" + two_nodes()
                     + "e1:t2:aa1:y1:re");
  const response& nodes = response_of(m);
  BOOST_REQUIRE(nodes.nodes.size() == 2u);
  BOOST_TEST(nodes.nodes[0].id == id_of("01234567890123456789"));
  BOOST_TEST(nodes.nodes[0].address.to_string() == "127.0.0.1:6881");
  BOOST_TEST(nodes.nodes[1].address.to_string() == "192.168.1.2:80");

  m = decode_exactly(
    "d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz123456e1:q9:get_peers1:t2:aa1:y1:qe");
  BOOST_TEST(query_as<get_peers>(m).info_hash == id_of("mnopqrstuvwxyz123456"));

  m = decode_exactly(
    "d1:rd2:id20:abcdefghij01234567895:token8:aoeusnth6:valuesl6:axje.u6:idhtnmee1:t2:aa1:y1:re");
  const response& peers = response_of(m);
  BOOST_TEST((peers.token == text("aoeusnth")));
  BOOST_REQUIRE(peers.values.size() == 2u);
  BOOST_TEST(peers.values[0] == (endpoint{0x61786a65, 0x2e75})); // "axje" ".u"
  BOOST_TEST(peers.values[1] == (endpoint{0x69646874, 0x6e6d})); // "idht" "nm"

  m = decode_exactly("d1:rd2:id20:abcdefghij01234567895:nodes52:" + two_nodes()
                     + "5:token8:aoeusnthe1:t2:aa1:y1:re");
  BOOST_TEST(response_of(m).nodes.size() == 2u);
  BOOST_TEST((response_of(m).token == text("aoeusnth")));

  m = decode_exactly("d1:ad2:id20:abcdefghij012345678912:implied_porti1e9:info_hash20:"
                     "mnopqrstuvwxyz1234564:porti6881e5:token8:aoeusnthe1:q13:announce_peer1:t2:"
                     "aa1:y1:qe");
  const announce_peer& ann = query_as<announce_peer>(m);
  BOOST_TEST(ann.info_hash == id_of("mnopqrstuvwxyz123456"));
  BOOST_TEST(ann.port == 6881);
  BOOST_TEST(ann.implied_port);
  BOOST_TEST(ann.token == text("aoeusnth"));

  m = decode_exactly("d1:eli201e23:A Generic Error Ocurrede1:t2:aa1:y1:ee");
  BOOST_REQUIRE(std::holds_alternative<error_reply>(m.content));
  BOOST_TEST(std::get<error_reply>(m.content).code == code::generic);
  BOOST_TEST(std::get<error_reply>(m.content).message == "A Generic Error Ocurred");
}

BOOST_AUTO_TEST_CASE(bep44_get_and_put) {
  std::string k(32, 'k');
  std::string sig(64, 's');
  auto m = decode_exactly(query_wire(
    "put", "3:casi4e" + id_arg + "1:k32:" + k + "4:salt6:foobar3:seqi5e3:sig64:" + sig
             + "5:token3:tok1:vd1:xl1:y1:zee"));
  const put& p = query_as<put>(m);
  BOOST_TEST(p.token == text("tok"));
  BOOST_REQUIRE(std::holds_alternative<mutable_put>(p.item));
  const mutable_put& item = std::get<mutable_put>(p.item);
  BOOST_TEST(item.k == public_key::from(text(k)));
  BOOST_TEST(item.salt == text("foobar"));
  BOOST_TEST(item.seq == 5);
  BOOST_TEST(item.sig == signature::from(text(sig)));
  BOOST_TEST((item.cas == std::optional<int64_t>{4}));
  BOOST_TEST(item.v == text("d1:xl1:y1:zee")); // exactly the wire bytes of `v`

  m = decode_exactly(query_wire("put", id_arg + "5:token0:1:v12:Hello World!"));
  BOOST_TEST(std::get<immutable_put>(query_as<put>(m).item).v == text("12:Hello World!"));

  m = decode_exactly(query_wire("get", id_arg + "3:seqi3e6:target20:mnopqrstuvwxyz123456"));
  BOOST_TEST((query_as<get>(m).seq == std::optional<int64_t>{3}));

  m = decode_exactly(response_wire(id_arg + "1:k32:" + k + "3:seqi9e3:sig64:" + sig
                                   + "5:token2:tt1:vi-1e"));
  const response& r = response_of(m);
  BOOST_TEST((r.k == std::optional<public_key>{public_key::from(text(k))}));
  BOOST_TEST((r.seq == std::optional<int64_t>{9}));
  BOOST_TEST((r.v == std::optional<bytes>{text("i-1e")}));
  BOOST_TEST(!response_of(decode_exactly(response_wire(id_arg))).k.has_value());
}

BOOST_AUTO_TEST_CASE(top_level_keys_and_unknown_keys) {
  auto m = decode_exactly("d1:ad" + id_arg + "e2:ip6:" + std::string{"\x01\x02\x03\x04\x00\x50", 6}
                          + "1:q4:ping2:roi1e1:t0:1:v4:UT011:y1:qe");
  BOOST_TEST((m.ip == std::optional<endpoint>{endpoint{0x01020304, 80}}));
  BOOST_TEST(m.read_only);
  BOOST_TEST((m.version == std::optional<bytes>{text("UT01")}));
  BOOST_TEST(m.transaction.empty());
  // Keys this codec does not know are ignored, where clients put them (BEP 32's want, noseed).
  auto extra = decode(text("d1:ad" + id_arg + "6:noseedi1e6:target20:mnopqrstuvwxyz1234564:want"
                           "l2:n4ee1:q9:find_node1:t2:aa1:y1:q1:zi9ee"));
  BOOST_REQUIRE(extra.has_value());
  BOOST_TEST(encode(*extra) == text(query_wire("find_node", id_arg + "6:target20:mnopqrstuvwxyz123456")));
  // An unknown method is a query of its own kind (answered with 204), its arguments ignored.
  m = decode_exactly(query_wire("sample_infohashes", id_arg));
  BOOST_TEST(query_as<unknown_query>(m).method == "sample_infohashes");
  // Optional keys at their defaults are dropped when encoding again.
  auto ro0 = decode(text("d1:rd" + id_arg + "5:nodes0:e2:roi0e1:t2:aa1:y1:re"));
  BOOST_REQUIRE(ro0.has_value());
  BOOST_TEST(!ro0->read_only);
  BOOST_TEST(encode(*ro0) == text(response_wire(id_arg)));
}

BOOST_AUTO_TEST_CASE(every_message_kind_round_trips) {
  for (const message& m : sample_messages()) {
    bytes wire = encode(m);
    auto back = decode(wire);
    BOOST_TEST_CONTEXT(wire) {
      BOOST_REQUIRE_MESSAGE(back.has_value(), (back ? std::string{} : back.error().to_string()));
      BOOST_TEST((*back == m));
      BOOST_TEST(encode(*back) == wire);
    }
  }
}

BOOST_AUTO_TEST_CASE(responses_written_directly_match_the_tree_encoding) {
  // encode() writes responses without `v` straight to bytes: every combination of their
  // optional fields (and of the message's) must give the tree's bytes, and decode back.
  node_id other = id_of("mnopqrstuvwxyz123456");
  for (uint32_t fields = 0; fields < (1u << 9); ++fields) {
    response r;
    if (fields & 1u)
      r.nodes = {node_info{other, endpoint{0x7f000001, 6881}}};
    if (fields & 2u)
      r.token = text(fields & 4u ? "" : "a token of 20 bytes!");
    if (fields & 8u)
      for (uint32_t i = 0; i < 32; ++i)
        r.values.push_back(endpoint{0x0a000000 + i * 977, static_cast<uint16_t>(i * 2039)});
    if (fields & 16u) {
      r.k = key_of(5);
      r.seq = fields & 4u ? int64_t{-12} : int64_t{1} << 40;
      r.sig = sig_of(6);
    }
    message m = with(r);
    if (fields & 32u)
      m.ip = endpoint{0xc0a80001, 4242};
    if (fields & 64u)
      m.read_only = true;
    if (fields & 128u)
      m.version = text("DF01");
    if (fields & 256u)
      m.transaction = bytes(16, 0xee);
    bytes wire = encode(m);
    BOOST_TEST_CONTEXT(fields) {
      BOOST_TEST(wire == encode_tree(m));
      auto back = decode(wire);
      BOOST_REQUIRE(back.has_value());
      BOOST_TEST((*back == m));
    }
  }
}

BOOST_AUTO_TEST_CASE(wrong_types_and_sizes_are_refused_by_name) {
  auto bad = krpc_errc::bad_value;
  auto missing = krpc_errc::missing_key;
  std::string k(32, 'k');
  std::string sig(64, 's');
  require_refused("le", bad, "not a dictionary");
  require_refused("d1:ad" + id_arg + "e1:q4:ping1:y1:qe", missing, "t is missing");
  require_refused("d1:ad" + id_arg + "e1:q4:ping1:ti1e1:y1:qe", bad, "t: not a string");
  require_refused("d1:ad" + id_arg + "e1:q4:ping1:t2:aae", missing, "y is missing");
  require_refused("d1:ad" + id_arg + "e1:q4:ping1:t2:aa1:y1:xe", bad, "y: not q, r or e");
  require_refused("d1:ad" + id_arg + "e1:q4:ping1:t2:aa1:y2:qqe", bad, "y: 2 bytes, not 1");
  require_refused("d1:ad" + id_arg + "e1:t2:aa1:y1:qe", missing, "q is missing");
  require_refused("d1:q4:ping1:t2:aa1:y1:qe", missing, "a is missing");
  require_refused("d1:ali1ee1:q4:ping1:t2:aa1:y1:qe", bad, "a: not a dictionary");
  require_refused(query_wire("ping", ""), missing, "a.id is missing");
  require_refused(query_wire("ping", "2:id19:abcdefghij012345678"), bad, "a.id: 19 bytes, not 20");
  require_refused(query_wire("find_node", id_arg), missing, "a.target is missing");
  require_refused(query_wire("find_node", id_arg + "6:targeti1e"), bad, "a.target: not a string");
  require_refused(query_wire("get_peers", id_arg + "9:info_hash21:mnopqrstuvwxyz1234567"), bad,
                  "a.info_hash: 21 bytes, not 20");
  std::string announce_head = id_arg + "9:info_hash20:mnopqrstuvwxyz123456";
  require_refused(query_wire("announce_peer", announce_head + "4:porti65536e5:token1:x"), bad,
                  "a.port: 65536 is not in [0, 65535]");
  require_refused(query_wire("announce_peer", announce_head + "4:porti-1e5:token1:x"), bad,
                  "a.port: -1");
  require_refused(query_wire("announce_peer", announce_head + "5:token1:x"), missing,
                  "a.port is missing");
  require_refused(query_wire("announce_peer", announce_head + "4:porti1e"), missing,
                  "a.token is missing");
  require_refused(query_wire("announce_peer", id_arg + "12:implied_porti2e9:info_hash20:"
                                                       "mnopqrstuvwxyz1234564:porti1e5:token1:x"),
                  bad, "a.implied_port: 2 is not in [0, 1]");
  require_refused(query_wire("announce_peer", announce_head + "4:porti1e5:token65:" + std::string(65, 't')),
                  bad, "a.token: 65 bytes, not 0 to 64");
  require_refused(query_wire("get", id_arg + "3:seq1:16:target20:mnopqrstuvwxyz123456"), bad,
                  "a.seq: not an integer");
  require_refused(query_wire("put", id_arg + "3:sig64:" + sig + "5:token0:1:v0:"), bad,
                  "a.sig: present in a put without k");
  require_refused(query_wire("put", id_arg + "1:k32:" + k + "3:seqi1e5:token0:1:v0:"), missing,
                  "a.sig is missing");
  require_refused(query_wire("put", id_arg + "1:k32:" + k + "3:sig64:" + sig + "5:token0:1:v0:"),
                  missing, "a.seq is missing");
  require_refused(query_wire("put", id_arg + "1:k31:" + k.substr(1) + "3:seqi1e3:sig64:" + sig
                                  + "5:token0:1:v0:"),
                  bad, "a.k: 31 bytes, not 32");
  require_refused(query_wire("put", id_arg + "5:token0:"), missing, "a.v is missing");
  require_refused("d1:rd" + id_arg + "e1:t2:aa1:y1:qe", missing, "q is missing");
  require_refused("d1:t2:aa1:y1:re", missing, "r is missing");
  require_refused(response_wire("2:id3:abc"), bad, "r.id: 3 bytes, not 20");
  require_refused(response_wire(id_arg + "5:nodes27:" + std::string(27, 'n')), bad,
                  "r.nodes: 27 bytes, not a multiple of 26");
  require_refused(response_wire(id_arg + "5:nodesi0e"), bad, "r.nodes: not a string");
  require_refused(response_wire(id_arg + "6:valuesl5:abcdee"), bad,
                  "r.values: an item that is not a 6-byte compact peer");
  require_refused(response_wire(id_arg + "6:valuesli1ee"), bad, "r.values: an item");
  require_refused(response_wire(id_arg + "6:values6:abcdef"), bad, "r.values: not a list");
  require_refused(response_wire(id_arg + "3:sig63:" + sig.substr(1)), bad, "r.sig: 63 bytes");
  require_refused("d2:ip5:abcde1:rd" + id_arg + "e1:t2:aa1:y1:re", bad, "ip: 5 bytes, not 6");
  require_refused("d1:rd" + id_arg + "e2:roi2e1:t2:aa1:y1:re", bad, "ro: 2 is not in [0, 1]");
  require_refused("d1:t2:aa1:y1:ee", missing, "e is missing");
  require_refused("d1:eli201e1:xi3ee1:t2:aa1:y1:ee", bad, "e: not a list of an integer and a string");
  require_refused("d1:el1:xi201ee1:t2:aa1:y1:ee", bad, "e: not a list");
  require_refused("d1:eli201ee1:t2:aa1:y1:ee", bad, "e: not a list");
  require_refused("d1:ei201e1:t2:aa1:y1:ee", bad, "e: not a list");
  require_refused("d1:ad" + id_arg + "e1:q4:ping1:t2:aa1:y1:qe ", krpc_errc::invalid_bencode,
                  "at byte 56: bytes after the object");
}

BOOST_AUTO_TEST_CASE(every_codec_limit_holds_at_its_maximum_and_refuses_one_more) {
  limits lim;
  auto accepted = [&](const std::string& wire) { return decode(text(wire), lim).has_value(); };
  // Datagram size: a ping padded with an unknown key to exactly the maximum, then one more.
  std::string head = "d1:ad" + id_arg + "e1:q4:ping1:t2:aa1:y1:q1:z";
  auto padded = [&](size_t size) {
    size_t pad = size - head.size() - 1 - 5; // "NNNN:" and the final 'e'
    return head + std::to_string(pad) + ":" + std::string(pad, 'p') + "e";
  };
  BOOST_TEST(accepted(padded(lim.datagram_size_max)));
  require_refused(padded(lim.datagram_size_max + 1), krpc_errc::limit_exceeded,
                  "over datagram_size_max 1500");
  std::string t_max(lim.transaction_size_max, 't');
  BOOST_TEST(accepted("d1:rd" + id_arg + "e1:t16:" + t_max + "1:y1:re"));
  require_refused("d1:rd" + id_arg + "e1:t17:" + t_max + "x1:y1:re", krpc_errc::bad_value,
                  "t: 17 bytes, not 0 to 16");
  std::string nodes(lim.nodes_max * compact_node_size, 'n');
  BOOST_TEST(accepted(response_wire(id_arg + "5:nodes832:" + nodes)));
  require_refused(response_wire(id_arg + "5:nodes858:" + nodes + std::string(26, 'n')),
                  krpc_errc::bad_value, "r.nodes: 858 bytes");
  std::string values;
  for (size_t i = 0; i < lim.values_max; ++i)
    values += "6:vvvvvv";
  BOOST_TEST(accepted(response_wire(id_arg + "6:valuesl" + values + "e")));
  require_refused(response_wire(id_arg + "6:valuesl" + values + "6:vvvvvve"), krpc_errc::bad_value,
                  "r.values: 129 peers, over values_max 128");
  std::string message(lim.error_message_size_max, 'm');
  BOOST_TEST(accepted("d1:eli202e256:" + message + "e1:t2:aa1:y1:ee"));
  require_refused("d1:eli202e257:" + message + "xe1:t2:aa1:y1:ee", krpc_errc::bad_value,
                  "e: a message of 257 bytes, over error_message_size_max");
  // Nesting counts from the top: the datagram, `a`, then v's own lists.
  size_t v_depth = lim.bencode.depth_max - 2;
  std::string v = std::string(v_depth, 'l') + std::string(v_depth, 'e');
  BOOST_TEST(accepted(query_wire("put", id_arg + "5:token0:1:v" + v)));
  require_refused(query_wire("put", id_arg + "5:token0:1:vl" + v + "e"), krpc_errc::limit_exceeded,
                  "nesting deeper than depth_max");
}

BOOST_AUTO_TEST_CASE(every_truncation_of_every_message_is_refused) {
  for (const message& m : sample_messages()) {
    bytes wire = encode(m);
    for (size_t size = 0; size < wire.size(); ++size)
      BOOST_TEST(!decode(byte_span{wire.data(), size}), "cut at " << size << ": " << wire);
  }
}

BOOST_AUTO_TEST_CASE(every_single_byte_change_is_refused_or_decodes_to_a_canonical_message) {
  // All 255 other values at every position of every sample: about 480,000 datagrams, checked
  // with plain comparisons (a BOOST_TEST each would cost more than the decoding).
  size_t accepted = 0;
  size_t refused = 0;
  size_t broken = 0;
  std::string first_broken;
  for (const message& m : sample_messages()) {
    const bytes wire = encode(m);
    bytes mutated = wire;
    for (size_t at = 0; at < wire.size(); ++at) {
      for (int b = 0; b < 256; ++b) {
        if (b == wire[at])
          continue;
        mutated[at] = static_cast<uint8_t>(b);
        auto decoded = decode(mutated);
        if (!decoded) {
          ++refused;
          continue;
        }
        ++accepted;
        bytes again = encode(*decoded);
        auto back = decode(again);
        if (!back || !(*back == *decoded) || encode(*back) != again) {
          if (broken++ == 0)
            first_broken = std::string(mutated.begin(), mutated.end());
        }
      }
      mutated[at] = wire[at];
    }
  }
  BOOST_TEST(broken == 0u, "first: " << first_broken);
  // Both outcomes happen: changes inside strings keep a message valid, most others do not.
  BOOST_TEST(accepted > 1000u);
  BOOST_TEST(refused > 10000u);
  BOOST_TEST_MESSAGE("single-byte changes: " << accepted << " accepted, " << refused
                                             << " refused");
}

BOOST_AUTO_TEST_CASE(random_datagrams_are_refused_or_canonical) {
  std::mt19937_64 rng{1206};
  for (int round = 0; round < 20000; ++round) {
    bytes input(test::below(rng, 200));
    for (uint8_t& b : input)
      b = static_cast<uint8_t>(rng());
    auto decoded = decode(input);
    if (decoded)
      BOOST_TEST(encode(*decoded) == input);
  }
  // Random splices of valid messages: mostly refused, never a crash, canonical when accepted.
  std::vector<bytes> wires;
  for (const message& m : sample_messages())
    wires.push_back(encode(m));
  for (int round = 0; round < 20000; ++round) {
    const bytes& a = wires[test::below(rng, wires.size())];
    const bytes& b = wires[test::below(rng, wires.size())];
    size_t cut_a = test::below(rng, a.size() + 1);
    size_t cut_b = test::below(rng, b.size() + 1);
    bytes input(a.begin(), a.begin() + cut_a);
    input.insert(input.end(), b.begin() + cut_b, b.end());
    auto decoded = decode(input);
    if (decoded)
      BOOST_TEST(decode(encode(*decoded)).has_value());
  }
}

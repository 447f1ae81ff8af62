#include "dynfeed/messages/dht_codec.hpp"

#include "dynfeed/base/assert.hpp"
#include "dynfeed/messages/capnp_sizes.hpp"
#include "dynfeed/messages/dht.capnp.h"

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/exception.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace dynfeed::msg {

namespace {

using namespace capnp_sizes;

namespace w = wire_dht;

/// Words Cap'n Proto may read per word of datagram: an honest datagram reads about its size
/// once, so aliased pointers cannot make a small datagram decode into a large rpc.
constexpr uint64_t traversal_per_word_max = 2;
/// How much of a Cap'n Proto exception's description goes into an error's context.
constexpr size_t exception_context_size_max = 160;

// ---- sizes ------------------------------------------------------------------------------------
//
// encoded_rpc_size() mirrors what the builders below allocate, so that encode_rpc() builds the
// message straight into its output. Empty lists, blobs and texts stay null pointers.

/// A list of structs: a tag word, then the elements.
template <class T>
size_t struct_list_words(size_t count) {
  DYNFEED_REQUIRE(count <= capnp_count_max);
  return count == 0 ? 0 : 1 + count * struct_words<T>;
}

size_t nodes_words(const std::vector<dht_node>& nodes) {
  return struct_list_words<w::Node>(nodes.size()) + nodes.size() * blob_words(hash256::size());
}

size_t def_words(const value_feed_def& def) {
  DYNFEED_REQUIRE(def.signers.size() <= capnp_count_max);
  // A list of Data is a list of pointers: no tag word.
  return struct_words<w::FeedDef> + def.signers.size() * (1 + blob_words(public_key::size()))
         + blob_words(def.salt.size());
}

size_t value_words(const signed_value& v) {
  return struct_words<w::SignedValue> + blob_words(v.value.size())
         + struct_list_words<w::ValueSignature>(v.sigs.size())
         + v.sigs.size() * blob_words(signature::size());
}

size_t body_words(const dht_ping&) {
  return 0;
}
size_t body_words(const dht_find_node&) {
  return struct_words<w::FindNode> + blob_words(hash256::size());
}
size_t body_words(const dht_get_peers&) {
  return struct_words<w::GetPeers> + blob_words(hash256::size());
}
size_t body_words(const dht_announce& m) {
  return struct_words<w::Announce> + blob_words(hash256::size()) + blob_words(m.token.size());
}
size_t body_words(const dht_get_value&) {
  return struct_words<w::GetValue> + blob_words(hash256::size());
}
size_t body_words(const dht_put_value& m) {
  return struct_words<w::PutValue> + def_words(m.item.def) + value_words(m.item.value)
         + blob_words(m.token.size());
}
size_t body_words(const dht_ack&) {
  return 0;
}
size_t body_words(const dht_nodes& m) {
  return struct_words<w::Nodes> + nodes_words(m.nodes);
}
size_t body_words(const dht_peers& m) {
  return struct_words<w::Peers> + blob_words(m.token.size())
         + struct_list_words<w::Peer>(m.peers.size()) + nodes_words(m.nodes);
}
size_t body_words(const dht_value_response& m) {
  size_t words = struct_words<w::Value> + blob_words(m.token.size()) + nodes_words(m.nodes);
  if (m.item)
    words += def_words(m.item->def) + value_words(m.item->value);
  return words;
}
size_t body_words(const dht_error& m) {
  return struct_words<w::Error> + text_words(m.message);
}

/// Words of the single segment: the root pointer, the Rpc, the sender ID and the body.
size_t segment_words(const dht_rpc& rpc) {
  size_t words = 1 + struct_words<w::Rpc> + blob_words(hash256::size())
                 + std::visit([](const auto& m) { return body_words(m); }, rpc.body);
  DYNFEED_REQUIRE(words <= capnp_count_max);
  return words;
}

// ---- encoding ---------------------------------------------------------------------------------

template <class Init>
void put_nodes(const std::vector<dht_node>& nodes, Init&& init) {
  if (nodes.empty())
    return;
  auto list = init(static_cast<unsigned>(nodes.size()));
  for (unsigned i = 0; i < nodes.size(); ++i) {
    list[i].setId(blob(nodes[i].id));
    list[i].setIp(nodes[i].address.ip);
    list[i].setPort(nodes[i].address.port);
  }
}

void put_def(const value_feed_def& def, w::FeedDef::Builder out) {
  out.setFormat(static_cast<uint8_t>(def.format));
  out.setThreshold(def.threshold);
  if (!def.signers.empty()) {
    auto list = out.initSigners(static_cast<unsigned>(def.signers.size()));
    for (unsigned i = 0; i < def.signers.size(); ++i)
      list.set(i, blob(def.signers[i]));
  }
  if (!def.salt.empty())
    out.setSalt(blob(def.salt));
}

void put_value(const signed_value& v, w::SignedValue::Builder out) {
  out.setSeq(v.seq);
  if (!v.value.empty())
    out.setValue(blob(v.value));
  if (!v.sigs.empty()) {
    auto list = out.initSignatures(static_cast<unsigned>(v.sigs.size()));
    for (unsigned i = 0; i < v.sigs.size(); ++i) {
      list[i].setSigner(v.sigs[i].signer);
      list[i].setSignature(blob(v.sigs[i].sig));
    }
  }
}

void put(const dht_ping&, w::Rpc::Builder rpc) {
  rpc.setPing();
}
void put(const dht_find_node& m, w::Rpc::Builder rpc) {
  rpc.initFindNode().setTarget(blob(m.target));
}
void put(const dht_get_peers& m, w::Rpc::Builder rpc) {
  rpc.initGetPeers().setTopic(blob(m.topic));
}
void put(const dht_announce& m, w::Rpc::Builder rpc) {
  auto out = rpc.initAnnounce();
  out.setTopic(blob(m.topic));
  out.setPort(m.port);
  if (!m.token.empty())
    out.setToken(blob(m.token));
}
void put(const dht_get_value& m, w::Rpc::Builder rpc) {
  rpc.initGetValue().setTarget(blob(m.target));
}
void put(const dht_put_value& m, w::Rpc::Builder rpc) {
  auto out = rpc.initPutValue();
  put_def(m.item.def, out.initFeed());
  put_value(m.item.value, out.initValue());
  out.setHasCas(m.cas.has_value());
  out.setCas(m.cas.value_or(0));
  if (!m.token.empty())
    out.setToken(blob(m.token));
}
void put(const dht_ack&, w::Rpc::Builder rpc) {
  rpc.setAck();
}
void put(const dht_nodes& m, w::Rpc::Builder rpc) {
  auto out = rpc.initNodes();
  put_nodes(m.nodes, [&](unsigned n) { return out.initNodes(n); });
}
void put(const dht_peers& m, w::Rpc::Builder rpc) {
  auto out = rpc.initPeers();
  if (!m.token.empty())
    out.setToken(blob(m.token));
  if (!m.peers.empty()) {
    auto list = out.initPeers(static_cast<unsigned>(m.peers.size()));
    for (unsigned i = 0; i < m.peers.size(); ++i) {
      list[i].setIp(m.peers[i].ip);
      list[i].setPort(m.peers[i].port);
    }
  }
  put_nodes(m.nodes, [&](unsigned n) { return out.initNodes(n); });
}
void put(const dht_value_response& m, w::Rpc::Builder rpc) {
  auto out = rpc.initValue();
  if (!m.token.empty())
    out.setToken(blob(m.token));
  put_nodes(m.nodes, [&](unsigned n) { return out.initNodes(n); });
  if (m.item) {
    put_def(m.item->def, out.initFeed());
    put_value(m.item->value, out.initValue());
  }
}
void put(const dht_error& m, w::Rpc::Builder rpc) {
  auto out = rpc.initError();
  out.setCode(m.code);
  if (!m.message.empty())
    out.setMessage(capnp::Text::Reader(m.message.data(), m.message.size()));
}

// ---- decoding ---------------------------------------------------------------------------------

template <size_t N, class Tag>
status get_fixed(const char* what, capnp::Data::Reader in, fixed_bytes<N, Tag>& out) {
  if (in.size() != N)
    return error{msg_errc::wrong_size,
                 std::string{what} + ": " + str(in.size()) + " bytes, not " + str(N)};
  std::memcpy(out.data(), in.begin(), N);
  return {};
}

status get_blob(const char* what, capnp::Data::Reader in, uint64_t size_max, bytes& out) {
  if (auto st = check_limit(what, in.size(), size_max); !st)
    return st;
  out.assign(in.begin(), in.end());
  return {};
}

status get_nodes(capnp::List<w::Node>::Reader in, const dht_limits& limits,
                 std::vector<dht_node>& out) {
  if (auto st = check_limit("nodes", in.size(), limits.nodes_max); !st)
    return st;
  out.resize(in.size());
  for (unsigned i = 0; i < in.size(); ++i) {
    if (auto st = get_fixed("node id", in[i].getId(), out[i].id); !st)
      return st;
    out[i].address = endpoint{in[i].getIp(), in[i].getPort()};
  }
  return {};
}

status get_def(w::FeedDef::Reader in, const dht_limits& limits, value_feed_def& out) {
  out.format = static_cast<value_format>(in.getFormat()); // unknown formats: the rules refuse
  out.threshold = in.getThreshold();
  auto signers = in.getSigners();
  if (auto st = check_limit("signers", signers.size(), limits.signers_max); !st)
    return st;
  out.signers.resize(signers.size());
  for (unsigned i = 0; i < signers.size(); ++i)
    if (auto st = get_fixed("signer key", signers[i], out.signers[i]); !st)
      return st;
  return get_blob("salt", in.getSalt(), limits.salt_size_max, out.salt);
}

status get_value(w::SignedValue::Reader in, const dht_limits& limits, signed_value& out) {
  out.seq = in.getSeq();
  // The datagram bounds the value; the value rules bound it further (BEP 44's 205).
  if (auto st = get_blob("value", in.getValue(), limits.datagram_size_max, out.value); !st)
    return st;
  auto sigs = in.getSignatures();
  if (auto st = check_limit("signatures", sigs.size(), limits.signatures_max); !st)
    return st;
  out.sigs.resize(sigs.size());
  for (unsigned i = 0; i < sigs.size(); ++i) {
    out.sigs[i].signer = sigs[i].getSigner();
    if (auto st = get_fixed("signature", sigs[i].getSignature(), out.sigs[i].sig); !st)
      return st;
  }
  return {};
}

status get_item(w::FeedDef::Reader def, w::SignedValue::Reader value, const dht_limits& limits,
                dht_value& out) {
  if (auto st = get_def(def, limits, out.def); !st)
    return st;
  return get_value(value, limits, out.value);
}

/// Decodes a query into `body`, built in place.
status get_query(w::Rpc::Reader in, const dht_limits& limits, dht_body& body) {
  switch (in.which()) {
    case w::Rpc::INVALID:
      return error{msg_errc::malformed, "no rpc"};
    case w::Rpc::PING:
      body.emplace<dht_ping>();
      return {};
    case w::Rpc::FIND_NODE:
      return get_fixed("target", in.getFindNode().getTarget(), body.emplace<dht_find_node>().target);
    case w::Rpc::GET_PEERS:
      return get_fixed("topic", in.getGetPeers().getTopic(), body.emplace<dht_get_peers>().topic);
    case w::Rpc::ANNOUNCE: {
      auto in_announce = in.getAnnounce();
      auto& m = body.emplace<dht_announce>();
      m.port = in_announce.getPort();
      if (auto st = get_fixed("topic", in_announce.getTopic(), m.topic); !st)
        return st;
      return get_blob("token", in_announce.getToken(), limits.token_size_max, m.token);
    }
    case w::Rpc::GET_VALUE:
      return get_fixed("target", in.getGetValue().getTarget(), body.emplace<dht_get_value>().target);
    case w::Rpc::PUT_VALUE: {
      auto in_put = in.getPutValue();
      if (!in_put.hasFeed() || !in_put.hasValue())
        return error{msg_errc::malformed, "put_value without a feed or a value"};
      auto& m = body.emplace<dht_put_value>();
      if (auto st = get_item(in_put.getFeed(), in_put.getValue(), limits, m.item); !st)
        return st;
      if (in_put.getHasCas())
        m.cas = in_put.getCas();
      return get_blob("token", in_put.getToken(), limits.token_size_max, m.token);
    }
    default:
      break;
  }
  return error{msg_errc::unknown_kind, "Rpc member " + str(static_cast<uint16_t>(in.which()))};
}

status get_peer_list(capnp::List<w::Peer>::Reader in, const dht_limits& limits,
                     std::vector<endpoint>& out) {
  if (auto st = check_limit("peers", in.size(), limits.peers_max); !st)
    return st;
  out.reserve(in.size());
  for (auto peer : in)
    out.push_back(endpoint{peer.getIp(), peer.getPort()});
  return {};
}

/// Decodes a response (or, for the other members, a query) into `body`, built in place.
status get_body(w::Rpc::Reader in, const dht_limits& limits, dht_body& body) {
  switch (in.which()) {
    case w::Rpc::ACK:
      body.emplace<dht_ack>();
      return {};
    case w::Rpc::NODES:
      return get_nodes(in.getNodes().getNodes(), limits, body.emplace<dht_nodes>().nodes);
    case w::Rpc::PEERS: {
      auto in_peers = in.getPeers();
      auto& m = body.emplace<dht_peers>();
      if (auto st = get_blob("token", in_peers.getToken(), limits.token_size_max, m.token); !st)
        return st;
      if (auto st = get_peer_list(in_peers.getPeers(), limits, m.peers); !st)
        return st;
      return get_nodes(in_peers.getNodes(), limits, m.nodes);
    }
    case w::Rpc::VALUE: {
      auto in_value = in.getValue();
      auto& m = body.emplace<dht_value_response>();
      if (auto st = get_blob("token", in_value.getToken(), limits.token_size_max, m.token); !st)
        return st;
      if (auto st = get_nodes(in_value.getNodes(), limits, m.nodes); !st)
        return st;
      if (in_value.hasFeed() != in_value.hasValue())
        return error{msg_errc::malformed, "a value response with only half an item"};
      if (!in_value.hasFeed())
        return {};
      return get_item(in_value.getFeed(), in_value.getValue(), limits, m.item.emplace());
    }
    case w::Rpc::ERROR: {
      auto in_error = in.getError();
      auto& m = body.emplace<dht_error>();
      m.code = in_error.getCode();
      auto text = in_error.getMessage();
      if (auto st = check_limit("error message", text.size(), limits.text_size_max); !st)
        return st;
      m.message.assign(text.begin(), text.size());
      return {};
    }
    default:
      return get_query(in, limits, body);
  }
}

/// Checks the segment table against the datagram, cheapest first, before Cap'n Proto reads it.
/// Returns the datagram's size in words.
expected<size_t> check_framing(byte_span datagram, const dht_limits& limits) {
  if (datagram.size() > limits.datagram_size_max)
    return error{msg_errc::too_large,
                 str(datagram.size()) + " bytes > " + str(limits.datagram_size_max)};
  if (datagram.size() < word_size)
    return error{msg_errc::truncated, str(datagram.size()) + " bytes"};
  if (datagram.size() % word_size != 0)
    return error{msg_errc::malformed, "not a whole number of words"};
  auto table = segment_table_words(datagram, limits.segment_count_max);
  if (!table)
    return std::move(table).error();
  uint64_t words = *table;
  size_t have = datagram.size() / word_size;
  if (words != have)
    return error{msg_errc::malformed, str(have - words) + " words after the message"};
  return static_cast<size_t>(words);
}

status read_rpc(w::Rpc::Reader in, const dht_limits& limits, dht_rpc& out) {
  out.transaction = in.getTransaction();
  if (auto st = get_fixed("sender", in.getSender(), out.sender); !st)
    return st;
  return get_body(in, limits, out.body);
}

} // namespace

size_t encoded_rpc_size(const dht_rpc& rpc) {
  return word_size * (1 + segment_words(rpc)); // the segment table takes one word
}

bytes encode_rpc(const dht_rpc& rpc) {
  size_t words = segment_words(rpc);
  bytes out(word_size * (1 + words)); // zeroed, as a Cap'n Proto segment must be
  // operator new aligns to at least 16 bytes, so the segment after the 8-byte table is aligned.
  uint8_t* segment = out.data() + word_size;
  DYNFEED_ASSERT(reinterpret_cast<uintptr_t>(segment) % word_size == 0);
  {
    span_builder builder{kj::arrayPtr(reinterpret_cast<capnp::word*>(segment), words)};
    auto root = builder.initRoot<w::Rpc>();
    root.setTransaction(rpc.transaction);
    root.setSender(blob(rpc.sender));
    std::visit([&](const auto& m) { put(m, root); }, rpc.body);
    auto segments = builder.getSegmentsForOutput();
    DYNFEED_ASSERT(segments.size() == 1 && segments[0].size() == words);
  }
  // Segment table: (segment count - 1) = 0, then the one segment's size in words.
  store_u64le(out.data(), uint64_t{words} << 32);
  return out;
}

expected<dht_rpc> decode_rpc(byte_span datagram, const dht_limits& limits) {
  auto words = check_framing(datagram, limits);
  if (!words)
    return std::move(words).error();
  aligned_words aligned{datagram, *words};
  capnp::ReaderOptions options;
  options.traversalLimitInWords = traversal_per_word_max * *words;
  options.nestingLimit = static_cast<int>(std::min<uint64_t>(limits.nesting_depth_max, INT_MAX));
  // Built in place in the result, so that the rpc is never moved.
  expected<dht_rpc> result{dht_rpc{}};
  try {
    capnp::FlatArrayMessageReader reader{aligned.get(), options};
    if (auto st = read_rpc(reader.getRoot<w::Rpc>(), limits, *result); !st)
      return std::move(st).error();
  } catch (const kj::Exception& e) {
    return capnp_error(e, exception_context_size_max);
  }
  return result;
}

} // namespace dynfeed::msg

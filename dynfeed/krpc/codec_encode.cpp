#include "dynfeed/krpc/codec.hpp"

#include <cstring>

namespace dynfeed::krpc {

namespace {

using bencode::dictionary;
using bencode::insert;

/// A `v` the codec holds as wire bytes goes back in as a value (it came from decode(), or from
/// a caller who bencoded it).
bencode::value parse_raw(const bytes& v) {
  auto decoded = bencode::decode(v);
  DYNFEED_REQUIRE(decoded.has_value());
  return std::move(decoded).value();
}

bytes compact_nodes(const std::vector<node_info>& nodes) {
  bytes out;
  out.reserve(nodes.size() * compact_node_size);
  for (const node_info& n : nodes) {
    out.insert(out.end(), n.id.bytes.begin(), n.id.bytes.end());
    put_compact(out, n.address);
  }
  return out;
}

/// Fills `a` and names the method.
struct arguments_writer {
  dictionary& a;
  std::string& method;

  void operator()(const ping&) { method = "ping"; }
  void operator()(const find_node& q) {
    method = "find_node";
    insert(a, "target", q.target.span());
  }
  void operator()(const get_peers& q) {
    method = "get_peers";
    insert(a, "info_hash", q.info_hash.span());
  }
  void operator()(const announce_peer& q) {
    method = "announce_peer";
    insert(a, "info_hash", q.info_hash.span());
    insert(a, "port", bencode::integer{q.port});
    if (q.implied_port)
      insert(a, "implied_port", bencode::integer{1});
    insert(a, "token", q.token);
  }
  void operator()(const get& q) {
    method = "get";
    insert(a, "target", q.target.span());
    if (q.seq)
      insert(a, "seq", *q.seq);
  }
  void operator()(const put& q) {
    method = "put";
    insert(a, "token", q.token);
    if (auto* item = std::get_if<immutable_put>(&q.item)) {
      insert(a, "v", parse_raw(item->v));
      return;
    }
    const mutable_put& item = std::get<mutable_put>(q.item);
    insert(a, "k", item.k.span());
    if (!item.salt.empty())
      insert(a, "salt", item.salt);
    insert(a, "seq", item.seq);
    insert(a, "sig", item.sig.span());
    if (item.cas)
      insert(a, "cas", *item.cas);
    insert(a, "v", parse_raw(item.v));
  }
  void operator()(const unknown_query& q) { method = q.method; }
};

dictionary response_values(const message& m, const response& r) {
  dictionary out;
  insert(out, "id", m.sender.span());
  if (!r.nodes.empty())
    insert(out, "nodes", compact_nodes(r.nodes));
  if (!r.values.empty()) {
    bencode::list peers;
    for (const endpoint& e : r.values) {
      bytes peer;
      put_compact(peer, e);
      peers.emplace_back(std::move(peer));
    }
    insert(out, "values", std::move(peers));
  }
  if (r.token)
    insert(out, "token", *r.token);
  if (r.v)
    insert(out, "v", parse_raw(*r.v));
  if (r.k)
    insert(out, "k", r.k->span());
  if (r.seq)
    insert(out, "seq", *r.seq);
  if (r.sig)
    insert(out, "sig", r.sig->span());
  return out;
}


// ---- responses without an item, written straight to bytes -----------------------------------
// Most datagrams of a DHT are such responses (get_peers answers carry up to 32 peers); building
// a bencode tree for them cost an allocation per peer. The bytes are the tree's, key for key in
// the same sorted order (tests/krpc compare both). The same code runs twice per datagram: with a
// counter to size it, then with a writer into exactly that room, so no write checks a capacity.

struct counter {
  size_t size = 0;
  void byte(uint8_t) noexcept { ++size; }
  void span(byte_span s) noexcept { size += s.size(); }
  void compact(const endpoint&) noexcept { size += compact_peer_size; }
};

struct writer {
  uint8_t* at;
  void byte(uint8_t c) noexcept { *at++ = c; }
  void span(byte_span s) noexcept {
    if (!s.empty())
      std::memcpy(at, s.data(), s.size());
    at += s.size();
  }
  void compact(const endpoint& e) noexcept {
    for (int shift = 24; shift >= 0; shift -= 8)
      *at++ = static_cast<uint8_t>(e.ip >> shift);
    *at++ = static_cast<uint8_t>(e.port >> 8);
    *at++ = static_cast<uint8_t>(e.port);
  }
};

/// Decimal digits, as std::to_string writes them, without building a string.
template <class Sink>
void put_decimal(Sink& out, uint64_t magnitude) {
  uint8_t digits[20];
  uint8_t* first = digits + sizeof digits;
  do {
    *--first = static_cast<uint8_t>('0' + magnitude % 10);
    magnitude /= 10;
  } while (magnitude != 0);
  out.span(byte_span{first, static_cast<size_t>(digits + sizeof digits - first)});
}

template <class Sink>
void put_integer(Sink& out, int64_t i) {
  out.byte('i');
  if (i < 0)
    out.byte('-');
  // The magnitude of int64's minimum does not fit in int64, so negate in uint64.
  put_decimal(out, i < 0 ? 0 - static_cast<uint64_t>(i) : static_cast<uint64_t>(i));
  out.byte('e');
}

template <class Sink>
void put_length(Sink& out, size_t size) {
  put_decimal(out, size);
  out.byte(':');
}

template <class Sink>
void put_string(Sink& out, byte_span s) {
  put_length(out, s.size());
  out.span(s);
}

template <class Sink>
void put_key(Sink& out, std::string_view key) {
  put_string(out, byte_span{key});
}

// The keys every message may carry around its body, in bencode's sorted order: "ip" sorts
// before "a", "q" and "r"; "ro", "t", "v" and "y" after them.
template <class Sink>
void put_sender_ip(Sink& out, const message& m) {
  if (m.ip) {
    put_key(out, "ip");
    put_length(out, compact_peer_size);
    out.compact(*m.ip);
  }
}

template <class Sink>
void put_envelope_end(Sink& out, const message& m, std::string_view kind) {
  if (m.read_only) {
    put_key(out, "ro");
    put_integer(out, 1);
  }
  put_key(out, "t");
  put_string(out, m.transaction);
  if (m.version) {
    put_key(out, "v");
    put_string(out, *m.version);
  }
  put_key(out, "y");
  put_key(out, kind);
  out.byte('e');
}

template <class Sink>
void put_response_values(Sink& out, const message& m, const response& r) {
  out.byte('d');
  put_key(out, "id");
  put_string(out, m.sender.span());
  if (r.k) {
    put_key(out, "k");
    put_string(out, r.k->span());
  }
  if (!r.nodes.empty()) {
    put_key(out, "nodes");
    put_length(out, r.nodes.size() * compact_node_size);
    for (const node_info& n : r.nodes) {
      out.span(n.id.span());
      out.compact(n.address);
    }
  }
  if (r.seq) {
    put_key(out, "seq");
    put_integer(out, *r.seq);
  }
  if (r.sig) {
    put_key(out, "sig");
    put_string(out, r.sig->span());
  }
  if (r.token) {
    put_key(out, "token");
    put_string(out, *r.token);
  }
  if (!r.values.empty()) {
    put_key(out, "values");
    out.byte('l');
    for (const endpoint& e : r.values) {
      put_length(out, compact_peer_size);
      out.compact(e);
    }
    out.byte('e');
  }
  out.byte('e');
}

/// A response without `v`, in the order bencode sorts keys: ip, r, ro, t, v, y.
template <class Sink>
void put_plain_response(Sink& out, const message& m, const response& r) {
  out.byte('d');
  put_sender_ip(out, m);
  put_key(out, "r");
  put_response_values(out, m, r);
  put_envelope_end(out, m, "r");
}

// ---- queries other than put, written straight to bytes --------------------------------------

/// Writes `a`'s keys after `id`, in sorted order, and names the method.
template <class Sink>
struct arguments_bytes {
  Sink& out;

  std::string_view operator()(const ping&) { return "ping"; }
  std::string_view operator()(const find_node& q) {
    put_key(out, "target");
    put_string(out, q.target.span());
    return "find_node";
  }
  std::string_view operator()(const get_peers& q) {
    put_key(out, "info_hash");
    put_string(out, q.info_hash.span());
    return "get_peers";
  }
  std::string_view operator()(const announce_peer& q) {
    if (q.implied_port) {
      put_key(out, "implied_port");
      put_integer(out, 1);
    }
    put_key(out, "info_hash");
    put_string(out, q.info_hash.span());
    put_key(out, "port");
    put_integer(out, q.port);
    put_key(out, "token");
    put_string(out, q.token);
    return "announce_peer";
  }
  std::string_view operator()(const get& q) {
    if (q.seq) {
      put_key(out, "seq");
      put_integer(out, *q.seq);
    }
    put_key(out, "target");
    put_string(out, q.target.span());
    return "get";
  }
  std::string_view operator()(const put&) {
    DYNFEED_ASSERT(false); // puts go through the tree (their `v` is a bencoded value)
    return "put";
  }
  std::string_view operator()(const unknown_query& q) { return q.method; }
};

/// A query other than put, in the order bencode sorts keys: a, ip, q, ro, t, v, y.
template <class Sink>
void put_plain_query(Sink& out, const message& m, const query& q) {
  out.byte('d');
  put_key(out, "a");
  out.byte('d');
  put_key(out, "id");
  put_string(out, m.sender.span());
  std::string_view method = std::visit(arguments_bytes<Sink>{out}, q);
  out.byte('e');
  put_sender_ip(out, m);
  put_key(out, "q");
  put_key(out, method);
  put_envelope_end(out, m, "q");
}

/// Sizes the datagram with `put` and a counter, then writes it with `put` and a writer.
template <class Put>
bytes sized_and_written(Put&& put) {
  counter size;
  put(size);
  bytes out(size.size);
  writer w{out.data()};
  put(w);
  DYNFEED_ASSERT(w.at == out.data() + out.size());
  return out;
}

} // namespace

bytes encode(const message& m) {
  if (auto* r = std::get_if<response>(&m.content); r && !r->v)
    return sized_and_written([&](auto& out) { put_plain_response(out, m, *r); });
  if (auto* q = std::get_if<query>(&m.content); q && !std::holds_alternative<put>(*q))
    return sized_and_written([&](auto& out) { put_plain_query(out, m, *q); });
  return encode_tree(m);
}

bytes encode_tree(const message& m) {
  dictionary top;
  insert(top, "t", m.transaction);
  if (m.version)
    insert(top, "v", *m.version);
  if (m.ip) {
    bytes ip;
    put_compact(ip, *m.ip);
    insert(top, "ip", std::move(ip));
  }
  if (m.read_only)
    insert(top, "ro", bencode::integer{1});
  if (auto* q = std::get_if<query>(&m.content)) {
    dictionary a;
    std::string method;
    insert(a, "id", m.sender.span());
    std::visit(arguments_writer{a, method}, *q);
    insert(top, "y", std::string_view{"q"});
    insert(top, "q", std::string_view{method});
    insert(top, "a", std::move(a));
  } else if (auto* r = std::get_if<response>(&m.content)) {
    insert(top, "y", std::string_view{"r"});
    insert(top, "r", response_values(m, *r));
  } else {
    const error_reply& e = std::get<error_reply>(m.content);
    insert(top, "y", std::string_view{"e"});
    insert(top, "e", bencode::list{bencode::value{e.code}, bencode::value{std::string_view{e.message}}});
  }
  return bencode::encode(top);
}

} // namespace dynfeed::krpc

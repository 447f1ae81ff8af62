#include "dynfeed/krpc/codec.hpp"

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

} // namespace

bytes encode(const message& m) {
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

#include "dynfeed/sim/hostile_dht.hpp"

#include "dynfeed/feed/bep44.hpp"
#include "dynfeed/krpc/codec.hpp"
#include "dynfeed/krpc/targets.hpp"

#include <chrono>
#include <utility>

namespace dynfeed::sim {

namespace {

using namespace std::chrono_literals;

/// A transaction not answered by then never will be (a DHT node answers at once, or never: the
/// rate limit drops silently).
constexpr clock_time answer_wait = 10s;
/// Contacts and peers a lying answer gives (BEP 5 answers with 8 nodes).
constexpr size_t lies_per_answer = 8;
/// Topics false_announce announces on each round.
constexpr int announce_topics = 3;

bytes transaction_of(uint32_t n) {
  return bytes{static_cast<uint8_t>(n >> 24), static_cast<uint8_t>(n >> 16),
               static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n)};
}

std::optional<uint32_t> number_of(const bytes& t) {
  if (t.size() != 4)
    return std::nullopt;
  return (uint32_t{t[0]} << 24) | (uint32_t{t[1]} << 16) | (uint32_t{t[2]} << 8) | t[3];
}

/// A bencoded string value ("5:hello").
bytes bencoded(std::string_view s) {
  std::string text = std::to_string(s.size()) + ":" + std::string(s);
  return bytes(text.begin(), text.end());
}

} // namespace

bool dht_kind(hostile_kind kind) noexcept {
  return kind == hostile_kind::dht_liar || kind == hostile_kind::lookup_flood ||
         kind == hostile_kind::false_announce;
}

hostile_dht_node::hostile_dht_node(hostile_kind kind, hostile_book& book, datagram_socket& socket,
                                   node_id id, uint64_t seed, uint32_t flood_queries)
    : kind_(kind), book_(book), socket_(socket), id_(id), random_(seed),
      flood_queries_(flood_queries) {
  key_seed s;
  for (size_t i = 0; i < key_seed::size_bytes; ++i)
    s.data()[i] = static_cast<uint8_t>(random_.next());
  keys_ = crypto::keypair_from_seed(s);
}

node_id hostile_dht_node::random_id() {
  node_id out;
  for (size_t i = 0; i < node_id::size_bytes; ++i)
    out.data()[i] = static_cast<uint8_t>(random_.next());
  return out;
}

void hostile_dht_node::send(clock_time now, const endpoint& to, krpc::query q, expect what,
                            bytes token, node_id topic) {
  uint32_t n = next_transaction_++;
  krpc::message m;
  m.transaction = transaction_of(n);
  m.sender = id_;
  m.content = std::move(q);
  pending_[n] = pending{now, what, to, std::move(token), topic};
  if (what == expect::refusal || what == expect::stored || what == expect::flood) {
    ++book_.tally.acts[index()];
    ++book_.open[index()];
  }
  socket_.send_to(to, krpc::encode(m));
}

void hostile_dht_node::act(clock_time now, const endpoint& to) {
  expire(now);
  ++book_.tally.connections[index()];
  switch (kind_) {
    case hostile_kind::lookup_flood:
      for (uint32_t i = 0; i < flood_queries_; ++i) {
        node_id target = random_id();
        krpc::query q = i % 3 == 0   ? krpc::query{krpc::get_peers{target}}
                        : i % 3 == 1 ? krpc::query{krpc::find_node{target}}
                                     : krpc::query{krpc::get{target, std::nullopt}};
        send(now, to, std::move(q), expect::flood);
      }
      return;
    case hostile_kind::false_announce:
      for (int i = 0; i < announce_topics; ++i) {
        node_id topic = random_id();
        send(now, to, krpc::get_peers{topic}, expect::token_for_announce, {}, topic);
      }
      return;
    case hostile_kind::dht_liar:
      // Asking puts us in the honest node's table, where its lookups meet our lying answers.
      send(now, to, krpc::find_node{random_id()}, expect::nothing);
      send(now, to, krpc::get{krpc::mutable_target(keys_.pk, {}), std::nullopt},
           expect::token_for_put);
      return;
    default:
      return;
  }
}

void hostile_dht_node::expire(clock_time now) {
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (now - it->second.sent < answer_wait) {
      ++it;
      continue;
    }
    settle(it->second.what, false);
    it = pending_.erase(it);
  }
}

void hostile_dht_node::settle(expect what, bool answered) {
  size_t k = index();
  switch (what) {
    case expect::flood:
      --book_.open[k];
      ++(answered ? book_.harmless[k] : book_.tally.rejected[k]);
      return;
    case expect::refusal:
    case expect::stored:
      --book_.open[k];
      ++book_.unanswered[k];
      return;
    default:
      return;
  }
}

void hostile_dht_node::on_datagram(context& ctx, const endpoint& from, byte_span datagram) {
  auto m = krpc::decode(datagram);
  if (!m)
    return;
  if (krpc::is_query(*m)) {
    if (kind_ == hostile_kind::dht_liar)
      answer_query(from, *m);
    return;
  }
  auto n = number_of(m->transaction);
  auto it = n ? pending_.find(*n) : pending_.end();
  if (it == pending_.end() || !(it->second.to == from))
    return;
  pending p = it->second;
  pending_.erase(it);
  size_t k = index();
  if (std::holds_alternative<krpc::error_reply>(m->content)) {
    if (p.what == expect::refusal || p.what == expect::stored) {
      --book_.open[k];
      ++book_.tally.rejected[k];
    } else {
      settle(p.what, true);
    }
    return;
  }
  if (auto* r = std::get_if<krpc::response>(&m->content))
    on_answer(ctx.now(), from, p, *r);
}

void hostile_dht_node::on_answer(clock_time now, const endpoint& from, pending p,
                                 const krpc::response& r) {
  size_t k = index();
  switch (p.what) {
    case expect::stored:
      --book_.open[k];
      ++book_.harmless[k];
      return;
    case expect::refusal: // the honest node accepted what it should have refused
      --book_.open[k];
      ++book_.accepted[k];
      return;
    case expect::flood:
      settle(p.what, true);
      return;
    case expect::token_for_announce:
      if (!r.token)
        return;
      // A valid token, and a port that is not ours: with implied_port the honest node records
      // the datagram's source (our own address) instead.
      send(now, from, krpc::announce_peer{p.topic, 7000, true, *r.token}, expect::stored);
      // The same token for another topic (one token, many topics), and a token it never gave
      // anyone: both refused (bad token), since a token binds the asker's address and topic.
      send(now, from, krpc::announce_peer{random_id(), 7000, false, *r.token}, expect::refusal);
      send(now, from, krpc::announce_peer{p.topic, 7000, false, bytes{1, 2, 3, 4}},
           expect::refusal);
      return;
    case expect::token_for_put:
      if (r.token)
        put_items(now, from, *r.token);
      return;
    case expect::newer_put:
      {
        // The same key with an older seq: a replay of a stale item.
        auto stale = bep44::sign(keys_, {}, seq_ - 5, bencoded("stale"));
        if (stale)
          send(now, from,
               krpc::put{krpc::mutable_put{stale->k, {}, stale->seq, stale->v, stale->sig,
                                           std::nullopt},
                         p.token},
               expect::refusal);
      }
      return;
    default:
      return;
  }
}

void hostile_dht_node::put_items(clock_time now, const endpoint& to, const bytes& token) {
  seq_ += 10;
  // A genuine item first (ours, signed by us: stored, and misleads nobody), so that the next
  // one, signed too but with an older seq, is stale.
  auto newer = bep44::sign(keys_, {}, seq_, bencoded("newer"));
  if (newer)
    send(now, to,
         krpc::put{krpc::mutable_put{newer->k, {}, newer->seq, newer->v, newer->sig, std::nullopt},
                   token},
         expect::newer_put, token);
  // A forged item: a newer seq under our key with a signature nobody made.
  signature junk;
  for (size_t i = 0; i < signature::size_bytes; ++i)
    junk.data()[i] = static_cast<uint8_t>(random_.next());
  send(now, to,
       krpc::put{krpc::mutable_put{keys_.pk, {}, seq_ + 100, bencoded("forged"), junk,
                                   std::nullopt},
                 token},
       expect::refusal);
}

void hostile_dht_node::answer_query(const endpoint& from, const krpc::message& m) {
  const auto& q = std::get<krpc::query>(m.content);
  krpc::message out;
  out.transaction = m.transaction;
  out.sender = id_;
  krpc::response r;
  if (!std::holds_alternative<krpc::ping>(q)) {
    // Contacts that do not exist, and peers nobody runs: a lookup that follows them times out.
    for (size_t i = 0; i < lies_per_answer; ++i) {
      auto ip = static_cast<uint32_t>(random_.next() | 0x01000000u);
      r.nodes.push_back(krpc::node_info{random_id(), endpoint{ip, 6881}});
      if (std::holds_alternative<krpc::get_peers>(q))
        r.values.push_back(endpoint{ip, 7000});
    }
    r.token = bytes{9, 9, 9, 9};
  }
  if (auto* g = std::get_if<krpc::get>(&q)) {
    // A forged item at whatever target was asked for: a key that does not hash to it, a seq
    // ahead of anything, and a signature nobody made.
    signature junk;
    for (size_t i = 0; i < signature::size_bytes; ++i)
      junk.data()[i] = static_cast<uint8_t>(random_.next());
    r.k = keys_.pk;
    r.seq = bep44::seq_max;
    r.v = bencoded("forged");
    r.sig = junk;
    (void)g;
  }
  out.content = std::move(r);
  if (!std::holds_alternative<krpc::ping>(q)) {
    ++book_.tally.acts[index()];
    ++book_.unanswered[index()]; // nothing comes back: the honest node just moves on
  }
  socket_.send_to(from, krpc::encode(out));
}

} // namespace dynfeed::sim

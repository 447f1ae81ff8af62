// The DHT's iterative lookups, and the announces and puts built on them (see dht.hpp).
//
// A lookup keeps its candidates sorted by distance to the target and keeps alpha queries in
// flight to the closest ones it has not asked, considering only the k closest that have not
// failed. It ends when each of those has answered or failed. Rounds: the nodes we knew are
// round 1, nodes that a round-n node told us of are round n + 1; a lookup's hops are the last
// round whose answers brought a node into the k closest (at least 1 once anyone answered).

#include "dynfeed/discovery/dht.hpp"

#include "dynfeed/base/assert.hpp"
#include "dynfeed/krpc/targets.hpp"

#include <algorithm>
#include <cstring>

namespace dynfeed {

namespace {

/// Distinct peers one get_peers lookup collects at most.
constexpr size_t lookup_peers_max = 1024;

/// a == b, their last 8 bytes first: a lookup's candidates share leading bytes with the target
/// and so with each other, and a memcmp call per candidate cost more than the whole test.
bool same_id(const node_id& a, const node_id& b) noexcept {
  constexpr size_t tail = sizeof(uint64_t);
  uint64_t x = 0;
  uint64_t y = 0;
  std::memcpy(&x, a.bytes.data() + node_id::size() - tail, tail);
  std::memcpy(&y, b.bytes.data() + node_id::size() - tail, tail);
  return x == y && a == b;
}

} // namespace

krpc::query dht::query_for(const lookup& l) const {
  switch (l.op) {
    case discovery_op::get_peers:
      return krpc::get_peers{l.target};
    case discovery_op::get_value:
      return krpc::get{l.target, l.wanted.seq};
    default:
      return krpc::find_node{l.target};
  }
}

// ---- public operations --------------------------------------------------------------------------

void dht::run_lookup(context& ctx, discovery_op op, const node_id& target, item_wanted wanted,
                     dht_lookup_callback done, dht_peers_callback progress) {
  auto finish = [this, done](context&, lookup& l) {
    if (done)
      done(result_of(l));
  };
  peers_progress on_peers;
  if (progress)
    on_peers = [progress](context&, const std::vector<endpoint>& peers) { progress(peers); };
  if (error err = begin_lookup(ctx, op, target, finish, on_peers, {}, std::move(wanted));
      err && done) {
    dht_lookup_result r;
    r.err = std::move(err);
    r.target = target;
    done(r);
  }
}

void dht::find_node(context& ctx, const node_id& target, dht_lookup_callback done) {
  run_lookup(ctx, discovery_op::find_node, target, {}, std::move(done), nullptr);
}

void dht::lookup_peers(context& ctx, const node_id& info_hash, dht_lookup_callback done,
                       dht_peers_callback progress) {
  run_lookup(ctx, discovery_op::get_peers, info_hash, {}, std::move(done), std::move(progress));
}

void dht::get_value(context& ctx, const node_id& target, dht_lookup_callback done) {
  run_lookup(ctx, discovery_op::get_value, target, {}, std::move(done), nullptr);
}

void dht::get_value(context& ctx, const public_key& k, const bytes& salt,
                    dht_lookup_callback done, std::optional<int64_t> seq) {
  item_wanted wanted{k, salt, seq};
  run_lookup(ctx, discovery_op::get_value, krpc::mutable_target(k, salt), std::move(wanted),
             std::move(done), nullptr);
}

void dht::announce(context& ctx, const node_id& info_hash, uint16_t port, dht_store_callback done,
                   dht_peers_callback progress) {
  peers_progress on_peers;
  if (progress)
    on_peers = [progress](context&, const std::vector<endpoint>& peers) { progress(peers); };
  start_announce(
    ctx, info_hash, port,
    [done](context&, const dht_store_result& r) {
      if (done)
        done(r);
    },
    on_peers);
}

void dht::start_announce(context& ctx, const node_id& info_hash, uint16_t port, store_done done,
                         peers_progress progress) {
  auto then = [this, info_hash, port, done](context& c, lookup& l) {
    krpc::announce_peer a;
    a.info_hash = info_hash;
    a.port = port;
    a.implied_port = port == 0; // BEP 5: the responder takes our datagrams' source port
    store_at_closest(c, l, a, done);
  };
  if (error err = begin_lookup(ctx, discovery_op::get_peers, info_hash, then, std::move(progress))) {
    dht_store_result r;
    r.err = err;
    r.lookup.err = std::move(err);
    r.lookup.target = info_hash;
    done(ctx, r);
  }
}

void dht::put_value(context& ctx, const bep44::mutable_item& item, std::optional<int64_t> cas,
                    dht_store_callback done) {
  // The codec writes v as it is: it must be one bencoded value (bep44::sign makes sure).
  DYNFEED_REQUIRE(bep44::check_bencode(item.v).has_value());
  krpc::mutable_put m{item.k, item.salt, item.seq, item.v, item.sig, cas};
  // The nodes' answers to the lookup are not needed (a put of an older seq is refused with
  // 302); asking with our seq keeps them from sending the item back.
  item_wanted wanted{item.k, item.salt, item.seq};
  start_put(ctx, krpc::mutable_target(item.k, item.salt), std::move(wanted),
            krpc::put{std::move(m), {}}, std::move(done));
}

void dht::put_immutable(context& ctx, const bytes& v, dht_store_callback done) {
  DYNFEED_REQUIRE(bep44::check_bencode(v).has_value());
  start_put(ctx, krpc::immutable_target(v), {}, krpc::put{krpc::immutable_put{v}, {}},
            std::move(done));
}

void dht::start_put(context& ctx, const node_id& target, item_wanted wanted, krpc::put put,
                    dht_store_callback done) {
  auto then = [this, put, done](context& c, lookup& l) {
    store_at_closest(c, l, put, [done](context&, const dht_store_result& r) {
      if (done)
        done(r);
    });
  };
  if (error err = begin_lookup(ctx, discovery_op::get_value, target, then, nullptr, {},
                               std::move(wanted));
      err && done) {
    dht_store_result r;
    r.err = err;
    r.lookup.err = std::move(err);
    r.lookup.target = target;
    done(r);
  }
}

void dht::ping(context& ctx, const endpoint& to, std::function<void(bool)> done) {
  uint64_t serial = next_serial_++;
  pending_query p;
  p.op = discovery_op::ping;
  p.why = purpose::ping;
  p.owner = serial;
  if (!send_query(ctx, to, std::nullopt, krpc::ping{}, p)) {
    if (done)
      done(false);
    return;
  }
  pings_[serial] = std::move(done);
}

// ---- answers ------------------------------------------------------------------------------------

void dht::on_answer(context& ctx, pending_query& p, const krpc::node_info& from,
                    krpc::body& body) {
  switch (p.why) {
    case purpose::lookup:
      if (auto it = lookups_.find(p.owner); it != lookups_.end()) {
        lookup_answered(ctx, it->second, from.id, body);
        advance(ctx, p.owner);
      }
      return;
    case purpose::bootstrap: {
      auto* r = std::get_if<krpc::response>(&body);
      if (!r || joining_ || joined_)
        return;
      std::vector<krpc::node_info> seeds = r->nodes;
      seeds.push_back(from);
      joining_ = true;
      auto then = [this](context& c, lookup& l) { joined(c, l); };
      if (begin_lookup(ctx, discovery_op::find_node, id(), then, nullptr, seeds))
        joining_ = false;
      // Somebody answers now: topics that had nobody to ask need not wait for the join to end
      // (which waits for every silent node it was told of).
      run_topics_now(ctx, [](const wanted_topic& w) { return w.failed; });
      return;
    }
    case purpose::evict_ping:
      return; // on_response noted it: it keeps its place
    case purpose::store:
      task_answered(ctx, p.owner, &body);
      return;
    case purpose::ping:
      if (auto it = pings_.find(p.owner); it != pings_.end()) {
        auto done = std::move(it->second);
        pings_.erase(it);
        if (done)
          done(true);
      }
      return;
  }
}

void dht::on_no_answer(context& ctx, pending_query& p, bool timed_out) {
  if (p.node)
    table_->failed(*p.node);
  switch (p.why) {
    case purpose::lookup:
      if (auto it = lookups_.find(p.owner); it != lookups_.end() && p.node) {
        lookup_failed(it->second, *p.node, timed_out);
        advance(ctx, p.owner);
      }
      return;
    case purpose::bootstrap:
    case purpose::evict_ping:
      return; // the routing table heard of the failure above
    case purpose::store:
      task_answered(ctx, p.owner, nullptr);
      return;
    case purpose::ping:
      if (auto it = pings_.find(p.owner); it != pings_.end()) {
        auto done = std::move(it->second);
        pings_.erase(it);
        if (done)
          done(false);
      }
      return;
  }
}

// ---- lookups ------------------------------------------------------------------------------------

error dht::begin_lookup(context& ctx, discovery_op op, const node_id& target,
                        std::function<void(context&, lookup&)> done, peers_progress progress,
                        const std::vector<krpc::node_info>& seeds, item_wanted wanted) {
  if (lookups_.size() >= config_->lookups_max)
    return error{dht_errc::busy, std::to_string(lookups_.size()) + " lookups running"};
  std::vector<krpc::node_info> known = table_->closest(target, config_->k);
  if (known.empty() && seeds.empty())
    return error{dht_errc::no_nodes};
  uint64_t lookup_id = next_serial_++;
  lookup& l = lookups_[lookup_id];
  l.op = op;
  l.target = target;
  l.done = std::move(done);
  l.progress = std::move(progress);
  l.wanted = std::move(wanted);
  table_->touch(target, ctx.now());
  add_candidates(l, known, 1);
  add_candidates(l, seeds, 1);
  // What this node stores itself counts too: a lookup never asks its own node.
  if (op == discovery_op::get_value) {
    if (std::optional<dht_item> held = store_.item(target, ctx.now())) {
      auto* m = std::get_if<bep44::mutable_item>(&*held);
      bool wanted_kind = m ? l.wanted.k.has_value() : !l.wanted.k.has_value();
      if (wanted_kind && (!m || !l.wanted.seq || m->seq > *l.wanted.seq)) {
        if (m)
          m->salt = l.wanted.salt;
        l.item = std::move(held);
      }
    }
  } else if (op == discovery_op::get_peers) {
    std::vector<endpoint> held =
      store_.peers(target, config_->peers_per_response_max, ctx.now(), &ctx.random());
    add_peers(ctx, l, held);
  }
  advance(ctx, lookup_id);
  return {};
}

bool dht::add_candidates(lookup& l, const std::vector<krpc::node_info>& nodes, uint32_t round) {
  bool improved = false;
  for (const krpc::node_info& n : nodes) {
    if (n.id == id() || n.address.ip == 0 || n.address.port == 0 || n.address == socket_.local())
      continue;
    // One candidate per ID and per address: made-up IDs at one address get one query.
    bool known = std::any_of(l.candidates.begin(), l.candidates.end(), [&](const candidate& c) {
      return c.node.address == n.address || same_id(c.node.id, n.id);
    });
    if (known)
      continue;
    auto at = std::lower_bound(l.candidates.begin(), l.candidates.end(), n.id,
                               [&](const candidate& c, const node_id& x) {
                                 return closer_to(l.target, c.node.id, x);
                               });
    if (at == l.candidates.end() && l.candidates.size() >= config_->lookup_candidates_max)
      continue;
    size_t live_before = static_cast<size_t>(std::count_if(
      l.candidates.begin(), at, [](const candidate& c) { return c.state != asked::failed; }));
    at = l.candidates.insert(at, candidate{n, round, asked::not_yet, 0, {}});
    if (live_before < config_->k)
      improved = true;
    if (l.candidates.size() > config_->lookup_candidates_max) {
      // Forget the farthest node not yet asked (one that was asked stays until it answers).
      for (size_t i = l.candidates.size(); i-- > 0;)
        if (l.candidates[i].state == asked::not_yet) {
          l.candidates.erase(l.candidates.begin() + static_cast<std::ptrdiff_t>(i));
          break;
        }
    }
  }
  return improved;
}

void dht::add_peers(context& ctx, lookup& l, const std::vector<endpoint>& peers) {
  std::vector<endpoint> fresh;
  for (const endpoint& p : peers) {
    if (p.ip == 0 || p.port == 0 || l.peers.size() >= lookup_peers_max)
      continue;
    if (l.peers_seen.insert(p)) {
      l.peers.push_back(p);
      fresh.push_back(p);
    }
  }
  if (!fresh.empty() && l.progress)
    l.progress(ctx, fresh);
}

void dht::take_item(lookup& l, krpc::response& r) {
  if (!r.v)
    return;
  // A getter trusts nobody: the item must belong to the target and verify.
  if (!l.wanted.k) {
    bool valid = krpc::immutable_target(*r.v) == l.target
                 && r.v->size() <= config_->storage.values.value_size_max
                 && bep44::check_bencode(*r.v);
    if (!valid) {
      ++stats_.refused.bad_value;
      return;
    }
    if (!l.item)
      l.item = immutable_item{std::move(*r.v)};
    return;
  }
  if (!r.k || *r.k != *l.wanted.k || !r.seq || !r.sig) {
    ++stats_.refused.bad_value;
    return;
  }
  bep44::mutable_item item{*r.k, l.wanted.salt, *r.seq, std::move(*r.v), *r.sig};
  if (!bep44::verify(item, config_->storage.values)) {
    ++stats_.refused.bad_value;
    return;
  }
  if (l.wanted.seq && item.seq <= *l.wanted.seq)
    return; // not newer than what the asker has
  auto* held = l.item ? std::get_if<bep44::mutable_item>(&*l.item) : nullptr;
  if (!held || item.seq > held->seq)
    l.item = std::move(item);
}

void dht::lookup_answered(context& ctx, lookup& l, const node_id& node, krpc::body& body) {
  auto c = std::find_if(l.candidates.begin(), l.candidates.end(),
                        [&](const candidate& x) { return x.node.id == node; });
  if (c == l.candidates.end() || c->state != asked::waiting)
    return;
  --l.in_flight;
  ++l.answers;
  c->state = asked::answered;
  uint32_t round = c->round;
  auto* r = std::get_if<krpc::response>(&body);
  if (!r)
    return; // refused (an error): it answered, but told us nothing and gave no token
  if (r->token && (l.op == discovery_op::get_peers || l.op == discovery_op::get_value))
    c->token = std::move(*r->token);
  bool improved = add_candidates(l, r->nodes, round + 1); // `c` is invalid from here on
  if (l.op == discovery_op::get_peers)
    add_peers(ctx, l, r->values);
  else if (l.op == discovery_op::get_value)
    take_item(l, *r);
  if (improved)
    l.last_improving_round = std::max(l.last_improving_round, round);
}

void dht::lookup_failed(lookup& l, const node_id& node, bool timed_out) {
  auto c = std::find_if(l.candidates.begin(), l.candidates.end(),
                        [&](const candidate& x) { return x.node.id == node; });
  if (c == l.candidates.end() || c->state != asked::waiting)
    return;
  --l.in_flight;
  if (timed_out)
    ++l.timeouts;
  // Silence may be one lost datagram: ask again (advance() does) before giving up.
  c->state = timed_out && c->attempts <= config_->lookup_retries ? asked::not_yet : asked::failed;
}

void dht::advance(context& ctx, uint64_t lookup_id) {
  auto it = lookups_.find(lookup_id);
  if (it == lookups_.end())
    return;
  lookup& l = it->second;
  size_t live = 0;
  for (candidate& c : l.candidates) {
    if (live >= config_->k || l.in_flight >= config_->alpha)
      break;
    if (c.state == asked::failed)
      continue;
    ++live;
    if (c.state != asked::not_yet || l.queries >= config_->lookup_queries_max)
      continue;
    pending_query p;
    p.op = l.op;
    p.why = purpose::lookup;
    p.subject = l.target;
    p.owner = lookup_id;
    if (!send_query(ctx, c.node.address, c.node.id, query_for(l), p)) {
      c.state = asked::failed; // too many queries pending: this one is skipped
      --live;
      continue;
    }
    c.state = asked::waiting;
    ++c.attempts;
    ++l.in_flight;
    ++l.queries;
  }
  if (l.in_flight > 0)
    return;
  // Every one of the k closest has answered or failed (or the query budget is spent).
  lookup finished = std::move(l);
  lookups_.erase(it);
  uint32_t hops = finished.answers > 0 ? std::max<uint32_t>(finished.last_improving_round, 1) : 0;
  finished.last_improving_round = hops;
  ++stats_.lookups;
  stats_.lookup_hops += hops;
  stats_.lookup_hops_max = std::max<uint64_t>(stats_.lookup_hops_max, hops);
  if (finished.done)
    finished.done(ctx, finished);
}

dht_lookup_result dht::result_of(const lookup& l) const {
  dht_lookup_result r;
  r.target = l.target;
  for (const candidate& c : l.candidates) {
    if (r.closest.size() >= config_->k)
      break;
    if (c.state == asked::answered)
      r.closest.push_back(c.node);
  }
  r.peers = l.peers;
  r.item = l.item;
  r.hops = l.last_improving_round;
  r.queries = l.queries;
  r.answers = l.answers;
  r.timeouts = l.timeouts;
  return r;
}

// ---- announces and puts -------------------------------------------------------------------------

void dht::store_at_closest(context& ctx, lookup& l, krpc::query query, store_done done) {
  uint64_t task_id = next_serial_++;
  store_task& task = tasks_[task_id];
  task.result.lookup = result_of(l);
  task.done = std::move(done);
  bool is_announce = std::holds_alternative<krpc::announce_peer>(query);
  size_t closest = 0;
  for (candidate& c : l.candidates) {
    if (closest >= config_->k)
      break;
    if (c.state != asked::answered)
      continue;
    ++closest;
    if (c.token.empty())
      continue; // it refused the lookup query, or gave no token: no store
    if (is_announce)
      std::get<krpc::announce_peer>(query).token = c.token;
    else
      std::get<krpc::put>(query).token = c.token;
    pending_query p;
    p.op = is_announce ? discovery_op::announce : discovery_op::put_value;
    p.why = purpose::store;
    p.subject = l.target;
    p.owner = task_id;
    if (send_query(ctx, c.node.address, c.node.id, query, p))
      ++task.waiting;
    else
      ++task.result.timeouts;
  }
  if (task.waiting == 0)
    task_answered(ctx, task_id, nullptr);
}

void dht::task_answered(context& ctx, uint64_t task_id, const krpc::body* body) {
  auto it = tasks_.find(task_id);
  if (it == tasks_.end())
    return;
  store_task& task = it->second;
  if (task.waiting > 0) {
    --task.waiting;
    if (!body)
      ++task.result.timeouts;
    else if (auto* refused = std::get_if<krpc::error_reply>(body))
      task.result.error_codes.push_back(refused->code);
    else
      ++task.result.stored;
  }
  if (task.waiting > 0)
    return;
  store_task finished = std::move(task);
  tasks_.erase(it);
  if (finished.done)
    finished.done(ctx, finished.result);
}

} // namespace dynfeed

#include "dynfeed/discovery/dht_store.hpp"

#include "dynfeed/base/assert.hpp"
#include "dynfeed/krpc/targets.hpp"

#include <algorithm>
#include <string>

namespace dynfeed {

node_id target_of(const dht_item& item) {
  if (auto* m = std::get_if<bep44::mutable_item>(&item))
    return krpc::mutable_target(m->k, m->salt);
  return krpc::immutable_target(std::get<immutable_item>(item).v);
}

bool same_item(const dht_item& a, const dht_item& b) noexcept {
  if (a.index() != b.index())
    return false;
  if (auto* x = std::get_if<immutable_item>(&a))
    return x->v == std::get<immutable_item>(b).v;
  const auto& x = std::get<bep44::mutable_item>(a);
  const auto& y = std::get<bep44::mutable_item>(b);
  return x.k == y.k && x.salt == y.salt && x.seq == y.seq && x.v == y.v && x.sig == y.sig;
}

dht_store::dht_store(dht_store_limits limits) : limits_(limits) {
  DYNFEED_REQUIRE(limits_.records_per_source_max > 0 && limits_.peers_per_topic_max > 0);
}

size_t dht_store::held_by(uint32_t source) const {
  const owned* o = owners_.find(source);
  return o ? o->count : 0;
}

void dht_store::touch_key(uint32_t owner, const record_key& key) {
  auto [o, added] = owners_.try_emplace(owner);
  if (added) {
    o->set_oldest(key);
    o->count = 1;
    return;
  }
  if (o->count == 1 && o->oldest() == key)
    return; // its only record: still the most recent
  std::vector<record_key>& more = more_owned_[owner];
  if (o->oldest() == key) {
    o->set_oldest(more.front());
    more.erase(more.begin());
  } else if (auto it = std::find(more.begin(), more.end(), key); it != more.end()) {
    more.erase(it);
  } else {
    ++o->count;
  }
  more.push_back(key); // most recently stored last
}

void dht_store::drop_key(uint32_t owner, const record_key& key) {
  owned* o = owners_.find(owner);
  DYNFEED_ASSERT(o);
  if (o->count == 1) {
    DYNFEED_ASSERT(o->oldest() == key);
    owners_.erase(owner);
    return;
  }
  auto m = more_owned_.find(owner);
  DYNFEED_ASSERT(m != more_owned_.end() && !m->second.empty());
  std::vector<record_key>& more = m->second;
  if (o->oldest() == key) {
    o->set_oldest(more.front());
    more.erase(more.begin());
  } else {
    auto it = std::find(more.begin(), more.end(), key);
    DYNFEED_ASSERT(it != more.end());
    more.erase(it);
  }
  --o->count;
  if (more.empty())
    more_owned_.erase(m);
}

/// Removes a record and its key.
void dht_store::remove(uint32_t owner, const record_key& key) {
  // The key goes first: it points into the map entry.
  drop_key(owner, key);
  if (key.is_value) {
    auto it = values_.find(*key.target);
    DYNFEED_ASSERT(it != values_.end() && it->second.owner == owner);
    values_.erase(it);
  } else {
    auto it = topics_.find(*key.target);
    DYNFEED_ASSERT(it != topics_.end());
    std::vector<peer_record>& peers = it->second;
    endpoint address{owner, key.port};
    auto p = std::find_if(peers.begin(), peers.end(), [&](const peer_record& r) { return r.address == address; });
    DYNFEED_ASSERT(p != peers.end());
    peers.erase(p);
    --peer_count_;
    if (peers.empty())
      topics_.erase(it);
  }
}

dht_store::record_key dht_store::oldest_in_topic(uint32_t owner, const node_id& topic) const {
  auto in_topic = [&](const record_key& k) { return !k.is_value && *k.target == topic; };
  const owned* o = owners_.find(owner);
  DYNFEED_ASSERT(o);
  if (in_topic(o->oldest()))
    return o->oldest();
  const std::vector<record_key>& more = more_owned_.at(owner);
  auto own = std::find_if(more.begin(), more.end(), in_topic);
  DYNFEED_ASSERT(own != more.end());
  return *own;
}

void dht_store::remove_oldest_of(uint32_t owner) {
  const owned* o = owners_.find(owner);
  DYNFEED_ASSERT(o && o->count > 0);
  record_key oldest = o->oldest();
  remove(owner, oldest);
}

void dht_store::expire_topic(std::map<node_id, std::vector<peer_record>>::iterator it,
                             clock_time now) {
  std::vector<peer_record>& peers = it->second;
  for (size_t i = peers.size(); i-- > 0;) {
    if (peers[i].expires > now)
      continue;
    drop_key(peers[i].address.ip, record_key{&it->first, peers[i].address.port, false});
    peers.erase(peers.begin() + static_cast<std::ptrdiff_t>(i));
    --peer_count_;
  }
  if (peers.empty())
    topics_.erase(it);
}

expected<dht_store::outcome> dht_store::add_peer(const node_id& topic, const endpoint& peer,
                                                 clock_time now) {
  uint32_t owner = peer.ip;
  auto t = topics_.find(topic);
  if (t != topics_.end()) {
    auto& peers = t->second;
    auto same = std::find_if(peers.begin(), peers.end(), [&](const peer_record& r) { return r.address == peer; });
    if (same != peers.end()) {
      peers.erase(same);
      peers.push_back(peer_record{peer, now + limits_.record_ttl});
      touch_key(owner, record_key{&t->first, peer.port, false});
      return outcome::refreshed;
    }
    expire_topic(t, now); // the dead make room first
    t = topics_.find(topic);
  }
  // Decide before changing anything: refusals leave the store as it was.
  bool topic_full = t != topics_.end() && t->second.size() >= limits_.peers_per_topic_max;
  bool own_in_topic = topic_full && std::any_of(t->second.begin(), t->second.end(),
                                                [&](const peer_record& r) { return r.address.ip == owner; });
  if (topic_full && !own_in_topic)
    return error{dht_errc::storage_full, "the topic holds " + std::to_string(t->second.size()) + " peers"};
  if (t == topics_.end() && topics_.size() >= limits_.topics_max) {
    expire(now);
    if (topics_.size() >= limits_.topics_max)
      return error{dht_errc::storage_full, std::to_string(topics_.size()) + " topics held"};
  }
  outcome result = outcome::stored;
  if (topic_full) {
    // Its own oldest record in this topic makes room.
    remove(owner, oldest_in_topic(owner, topic));
    result = outcome::replaced;
  } else if (held_by(owner) >= limits_.records_per_source_max) {
    remove_oldest_of(owner);
    result = outcome::replaced;
  }
  // Made again if removing a record above emptied it.
  auto stored = topics_.try_emplace(topic).first;
  stored->second.push_back(peer_record{peer, now + limits_.record_ttl});
  ++peer_count_;
  touch_key(owner, record_key{&stored->first, peer.port, false});
  return result;
}

std::vector<endpoint> dht_store::peers(const node_id& topic, size_t count, clock_time now,
                                       rng* random) const {
  std::vector<endpoint> out;
  auto t = topics_.find(topic);
  if (t == topics_.end() || count == 0)
    return out;
  const auto& peers = t->second;
  uint64_t seen = 0;
  for (size_t i = peers.size(); i-- > 0;) {
    if (peers[i].expires <= now)
      continue;
    ++seen;
    if (out.size() < count)
      out.push_back(peers[i].address);
    else if (!random)
      break;
    else if (uint64_t slot = random->below(seen); slot < count)
      out[slot] = peers[i].address; // reservoir sampling
  }
  return out;
}

status dht_store::room_for(const node_id& target, clock_time now) {
  auto held = values_.find(target);
  if (held != values_.end() && held->second.expires <= now) {
    remove(held->second.owner, record_key{&held->first, 0, true});
    held = values_.end();
  }
  if (held == values_.end() && values_.size() >= limits_.values_max) {
    expire(now);
    if (values_.size() >= limits_.values_max)
      return error{dht_errc::storage_full, std::to_string(values_.size()) + " items held"};
  }
  return {};
}

dht_store::outcome dht_store::add_item(const node_id& target, dht_item item, uint32_t source,
                                       clock_time now) {
  outcome result = outcome::stored;
  if (held_by(source) >= limits_.records_per_source_max) {
    remove_oldest_of(source);
    result = outcome::replaced;
  }
  auto stored = values_.insert_or_assign(target, value_record{std::move(item), source, now + limits_.value_ttl}).first;
  touch_key(source, record_key{&stored->first, 0, true});
  return result;
}

expected<dht_store::outcome> dht_store::put_mutable(const bep44::mutable_item& item,
                                                    std::optional<int64_t> cas, uint32_t source,
                                                    clock_time now) {
  node_id target = krpc::mutable_target(item.k, item.salt);
  // Room first: it is cheap, and a full store need not verify signatures.
  if (status room = room_for(target, now); !room)
    return std::move(room).error();
  auto held = values_.find(target);
  value_state state;
  if (held != values_.end()) {
    // Only a mutable item of this key and salt hashes to this target (SHA-1 is not broken
    // for second preimages); an immutable one here would be one whose v hashes the same.
    auto* m = std::get_if<bep44::mutable_item>(&held->second.item);
    if (!m)
      return error{value_errc::malformed, "the target holds an immutable item"};
    state.current = bep44::to_signed_value(*m);
  }
  put_options options;
  if (cas)
    options.cas = static_cast<uint64_t>(*cas); // a negative CAS matches no seq: 301
  value_decision d = accept_value(bep44::feed_def(item), state, bep44::to_signed_value(item),
                                  limits_.values, options);
  if (d.err.is(value_errc::replayed) && held != values_.end()) {
    held->second.expires = now + limits_.value_ttl; // BEP 44: an identical put refreshes
    touch_key(held->second.owner, record_key{&held->first, 0, true});
    return outcome::refreshed;
  }
  if (d.err)
    return std::move(d.err);
  if (held != values_.end()) {
    // A newer item of a held key keeps its place and its owner: whoever relays an item cannot
    // make it count against its own quota, or evict it through it.
    held->second.item = item;
    held->second.expires = now + limits_.value_ttl;
    touch_key(held->second.owner, record_key{&held->first, 0, true});
    return outcome::stored;
  }
  return add_item(target, item, source, now);
}

expected<dht_store::outcome> dht_store::put_immutable(const bytes& v, uint32_t source,
                                                      clock_time now) {
  node_id target = krpc::immutable_target(v);
  if (status room = room_for(target, now); !room)
    return std::move(room).error();
  auto held = values_.find(target);
  if (held != values_.end()) {
    held->second.expires = now + limits_.value_ttl; // the same bytes: a refresh
    touch_key(held->second.owner, record_key{&held->first, 0, true});
    return outcome::refreshed;
  }
  return add_item(target, immutable_item{v}, source, now);
}

std::optional<dht_item> dht_store::item(const node_id& target, clock_time now) const {
  auto it = values_.find(target);
  if (it == values_.end() || it->second.expires <= now)
    return std::nullopt;
  return it->second.item;
}

void dht_store::expire(clock_time now) {
  for (auto t = topics_.begin(); t != topics_.end();) {
    auto next = std::next(t);
    expire_topic(t, now);
    t = next;
  }
  for (auto v = values_.begin(); v != values_.end();) {
    auto next = std::next(v);
    if (v->second.expires <= now)
      remove(v->second.owner, record_key{&v->first, 0, true});
    v = next;
  }
}

} // namespace dynfeed

#include "dynfeed/discovery/dht_store.hpp"

#include "dynfeed/base/assert.hpp"

#include <algorithm>
#include <string>

namespace dynfeed {

dht_store::dht_store(dht_store_limits limits) : limits_(limits) {
  DYNFEED_REQUIRE(limits_.records_per_source_max > 0 && limits_.peers_per_topic_max > 0);
}

size_t dht_store::held_by(uint32_t source) const {
  auto it = owners_.find(source);
  return it == owners_.end() ? 0 : it->second.size();
}

void dht_store::touch_key(uint32_t owner, const record_key& key) {
  std::vector<record_key>& keys = owners_[owner];
  auto it = std::find_if(keys.begin(), keys.end(), [&](const record_key& k) { return k == key; });
  if (it != keys.end())
    keys.erase(it);
  keys.push_back(key); // most recently stored last
}

void dht_store::drop_key(uint32_t owner, const record_key& key) {
  auto owner_it = owners_.find(owner);
  DYNFEED_ASSERT(owner_it != owners_.end());
  std::vector<record_key>& keys = owner_it->second;
  auto it = std::find_if(keys.begin(), keys.end(), [&](const record_key& k) { return k == key; });
  DYNFEED_ASSERT(it != keys.end());
  keys.erase(it);
  if (keys.empty())
    owners_.erase(owner_it);
}

/// Removes a record and its key.
void dht_store::remove(uint32_t owner, const record_key& key) {
  if (key.is_value) {
    auto it = values_.find(key.target);
    DYNFEED_ASSERT(it != values_.end() && it->second.owner == owner);
    values_.erase(it);
  } else {
    auto it = topics_.find(key.target);
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
  drop_key(owner, key);
}

void dht_store::remove_oldest_of(uint32_t owner) {
  auto it = owners_.find(owner);
  DYNFEED_ASSERT(it != owners_.end() && !it->second.empty());
  record_key oldest = it->second.front();
  remove(owner, oldest);
}

void dht_store::expire_topic(std::map<hash256, std::vector<peer_record>>::iterator it,
                             clock_time now) {
  std::vector<peer_record>& peers = it->second;
  for (size_t i = peers.size(); i-- > 0;) {
    if (peers[i].expires > now)
      continue;
    drop_key(peers[i].address.ip, record_key{false, it->first, peers[i].address.port});
    peers.erase(peers.begin() + static_cast<std::ptrdiff_t>(i));
    --peer_count_;
  }
  if (peers.empty())
    topics_.erase(it);
}

expected<dht_store::outcome> dht_store::add_peer(const hash256& topic, const endpoint& peer,
                                                 clock_time now) {
  record_key key{false, topic, peer.port};
  uint32_t owner = peer.ip;
  auto t = topics_.find(topic);
  if (t != topics_.end()) {
    auto& peers = t->second;
    auto same = std::find_if(peers.begin(), peers.end(), [&](const peer_record& r) { return r.address == peer; });
    if (same != peers.end()) {
      peers.erase(same);
      peers.push_back(peer_record{peer, now + limits_.record_ttl});
      touch_key(owner, key);
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
    const auto& keys = owners_.at(owner);
    auto own = std::find_if(keys.begin(), keys.end(), [&](const record_key& k) { return !k.is_value && k.target == topic; });
    DYNFEED_ASSERT(own != keys.end());
    record_key replaced = *own; // a copy: remove() changes `keys`
    remove(owner, replaced);
    result = outcome::replaced;
  } else if (held_by(owner) >= limits_.records_per_source_max) {
    remove_oldest_of(owner);
    result = outcome::replaced;
  }
  topics_[topic].push_back(peer_record{peer, now + limits_.record_ttl});
  ++peer_count_;
  touch_key(owner, key);
  return result;
}

std::vector<endpoint> dht_store::peers(const hash256& topic, size_t count, clock_time now,
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

expected<dht_store::outcome> dht_store::put_value(const msg::dht_value& item,
                                                  std::optional<uint64_t> cas, uint32_t source,
                                                  clock_time now) {
  hash256 target = item.def.id();
  auto held = values_.find(target);
  if (held != values_.end() && held->second.expires <= now) {
    remove(held->second.owner, record_key{true, target, 0});
    held = values_.end();
  }
  // Room first: it is cheap, and a full store need not verify signatures.
  if (held == values_.end() && values_.size() >= limits_.values_max) {
    expire(now);
    if (values_.size() >= limits_.values_max)
      return error{dht_errc::storage_full, std::to_string(values_.size()) + " values held"};
  }
  value_state state;
  if (held != values_.end())
    state.current = held->second.item.value;
  put_options options;
  options.cas = cas;
  value_decision d = accept_value(item.def, state, item.value, limits_.values, options);
  if (d.err.is(value_errc::replayed) && held != values_.end()) {
    held->second.expires = now + limits_.value_ttl; // BEP 44: an identical put refreshes
    touch_key(held->second.owner, record_key{true, target, 0});
    return outcome::refreshed;
  }
  if (d.err)
    return std::move(d.err);
  DYNFEED_ASSERT(d.next.current.has_value());
  if (held != values_.end()) {
    // A newer value of a held feed keeps its place and its owner: whoever relays a feed's
    // values cannot make them count against its own quota, or evict them through it.
    held->second.item.value = *d.next.current;
    held->second.expires = now + limits_.value_ttl;
    touch_key(held->second.owner, record_key{true, target, 0});
    return outcome::stored;
  }
  outcome result = outcome::stored;
  if (held_by(source) >= limits_.records_per_source_max) {
    remove_oldest_of(source);
    result = outcome::replaced;
  }
  values_[target] = value_record{msg::dht_value{item.def, *d.next.current}, source,
                                 now + limits_.value_ttl};
  touch_key(source, record_key{true, target, 0});
  return result;
}

std::optional<msg::dht_value> dht_store::value(const hash256& target, clock_time now) const {
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
      remove(v->second.owner, record_key{true, v->first, 0});
    v = next;
  }
}

} // namespace dynfeed

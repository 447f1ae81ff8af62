#include "dynfeed/discovery/routing_table.hpp"

#include "dynfeed/base/assert.hpp"
#include "dynfeed/krpc/bep42.hpp"

#include <algorithm>

namespace dynfeed {

node_id xor_distance(const node_id& a, const node_id& b) noexcept {
  node_id out;
  for (size_t i = 0; i < node_id::size(); ++i)
    out.bytes[i] = a.bytes[i] ^ b.bytes[i];
  return out;
}

size_t common_prefix_bits(const node_id& a, const node_id& b) noexcept {
  for (size_t i = 0; i < node_id::size(); ++i) {
    unsigned diff = a.bytes[i] ^ b.bytes[i];
    if (diff == 0)
      continue;
    size_t bits = 0;
    while ((diff & 0x80u) == 0) {
      diff <<= 1;
      ++bits;
    }
    return 8 * i + bits;
  }
  return dht_id_bits;
}

bool closer_to(const node_id& target, const node_id& a, const node_id& b) noexcept {
  for (size_t i = 0; i < node_id::size(); ++i) {
    uint8_t da = a.bytes[i] ^ target.bytes[i];
    uint8_t db = b.bytes[i] ^ target.bytes[i];
    if (da != db)
      return da < db;
  }
  return false;
}

node_id id_in_bucket(const node_id& base, size_t prefix_bits, const node_id& random) noexcept {
  if (prefix_bits >= dht_id_bits)
    return base;
  node_id out = random;
  size_t whole = prefix_bits / 8;
  for (size_t i = 0; i < whole; ++i)
    out.bytes[i] = base.bytes[i];
  // In the byte of the first differing bit: base's bits before it, its inverse at it, random
  // bits after it.
  unsigned bit = 0x80u >> (prefix_bits % 8);
  unsigned before = ~((bit << 1) - 1) & 0xffu;
  unsigned after = (bit - 1) & 0xffu;
  unsigned b = base.bytes[whole];
  out.bytes[whole] = static_cast<uint8_t>((b & before) | (~b & bit) | (out.bytes[whole] & after));
  return out;
}

routing_table::routing_table(const node_id& self, routing_config config)
  : self_(self), config_(config) {
  DYNFEED_REQUIRE(config_.k > 0 && config_.nodes_per_ip_max > 0);
  DYNFEED_REQUIRE(config_.failures_max <= UINT16_MAX); // routing_entry::failures
}

const routing_bucket& routing_table::bucket(size_t index) const {
  static const routing_bucket none;
  DYNFEED_REQUIRE(index < dht_id_bits);
  return index < buckets_.size() ? buckets_[index] : none;
}

routing_bucket& routing_table::bucket_at(size_t index) {
  DYNFEED_ASSERT(index < dht_id_bits);
  if (index >= buckets_.size()) {
    buckets_.reserve(index + 1); // exactly: this happens a few dozen times per table at most
    buckets_.resize(index + 1);
  }
  return buckets_[index];
}

routing_entry* routing_table::find_in(routing_bucket& b, const node_id& id) {
  for (routing_entry& e : b.nodes)
    if (e.node.id == id)
      return &e;
  return nullptr;
}

const routing_entry* routing_table::find(const node_id& id) const {
  size_t index = bucket_of(id);
  if (index >= buckets_.size())
    return nullptr;
  for (const routing_entry& e : buckets_[index].nodes)
    if (e.node.id == id)
      return &e;
  return nullptr;
}

bool routing_table::ip_has_room(uint32_t ip) const {
  // Counted when asked rather than kept in a map per address: it is asked only when a node
  // would join the table (a few hundred entries to read at most), and a simulation holds a
  // table per node, where the map took more than a kilobyte each.
  size_t held = 0;
  for (size_t i = 0; i <= deepest_ && i < buckets_.size(); ++i)
    for (const routing_entry& e : buckets_[i].nodes)
      if (e.node.address.ip == ip && ++held >= config_.nodes_per_ip_max)
        return false;
  return true;
}

void routing_table::insert(routing_bucket& b, const routing_entry& e) {
  DYNFEED_ASSERT(b.nodes.size() < config_.k);
  b.nodes.push_back(e);
  ++size_;
  deepest_ = std::max(deepest_, static_cast<size_t>(&b - buckets_.data()));
}

void routing_table::erase(routing_bucket& b, size_t position) {
  DYNFEED_ASSERT(position < b.nodes.size());
  b.nodes.erase(b.nodes.begin() + static_cast<std::ptrdiff_t>(position));
  --size_;
  while (deepest_ > 0 && buckets_[deepest_].nodes.empty())
    --deepest_;
}

void routing_table::add_replacement(routing_bucket& b, const routing_entry& e) {
  auto same = std::find_if(b.replacements.begin(), b.replacements.end(),
                           [&](const routing_entry& r) { return r.node.id == e.node.id; });
  if (same != b.replacements.end())
    b.replacements.erase(same);
  if (b.replacements.size() >= config_.replacements_max && !b.replacements.empty())
    b.replacements.erase(b.replacements.begin()); // the least recently seen goes
  if (config_.replacements_max > 0)
    b.replacements.push_back(e);
}

bool routing_table::promote_replacement(routing_bucket& b) {
  while (!b.replacements.empty() && b.nodes.size() < config_.k) {
    routing_entry e = b.replacements.back();
    b.replacements.pop_back();
    if (ip_has_room(e.node.address.ip)) {
      insert(b, e);
      return true;
    }
  }
  return false;
}

std::optional<krpc::node_info> routing_table::maybe_ping_oldest(routing_bucket& b, clock_time now) {
  if (b.replacements.empty() || b.nodes.empty() || b.pinging())
    return std::nullopt;
  routing_entry& oldest = b.nodes.front();
  if (now - oldest.last_seen < config_.questionable_after)
    return std::nullopt; // a full bucket of good nodes keeps them all
  oldest.pinged = true;
  return oldest.node;
}

routing_table::insert_result routing_table::heard_from(const krpc::node_info& node,
                                                       clock_time now) {
  if (node.id == self_ || node.address.ip == 0 || node.address.port == 0)
    return {outcome::refused, std::nullopt};
  if (config_.enforce_bep42 && !krpc::bep42::is_exempt(node.address.ip)
      && !krpc::bep42::is_valid(node.id, node.address.ip))
    return {outcome::refused, std::nullopt}; // BEP 42: an ID its address does not allow
  routing_bucket& b = bucket_at(bucket_of(node.id));
  routing_entry fresh;
  fresh.node = node;
  fresh.last_seen = now;
  if (routing_entry* e = find_in(b, node.id)) {
    // Another address claiming a known ID is ignored: the node we know keeps its place until
    // it fails to answer.
    if (e->node.address != node.address)
      return {outcome::refused, std::nullopt};
    auto position = static_cast<size_t>(e - b.nodes.data());
    b.nodes.erase(b.nodes.begin() + static_cast<std::ptrdiff_t>(position));
    b.nodes.push_back(fresh); // most recently seen last
    b.last_active = now;
    // BEP 5: after a questionable node answered, the next questionable one is pinged while
    // newcomers wait.
    return {outcome::updated, maybe_ping_oldest(b, now)};
  }
  auto waiting = std::find_if(b.replacements.begin(), b.replacements.end(),
                              [&](const routing_entry& r) { return r.node.id == node.id; });
  if (waiting != b.replacements.end())
    b.replacements.erase(waiting); // it comes back below, in the table or at the end
  if (b.nodes.size() < config_.k) {
    if (!ip_has_room(node.address.ip))
      return {outcome::refused, std::nullopt};
    insert(b, fresh);
    b.last_active = now;
    return {outcome::added, std::nullopt};
  }
  // Full. A node that already failed to answer gives way at once; otherwise the newcomer waits
  // while the oldest node is pinged, if it is questionable.
  for (size_t i = 0; i < b.nodes.size(); ++i) {
    if (b.nodes[i].failures == 0)
      continue;
    if (b.nodes[i].node.address.ip != node.address.ip && !ip_has_room(node.address.ip))
      break;
    erase(b, i);
    insert(b, fresh);
    b.last_active = now;
    return {outcome::added, std::nullopt};
  }
  add_replacement(b, fresh);
  return {outcome::waiting, maybe_ping_oldest(b, now)};
}

bool routing_table::failed(const node_id& id) {
  size_t index = bucket_of(id);
  if (index >= buckets_.size())
    return false;
  routing_bucket& b = buckets_[index];
  routing_entry* e = find_in(b, id);
  if (!e) {
    auto r = std::find_if(b.replacements.begin(), b.replacements.end(),
                          [&](const routing_entry& x) { return x.node.id == id; });
    if (r != b.replacements.end())
      b.replacements.erase(r);
    return false;
  }
  ++e->failures;
  e->pinged = false;
  if (b.replacements.empty() && e->failures < config_.failures_max)
    return false;
  erase(b, static_cast<size_t>(e - b.nodes.data()));
  promote_replacement(b);
  return true;
}

void routing_table::touch(const node_id& target, clock_time now) {
  size_t index = bucket_of(target);
  if (index < dht_id_bits)
    bucket_at(index).last_active = now;
}

std::vector<krpc::node_info> routing_table::take_questionable(clock_time now, size_t count) {
  std::vector<std::pair<clock_time, size_t>> oldest; // (last seen, bucket)
  for (size_t i = 0; i < buckets_.size(); ++i) {
    const routing_bucket& b = buckets_[i];
    if (b.nodes.empty() || b.pinging())
      continue;
    if (now - b.nodes.front().last_seen >= config_.questionable_after)
      oldest.emplace_back(b.nodes.front().last_seen, i);
  }
  std::sort(oldest.begin(), oldest.end());
  if (oldest.size() > count)
    oldest.resize(count);
  std::vector<krpc::node_info> out;
  for (const auto& [seen, index] : oldest) {
    routing_bucket& b = buckets_[index];
    b.nodes.front().pinged = true;
    out.push_back(b.nodes.front().node);
  }
  return out;
}

std::vector<krpc::node_info> routing_table::closest(const node_id& target, size_t count) const {
  std::vector<krpc::node_info> out;
  closest(target, count, out);
  return out;
}

void routing_table::closest(const node_id& target, size_t count,
                            std::vector<krpc::node_info>& out) const {
  // With b the bucket of the target: nodes of bucket b are closest (they share more than b
  // bits with it), then those of every deeper bucket (exactly b bits), then bucket b - 1,
  // b - 2, ..., 0 in turn. Each group is sorted on its own, in place at the end of `out`; IDs
  // are distinct, so the order is total and the group that reaches `count` needs only its
  // closest nodes sorted.
  out.clear();
  out.reserve(std::min(count, size_));
  size_t group_start = 0;
  auto flush = [&] {
    auto closer = [&](const krpc::node_info& x, const krpc::node_info& y) {
      return closer_to(target, x.id, y.id);
    };
    auto first = out.begin() + static_cast<std::ptrdiff_t>(group_start);
    if (out.size() > count) {
      std::partial_sort(first, out.begin() + static_cast<std::ptrdiff_t>(count), out.end(),
                        closer);
      out.resize(count);
    } else {
      std::sort(first, out.end(), closer);
    }
    group_start = out.size();
    return out.size() >= count;
  };
  auto add = [&](size_t index) {
    for (const routing_entry& e : buckets_[index].nodes)
      out.push_back(e.node);
  };
  size_t b = bucket_of(target);
  bool done = false;
  if (b < buckets_.size()) {
    add(b);
    done = flush();
    for (size_t i = b + 1; !done && i <= deepest_; ++i)
      add(i);
    done = done || flush();
  }
  for (size_t i = std::min(b, buckets_.size()); !done && i-- > 0;) {
    add(i);
    done = flush();
  }
}

std::vector<krpc::node_info> routing_table::all() const {
  std::vector<krpc::node_info> out;
  out.reserve(size_);
  for (const routing_bucket& b : buckets_)
    for (const routing_entry& e : b.nodes)
      out.push_back(e.node);
  return out;
}

} // namespace dynfeed

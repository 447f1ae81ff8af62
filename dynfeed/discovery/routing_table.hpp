#pragma once

/// The DHT's routing table: Kademlia's k-buckets over 160-bit node IDs, as BEP 5 keeps them.
///
/// Bucket i holds the nodes whose ID shares exactly i leading bits with ours (i in [0, 159]):
/// bucket 0 covers half the key space, bucket 1 a quarter, and so on, which is what BEP 5's
/// splitting of the bucket that holds our own ID produces. Each bucket keeps at most k nodes,
/// least recently seen first, and a few replacements: nodes heard from while the bucket was
/// full, most recent last.
///
/// A full bucket keeps its good nodes: a newcomer waits among the replacements while the oldest
/// node, if it has not been heard from for `questionable_after`, is pinged; only a node that
/// then fails to answer gives its place to the most recent replacement. A node that fails
/// `failures_max` queries in a row is dropped even with no replacement waiting. Pure code: the
/// caller sends the pings it is asked for and reports answers and timeouts.

#include "dynfeed/base/endpoint.hpp"
#include "dynfeed/discovery/dht_config.hpp"
#include "dynfeed/krpc/messages.hpp"
#include "dynfeed/component/component.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace dynfeed {

inline constexpr size_t dht_id_bits = 160;

/// a XOR b.
node_id xor_distance(const node_id& a, const node_id& b) noexcept;
/// The number of leading bits a and b share, in [0, 160].
size_t common_prefix_bits(const node_id& a, const node_id& b) noexcept;
/// True if `a` is strictly closer to `target` than `b` (by XOR distance).
bool closer_to(const node_id& target, const node_id& a, const node_id& b) noexcept;
/// The ID that shares exactly `prefix_bits` leading bits with `base` (bit `prefix_bits` flipped,
/// for prefix_bits < 160) and has `random` in every later bit: a random ID of that bucket.
node_id id_in_bucket(const node_id& base, size_t prefix_bits, const node_id& random) noexcept;

struct routing_entry {
  krpc::node_info node;
  uint16_t failures = 0; ///< queries in a row that got no answer (failures_max at most)
  /// Pinged to decide on a replacement: one node of a bucket at most, and only while it is
  /// in the bucket (kept here rather than as an ID in the bucket: 24 bytes a bucket less).
  bool pinged = false;
  // After the 4 bytes above: 40 bytes where the other order padded to 48.
  clock_time last_seen{0};
};

struct routing_bucket {
  std::vector<routing_entry> nodes;         ///< least recently seen first
  std::vector<routing_entry> replacements;  ///< most recently seen last
  clock_time last_active{0};                ///< a node seen or a lookup into this bucket

  /// A node of this bucket is being pinged to decide on a replacement.
  bool pinging() const noexcept {
    for (const routing_entry& e : nodes)
      if (e.pinged)
        return true;
    return false;
  }
};

class routing_table {
public:
  enum class outcome : uint8_t {
    added,     ///< the node is in the table now
    updated,   ///< it was already; now it is the most recently seen of its bucket
    waiting,   ///< its bucket is full: it waits among the replacements
    /// our own ID, an unusable address, an ID its address does not allow (enforce_bep42), or
    /// its address already has its share
    refused,
  };
  struct insert_result {
    outcome result = outcome::refused;
    /// Ping this node (the oldest of the bucket, questionable) and report the answer
    /// (heard_from) or its absence (failed).
    std::optional<krpc::node_info> ping;
  };

  routing_table(const node_id& self, routing_config config = {});

  /// `node` answered one of our queries or sent us one: it is alive at that address.
  insert_result heard_from(const krpc::node_info& node, clock_time now);
  /// A query to `id` got no answer. Returns true if the node left the table (replaced by a
  /// waiting node, or failed failures_max times).
  bool failed(const node_id& id);
  /// Marks the bucket that `target` falls in as active (a lookup went there).
  void touch(const node_id& target, clock_time now);
  /// Up to `count` nodes to ping because they have been questionable for too long: the oldest
  /// of each bucket not heard from for questionable_after (and not being pinged already),
  /// oldest first. They count as pinged until heard_from or failed reports on them.
  std::vector<krpc::node_info> take_questionable(clock_time now, size_t count);

  /// The `count` nodes closest to `target`, closest first.
  std::vector<krpc::node_info> closest(const node_id& target, size_t count) const;
  /// The same into `out` (its former content is dropped; its room is kept).
  void closest(const node_id& target, size_t count, std::vector<krpc::node_info>& out) const;

  const node_id& self() const noexcept { return self_; }
  const routing_config& config() const noexcept { return config_; }
  /// The bucket index of `id`: the leading bits it shares with our ID (160 for our own ID).
  size_t bucket_of(const node_id& id) const noexcept { return common_prefix_bits(self_, id); }
  const routing_bucket& bucket(size_t index) const;
  size_t bucket_count() const noexcept { return dht_id_bits; }
  const routing_entry* find(const node_id& id) const;
  size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  /// Every node, bucket by bucket.
  std::vector<krpc::node_info> all() const;

private:
  /// Bucket `index`, made (with those before it) on first use.
  routing_bucket& bucket_at(size_t index);
  routing_entry* find_in(routing_bucket& b, const node_id& id);
  void insert(routing_bucket& b, const routing_entry& e);
  void erase(routing_bucket& b, size_t position);
  bool ip_has_room(uint32_t ip) const;
  void add_replacement(routing_bucket& b, const routing_entry& e);
  std::optional<krpc::node_info> maybe_ping_oldest(routing_bucket& b, clock_time now);
  bool promote_replacement(routing_bucket& b);

  node_id self_;
  routing_config config_;
  /// Up to the deepest bucket used so far; the ones past it are empty. A node uses a dozen or
  /// two of the 160 (80 bytes each), and a simulation holds a table per node.
  std::vector<routing_bucket> buckets_;
  size_t size_ = 0;
  /// The deepest bucket that holds a node (0 when none): closest() looks no deeper, as the
  /// buckets past it (most of the 160) are empty.
  size_t deepest_ = 0;
};

} // namespace dynfeed

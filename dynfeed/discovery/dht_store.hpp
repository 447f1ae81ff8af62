#pragma once

/// What a DHT node stores for others: peer records (info-hash -> addresses that announced it)
/// and BEP 44 items (target -> an immutable item, or the latest mutable item of a key and salt),
/// with their limits and the eviction policy. Pure code: the DHT component checks tokens and
/// rates before it gets here.
///
/// Every record has an owner, the IPv4 address it came from (for a peer record, the address it
/// names: an announce stores its datagram's source address). The policy, in order:
///
/// 1. Expired records go first: they are purged before any decision about room is taken.
/// 2. A record never evicts another source's live record. A full topic (peers_per_topic_max)
///    refuses newcomers; a source that already holds a record in that topic replaces its own
///    oldest one there. A new topic beyond topics_max and a new value beyond values_max are
///    refused (storage_full) until something expires.
/// 3. A source that holds records_per_source_max records may add more only by replacing its
///    own oldest record (whichever topic or value it is in).
///
/// So a flood from one address churns through its own quota and can neither evict an honest
/// record nor take more than records_per_source_max places; honest records leave only by
/// expiring. Refreshing a record (re-announce, or re-putting the held value) never counts twice.

#include "dynfeed/base/endpoint.hpp"
#include "dynfeed/base/error.hpp"
#include "dynfeed/base/int_map.hpp"
#include "dynfeed/component/component.hpp"
#include "dynfeed/discovery/dht_config.hpp"
#include "dynfeed/discovery/errc.hpp"
#include "dynfeed/feed/bep44.hpp"
#include "dynfeed/krpc/messages.hpp"

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <unordered_map>
#include <variant>
#include <vector>

namespace dynfeed {

/// A BEP 44 immutable item: a bencoded value, stored under SHA-1(v).
struct immutable_item {
  bytes v;
};

/// A BEP 44 item: immutable, or mutable (stored under SHA-1(k || salt)).
using dht_item = std::variant<immutable_item, bep44::mutable_item>;

/// The target an item is stored under (krpc/targets.hpp).
node_id target_of(const dht_item& item);
/// True if both are the same item, byte for byte.
bool same_item(const dht_item& a, const dht_item& b) noexcept;

class dht_store {
public:
  enum class outcome : uint8_t {
    stored,    ///< a new record
    refreshed, ///< the same record again: its lifetime starts over
    replaced,  ///< a new record that took the place of the source's own oldest one
  };

  explicit dht_store(dht_store_limits limits = {});

  /// Stores `peer` (its address is its owner) as a peer of `topic`; storage_full if no room.
  expected<outcome> add_peer(const node_id& topic, const endpoint& peer, clock_time now);
  /// At most `count` live peers of `topic`: with `random`, a uniform sample (what askers get,
  /// so that a popular topic's askers spread over all its peers instead of all dialing the
  /// same few); without, the most recently announced first.
  std::vector<endpoint> peers(const node_id& topic, size_t count, clock_time now,
                              rng* random = nullptr) const;

  /// Offers a mutable item from `source` under SHA-1(k || salt): BEP 44's rules decide, as
  /// accept_value applies them to the item's single-key feed (bep44::feed_def, with `cas`):
  /// a lower seq, or the same seq with another value, is refused (302), a CAS that does not
  /// name the held seq too (301), a bad signature (206); an identical re-put refreshes it.
  /// storage_full if it is new and there is no room. Nothing changes on any error.
  expected<outcome> put_mutable(const bep44::mutable_item& item, std::optional<int64_t> cas,
                                uint32_t source, clock_time now);
  /// Stores an immutable item under SHA-1(v) (a re-put refreshes it); `v` must be checked
  /// first (size, bencode). storage_full if there is no room.
  expected<outcome> put_immutable(const bytes& v, uint32_t source, clock_time now);
  /// The live item stored for `target`, if any.
  std::optional<dht_item> item(const node_id& target, clock_time now) const;

  /// Drops every expired record.
  void expire(clock_time now);

  size_t records() const noexcept { return peer_count_ + values_.size(); }
  size_t peer_records() const noexcept { return peer_count_; }
  size_t value_records() const noexcept { return values_.size(); }
  size_t topic_count() const noexcept { return topics_.size(); }
  /// Records owned by `source`.
  size_t held_by(uint32_t source) const;
  const dht_store_limits& limits() const noexcept { return limits_; }

private:
  struct peer_record {
    endpoint address;
    clock_time expires{0};
  };
  struct value_record {
    dht_item item;
    uint32_t owner = 0;
    clock_time expires{0};
  };
  /// One record in its owner's list, oldest (least recently stored or refreshed) first. It
  /// names its topic or item by the key in topics_ or values_ (map nodes stay put, and a
  /// record's key leaves its owner's list before its map entry goes): 16 bytes, not 24.
  struct record_key {
    const node_id* target = nullptr;
    uint16_t port = 0; ///< peer records: the announced port (the owner is the IP)
    bool is_value = false;

    friend bool operator==(const record_key& a, const record_key& b) noexcept {
      return a.target == b.target && a.port == b.port && a.is_value == b.is_value;
    }
  };

  void touch_key(uint32_t owner, const record_key& key);
  void drop_key(uint32_t owner, const record_key& key);
  void remove(uint32_t owner, const record_key& key);
  void remove_oldest_of(uint32_t owner);
  /// The oldest record `owner` holds in `topic` (it holds one).
  record_key oldest_in_topic(uint32_t owner, const node_id& topic) const;
  void expire_topic(std::map<node_id, std::vector<peer_record>>::iterator it, clock_time now);
  /// Drops `target`'s item if it expired; then, for a new target, makes sure there is room.
  status room_for(const node_id& target, clock_time now);
  /// Stores a new item for `source` (its own oldest record makes room at its quota).
  outcome add_item(const node_id& target, dht_item item, uint32_t source, clock_time now);

  dht_store_limits limits_;
  /// Topic -> its peers, most recently announced last.
  std::map<node_id, std::vector<peer_record>> topics_;
  std::map<node_id, value_record> values_;
  /// A source's records, oldest first: the oldest here, the others in more_owned_. Most
  /// sources hold one record on a node, and this keeps it in the table's own slot (24 bytes)
  /// instead of a hash node and a vector of its own.
  struct owned {
    const node_id* oldest_target = nullptr;
    uint16_t oldest_port = 0;
    bool oldest_is_value = false;
    uint32_t count = 0; ///< records held, the oldest included

    record_key oldest() const noexcept { return {oldest_target, oldest_port, oldest_is_value}; }
    void set_oldest(const record_key& key) noexcept {
      oldest_target = key.target;
      oldest_port = key.port;
      oldest_is_value = key.is_value;
    }
  };
  u32_map<owned> owners_; ///< source IPv4 -> its records
  /// The records after the oldest, for sources that hold more than one, oldest first.
  std::unordered_map<uint32_t, std::vector<record_key>> more_owned_;
  size_t peer_count_ = 0;
};

} // namespace dynfeed

#pragma once

/// What a DHT node stores for others: peer records (topic -> addresses that announced it) and
/// signed values (target -> the latest value of a value feed), with their limits and the
/// eviction policy. Pure code: the DHT component checks tokens and rates before it gets here.
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
#include "dynfeed/component/component.hpp"
#include "dynfeed/discovery/dht_config.hpp"
#include "dynfeed/discovery/errc.hpp"
#include "dynfeed/feed/signed_value.hpp"
#include "dynfeed/messages/dht_messages.hpp"

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <unordered_map>
#include <vector>

namespace dynfeed {

class dht_store {
public:
  enum class outcome : uint8_t {
    stored,    ///< a new record
    refreshed, ///< the same record again: its lifetime starts over
    replaced,  ///< a new record that took the place of the source's own oldest one
  };

  explicit dht_store(dht_store_limits limits = {});

  /// Stores `peer` (its address is its owner) as a peer of `topic`; storage_full if no room.
  expected<outcome> add_peer(const hash256& topic, const endpoint& peer, clock_time now);
  /// At most `count` live peers of `topic`: with `random`, a uniform sample (what askers get,
  /// so that a popular topic's askers spread over all its peers instead of all dialing the
  /// same few); without, the most recently announced first.
  std::vector<endpoint> peers(const hash256& topic, size_t count, clock_time now,
                              rng* random = nullptr) const;

  /// Offers a value from `source` under item.def.id(): the value rules decide (accept_value,
  /// with `cas`); an identical re-put refreshes it. storage_full if it is new and there is no
  /// room. Nothing changes on any error.
  expected<outcome> put_value(const msg::dht_value& item, std::optional<uint64_t> cas,
                              uint32_t source, clock_time now);
  /// The live value stored for `target`, if any.
  std::optional<msg::dht_value> value(const hash256& target, clock_time now) const;

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
    msg::dht_value item;
    uint32_t owner = 0;
    clock_time expires{0};
  };
  /// One record in its owner's list, oldest (least recently stored or refreshed) first.
  struct record_key {
    bool is_value = false;
    hash256 target;
    uint16_t port = 0; ///< peer records: the announced port (the owner is the IP)

    friend bool operator==(const record_key& a, const record_key& b) noexcept {
      return a.is_value == b.is_value && a.target == b.target && a.port == b.port;
    }
  };

  void touch_key(uint32_t owner, const record_key& key);
  void drop_key(uint32_t owner, const record_key& key);
  void remove(uint32_t owner, const record_key& key);
  void remove_oldest_of(uint32_t owner);
  void expire_topic(std::map<hash256, std::vector<peer_record>>::iterator it, clock_time now);

  dht_store_limits limits_;
  /// Topic -> its peers, most recently announced last.
  std::map<hash256, std::vector<peer_record>> topics_;
  std::map<hash256, value_record> values_;
  std::unordered_map<uint32_t, std::vector<record_key>> owners_;
  size_t peer_count_ = 0;
};

} // namespace dynfeed

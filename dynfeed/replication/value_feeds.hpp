#pragma once

/// Which value feeds a node runs, and how: the policy the CAF node and the simulator's nodes
/// share (node_core owns one).
///
/// - One publisher per value feed id: asking again for a feed that runs gets that publisher
///   (with the new limits and rules if the caller says so).
/// - Value keys: a writer's key pair with the store its feeds persist in (a value directory the
///   node opened). A feed that lists such a key is signed with it and persisted in its store;
///   opening the keys serves every feed of that key the store holds.
/// - The node's own value feeds (those it signs with its value keys) join their swarms once the
///   node runs discovery, so that discovery announces them and readers find the node.
/// - join: a feed's swarm (re)starts with the addresses given.

#include "dynfeed/component/component.hpp"
#include "dynfeed/feed/signed_value.hpp"
#include "dynfeed/replication/publisher.hpp"
#include "dynfeed/storage/value_store.hpp"

#include <any>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace dynfeed {

class node_core;
class node_host;

/// A secret key of a value feed and its signer index there.
using value_signer = std::pair<uint32_t, secret_key>;

/// What the host needs to start a value feed's publisher (node_host::start_publisher).
struct publisher_start {
  value_feed_def def;
  /// Signs new values (a writer); nullopt for a reader.
  std::optional<value_signer> signer;
  /// Where the value persists (not owned); nullptr: memory only.
  value_store* store = nullptr;
  /// Limits and the user's rule.
  publisher_config config;
  /// Rules only the host understands, passed through untouched (the CAF node: its
  /// value_feed_spec, with the validator actor).
  std::any host_rules;
};

/// A value feed the node runs.
struct value_feed_entry {
  component_id publisher = no_component;
  hash256 topic;
  bool own = false; ///< signed with the node's value keys: announced once discovery runs
};

/// What opening a writer's value keys did.
struct value_keys_opened {
  std::vector<hash256> served;                        ///< the feeds of the key the store holds
  std::vector<std::pair<hash256, error>> unreadable; ///< stored records that could not be served
};

class value_feeds {
public:
  value_feeds(node_core& core, node_host* host) : core_(core), host_(host) {}
  // Bound to its core for life.
  value_feeds(const value_feeds&) = delete;
  value_feeds& operator=(const value_feeds&) = delete;

  /// The value feed `start.def`, started once per id. Without a signer in `start`, the first
  /// listed key the node holds (open_keys) signs and its store persists the feed, which makes
  /// it the node's own. A feed that runs already keeps running; with `replace_rules` the host
  /// hands it `start`'s limits and rules. Refuses a definition check_def refuses.
  expected<value_feed_entry> start(context& ctx, publisher_start start, bool replace_rules);

  /// A writer's keys, with the store its feeds persist in (kept by the caller for as long as
  /// the node runs): serves every feed signed by `keys.pk` that `store` holds. Refuses a key
  /// that is open already, and a store that cannot be listed, changing nothing.
  expected<value_keys_opened> open_keys(context& ctx, const keypair& keys, value_store& store);
  bool holds_key(const public_key& key) const { return keys_.count(key) != 0; }

  /// The swarm of the feed served by `publisher` (re)starts with `addresses` as static peers.
  /// False if no value feed of the node has that publisher.
  bool join(context& ctx, component_id publisher, std::vector<std::string> addresses);

  /// With discovery running, the node's own feeds join their swarms (node_core calls it when
  /// discovery starts; starting an own feed calls it too).
  void announce_own(context& ctx);

  const value_feed_entry* find(const hash256& id) const;
  size_t count() const noexcept { return feeds_.size(); }

private:
  struct key_record {
    secret_key sk;
    value_store* store = nullptr;
  };

  node_core& core_;
  node_host* host_;
  std::map<hash256, value_feed_entry> feeds_; ///< by value feed id
  std::map<public_key, key_record> keys_;
};

} // namespace dynfeed

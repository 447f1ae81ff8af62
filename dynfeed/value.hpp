#pragma once

/// A value feed actor: what the node's value_feed returns. A value feed holds one small signed
/// value that its signers replace (seq grows); peers exchange and check it.

#include <dynfeed/atoms.hpp>
#include <dynfeed/types.hpp>

#include <caf/actor.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/replies_to.hpp>
#include <caf/timespan.hpp>
#include <caf/typed_actor.hpp>

#include <chrono>
#include <cstdint>
#include <map>

namespace dynfeed {

/// How a node holds one value feed: who may sign it, and the rules beyond dynfeed's own.
struct value_feed_spec {
  /// One key (single_key_feed) or M of N keys; the salt names one of the keys' feeds.
  value_feed_def def;
  value_limits limits;
  /// The user's rule, run in the value feed's actor on every value (the node's own too).
  validate_fn validate;
  /// An actor that judges every value from a peer once it passed every other rule: it
  /// receives (validate, uint64_t seq, bytes value, uint64_t held_seq, bytes held_value)
  /// (held_seq 0: nothing held) and answers true to accept; false, an error or no answer
  /// within validator_timeout rejects. At most 64 values wait for it at once.
  caf::actor validator;
  caf::timespan validator_timeout = std::chrono::seconds{10};
};

/// A value feed's state, as `info` returns it.
struct value_feed_info {
  hash256 id;    ///< the hash of the definition
  swarm_topic topic; ///< its swarm's topic
  uint64_t seq = 0;
  bytes value;
  uint64_t peers = 0;
  uint64_t accepted = 0; ///< values accepted since the node started
  uint64_t relayed = 0;  ///< pushes of accepted values to other peers
  /// Refused offers, kept with the value: in total and by reason (value_errc code).
  uint64_t rejected = 0;
  std::map<uint8_t, uint64_t> rejected_by;
  bool equivocation = false; ///< proof of two values with one seq is held
  bool writable = false;     ///< the node holds a key of the feed
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, value_feed_info& x) {
  return f(caf::meta::type_name("value_feed_info"), x.id, x.topic, x.seq, x.value, x.peers,
           x.accepted, x.relayed, x.rejected, x.rejected_by, x.equivocation, x.writable);
}

/// A value feed in a node. Subscribers receive (value, uint64_t seq, bytes value) for every
/// value it accepts (and the current one at once), and (equivocation, signed_value held,
/// signed_value other) when the feed's signers are caught signing two values with one seq.
/// - (put_value, bytes) -> uint64_t: signs and publishes the next value (the node must hold a
///   key of the feed: see open_values); for an M-of-N feed with M > 1, use offer_value
/// - (offer_value, signed_value) -> uint64_t: publishes a value signed elsewhere (by M of the
///   N keys); every rule applies but the validator actor's
/// - (get_value) -> (uint64_t seq, bytes value): the latest (seq 0 if none yet)
/// - (info) -> value_feed_info
/// - (subscribe, caf::actor)
using value_actor = caf::typed_actor<caf::replies_to<atoms::put_value, bytes>::with<uint64_t>,
                                     caf::replies_to<atoms::offer_value, signed_value>::with<uint64_t>,
                                     caf::replies_to<atoms::get_value>::with<uint64_t, bytes>,
                                     caf::replies_to<atoms::info>::with<value_feed_info>,
                                     caf::reacts_to<atoms::subscribe, caf::actor>>;

} // namespace dynfeed

// Holds a callback and an actor handle: only ever sent within one process.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(dynfeed::value_feed_spec)

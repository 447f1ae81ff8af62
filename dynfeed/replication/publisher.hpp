#pragma once

/// The publisher: one per value feed in a node. It holds the feed's latest signed value (and,
/// when it has a store, keeps it across restarts), pushes it to every peer on the feed's
/// channel, takes only newer values from peers and relays those, and answers a peer that is
/// behind with what it holds. A writer (holding a key of the feed) also signs new values.
/// Subscribed components hear of every value it accepts.

#include "dynfeed/base/flat_map.hpp"
#include "dynfeed/feed/signed_value.hpp"
#include "dynfeed/messages/messages.hpp"
#include "dynfeed/component/component.hpp"
#include "dynfeed/storage/store.hpp"
#include "dynfeed/storage/value_store.hpp"

#include <map>
#include <optional>
#include <memory>
#include <vector>

namespace dynfeed {

class publisher_observer {
public:
  virtual ~publisher_observer() = default;
  virtual void on_value(const signed_value& /*value*/) {}
  /// A peer's value was refused (counted by reason in the stats).
  virtual void on_rejected(component_id /*peer*/, const error& /*why*/) {}
  /// Two different values validly signed with one seq: the first is kept, both are proof.
  virtual void on_equivocation(const signed_value& /*held*/, const signed_value& /*other*/) {}
  /// With publisher_config::validate_async: a peer's value passed every other rule and waits
  /// for the user's verdict, to be given with publisher::validated(ctx, token, verdict).
  virtual void on_validate(uint64_t /*token*/, const signed_value& /*incoming*/,
                           const std::optional<signed_value>& /*held*/) {}
};

struct publisher_stats {
  uint64_t accepted = 0;
  uint64_t relayed = 0;
  uint64_t pushes_sent = 0; ///< value_push frames sent (relays, newcomers, peers behind)
  std::map<uint8_t, uint64_t> rejected; ///< by value_errc code
  uint64_t validations_dropped = 0;     ///< peers' values refused because too many were waiting
};

struct publisher_config {
  value_limits limits;
  /// The user's rule, after all of dynfeed's (may be empty); judges every value, own puts too.
  validate_fn validate;
  /// The user's rule answers later (another actor, another thread): a peer's value that passes
  /// every other rule is handed to the observer's on_validate and decided when validated() is
  /// called. The node's own puts and offers do not wait for it.
  bool validate_async = false;
  /// Peers' values waiting for a verdict at most; more are refused (a flood must not queue).
  size_t validations_waiting_max = 64;
};

class publisher final : public component {
public:
  /// `signer`: a secret key of the feed and its index in def.signers, for a writer.
  /// `store`: where the value persists (nullptr: memory only).
  publisher(value_feed_def def, std::optional<std::pair<uint32_t, secret_key>> signer,
            value_store* store, publisher_config config, publisher_observer* observer = nullptr);

  /// Signs `value` with `seq` (default: one past the held one) and publishes it.
  expected<uint64_t> put(context& ctx, bytes value, std::optional<uint64_t> cas = std::nullopt,
                         std::optional<uint64_t> seq = std::nullopt);
  /// Offers a complete signed value (e.g. an M-of-N value signed elsewhere).
  status offer(context& ctx, const signed_value& value, const put_options& options = {});

  /// The verdict on a value handed to on_validate: ok accepts it (if it is still newer than
  /// what is held), an error rejects it (value_errc::rejected, with the error as context).
  void validated(context& ctx, uint64_t token, status verdict);

  void on_start(context& ctx) override;
  void on_message(context& ctx, component_id from, byte_span frame) override;

  /// Replaces the limits and rules (values waiting for the asynchronous rule stay waiting).
  void set_config(publisher_config config) { config_ = std::move(config); }

  const value_feed_def& definition() const noexcept { return def_; }
  bool writable() const noexcept { return signer_ != nullptr; }
  const value_state& state() const noexcept { return state_; }
  const publisher_stats& stats() const noexcept { return stats_; }
  size_t peer_count() const noexcept { return peers_.size(); }

private:
  struct waiting {
    signed_value value;
    component_id from = no_component;
  };

  /// Decides on `value`. A peer's value (`from`) may be left waiting for the asynchronous
  /// rule (`*deferred` set) unless `verdict` is the rule's answer.
  status decide(context& ctx, const signed_value& value, const put_options& options,
                std::optional<component_id> from, const status* verdict = nullptr,
                bool* deferred = nullptr);
  void answer_refusal(context& ctx, component_id peer, const error& err);
  void on_push(context& ctx, component_id peer, const signed_value& value);
  void send_current(context& ctx, component_id peer);
  /// Tells the subscribers of the value just accepted (from the peer `from`, or no_component).
  void notify(context& ctx, component_id from);
  status persist();

  value_feed_def def_;
  hash256 id_;
  /// On the heap: a reader's publisher (one a node in rotating runs) has none, and 72 bytes in
  /// place made every publisher take a larger block.
  std::unique_ptr<const std::pair<uint32_t, secret_key>> signer_;
  value_store* store_;
  publisher_config config_;
  publisher_observer* observer_;
  value_state state_;
  /// peer -> our channel on its connection. A flat table, in the same order as a map: a
  /// reader's publisher holds one entry per connection of the value feed's swarm, and a
  /// tree node each (48 bytes) made it most of the publisher's memory.
  flat_map<component_id, uint32_t> peers_;
  /// Sorted vectors (the order a std::set gave, which decides who hears first): a handful of
  /// local components at most.
  std::vector<component_id> subscribers_;
  std::vector<component_id> signed_subscribers_; ///< get signed_update (subscribe_signed)
  std::map<uint64_t, waiting> waiting_; ///< by token, for the asynchronous rule
  uint64_t next_token_ = 1;
  publisher_stats stats_;
};

} // namespace dynfeed

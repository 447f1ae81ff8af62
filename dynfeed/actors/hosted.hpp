#pragma once

/// The node's components as the node hosts them: each owns what it needs (a feed its
/// directory, a peer its connection) and reports to actors.

#include "dynfeed/actors/component_actor.hpp"
#include "dynfeed/actors/node.hpp"
#include "dynfeed/component/frame_backlog.hpp"
#include "dynfeed/core/feed_dir.hpp"
#include "dynfeed/replication/feed_service.hpp"
#include "dynfeed/replication/peer.hpp"
#include "dynfeed/replication/publisher.hpp"
#include "dynfeed/replication/swarm.hpp"

#include <caf/event_based_actor.hpp>

#include <memory>
#include <set>

namespace dynfeed {

/// A feed service with its feed directory; forwards events to subscribed actors.
class hosted_feed final : public component, private feed_service_observer {
public:
  hosted_feed(std::unique_ptr<feed_dir> dir, const feed_service_config& config)
    : dir_(std::move(dir)), service_(dir_->feed(), config, this) {}

  void bind(caf::event_based_actor* self) { self_ = self; }
  void subscribe(caf::actor who) { subscribers_.insert(std::move(who)); }
  feed_service& service() noexcept { return service_; }
  feed_info info() const;

  void on_start(context& ctx) override { service_.on_start(ctx); }
  void on_message(context& ctx, component_id from, byte_span frame) override {
    service_.on_message(ctx, from, frame);
  }
  void on_timer(context& ctx, uint64_t tag) override { service_.on_timer(ctx, tag); }

private:
  void on_length(uint64_t length) override;
  void on_blocks(uint64_t first, uint64_t count) override;
  void on_download_done() override;
  void on_peer(component_id peer, bool up) override;
  void on_store_failed(const error& why) override;
  void on_equivocation(const equivocation_proof& proof) override;
  template <class... Ts>
  void notify(Ts&&... xs);

  std::unique_ptr<feed_dir> dir_;
  feed_service service_;
  caf::event_based_actor* self_ = nullptr;
  std::set<caf::actor> subscribers_;
};

/// A connection whose far end is an actor: a transport (TCP broker) that encrypts and writes,
/// or, for in-process links, the remote peer's actor itself. Frames transmitted before the far
/// end is known (a link still being set up) wait, in order, in a frame_backlog. One more than it
/// holds and the connection closes with setup_backlog: its own peer hears it at once and the far
/// end once it is known, so nothing is ever delivered past a gap.
class actor_connection final : public connection {
public:
  enum class target_kind { transport, remote_peer };

  actor_connection(target_kind kind, node_key remote, bytes handshake_hash, bool initiator,
                   caf::timespan latency = caf::timespan{0})
    : kind_(kind), remote_(remote), handshake_hash_(std::move(handshake_hash)),
      initiator_(initiator), latency_(latency) {}

  /// The actor hosting this connection's peer: it hears of a close the connection decides, and
  /// of a far end that ends without a close (it watches it: a peer whose node is gone, a
  /// transport that failed), as a transport error.
  void bind(component_actor_type* owner);
  /// Sets the far end and sends what waited for it.
  void set_target(caf::actor target);

  void transmit(bytes frame) override;
  void close(msg::disconnect_reason why) override;
  const node_key& remote() const override { return remote_; }
  byte_span handshake_hash() const override { return handshake_hash_; }
  bool initiator() const override { return initiator_; }

private:
  template <class... Ts>
  void deliver(Ts&&... xs);
  void send_frame(bytes frame);
  void send_close(uint16_t code);
  /// Too much waited: drops it and closes both ways with setup_backlog.
  void overflow();

  caf::actor target_;
  component_actor_type* owner_ = nullptr;
  target_kind kind_;
  node_key remote_;
  bytes handshake_hash_;
  bool initiator_;
  caf::timespan latency_;
  frame_backlog waiting_;
  std::optional<uint16_t> close_waiting_;
  bool closed_ = false;
};

/// A peer with its connection.
class hosted_peer final : public connected_component {
public:
  hosted_peer(const peer_config& config, std::unique_ptr<actor_connection> conn)
    : conn_(std::move(conn)), peer_(config, *conn_) {}

  void on_start(context& ctx) override { peer_.on_start(ctx); }
  void on_message(context& ctx, component_id from, byte_span frame) override {
    peer_.on_message(ctx, from, frame);
  }
  void on_remote(context& ctx, byte_span frame) override { peer_.on_remote(ctx, frame); }
  void on_disconnect(context& ctx, msg::disconnect_reason why) override {
    peer_.on_disconnect(ctx, why);
  }
  void on_timer(context& ctx, uint64_t tag) override { peer_.on_timer(ctx, tag); }
  bool alive() const override { return peer_.alive(); }

  actor_connection& conn() noexcept { return *conn_; }

private:
  std::unique_ptr<actor_connection> conn_;
  peer peer_;
};

/// A value feed's publisher; forwards every value it accepts, and every equivocation, to
/// subscribed actors, and asks the user's validator actor (if any) about peers' values.
class hosted_publisher final : public component, private publisher_observer {
public:
  hosted_publisher(value_feed_def def, std::optional<std::pair<uint32_t, secret_key>> signer,
                   value_store* store, const value_feed_spec& rules)
    : publisher_(std::move(def), std::move(signer), store, config_of(rules), this),
      validator_(rules.validator), validator_timeout_(rules.validator_timeout) {}

  void bind(component_actor_type* self) { self_ = self; }
  void subscribe(caf::actor who);
  /// Takes the limits and rules of `rules` (its definition must be this feed's).
  void set_rules(const value_feed_spec& rules);
  publisher& get() noexcept { return publisher_; }
  value_feed_info info() const;

  void on_start(context& ctx) override { publisher_.on_start(ctx); }
  void on_message(context& ctx, component_id from, byte_span frame) override {
    publisher_.on_message(ctx, from, frame);
  }

private:
  static publisher_config config_of(const value_feed_spec& rules);
  void on_value(const signed_value& value) override;
  void on_equivocation(const signed_value& held, const signed_value& other) override;
  void on_validate(uint64_t token, const signed_value& incoming,
                   const std::optional<signed_value>& held) override;

  publisher publisher_;
  caf::actor validator_;
  caf::timespan validator_timeout_;
  component_actor_type* self_ = nullptr;
  std::set<caf::actor> subscribers_;
};

/// The message handlers each hosted component's actor adds to the component's own.
caf::message_handler feed_behavior(component_actor_type* self);
caf::message_handler peer_behavior(component_actor_type* self);
caf::message_handler publisher_behavior(component_actor_type* self);

} // namespace dynfeed

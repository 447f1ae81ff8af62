#pragma once

/// A connection that lets a test rewrite, drop or add the frames one side sends: every kind of
/// misbehaviour, seen by a real peer on the other side.

#include "dynfeed/replication/peer.hpp"

#include <functional>
#include <memory>
#include <optional>
#include <vector>

namespace dynfeed::test {

/// Wraps one end of a link; every frame that end sends passes through `rewrite`.
class hostile_connection final : public connection {
public:
  using rewrite_fn = std::function<std::vector<bytes>(bytes frame, uint64_t index)>;

  hostile_connection(connection& inner, rewrite_fn rewrite)
    : inner_(inner), rewrite_(std::move(rewrite)) {}

  void transmit(bytes frame) override {
    for (bytes& out : rewrite_(std::move(frame), sent_++))
      inner_.transmit(std::move(out));
  }
  void close(msg::disconnect_reason why) override { inner_.close(why); }
  const node_key& remote() const override { return inner_.remote(); }
  byte_span handshake_hash() const override { return inner_.handshake_hash(); }
  bool initiator() const override { return inner_.initiator(); }

private:
  connection& inner_;
  rewrite_fn rewrite_;
  uint64_t sent_ = 0;
};

/// A peer that reports why its connection ended into `*reason`, which outlives it (the driver
/// removes a peer once its connection is closed). Optionally sends through a hostile wrapper.
class watched_peer final : public connected_component {
public:
  watched_peer(const peer_config& config, connection& conn,
               std::optional<msg::disconnect_reason>* reason,
               hostile_connection::rewrite_fn rewrite = nullptr)
    : hostile_(rewrite ? std::make_unique<hostile_connection>(conn, std::move(rewrite)) : nullptr),
      peer_(config, hostile_ ? *hostile_ : conn), reason_(reason) {}

  void on_start(context& ctx) override { peer_.on_start(ctx), note(); }
  void on_message(context& ctx, component_id from, byte_span frame) override {
    peer_.on_message(ctx, from, frame);
    note();
  }
  void on_remote(context& ctx, byte_span frame) override {
    peer_.on_remote(ctx, frame);
    note();
  }
  void on_disconnect(context& ctx, msg::disconnect_reason why) override {
    peer_.on_disconnect(ctx, why);
    note();
  }
  void on_timer(context& ctx, uint64_t tag) override {
    peer_.on_timer(ctx, tag);
    note();
  }
  bool alive() const override { return peer_.alive(); }

private:
  void note() {
    if (reason_ && peer_.close_reason())
      *reason_ = peer_.close_reason();
  }

  std::unique_ptr<hostile_connection> hostile_;
  peer peer_;
  std::optional<msg::disconnect_reason>* reason_;
};

} // namespace dynfeed::test

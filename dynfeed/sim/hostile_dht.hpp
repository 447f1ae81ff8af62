#pragma once

/// Hostile DHT nodes (kinds dht_liar, lookup_flood and false_announce; docs/simulator.md,
/// "Hostile nodes"): hosts with a datagram socket on the discovery port that speak KRPC through
/// the real codec (krpc/codec.hpp) to the honest readers' DHT nodes, and lie in one way each.
/// Each act ends up rejected (an error reply, or for a flood the silence of the rate limit),
/// harmless (the honest node accepted it, and what it stored cannot mislead anyone: see
/// false_announce), unanswered, or still open at the end.

#include "dynfeed/base/random.hpp"
#include "dynfeed/component/datagram.hpp"
#include "dynfeed/crypto/crypto.hpp"
#include "dynfeed/krpc/messages.hpp"
#include "dynfeed/sim/hostile.hpp"

#include <cstdint>
#include <map>

namespace dynfeed::sim {

/// Whether `kind` is one of the DHT kinds (they need discovery "dht").
bool dht_kind(hostile_kind kind) noexcept;

/// One hostile DHT node.
class hostile_dht_node final : public datagram_component {
public:
  hostile_dht_node(hostile_kind kind, hostile_book& book, datagram_socket& socket, node_id id,
                   uint64_t seed, uint32_t flood_queries);

  /// One round against the honest DHT node at `to`, at time `now`.
  void act(clock_time now, const endpoint& to);
  void on_message(context& /*ctx*/, component_id /*from*/, byte_span /*frame*/) override {}
  void on_datagram(context& ctx, const endpoint& from, byte_span datagram) override;

private:
  /// What a transaction of ours waits for.
  enum class expect : uint8_t {
    token_for_announce, ///< a get_peers answer's token, for false_announce
    token_for_put,      ///< a get answer's token, for dht_liar's puts
    newer_put,          ///< the genuine put that makes the next one stale
    refusal,            ///< an error reply: the act is rejected
    stored,             ///< an answer means stored (harmless), an error means rejected
    flood,              ///< an answer means served within the rate limit; silence, refused
    nothing,            ///< setup traffic (a find_node that puts us in the honest table)
  };
  struct pending {
    clock_time sent;
    expect what;
    endpoint to;
    bytes token; ///< newer_put: the token for the stale put that follows
    node_id topic; ///< token_for_announce: the topic asked about
  };

  void send(clock_time now, const endpoint& to, krpc::query q, expect what, bytes token = {},
            node_id topic = {});
  void expire(clock_time now);
  void on_answer(clock_time now, const endpoint& from, pending p, const krpc::response& r);
  void settle(expect what, bool answered);
  void answer_query(const endpoint& from, const krpc::message& m);
  void put_items(clock_time now, const endpoint& to, const bytes& token);
  node_id random_id();
  size_t index() const noexcept { return static_cast<size_t>(kind_); }

  hostile_kind kind_;
  hostile_book& book_;
  datagram_socket& socket_;
  node_id id_;
  rng random_;
  uint32_t flood_queries_;
  keypair keys_;
  int64_t seq_ = 10;
  uint32_t next_transaction_ = 1;
  std::map<uint32_t, pending> pending_;
};

} // namespace dynfeed::sim

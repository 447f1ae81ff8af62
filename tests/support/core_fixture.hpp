#pragma once

/// Stand-ins around a node core (replication/node_core.hpp) under the simulator's runtime:
/// a component that keeps the local messages it gets, and a host that records dials.

#include "dynfeed/messages/codec.hpp"
#include "dynfeed/replication/node_core.hpp"
#include "dynfeed/sim/runtime.hpp"

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

namespace dynfeed::test {

/// Stands in for a peer, a swarm or a node: keeps every local message it gets; as a node it
/// answers a referral (referral_taken) and, with `fail_dials`, fails every dial at once.
struct recorder final : component {
  std::vector<msg::local_message> got;
  bool fail_dials = false;

  void on_message(context& ctx, component_id from, byte_span frame) override {
    auto decoded = msg::decode(frame);
    BOOST_REQUIRE(decoded.has_value());
    auto* local = std::get_if<msg::local_message>(&*decoded);
    if (!local)
      return;
    if (std::holds_alternative<msg::referred>(*local))
      ctx.send(from, msg::encode(msg::local_message{msg::referral_taken{}}));
    if (auto* d = std::get_if<msg::dial>(local); d && fail_dials)
      ctx.send(from, msg::encode(msg::local_message{msg::peer_down{
                       0, d->address, uint16_t(msg::disconnect_reason::transport_error), {}}}));
    got.push_back(*local);
  }
  template <class T>
  std::vector<T> all() const {
    std::vector<T> out;
    for (const auto& m : got)
      if (auto* x = std::get_if<T>(&m))
        out.push_back(*x);
    return out;
  }
};

/// Records what the core asks of its host; dials are answered by the test.
struct dial_host final : node_host {
  std::vector<std::string> dialled;
  component_id start_swarm(context&, const swarm_config&) override { return no_component; }
  component_id start_publisher(context&, const publisher_start&) override { return no_component; }
  void set_publisher_rules(context&, component_id, const publisher_start&) override {}
  void stop(context&, component_id) override {}
  void dial(context&, const std::string& address) override { dialled.push_back(address); }
};

/// A node key of 32 bytes `n`: keys order as their numbers do.
inline node_key key(uint8_t n) {
  return node_key::from(bytes(32, n));
}

inline recorder& rec(sim::runtime& rt, component_id id) {
  return static_cast<recorder&>(*rt.find(id));
}

} // namespace dynfeed::test

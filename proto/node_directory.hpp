#pragma once

/// The node's directory: which component (a feed service, or a value feed's publisher) serves
/// which channel key. When a remote opens a channel nobody here has offered yet, its peer asks
/// the directory, which hands the peer to that component (or says nobody serves it). It also
/// moves swarms for components that ask (the rotating modes), through the driver's swarm_host.

#include "proto/component.hpp"

#include <map>

namespace dynfeed {

/// Starts and stops swarms: the node spawns swarm actors; a simulation uses its own network.
class swarm_host {
public:
  virtual ~swarm_host() = default;
  /// Joins the swarm for `topic`; its peers are offered to `owner`.
  virtual void join(context& ctx, const hash256& topic, component_id owner) = 0;
  virtual void leave(context& ctx, const hash256& topic, component_id owner) = 0;
};

class node_directory final : public component {
public:
  explicit node_directory(swarm_host* swarms = nullptr) : swarms_(swarms) {}

  /// `component` serves channels opened with `key` (a feed's discovery key, a value topic).
  void serve(const hash256& key, component_id component);
  void stop_serving(const hash256& key);
  component_id server_of(const hash256& key) const;
  size_t served_count() const noexcept { return servers_.size(); }

  void on_message(context& ctx, component_id from, byte_span frame) override;

private:
  swarm_host* swarms_;
  std::map<hash256, component_id> servers_;
};

} // namespace dynfeed

#pragma once

/// The node's directory: which feed service serves which discovery key. When a remote opens a
/// channel nobody here has offered yet, its peer asks the directory, which hands the peer to
/// the feed service (or says nobody serves it). The node actor around it also spawns and
/// supervises the others.

#include "proto/component.hpp"

#include <map>

namespace dynfeed {

class node_directory final : public component {
public:
  void add_feed(const hash256& discovery_key, component_id feed);
  void remove_feed(const hash256& discovery_key);
  component_id feed_for(const hash256& discovery_key) const;
  size_t feed_count() const noexcept { return feeds_.size(); }

  void on_message(context& ctx, component_id from, byte_span frame) override;

private:
  std::map<hash256, component_id> feeds_;
};

} // namespace dynfeed

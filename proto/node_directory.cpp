#include "proto/node_directory.hpp"

#include "messages/codec.hpp"

namespace dynfeed {

void node_directory::add_feed(const hash256& discovery_key, component_id feed) {
  feeds_[discovery_key] = feed;
}

void node_directory::remove_feed(const hash256& discovery_key) {
  feeds_.erase(discovery_key);
}

component_id node_directory::feed_for(const hash256& discovery_key) const {
  auto it = feeds_.find(discovery_key);
  return it == feeds_.end() ? no_component : it->second;
}

void node_directory::on_message(context& ctx, component_id from, byte_span frame) {
  auto decoded = msg::decode(frame);
  DYNFEED_ASSERT(decoded.has_value());
  auto* local = std::get_if<msg::local_message>(&*decoded);
  if (!local)
    return;
  if (auto* find = std::get_if<msg::find_feed>(local)) {
    component_id feed = feed_for(find->discovery_key);
    if (feed == no_component)
      ctx.send(from, msg::encode(msg::local_message{msg::feed_unknown{find->discovery_key}}));
    else
      ctx.send(feed, msg::encode(msg::local_message{msg::offer_peer{from}}));
  }
}

} // namespace dynfeed

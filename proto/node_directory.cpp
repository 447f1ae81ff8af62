#include "proto/node_directory.hpp"

#include "messages/codec.hpp"

namespace dynfeed {

void node_directory::serve(const hash256& key, component_id component) {
  servers_[key] = component;
}

void node_directory::stop_serving(const hash256& key) {
  servers_.erase(key);
}

component_id node_directory::server_of(const hash256& key) const {
  auto it = servers_.find(key);
  return it == servers_.end() ? no_component : it->second;
}

void node_directory::on_message(context& ctx, component_id from, byte_span frame) {
  auto decoded = msg::decode(frame);
  DYNFEED_ASSERT(decoded.has_value()); // only our own components write to the directory
  auto* local = std::get_if<msg::local_message>(&*decoded);
  if (!local)
    return;
  if (auto* find = std::get_if<msg::find_feed>(local)) {
    component_id server = server_of(find->discovery_key);
    if (server == no_component)
      ctx.send(from, msg::encode(msg::local_message{msg::feed_unknown{find->discovery_key}}));
    else
      ctx.send(server, msg::encode(msg::local_message{msg::offer_peer{from}}));
  } else if (auto* rotate = std::get_if<msg::rotate_swarm>(local)) {
    if (!swarms_)
      return;
    if (rotate->leave != hash256{})
      swarms_->leave(ctx, rotate->leave, from);
    swarms_->join(ctx, rotate->join, from);
  }
}

} // namespace dynfeed

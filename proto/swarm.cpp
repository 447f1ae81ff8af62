#include "proto/swarm.hpp"

#include "messages/codec.hpp"

namespace dynfeed {

swarm::swarm(const swarm_config& config, connector& dialer) : config_(config), dialer_(dialer) {}

void swarm::on_start(context& ctx) {
  for (const std::string& address : config_.addresses)
    add_address(ctx, address);
}

void swarm::add_address(context& ctx, const std::string& address) {
  if (!joined_ || addresses_.count(address))
    return;
  addresses_[address];
  dial(ctx, address);
}

void swarm::dial(context& ctx, const std::string& address) {
  address_state& a = addresses_[address];
  if (a.dialing || a.peer != no_component)
    return;
  a.dialing = true;
  dialer_.connect(ctx, address);
}

void swarm::on_message(context& ctx, component_id, byte_span frame) {
  auto decoded = msg::decode(frame);
  DYNFEED_ASSERT(decoded.has_value());
  auto* local = std::get_if<msg::local_message>(&*decoded);
  if (!local || !joined_)
    return;
  if (auto* up = std::get_if<msg::peer_up>(local)) {
    auto it = addresses_.find(up->address);
    if (it != addresses_.end()) {
      it->second.dialing = false;
      it->second.peer = up->peer;
      it->second.backoff = clock_time{0};
    }
    peers_.insert(up->peer);
    ctx.send(config_.feed, msg::encode(msg::local_message{msg::offer_peer{up->peer}}));
  } else if (auto* down = std::get_if<msg::peer_down>(local)) {
    peers_.erase(down->peer);
    auto it = addresses_.find(down->address);
    if (it == addresses_.end())
      return;
    address_state& a = it->second;
    a.dialing = false;
    a.peer = no_component;
    // Exponential backoff with jitter, so that many readers do not redial in lockstep.
    a.backoff = std::clamp(a.backoff * 2, config_.reconnect_delay_min, config_.reconnect_delay_max);
    auto jitter = clock_time{ctx.random().below(static_cast<uint64_t>(a.backoff.count()) / 4 + 1)};
    uint64_t tag = next_timer_tag_++;
    retry_timers_[tag] = down->address;
    ctx.start_timer(a.backoff + jitter, tag);
  }
}

void swarm::on_timer(context& ctx, uint64_t tag) {
  auto it = retry_timers_.find(tag);
  if (it == retry_timers_.end())
    return;
  std::string address = it->second;
  retry_timers_.erase(it);
  if (joined_)
    dial(ctx, address);
}

void swarm::leave(context& ctx) {
  if (!joined_)
    return;
  joined_ = false;
  on_stop(ctx);
}

void swarm::on_stop(context&) {
  joined_ = false;
  addresses_.clear();
  peers_.clear();
  retry_timers_.clear();
}

} // namespace dynfeed

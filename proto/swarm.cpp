#include "proto/swarm.hpp"

#include "messages/codec.hpp"

namespace dynfeed {

swarm::swarm(const swarm_config& config) : config_(config) {}

namespace {
/// Dials in a row that may fail before a discovered address is forgotten: its node may have
/// left, and discovery reports it again if it is still announced.
constexpr uint32_t discovered_failures_max = 3;
} // namespace

void swarm::on_start(context& ctx) {
  for (const std::string& address : config_.addresses)
    add_address(ctx, address);
  if (config_.discovery != no_component)
    ctx.send(config_.discovery,
             msg::encode(msg::local_message{msg::find_peers{config_.topic, config_.announce}}));
}

size_t swarm::discovered_count() const {
  size_t n = 0;
  for (const auto& [address, a] : addresses_)
    n += a.discovered ? 1 : 0;
  return n;
}

void swarm::on_found(context& ctx, const std::vector<std::string>& addresses) {
  size_t discovered = discovered_count();
  for (const std::string& address : addresses) {
    if (addresses_.count(address))
      continue;
    if (discovered >= config_.discovered_max)
      return;
    addresses_[address].discovered = true;
    ++discovered;
    dial(ctx, address);
  }
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
  ctx.send(config_.node, msg::encode(msg::local_message{msg::dial{address}}));
}

void swarm::on_message(context& ctx, component_id, byte_span frame) {
  auto decoded = msg::decode(frame);
  DYNFEED_ASSERT(decoded.has_value());
  auto* local = std::get_if<msg::local_message>(&*decoded);
  if (!local || !joined_)
    return;
  if (auto* found = std::get_if<msg::peers_found>(local)) {
    if (found->topic == config_.topic)
      on_found(ctx, found->addresses);
  } else if (auto* up = std::get_if<msg::peer_up>(local)) {
    auto it = addresses_.find(up->address);
    if (it != addresses_.end()) {
      it->second.dialing = false;
      it->second.peer = up->peer;
      it->second.failures = 0;
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
    if (a.discovered && ++a.failures >= discovered_failures_max) {
      addresses_.erase(it);
      return;
    }
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
  on_stop(ctx);
}

void swarm::on_stop(context& ctx) {
  if (joined_ && config_.discovery != no_component)
    ctx.send(config_.discovery, msg::encode(msg::local_message{msg::stop_finding{config_.topic}}));
  joined_ = false;
  addresses_.clear();
  peers_.clear();
  retry_timers_.clear();
}

} // namespace dynfeed

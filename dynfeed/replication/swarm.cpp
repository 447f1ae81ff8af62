#include "dynfeed/replication/swarm.hpp"

#include "dynfeed/messages/codec.hpp"

#include <algorithm>

namespace dynfeed {

swarm::swarm(const swarm_config& config) : config_(config) {}

namespace {
/// Dials in a row that may fail before a discovered address is forgotten: its node may have
/// left, and discovery reports it again if it is still announced.
constexpr uint32_t discovered_failures_max = 3;
/// The timer tag of fill(); redial timers count up from 1.
constexpr uint64_t fill_tag = 0;
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
  for (auto [address, a] : addresses_)
    n += a.discovered ? 1 : 0;
  return n;
}

void swarm::on_found(context& ctx, const std::vector<std::string>& addresses) {
  size_t discovered = discovered_count();
  // Room for the new ones at most, not half again: a reader's swarms fill up to discovered_max.
  if (discovered < config_.discovered_max)
    addresses_.reserve(addresses_.size() + std::min(addresses.size(), config_.discovered_max - discovered));
  for (const std::string& address : addresses) {
    if (discovered >= config_.discovered_max)
      break;
    if (addresses_.contains(address))
      continue;
    addresses_[address].discovered = true;
    ++discovered;
  }
  fill(ctx);
  rotate(ctx);
}

void swarm::refind(context& ctx) {
  if (config_.discovery == no_component)
    return;
  clock_time now = ctx.now();
  if (refind_delay_ == clock_time{0}) {
    refind_delay_ = config_.refind_min; // just ran dry: give discovery's answer a moment
    refind_at_ = now + refind_delay_;
  }
  if (now < refind_at_) {
    if (fill_at_ < clock_time{0} || refind_at_ < fill_at_) {
      fill_at_ = refind_at_;
      ctx.start_timer(refind_at_ - now, fill_tag);
    }
    return;
  }
  ctx.send(config_.discovery,
           msg::encode(msg::local_message{msg::find_peers{config_.topic, config_.announce}}));
  refind_delay_ = std::min(refind_delay_ * 2, config_.refind_max);
  refind_at_ = now + refind_delay_;
}

void swarm::rotate(context& ctx) {
  if (config_.rotate_interval <= clock_time{0} || ctx.now() - rotated_at_ < config_.rotate_interval)
    return;
  size_t active = 0;
  std::vector<std::string> candidates;
  for (auto [address, a] : addresses_) {
    if (!a.discovered)
      continue;
    if (a.dialing || a.peer != no_component)
      ++active;
    else if (a.up_or_retry_at <= ctx.now())
      candidates.push_back(address.str());
  }
  if (active < config_.outbound_wanted || candidates.empty())
    return;
  rotated_at_ = ctx.now();
  dial(ctx, candidates[ctx.random().below(candidates.size())]);
}

void swarm::trim(context& ctx) {
  size_t connected = 0;
  address_state* oldest = nullptr;
  const address_key* oldest_address = nullptr;
  for (auto [address, a] : addresses_) {
    if (!a.discovered || a.peer == no_component)
      continue;
    ++connected;
    if (!oldest || a.up_or_retry_at < oldest->up_or_retry_at) { // connected: up times
      oldest = &a;
      oldest_address = &address;
    }
  }
  if (connected <= config_.outbound_wanted || !oldest)
    return;
  address_state& a = *oldest;
  remove_value(peers_, a.peer);
  a.peer = no_component;
  a.failures = 0;
  a.referred = false; // it connected: the hang-up is ours, not its failure
  a.backoffs = 0;
  a.up_or_retry_at = ctx.now() + config_.rotate_interval; // others first
  ctx.send(config_.node, msg::encode(msg::local_message{msg::hang_up{oldest_address->str()}}));
}

void swarm::fill(context& ctx) {
  if (!joined_)
    return;
  size_t active = 0;
  std::vector<std::string> candidates;
  std::vector<std::string> referred; ///< dialled first: a full node's pick of who has room
  clock_time now = ctx.now();
  clock_time next_retry = clock_time::max();
  for (auto [address, a] : addresses_) {
    if (!a.discovered)
      continue;
    if (a.dialing || a.peer != no_component)
      ++active;
    else if (a.up_or_retry_at <= now)
      (a.referred ? referred : candidates).push_back(address.str());
    else
      next_retry = std::min(next_retry, a.up_or_retry_at);
  }
  while (active < config_.outbound_wanted && !(candidates.empty() && referred.empty())) {
    std::vector<std::string>& from = referred.empty() ? candidates : referred;
    size_t pick = ctx.random().below(from.size());
    std::swap(from[pick], from.back());
    dial(ctx, from.back());
    from.pop_back();
    ++active;
  }
  if (active == 0 && peers_.empty())
    refind(ctx);
  // Come back when an address in backoff may be dialed again, if one is still needed.
  if (active < config_.outbound_wanted && next_retry != clock_time::max() &&
      (fill_at_ < clock_time{0} || next_retry < fill_at_)) {
    fill_at_ = next_retry;
    ctx.start_timer(next_retry - now, fill_tag);
  }
}

void swarm::add_address(context& ctx, const std::string& address) {
  if (!joined_ || addresses_.contains(address))
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
    if (address_state* a = addresses_.find(up->address)) {
      a->dialing = false;
      a->peer = up->peer;
      a->up_or_retry_at = ctx.now();
    }
    refind_delay_ = clock_time{0};
    add_unique(peers_, up->peer);
    ctx.send(config_.feed, msg::encode(msg::local_message{msg::offer_peer{up->peer}}));
    trim(ctx);
  } else if (auto* down = std::get_if<msg::peer_down>(local)) {
    on_down(ctx, *down);
  }
}

void swarm::on_down(context& ctx, const msg::peer_down& down) {
  remove_value(peers_, down.peer);
  address_state* found = addresses_.find(down.address);
  if (!found) {
    if (!down.referrals.empty()) {
      add_referred(down.address, down.referrals);
      fill(ctx);
    }
    return;
  }
  address_state& a = *found;
  bool lasted = a.peer != no_component && ctx.now() - a.up_or_retry_at >= config_.stable_after;
  a.dialing = false;
  a.peer = no_component;
  if (lasted) {
    a.failures = 0;
    a.backoffs = 0;
    a.referred = false;
  }
  // Exponential backoff with jitter, so that many readers do not redial in lockstep.
  clock_time before = backoff_after(a.backoffs);
  clock_time backoff = std::clamp(before * 2, config_.reconnect_delay_min, config_.reconnect_delay_max);
  if (backoff != before && a.backoffs < UINT8_MAX)
    ++a.backoffs; // once the backoff stops changing, so does the count
  auto jitter = clock_time{ctx.random().below(static_cast<uint64_t>(backoff.count()) / 4 + 1)};
  if (a.discovered) {
    if (!lasted && (++a.failures >= discovered_failures_max || a.referred))
      addresses_.erase(down.address);
    else
      a.up_or_retry_at = ctx.now() + backoff + jitter;
    add_referred(down.address, down.referrals);
    fill(ctx);
    return;
  }
  uint64_t tag = next_timer_tag_++;
  retry_timers_[tag] = down.address;
  ctx.start_timer(backoff + jitter, tag);
  if (!down.referrals.empty()) {
    add_referred(down.address, down.referrals);
    fill(ctx);
  }
}

clock_time swarm::backoff_after(uint8_t backoffs) const {
  clock_time backoff{0};
  for (uint8_t i = 0; i < backoffs; ++i)
    backoff = std::clamp(backoff * 2, config_.reconnect_delay_min, config_.reconnect_delay_max);
  return backoff;
}

void swarm::add_referred(const std::string& refused, const std::vector<std::string>& referrals) {
  size_t discovered = referrals.empty() ? 0 : discovered_count();
  for (const std::string& address : referrals) {
    if (addresses_.contains(address))
      continue;
    if (discovered >= config_.discovered_max) {
      if (!drop_failed(refused))
        break;
      --discovered;
    }
    address_state& a = addresses_[address];
    a.discovered = true;
    a.referred = true;
    ++discovered;
  }
}

bool swarm::drop_failed(const std::string& first) {
  auto failed = [](const address_state& a) {
    return a.discovered && !a.referred && a.failures > 0 && !a.dialing && a.peer == no_component;
  };
  // The refusing node first: it is full, and it named who to try instead.
  if (const address_state* a = addresses_.find(first); a && failed(*a))
    return addresses_.erase(first);
  std::string dropped;
  for (auto [address, a] : addresses_)
    if (failed(a)) {
      dropped = address.str();
      break;
    }
  return !dropped.empty() && addresses_.erase(dropped);
}

void swarm::on_timer(context& ctx, uint64_t tag) {
  if (tag == fill_tag) {
    fill_at_ = clock_time{-1};
    fill(ctx);
    return;
  }
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
  fill_at_ = clock_time{-1};
}

} // namespace dynfeed

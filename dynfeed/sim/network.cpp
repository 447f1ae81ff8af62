#include "dynfeed/sim/network.hpp"

#include "dynfeed/base/assert.hpp"

#include <algorithm>
#include <cmath>

namespace dynfeed::sim {

network::network(network_config config) : config_(std::move(config)) {
  region_count_ = std::max<size_t>(config_.regions.size(), 1);
  latency_.assign(region_count_ * region_count_, config_.default_latency);
  for (size_t a = 0; a < config_.latency_ms.size() && a < region_count_; ++a)
    for (size_t b = 0; b < config_.latency_ms[a].size() && b < region_count_; ++b)
      latency_[a * region_count_ + b] = std::chrono::duration_cast<clock_time>(
        std::chrono::duration<double, std::milli>(config_.latency_ms[a][b]));
}

host_id network::add_host(const host_config& host) {
  DYNFEED_REQUIRE(host.region < region_count_);
  host_state h;
  h.config = host;
  if (h.config.up_bytes_per_s == 0)
    h.config.up_bytes_per_s = config_.up_bytes_per_s;
  if (h.config.down_bytes_per_s == 0)
    h.config.down_bytes_per_s = config_.down_bytes_per_s;
  hosts_.push_back(std::move(h));
  return static_cast<host_id>(hosts_.size() - 1);
}

clock_time network::latency(host_id a, host_id b) const {
  const host_state& from = hosts_.at(a);
  const host_state& to = hosts_.at(b);
  return latency_[from.config.region * region_count_ + to.config.region] +
         std::chrono::microseconds{from.access_us + to.access_us};
}

void network::set_access_delay(host_id host, clock_time delay) {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(delay).count();
  hosts_.at(host).access_us = static_cast<uint32_t>(std::clamp<int64_t>(us, 0, 60'000'000));
}

clock_time network::access_delay(host_id host) const {
  return std::chrono::microseconds{hosts_.at(host).access_us};
}

dial_fate network::dial(host_id from, host_id to, rng& random) const {
  (void)hosts_.at(from); // a dial from nowhere is a caller's bug; the rule is the target's
  dial_fate fate;
  if (!hosts_.at(to).nat)
    return fate;
  fate.connects = false;
  if (!reach_.hole_punch)
    return fate;
  fate.punched = true;
  fate.delay = std::chrono::duration_cast<clock_time>(
    std::chrono::duration<double>(std::max(0.0, reach_.hole_punch_delay_s.draw(random))));
  fate.connects = reach_.hole_punch_success >= 1 || random.chance(reach_.hole_punch_success);
  return fate;
}

namespace {

/// A mapping's key in its host's table: the local port, then the remote endpoint (48 bits).
uint64_t mapping_key(const endpoint& local, const endpoint& remote) noexcept {
  return uint64_t{local.port} << 48 | remote.packed();
}

} // namespace

bool network::nat_admits(host_id a, const endpoint& from, host_id b, const endpoint& to,
                         clock_time now) {
  host_state& sender = hosts_.at(a);
  if (sender.nat) {
    DYNFEED_REQUIRE(from.ip == sender.config.ip);
    if (!sender.udp_mappings)
      sender.udp_mappings = std::make_unique<flat_map<uint64_t, clock_time>>();
    auto& table = *sender.udp_mappings;
    clock_time expires = now + reach_.udp_mapping_timeout;
    uint64_t key = mapping_key(from, to);
    if (clock_time* at = table.find(key)) {
      *at = expires;
    } else {
      if (table.size() == table.capacity())
        udp_mapping_count_ -= table.erase_if([now](uint64_t, clock_time at) { return at <= now; });
      table.try_emplace(key, expires);
      ++udp_mapping_count_;
    }
  }
  if (!hosts_.at(b).nat)
    return true;
  const clock_time* at = udp_mapping(b, to, from);
  return at && *at > now;
}

const clock_time* network::udp_mapping(host_id host, const endpoint& local,
                                       const endpoint& remote) const {
  const host_state& h = hosts_.at(host);
  DYNFEED_REQUIRE(local.ip == h.config.ip);
  return h.udp_mappings ? h.udp_mappings->find(mapping_key(local, remote)) : nullptr;
}

clock_time network::duration_of(size_t size, uint64_t bytes_per_s) {
  if (bytes_per_s == 0)
    return clock_time{0};
  // Nanoseconds, rounded up, in integers: the same on every machine.
  unsigned __int128 ns = static_cast<unsigned __int128>(size) * 1000000000u + bytes_per_s - 1;
  return clock_time{static_cast<int64_t>(ns / bytes_per_s)};
}

clock_time network::transfer(host_id a, host_id b, size_t size, clock_time now, rng& random) {
  host_state& from = hosts_.at(a);
  host_state& to = hosts_.at(b);
  from.sent += size;
  clock_time leave = std::max(now, from.up_free) + duration_of(size, from.config.up_bytes_per_s);
  if (from.config.up_bytes_per_s != 0)
    from.up_free = leave;
  clock_time base = latency(a, b);
  clock_time jitter{0};
  if (config_.jitter > 0 && base.count() > 0) {
    // Uniform in [-jitter, +jitter] of the base latency, in whole nanoseconds.
    auto span = static_cast<uint64_t>(static_cast<double>(base.count()) * config_.jitter);
    jitter = clock_time{static_cast<int64_t>(random.below(2 * span + 1)) - static_cast<int64_t>(span)};
  }
  clock_time arrive = leave + base + jitter;
  clock_time deliver = std::max(arrive, to.down_free) + duration_of(size, to.config.down_bytes_per_s);
  if (to.config.down_bytes_per_s != 0)
    to.down_free = deliver;
  return deliver;
}

datagram_fate network::datagram(host_id a, host_id b, size_t size, clock_time now, rng& random) {
  datagram_fate fate;
  if (!reachable(a, b))
    return fate;
  if (config_.loss > 0 && random.chance(config_.loss))
    return fate;
  int copies = config_.duplicate > 0 && random.chance(config_.duplicate) ? 2 : 1;
  for (int i = 0; i < copies; ++i) {
    clock_time at = transfer(a, b, size, now, random);
    if (config_.reorder > 0 && random.chance(config_.reorder))
      at += clock_time{static_cast<int64_t>(
        random.below(static_cast<uint64_t>(config_.reorder_delay.count()) + 1))};
    fate.at[fate.count++] = at;
  }
  return fate;
}

std::optional<clock_time> network::stream(host_id a, host_id b, size_t size, clock_time now,
                                          clock_time after, rng& random) {
  if (!reachable(a, b))
    return std::nullopt;
  clock_time at = transfer(a, b, size, now, random);
  if (config_.stream_loss > 0 && random.chance(config_.stream_loss))
    at += config_.stream_loss_delay;
  return std::max(at, after);
}

void network::set_group(host_id host, uint32_t group) {
  hosts_.at(host).group = group;
  if (group != 0)
    partitioned_ = true;
}

void network::heal() {
  for (host_state& h : hosts_)
    h.group = 0;
  partitioned_ = false;
}

bool network::reachable(host_id a, host_id b) const {
  return !partitioned_ || hosts_.at(a).group == hosts_.at(b).group;
}

void network::reset_queues(host_id host) {
  hosts_.at(host).up_free = clock_time{0};
  hosts_.at(host).down_free = clock_time{0};
}

} // namespace dynfeed::sim

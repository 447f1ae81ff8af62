#include "sim/ideal_discovery.hpp"

#include "base/assert.hpp"
#include "messages/codec.hpp"

namespace dynfeed::sim {

void ideal_registry::withdraw(const hash256& topic, const endpoint& who) {
  auto it = topics_.find(topic);
  if (it == topics_.end())
    return;
  it->second.erase(who);
  if (it->second.empty())
    topics_.erase(it);
}

std::vector<std::string> ideal_registry::peers(const hash256& topic, const endpoint& asker,
                                               size_t max, uint64_t pick) const {
  std::vector<std::string> out;
  auto it = topics_.find(topic);
  if (it == topics_.end())
    return out;
  const std::set<endpoint>& all = it->second;
  // Start at a random point and wrap around: every announcer is as likely to be told.
  auto start = all.begin();
  std::advance(start, static_cast<long>(pick % all.size()));
  auto at = start;
  do {
    if (*at != asker)
      out.push_back(at->to_string());
    if (++at == all.end())
      at = all.begin();
  } while (at != start && out.size() < max);
  return out;
}

void ideal_discovery::answer(context& ctx, const hash256& topic, component_id requester) {
  ++stats_.lookups;
  ++stats_.lookup_hops; // one "hop": the oracle
  msg::peers_found found{topic, registry_.peers(topic, config_.self, config_.peers_max,
                                                ctx.random().next())};
  if (!found.addresses.empty())
    ctx.send(requester, msg::encode(msg::local_message{std::move(found)}));
}

void ideal_discovery::on_message(context& ctx, component_id from, byte_span frame) {
  auto decoded = msg::decode(frame);
  DYNFEED_ASSERT(decoded.has_value());
  auto* local = std::get_if<msg::local_message>(&*decoded);
  if (!local)
    return;
  if (auto* find = std::get_if<msg::find_peers>(local)) {
    interest& i = topics_[find->topic];
    bool first = i.requesters.empty();
    i.requesters.insert(from);
    if (find->announce && !i.announced) {
      registry_.announce(find->topic, config_.self);
      i.announced = true;
    }
    answer(ctx, find->topic, from);
    if (first) {
      uint64_t tag = next_tag_++;
      timers_[tag] = find->topic;
      ctx.start_timer(config_.lookup_interval, tag);
    }
  } else if (auto* stop = std::get_if<msg::stop_finding>(local)) {
    auto it = topics_.find(stop->topic);
    if (it == topics_.end())
      return;
    it->second.requesters.erase(from);
    if (it->second.requesters.empty()) {
      if (it->second.announced)
        registry_.withdraw(stop->topic, config_.self);
      topics_.erase(it);
    }
  }
}

void ideal_discovery::on_timer(context& ctx, uint64_t tag) {
  auto t = timers_.find(tag);
  if (t == timers_.end())
    return;
  hash256 topic = t->second;
  timers_.erase(t);
  auto it = topics_.find(topic);
  if (it == topics_.end())
    return;
  for (component_id requester : it->second.requesters)
    answer(ctx, topic, requester);
  uint64_t next = next_tag_++;
  timers_[next] = topic;
  ctx.start_timer(config_.lookup_interval, next);
}

void ideal_discovery::on_stop(context&) {
  for (auto& [topic, i] : topics_)
    if (i.announced)
      registry_.withdraw(topic, config_.self);
  topics_.clear();
}

} // namespace dynfeed::sim

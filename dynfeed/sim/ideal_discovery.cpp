#include "dynfeed/sim/ideal_discovery.hpp"

#include "dynfeed/base/assert.hpp"
#include "dynfeed/messages/codec.hpp"

namespace dynfeed::sim {

void ideal_registry::announce(const hash256& topic, const endpoint& who) {
  announcers& a = topics_[topic];
  if (a.where.emplace(who, a.list.size()).second)
    a.list.push_back(who);
}

void ideal_registry::withdraw(const hash256& topic, const endpoint& who) {
  auto it = topics_.find(topic);
  if (it == topics_.end())
    return;
  announcers& a = it->second;
  auto at = a.where.find(who);
  if (at == a.where.end())
    return;
  size_t index = at->second;
  a.where.erase(at);
  if (index + 1 != a.list.size()) {
    a.list[index] = a.list.back();
    a.where[a.list[index]] = index;
  }
  a.list.pop_back();
  if (a.list.empty())
    topics_.erase(it);
}

std::vector<std::string> ideal_registry::peers(const hash256& topic, const endpoint& asker,
                                               size_t max, uint64_t pick) const {
  std::vector<std::string> out;
  auto it = topics_.find(topic);
  if (it == topics_.end())
    return out;
  const std::vector<endpoint>& all = it->second.list;
  size_t start = pick % all.size();
  for (size_t i = 0; i < all.size() && out.size() < max; ++i) {
    const endpoint& e = all[(start + i) % all.size()];
    if (e != asker)
      out.push_back(e.to_string());
  }
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

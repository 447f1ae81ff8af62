#include "dynfeed/replication/node_core.hpp"

#include "dynfeed/base/assert.hpp"
#include "dynfeed/base/endpoint.hpp"
#include "dynfeed/messages/codec.hpp"
#include "dynfeed/messages/limits.hpp"

#include <algorithm>

namespace dynfeed {

node_core::node_core(node_core_config config, node_host* host)
  : config_(std::move(config)), host_(host) {
  DYNFEED_REQUIRE(config_.referrals <= referrals_max);
}

// ---- directory ---------------------------------------------------------------------------------

void node_core::serve(const hash256& key, component_id component) {
  servers_[key] = component;
}

void node_core::stop_serving(const hash256& key) {
  servers_.erase(key);
}

component_id node_core::server_of(const hash256& key) const {
  auto it = servers_.find(key);
  return it == servers_.end() ? no_component : it->second;
}

// ---- swarms ------------------------------------------------------------------------------------

void node_core::set_discovery(context& ctx, component_id discovery) {
  discovery_ = discovery;
  values_.announce_own(ctx);
  for (component_id feed : dht_feeds_)
    send_use_dht(ctx, feed);
}

void node_core::send_use_dht(context& ctx, component_id feed) {
  if (discovery_ == no_component)
    return;
  auto ms = [](clock_time t) {
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(t).count());
  };
  msg::use_dht m{discovery_, ms(config_.id_poll_interval), ms(config_.id_poll_jitter)};
  ctx.send(feed, msg::encode(msg::local_message{m}));
}

void node_core::set_addresses(component_id owner, std::vector<std::string> addresses) {
  addresses_[owner] = std::move(addresses);
}

void node_core::join_swarm(context& ctx, const hash256& topic, component_id owner,
                           size_t outbound_wanted) {
  if (!host_ || swarms_.count({topic, owner}))
    return;
  swarm_config sc = config_.swarm;
  if (outbound_wanted != 0)
    sc.outbound_wanted = outbound_wanted;
  sc.topic = topic;
  sc.feed = owner;
  sc.node = ctx.self();
  sc.discovery = discovery_;
  if (auto it = addresses_.find(owner); it != addresses_.end())
    sc.addresses = it->second;
  swarms_[{topic, owner}] = host_->start_swarm(ctx, sc);
}

void node_core::leave_swarm(context& ctx, const hash256& topic, component_id owner) {
  auto it = swarms_.find({topic, owner});
  if (it == swarms_.end())
    return;
  component_id swarm = it->second;
  swarms_.erase(it);
  for (auto& [address, waiting] : dialing_)
    waiting.erase(swarm);
  // Leaving a swarm closes the connections it opened that no other swarm of ours uses (inbound
  // ones belong to the remote's swarm).
  for (auto [peer, p] : peers_)
    if (remove_value(p.requesters, swarm) && p.requesters.empty() && p.outbound)
      ctx.send(peer, msg::encode(msg::local_message{msg::punish{
                       static_cast<uint16_t>(msg::disconnect_reason::normal), "swarm left", {}}}));
  if (host_)
    host_->stop(ctx, swarm);
}

component_id node_core::join_feed(context& ctx, component_id feed, const public_key& key,
                                  const std::optional<secret_key>& writer_sk,
                                  std::vector<std::string> addresses, feed_mode mode,
                                  id_channels channels) {
  set_addresses(feed, addresses);
  if (mode == feed_mode::stable) {
    join_swarm(ctx, crypto::discovery_key(key), feed);
    return no_component;
  }
  // The rotating modes: announcements are the values of a value feed, which travel through
  // the ID channels (that feed's own swarm, relays inside the ID swarms), and the feed
  // service moves between ID swarms as they come. The publisher signs or checks every one,
  // whichever channel brought it. Announcements persist nowhere: they can be rebuilt from the
  // feed.
  publisher_start start;
  start.def = id_announcements(key);
  if (writer_sk)
    start.signer = value_signer{0, *writer_sk};
  start.config.limits = announcement_limits();
  auto started = values_.start(ctx, std::move(start), false);
  DYNFEED_ASSERT(started.has_value()); // an announcement feed's definition is always valid
  component_id publisher = started->publisher;
  if (channels.has(id_channel::value_swarm)) {
    set_addresses(publisher, std::move(addresses));
    join_swarm(ctx, started->topic, publisher, config_.value_outbound_wanted);
  }
  msg::set_mode m{static_cast<uint8_t>(mode), publisher, ctx.self(), channels.wire()};
  ctx.send(feed, msg::encode(msg::local_message{m}));
  if (channels.has(id_channel::relay)) {
    add_unique(relay_feeds_, feed);
    if (writer_sk)
      add_unique(relay_writers_, feed);
  }
  if (channels.has(id_channel::dht)) {
    add_unique(dht_feeds_, feed);
    send_use_dht(ctx, feed);
  }
  return publisher;
}

// ---- connections -------------------------------------------------------------------------------

void node_core::send_up(context& ctx, component_id requester, component_id peer,
                        const peer_record& p) {
  msg::peer_up up{peer, hash256::from(p.remote.span()), p.address.str(), p.outbound};
  ctx.send(requester, msg::encode(msg::local_message{up}));
}

void node_core::on_dial(context& ctx, component_id requester, const std::string& address) {
  if (component_id peer = outbound_peer(address); peer != no_component) {
    // One connection per address: a swarm asking for one that is up gets it at once.
    peer_record& p = *peers_.find(peer);
    add_unique(p.requesters, requester);
    send_up(ctx, requester, peer, p);
    watch_successor(ctx, requester);
    watch_untold(ctx, requester);
    return;
  }
  auto& waiting = dialing_[address];
  bool first = waiting.empty();
  waiting.insert(requester);
  if (!first)
    return;
  if (host_) {
    host_->dial(ctx, address);
  } else {
    dial_failed(ctx, address, static_cast<uint16_t>(msg::disconnect_reason::transport_error));
  }
}

void node_core::connected(context& ctx, const std::string& address, component_id peer,
                          const node_key& remote, bool outbound) {
  if (!outbound && inbound_ >= config_.inbound_max) {
    msg::punish full{static_cast<uint16_t>(msg::disconnect_reason::too_many_peers), "node full",
                     referrals_for(ctx, remote)};
    ctx.send(peer, msg::encode(msg::local_message{full}));
    return;
  }
  peer_record& p = peers_[peer];
  p.address = address;
  p.remote = remote;
  p.outbound = outbound;
  if (!outbound) {
    ++inbound_;
    return; // inbound peers find their feeds through the directory (find_feed)
  }
  auto it = dialing_.find(address);
  if (it == dialing_.end())
    return;
  std::set<component_id> waiting = std::move(it->second);
  dialing_.erase(it);
  for (component_id requester : waiting) {
    add_unique(p.requesters, requester);
    send_up(ctx, requester, peer, p);
    watch_successor(ctx, requester);
    watch_untold(ctx, requester);
  }
}

std::vector<std::string> node_core::referrals_for(context& ctx, const node_key& remote) const {
  std::vector<std::string> dialable;
  if (config_.referrals == 0)
    return dialable;
  for (auto [peer, p] : peers_) {
    if (p.remote == remote)
      continue; // the dialler itself, connected to us the other way
    if (p.outbound) {
      // As dialled: a name or an in-process link ("mem:...") is no address for someone else.
      if (msg::is_referral_address(p.address.str()))
        dialable.push_back(p.address.str());
    } else if (p.listen_port != 0) {
      // An inbound connection comes from an ephemeral port: its host, at the port it listens on.
      if (auto from = endpoint::parse(p.address.str()); from && from->ip != 0)
        dialable.push_back(endpoint{from->ip, p.listen_port}.to_string());
    }
  }
  std::sort(dialable.begin(), dialable.end());
  dialable.erase(std::unique(dialable.begin(), dialable.end()), dialable.end());
  // A partial shuffle: the draws happen only here, on a refusal with more peers than it names.
  size_t count = std::min(config_.referrals, dialable.size());
  if (dialable.size() > count)
    for (size_t i = 0; i < count; ++i)
      std::swap(dialable[i], dialable[i + ctx.random().below(dialable.size() - i)]);
  dialable.resize(count);
  return dialable;
}

void node_core::on_referred(context& ctx, component_id peer, std::vector<std::string> addresses) {
  // The peer waits for this answer before it ends, whatever the node makes of the referral.
  ctx.send(peer, msg::encode(msg::local_message{msg::referral_taken{}}));
  const peer_record* p = peers_.find(peer);
  if (!p || !p->outbound)
    return; // only a refusal of our own dial refers us anywhere
  std::string refused = p->address.str();
  auto unwanted = [&](const std::string& a) {
    return a == refused
           || std::find(config_.self_addresses.begin(), config_.self_addresses.end(), a)
                != config_.self_addresses.end();
  };
  addresses.erase(std::remove_if(addresses.begin(), addresses.end(), unwanted), addresses.end());
  if (addresses.size() > referrals_max) // the codec bounds them; a local sender may not have
    addresses.resize(referrals_max);
  if (!addresses.empty())
    referrals_[peer] = std::move(addresses);
}

void node_core::dial_failed(context& ctx, const std::string& address, uint16_t reason) {
  auto it = dialing_.find(address);
  if (it == dialing_.end())
    return;
  std::set<component_id> waiting = std::move(it->second);
  dialing_.erase(it);
  for (component_id requester : waiting)
    ctx.send(requester, msg::encode(msg::local_message{msg::peer_down{no_component, address, reason, {}}}));
}

void node_core::peer_ended(context& ctx, component_id peer) {
  peer_record* found = peers_.find(peer);
  if (!found)
    return;
  peer_record p = std::move(*found);
  peers_.erase(peer);
  if (!p.outbound)
    --inbound_;
  std::vector<std::string> referrals;
  if (auto* r = referrals_.find(peer)) {
    referrals = std::move(*r);
    referrals_.erase(peer);
  }
  for (component_id requester : p.requesters)
    ctx.send(requester, msg::encode(msg::local_message{msg::peer_down{
                          peer, p.address.str(), static_cast<uint16_t>(msg::disconnect_reason::normal),
                          referrals}}));
}

size_t node_core::duplicate_count() const {
  std::vector<node_key> remotes;
  remotes.reserve(peers_.size());
  for (auto [peer, p] : peers_)
    remotes.push_back(p.remote);
  std::sort(remotes.begin(), remotes.end());
  return static_cast<size_t>(remotes.end() - std::unique(remotes.begin(), remotes.end()));
}

component_id node_core::outbound_peer(const std::string& address) const {
  // A node has tens of peers, and dials are rare next to frames: a scan beats an index. The
  // newest connection to the address wins.
  component_id found = no_component;
  address_key key(address);
  for (auto [peer, p] : peers_)
    if (p.outbound && p.address == key)
      found = peer;
  return found;
}

// ---- messages ----------------------------------------------------------------------------------

void node_core::on_message(context& ctx, component_id from, byte_span frame) {
  auto decoded = msg::decode(frame);
  DYNFEED_ASSERT(decoded.has_value()); // only our own components write to the node
  auto* local = std::get_if<msg::local_message>(&*decoded);
  if (!local)
    return;
  if (auto* find = std::get_if<msg::find_feed>(local)) {
    if (peer_record* p = peers_.find(from); p && !p->outbound && find->listen_port != 0)
      p->listen_port = find->listen_port;
    component_id server = server_of(find->discovery_key);
    if (server == no_component)
      ctx.send(from, msg::encode(msg::local_message{msg::feed_unknown{find->discovery_key}}));
    else
      ctx.send(server, msg::encode(msg::local_message{msg::offer_peer{from}}));
  } else if (auto* r = std::get_if<msg::rotate_swarm>(local)) {
    rotate(ctx, r->leave, r->join, from);
  } else if (auto* d = std::get_if<msg::dial>(local)) {
    on_dial(ctx, from, d->address);
  } else if (auto* h = std::get_if<msg::hang_up>(local)) {
    on_hang_up(ctx, from, h->address);
  } else if (auto* r = std::get_if<msg::referred>(local)) {
    on_referred(ctx, from, std::move(r->addresses));
  }
}

// ---- moving between ID swarms ------------------------------------------------------------------

void node_core::rotate(context& ctx, const hash256& leave, const hash256& join,
                       component_id owner) {
  auto kept = std::find_if(overlaps_.begin(), overlaps_.end(),
                           [owner](const overlap& o) { return o.owner == owner; });
  if (kept != overlaps_.end() && kept->kept == join) {
    // Back to the swarm still kept (the writer truncated to it): it stays, and is no overlap.
    ctx.cancel_timer(kept->deadline);
    overlaps_.erase(kept);
    kept = overlaps_.end();
  }
  for (size_t i = 0; i < untold_.size(); ++i)
    if (untold_[i].owner == owner && untold_[i].topic == join) {
      end_untold(ctx, i, false); // back to it (the writer truncated): the feed's swarm again
      break;
    }
  if (leave != hash256{}) {
    if (relay_writer(owner) && config_.id_linger > clock_time{0} && !swarm_has_peer(leave, owner)) {
      // A relay writer tells a new ID only to its peers, and it has none in the swarm it
      // leaves (its lookups not answered yet, say): that swarm's readers would hear of it
      // from nobody and stay there, all connected to each other (run 520 of the
      // fragmentation study). So the swarm stays, dialing, until a connection of it lasts.
      hold_untold(ctx, leave, owner);
      if (kept != overlaps_.end())
        kept->successor = join;
    } else if (config_.id_overlap > clock_time{0} && swarm_has_peer(leave, owner)) {
      // The swarm being left is the one with connections now: it is kept instead of an
      // older one, which the feed would otherwise hold on to after two moves.
      if (kept != overlaps_.end())
        end_overlap(ctx, static_cast<size_t>(kept - overlaps_.begin()));
      uint64_t tag = next_timer_tag_++;
      overlaps_.push_back({leave, join, owner, tag, ctx.start_timer(config_.id_overlap, tag)});
    } else {
      // Nothing to keep of it (or no overlap wanted): an older kept swarm, if any, now waits
      // for this new one.
      depart(ctx, leave, owner);
      if (kept != overlaps_.end())
        kept->successor = join;
    }
  }
  join_swarm(ctx, join, owner);
}

void node_core::depart(context& ctx, const hash256& topic, component_id owner) {
  linger(ctx, topic, owner); // first: discovery keeps the topic announced
  leave_swarm(ctx, topic, owner);
}

bool node_core::swarm_has_peer(const hash256& topic, component_id owner) const {
  auto it = swarms_.find({topic, owner});
  if (it == swarms_.end())
    return false;
  for (auto [peer, p] : peers_)
    if (std::find(p.requesters.begin(), p.requesters.end(), it->second) != p.requesters.end())
      return true;
  return false;
}

void node_core::watch_successor(context& ctx, component_id swarm) {
  for (const overlap& o : overlaps_) {
    auto it = swarms_.find({o.successor, o.owner});
    if (it == swarms_.end() || it->second != swarm)
      continue;
    uint64_t tag = next_timer_tag_++;
    confirming_[tag] = o.tag;
    ctx.start_timer(config_.id_overlap_confirm, tag);
    return;
  }
}

void node_core::hold_untold(context& ctx, const hash256& topic, component_id owner) {
  uint64_t tag = next_timer_tag_++;
  untold_.push_back({topic, owner, 0, tag, ctx.start_timer(config_.id_linger, tag)});
  auto owned_by = [owner](const untold_swarm& u) { return u.owner == owner; };
  if (static_cast<size_t>(std::count_if(untold_.begin(), untold_.end(), owned_by))
      > config_.id_lingering_max)
    end_untold(ctx, static_cast<size_t>(std::find_if(untold_.begin(), untold_.end(), owned_by)
                                        - untold_.begin()), true);
}

void node_core::watch_untold(context& ctx, component_id swarm) {
  for (untold_swarm& u : untold_) {
    auto it = swarms_.find({u.topic, u.owner});
    if (it == swarms_.end() || it->second != swarm || u.check_tag != 0)
      continue;
    u.check_tag = next_timer_tag_++;
    ctx.start_timer(config_.id_overlap_confirm, u.check_tag);
    return;
  }
}

void node_core::end_untold(context& ctx, size_t index, bool leave) {
  untold_swarm u = untold_[index];
  untold_.erase(untold_.begin() + static_cast<ptrdiff_t>(index));
  ctx.cancel_timer(u.deadline);
  if (leave)
    depart(ctx, u.topic, u.owner);
}

bool node_core::relay_writer(component_id owner) const {
  return std::find(relay_writers_.begin(), relay_writers_.end(), owner) != relay_writers_.end();
}

void node_core::end_overlap(context& ctx, size_t index) {
  overlap o = overlaps_[index];
  overlaps_.erase(overlaps_.begin() + static_cast<ptrdiff_t>(index));
  ctx.cancel_timer(o.deadline);
  depart(ctx, o.kept, o.owner);
}

void node_core::linger(context& ctx, const hash256& topic, component_id owner) {
  if (config_.id_linger <= clock_time{0} || config_.id_lingering_max == 0
      || discovery_ == no_component
      || std::find(relay_feeds_.begin(), relay_feeds_.end(), owner) == relay_feeds_.end())
    return;
  // The core itself stays a requester of the topic, announcing: it dials nobody (it ignores
  // what discovery finds), and its feed service still answers a channel opened with the
  // feed's key, pushing the newest ID to whoever dialed.
  ctx.send(discovery_, msg::encode(msg::local_message{msg::find_peers{topic, true}}));
  uint64_t tag = next_timer_tag_++;
  lingering_.push_back({topic, owner, tag, ctx.start_timer(config_.id_linger, tag)});
  auto owned_by = [owner](const lingering_topic& l) { return l.owner == owner; };
  auto owned = std::count_if(lingering_.begin(), lingering_.end(), owned_by);
  if (static_cast<size_t>(owned) > config_.id_lingering_max) // one added, so one over at most
    end_linger(ctx, static_cast<size_t>(
                      std::find_if(lingering_.begin(), lingering_.end(), owned_by)
                      - lingering_.begin()));
}

void node_core::end_linger(context& ctx, size_t index) {
  lingering_topic l = lingering_[index];
  lingering_.erase(lingering_.begin() + static_cast<ptrdiff_t>(index));
  ctx.cancel_timer(l.timer);
  // Another lingering entry or a swarm of ours may want the topic still: discovery counts
  // requesters, and this core is one requester however many entries it holds.
  for (const lingering_topic& other : lingering_)
    if (other.topic == l.topic)
      return;
  ctx.send(discovery_, msg::encode(msg::local_message{msg::stop_finding{l.topic}}));
}

void node_core::on_timer(context& ctx, uint64_t tag) {
  for (size_t i = 0; i < lingering_.size(); ++i)
    if (lingering_[i].tag == tag) {
      end_linger(ctx, i);
      return;
    }
  for (size_t i = 0; i < untold_.size(); ++i) {
    if (untold_[i].deadline_tag == tag) {
      end_untold(ctx, i, true); // nobody reached in all this time: it lingers, as any left swarm
      return;
    }
    if (untold_[i].check_tag == tag) {
      if (swarm_has_peer(untold_[i].topic, untold_[i].owner))
        end_untold(ctx, i, true); // told: its readers relay the newest ID among themselves
      else
        untold_[i].check_tag = 0; // refused or gone: the next connection is watched again
      return;
    }
  }
  // An overlap's deadline ends it; a confirmation ends it if the successor still has a
  // connection (a refused one has ended by now). Either may find its overlap gone already.
  uint64_t overlap_tag = tag;
  bool confirmation = false;
  if (auto it = confirming_.find(tag); it != confirming_.end()) {
    overlap_tag = it->second;
    confirmation = true;
    confirming_.erase(it);
  }
  for (size_t i = 0; i < overlaps_.size(); ++i)
    if (overlaps_[i].tag == overlap_tag) {
      if (!confirmation || swarm_has_peer(overlaps_[i].successor, overlaps_[i].owner))
        end_overlap(ctx, i);
      return;
    }
}

void node_core::on_hang_up(context& ctx, component_id requester, const std::string& address) {
  if (auto waiting = dialing_.find(address); waiting != dialing_.end())
    waiting->second.erase(requester);
  component_id peer = outbound_peer(address);
  if (peer == no_component)
    return;
  peer_record& p = *peers_.find(peer);
  if (remove_value(p.requesters, requester) && p.requesters.empty())
    ctx.send(peer, msg::encode(msg::local_message{msg::punish{
                            static_cast<uint16_t>(msg::disconnect_reason::normal), "peer replaced", {}}}));
}

} // namespace dynfeed

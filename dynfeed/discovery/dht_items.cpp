// The DHT's item service for local components (the dht ID channel): items a component keeps
// stored (put_item: put now, and again before BEP 44 nodes may drop them), and (k, salt) pairs
// components watch (watch_item: a get with `seq` every interval, with jitter; poll_item: now;
// item_found: each newer valid item). See docs/discovery.md, "Items for local components".

#include "dynfeed/discovery/dht.hpp"

#include "dynfeed/base/assert.hpp"
#include "dynfeed/feed/bep44.hpp"
#include "dynfeed/krpc/targets.hpp"
#include "dynfeed/messages/codec.hpp"

#include <string>

namespace dynfeed {

msg::dht_item_fields item_fields(const bep44::mutable_item& item) {
  msg::dht_item_fields f;
  f.k = item.k;
  f.salt = item.salt;
  f.seq = item.seq;
  f.v = item.v;
  f.sig.assign(item.sig.data(), item.sig.data() + signature::size());
  return f;
}

void dht::on_item_message(context& ctx, component_id from, msg::local_message& local) {
  if (auto* put = std::get_if<msg::put_item>(&local)) {
    keep_item(ctx, from, put->item);
  } else if (auto* watch = std::get_if<msg::watch_item>(&local)) {
    watch_item(ctx, from, *watch);
  } else if (auto* poll = std::get_if<msg::poll_item>(&local)) {
    poll_item_now(ctx, krpc::mutable_target(poll->item.k, poll->item.salt));
  } else if (auto* stop = std::get_if<msg::stop_item>(&local)) {
    stop_item(from, krpc::mutable_target(stop->item.k, stop->item.salt), ctx);
  }
}

void dht::on_item_timer(context& ctx, timer_kind kind, uint64_t serial) {
  auto it = item_serials_.find(serial);
  if (it == item_serials_.end())
    return; // stopped meanwhile
  node_id target = it->second;
  item_serials_.erase(it);
  if (kind == timer_kind::item_put) {
    if (auto p = puts_.find(target); p != puts_.end() && p->second.serial == serial) {
      p->second.timer = 0;
      run_put(ctx, target);
    }
  } else if (auto w = watches_.find(target); w != watches_.end() && w->second.serial == serial) {
    w->second.timer = 0;
    run_poll(ctx, target);
  }
}

// ---- keeping items stored -----------------------------------------------------------------------

void dht::keep_item(context& ctx, component_id from, const msg::dht_item_fields& f) {
  bep44::mutable_item item;
  item.k = f.k;
  item.salt = f.salt;
  item.seq = f.seq;
  item.v = f.v;
  if (f.sig.size() != signature::size()) {
    ctx.log("dht: put_item without a signature: ignored");
    return;
  }
  item.sig = signature::from(f.sig);
  // What the storing nodes would refuse is refused here, with its reason, before any lookup.
  if (status valid = bep44::verify(item, config_->storage.values); !valid) {
    ctx.log("dht: put_item refused: " + valid.error().to_string());
    return;
  }
  node_id target = krpc::mutable_target(item.k, item.salt);
  auto it = puts_.find(target);
  if (it == puts_.end()) {
    if (puts_.size() >= config_->items_local_max) {
      ctx.log("dht: put_item refused: " + std::to_string(puts_.size()) + " items kept already");
      return;
    }
    it = puts_.emplace(target, item_put{}).first;
  } else if (it->second.item.seq > item.seq) {
    return; // an older item than the one kept: the newer one stays
  }
  item_put& p = it->second;
  if (p.timer != 0)
    ctx.cancel_timer(p.timer);
  item_serials_.erase(p.serial);
  p.item = std::move(item);
  p.owner = from;
  p.timer = 0;
  run_put(ctx, target);
}

void dht::run_put(context& ctx, const node_id& target) {
  item_put& p = puts_.at(target);
  p.serial = next_serial_++;
  uint64_t serial = p.serial;
  // put_value's steps, with a context for the timer: a get lookup (with our seq, so nodes do
  // not send the item back), then a put to the k closest nodes that gave a token.
  const bep44::mutable_item& item = p.item;
  krpc::put put{krpc::mutable_put{item.k, item.salt, item.seq, item.v, item.sig, std::nullopt}, {}};
  auto after = [this, target, serial](context& c, const error& err, uint32_t stored) {
    auto it = puts_.find(target);
    if (it == puts_.end() || it->second.serial != serial)
      return; // replaced or stopped meanwhile
    // Nobody stored it (no nodes yet, or none acknowledged): soon again; else before expiry.
    clock_time delay = !err && stored > 0 ? config_->item_republish : config_->item_retry;
    item_put& kept = it->second;
    kept.serial = next_serial_++;
    item_serials_[kept.serial] = target;
    kept.timer = arm(c, timer_kind::item_put, delay, kept.serial);
  };
  auto then = [this, put, after](context& c, lookup& l) {
    store_at_closest(c, l, put, [after](context& c2, const dht_store_result& r) {
      after(c2, r.err, r.stored);
    });
  };
  if (error err = begin_lookup(ctx, discovery_op::get_value, target, then, nullptr, {},
                               item_wanted{item.k, item.salt, item.seq}))
    after(ctx, err, 0);
}

// ---- watching (k, salt) -------------------------------------------------------------------------

void dht::watch_item(context& ctx, component_id from, const msg::watch_item& m) {
  node_id target = krpc::mutable_target(m.item.k, m.item.salt);
  auto it = watches_.find(target);
  if (it == watches_.end()) {
    if (watches_.size() >= config_->items_local_max) {
      ctx.log("dht: watch_item refused: " + std::to_string(watches_.size()) + " watched already");
      return;
    }
    it = watches_.emplace(target, item_watch{}).first;
    it->second.k = m.item.k;
    it->second.salt = m.item.salt;
  }
  item_watch& w = it->second;
  w.watchers.insert(from);
  w.interval = m.interval_ms > 0 ? clock_time{std::chrono::milliseconds{m.interval_ms}}
                                 : config_->item_poll_interval;
  w.jitter = m.interval_ms > 0 ? clock_time{std::chrono::milliseconds{m.jitter_ms}}
                               : config_->item_poll_jitter;
  w.jitter = std::min(w.jitter, w.interval);
  if (m.item.seq > 0 && (!w.seq || *w.seq < m.item.seq))
    w.seq = m.item.seq; // the watcher holds this already: only newer items are news
  poll_item_now(ctx, target);
}

void dht::poll_item_now(context& ctx, const node_id& target) {
  auto it = watches_.find(target);
  if (it == watches_.end())
    return;
  item_watch& w = it->second;
  if (w.running) {
    w.again = true;
    return;
  }
  if (w.timer != 0)
    ctx.cancel_timer(w.timer);
  item_serials_.erase(w.serial);
  w.timer = 0;
  run_poll(ctx, target);
}

void dht::run_poll(context& ctx, const node_id& target) {
  item_watch& w = watches_.at(target);
  w.running = true;
  w.again = false;
  w.serial = next_serial_++;
  uint64_t serial = w.serial;
  // get_value's lookup, with a context for what follows: BEP 44 get with `seq`, so that nodes
  // holding nothing newer answer without the item.
  auto then = [this, target, serial](context& c, lookup& l) {
    polled(c, target, serial, result_of(l));
  };
  if (error err = begin_lookup(ctx, discovery_op::get_value, target, then, nullptr, {},
                               item_wanted{w.k, w.salt, w.seq})) {
    dht_lookup_result r;
    r.err = std::move(err);
    polled(ctx, target, serial, r);
  }
}

void dht::polled(context& ctx, const node_id& target, uint64_t serial, const dht_lookup_result& r) {
  auto it = watches_.find(target);
  if (it == watches_.end() || it->second.serial != serial)
    return;
  item_watch& w = it->second;
  w.running = false;
  const auto* item = r.item ? std::get_if<bep44::mutable_item>(&*r.item) : nullptr;
  // get_value kept only a valid item of this key and salt; report it if it is news.
  if (item && (!w.seq || item->seq > *w.seq)) {
    w.seq = item->seq;
    bytes frame = msg::encode(msg::local_message{msg::item_found{item_fields(*item)}});
    for (component_id watcher : w.watchers)
      ctx.send(watcher, frame);
  }
  clock_time delay = w.interval;
  if (w.jitter > clock_time{0}) {
    auto span = static_cast<uint64_t>(2 * w.jitter.count());
    delay += clock_time{static_cast<int64_t>(ctx.random().below(span + 1))} - w.jitter;
  }
  if (r.err)
    delay = std::min(delay, config_->item_retry); // nobody to ask yet
  if (w.again)
    delay = clock_time{0};
  w.serial = next_serial_++;
  item_serials_[w.serial] = target;
  w.timer = arm(ctx, timer_kind::item_poll, delay, w.serial);
}

void dht::stop_item(component_id from, const node_id& target, context& ctx) {
  if (auto w = watches_.find(target); w != watches_.end()) {
    w->second.watchers.erase(from);
    if (w->second.watchers.empty()) {
      if (w->second.timer != 0)
        ctx.cancel_timer(w->second.timer);
      item_serials_.erase(w->second.serial);
      watches_.erase(w);
    }
  }
  if (auto p = puts_.find(target); p != puts_.end() && p->second.owner == from) {
    if (p->second.timer != 0)
      ctx.cancel_timer(p->second.timer);
    item_serials_.erase(p->second.serial);
    puts_.erase(p);
  }
}

} // namespace dynfeed

// The feed service's side of the dht ID channel: the writer hands each new signed
// announcement to the DHT as a BEP 44 item (feed/id_item.hpp) that the DHT keeps stored; a
// reader has the DHT poll for it and passes what is found to the announcement publisher,
// which checks it like a value from any other channel. docs/protocol.md, "ID channels".

#include "dynfeed/feed/id_item.hpp"
#include "dynfeed/messages/codec.hpp"
#include "dynfeed/replication/feed_service.hpp"

#include <algorithm>

namespace dynfeed {

namespace {

msg::dht_item_fields key_fields(const public_key& key, int64_t seq) {
  msg::dht_item_fields f;
  f.k = key;
  f.salt = id_item::salt();
  f.seq = seq;
  return f;
}

/// A reader polls at once when it has been behind an announced length (rotating: a target it
/// has not reached; rotating-roots: an adopted tree whose blocks it lacks) with no new block
/// for this long: half the poll interval, at least 5 s.
clock_time quiet_after_of(uint64_t poll_interval_ms) {
  return std::max<clock_time>(std::chrono::milliseconds{poll_interval_ms / 2}, std::chrono::seconds{5});
}

} // namespace

void feed_service::on_use_dht(context& ctx, const msg::use_dht& m) {
  if (mode_ == feed_mode::stable || !channels_.has(id_channel::dht) || m.discovery == no_component)
    return;
  dht_ = m.discovery;
  if (feed_.writable()) {
    if (latest_ && latest_->seq == feed_.length())
      put_id_item(ctx, *latest_); // signed before the DHT was named
    return;
  }
  msg::watch_item w{key_fields(feed_.key(), latest_ ? static_cast<int64_t>(latest_->seq) : 0),
                    m.poll_interval_ms, m.poll_jitter_ms};
  ctx.send(dht_, msg::encode(msg::local_message{w}));
  quiet_after_ = quiet_after_of(m.poll_interval_ms);
  quiet_blocks_ = feed_.have().count(0, feed_.length());
  ctx.start_timer(quiet_after_, quiet_check_tag);
}

void feed_service::on_stop(context& ctx) {
  // Without it a closed feed's item would be polled for, or put again every hour, as long as
  // the DHT runs.
  if (dht_ == no_component)
    return;
  ctx.send(dht_, msg::encode(msg::local_message{msg::stop_item{key_fields(feed_.key(), 0)}}));
  dht_ = no_component;
}

void feed_service::put_id_item(context& ctx, const signed_value& value) {
  const secret_key* sk = feed_.writer_key();
  if (!sk)
    return;
  auto item = id_item::make(*sk, value);
  if (!item) {
    // A rotating-roots tree with too many roots for BEP 44's 1000 bytes: the other channels
    // still carry it; the DHT keeps the last item that fitted.
    ++stats_.id_items_too_large;
    ctx.log("dht ID channel: " + item.error().to_string());
    return;
  }
  msg::dht_item_fields f = key_fields(item->k, item->seq);
  f.v = std::move(item->v);
  f.sig.assign(item->sig.data(), item->sig.data() + signature::size());
  ctx.send(dht_, msg::encode(msg::local_message{msg::put_item{std::move(f)}}));
  ++stats_.id_items_put;
}

void feed_service::on_item_found(context& ctx, msg::item_found&& m) {
  if (dht_ == no_component || feed_.writable() || publisher_ == no_component)
    return;
  if (m.item.k != feed_.key() || m.item.salt != id_item::salt())
    return; // not this feed's item (the DHT answers only what was asked)
  ++stats_.id_items_found;
  auto value = id_item::decode_v(m.item.v);
  // The BEP 44 signature (checked by the DHT) covers seq and v; the inner value must carry the
  // same seq, and its own signature is checked here, so the publisher gets only what a peer of
  // its own swarm could have sent without being punished.
  status valid = !value ? status{std::move(value).error()}
                 : value->seq != static_cast<uint64_t>(m.item.seq)
                   ? status{error{value_errc::malformed, "dht item: seq differs from the value's"}}
                   : verify_value(id_announcements(feed_.key()), *value, announcement_limits());
  if (!valid) {
    ++stats_.id_items_refused;
    ctx.log("dht ID channel: refused an item: " + valid.error().to_string());
    return;
  }
  if (latest_ && latest_->seq >= value->seq)
    return; // heard already on another channel
  ctx.send(publisher_, msg::encode(msg::local_message{msg::offer_value{no_component, std::move(*value)}}));
}

void feed_service::poll_ids(context& ctx) {
  msg::poll_item p{key_fields(feed_.key(), 0)};
  ctx.send(dht_, msg::encode(msg::local_message{p}));
}

void feed_service::on_quiet_check(context& ctx) {
  if (dht_ == no_component || feed_.writable() || equivocation_)
    return;
  // Quiet: behind the length the newest announcement names, and no block came since the last
  // check. The swarm of that ID may have emptied as everyone moved on to a newer one.
  uint64_t held = feed_.have().count(0, feed_.length());
  bool behind = (target_ && target_->length > feed_.length())
                || (mode_ == feed_mode::rotating_roots && live_ && held < feed_.length());
  if (behind && held == quiet_blocks_) {
    ++stats_.id_polls_quiet;
    poll_ids(ctx);
  }
  quiet_blocks_ = held;
  ctx.start_timer(quiet_after_, quiet_check_tag);
}

} // namespace dynfeed

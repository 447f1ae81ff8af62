#include "dynfeed/replication/peer.hpp"

#include "dynfeed/base/hex.hpp"
#include "dynfeed/feed/capability.hpp"
#include "dynfeed/messages/codec.hpp"

#include <mutex>
#include <set>

namespace dynfeed {

using msg::disconnect_reason;

namespace {

constexpr uint64_t hello_timer_tag = 1;

} // namespace

static_assert(static_cast<uint16_t>(disconnect_reason::setup_backlog) <= 0xff,
              "peer::close_reason_ holds a reason in one byte");

namespace {

std::mutex settings_lock;

} // namespace

/// One copy of each distinct config for all the peers (of every node) of the program, dropped
/// with the last peer that holds it. Never destroyed itself: a peer may outlive the statics.
std::set<peer::settings>& peer::kept_settings() {
  static auto* kept = new std::set<settings>;
  return *kept;
}

const peer::settings& peer::acquire(settings wanted) {
  std::lock_guard<std::mutex> guard(settings_lock);
  const settings& found = *kept_settings().insert(std::move(wanted)).first;
  ++found.users;
  return found;
}

void peer::release(const settings& held) {
  std::lock_guard<std::mutex> guard(settings_lock);
  if (--held.users == 0)
    kept_settings().erase(held);
}

peer::peer(const peer_config& config, connection& conn)
  : settings_(&acquire({config.node, config.hello_timeout, config.user_agent, config.channels_max,
                        config.frame_size_max, config.listen_port})),
    conn_(conn), hello_received_(false), closed_(false), awaiting_node_(false) {}

peer::~peer() {
  release(*settings_);
}

void peer::on_start(context& ctx) {
  msg::hello h;
  h.frame_size_max = settings_->frame_size_max;
  h.user_agent = settings_->user_agent;
  h.listen_port = settings_->listen_port;
  conn_.transmit(msg::encode(msg::wire_message{h}));
  hello_timer_ = ctx.start_timer(settings_->hello_timeout, hello_timer_tag);
}

void peer::on_timer(context& ctx, uint64_t tag) {
  if (tag == hello_timer_tag && !hello_received_)
    fail(ctx, disconnect_reason::timeout);
}

void peer::fail(context& ctx, disconnect_reason why, std::vector<std::string> referrals) {
  if (closed_)
    return;
  ctx.log("disconnecting " + to_hex(conn_.remote().span()).substr(0, 16) + ": "
          + msg::to_string(why));
  msg::bye b;
  b.code = static_cast<uint16_t>(why);
  b.reason = msg::to_string(why);
  b.referrals = std::move(referrals);
  conn_.transmit(msg::encode(msg::wire_message{b}));
  conn_.close(why);
  on_disconnect(ctx, why);
}

void peer::on_remote(context& ctx, byte_span frame) {
  if (closed_)
    return;
  // Frames on a channel go to its feed service as they are, which decodes them; only the
  // messages about the connection itself are decoded here.
  auto channel = msg::wire_channel(frame);
  if (!channel) {
    fail(ctx, disconnect_reason::malformed_frame);
    return;
  }
  if (*channel && hello_received_) {
    forward(ctx, **channel, frame);
    return;
  }
  auto decoded = msg::decode_wire(frame);
  if (!decoded) {
    fail(ctx, disconnect_reason::malformed_frame);
    return;
  }
  on_wire(ctx, std::move(*decoded));
}

void peer::on_wire(context& ctx, msg::wire_message&& m) {
  if (!hello_received_) {
    auto* h = std::get_if<msg::hello>(&m);
    if (!h) {
      fail(ctx, disconnect_reason::unexpected_message);
      return;
    }
    if (h->version != msg::protocol_version) {
      fail(ctx, disconnect_reason::protocol_version);
      return;
    }
    hello_received_ = true;
    remote_listen_port_ = h->listen_port;
    ctx.cancel_timer(hello_timer_);
    return;
  }
  if (auto* open = std::get_if<msg::open_channel>(&m)) {
    on_open(ctx, *open);
  } else if (auto* close = std::get_if<msg::close_channel>(&m)) {
    channel* c = find_remote(close->channel);
    if (!c) {
      fail(ctx, disconnect_reason::unexpected_message);
      return;
    }
    drop_channel(ctx, c->discovery_key, disconnect_reason::normal);
  } else if (auto* b = std::get_if<msg::bye>(&m)) {
    on_bye(ctx, *b);
  } else {
    fail(ctx, disconnect_reason::unexpected_message); // a second hello
  }
}

void peer::on_bye(context& ctx, msg::bye& b) {
  conn_.close(disconnect_reason::normal);
  on_disconnect(ctx, disconnect_reason::normal);
  // A referral counts only as the answer to a dial of ours that the remote refused for being
  // full: anything else from an unverified remote is no reason to dial anyone.
  if (b.referrals.empty() || !conn_.initiator()
      || b.code != static_cast<uint16_t>(disconnect_reason::too_many_peers))
    return;
  awaiting_node_ = true;
  ctx.send(settings_->node, msg::encode(msg::local_message{msg::referred{std::move(b.referrals)}}));
}

void peer::on_open(context& ctx, const msg::open_channel& m) {
  if (find_remote(m.channel)) {
    fail(ctx, disconnect_reason::unexpected_message);
    return;
  }
  if (!find(m.discovery_key) && channels_.size() >= settings_->channels_max) {
    fail(ctx, disconnect_reason::too_many_channels);
    return;
  }
  channel& c = find_or_add(m.discovery_key);
  if (c.has_remote) {
    fail(ctx, disconnect_reason::unexpected_message); // opened twice
    return;
  }
  c.remote = m.channel;
  c.has_remote = true;
  if (c.feed != no_component) {
    pair(ctx, c, public_key::from(c.pending.span()), m.capability);
  } else {
    c.pending = m.capability;
    if (!c.asked_node) {
      c.asked_node = true;
      ctx.send(settings_->node, msg::encode(msg::local_message{
                        msg::find_feed{m.discovery_key, remote_listen_port_}}));
    }
  }
}

void peer::on_attach(context& ctx, component_id feed, const msg::attach& m) {
  channel& c = find_or_add(m.discovery_key);
  c.feed = feed;
  if (!c.local) {
    if (next_local_ >= local_max) { // half a billion channels opened on one connection
      fail(ctx, disconnect_reason::too_many_channels);
      return;
    }
    c.local = next_local_++;
    msg::open_channel open;
    open.channel = c.local;
    open.discovery_key = m.discovery_key;
    open.capability = replication_capability(conn_.initiator(), m.key, conn_.handshake_hash());
    conn_.transmit(msg::encode(msg::wire_message{open}));
  }
  if (c.up)
    return;
  if (c.has_remote)
    pair(ctx, c, m.key, c.pending); // `pending` holds the remote's capability
  else
    c.pending = hash256::from(m.key.span());
}

void peer::pair(context& ctx, channel& c, const public_key& key, const hash256& remote_capability) {
  // The remote proves knowledge of the key in its own role.
  hash256 expected = replication_capability(!conn_.initiator(), key, conn_.handshake_hash());
  if (expected != remote_capability) {
    fail(ctx, disconnect_reason::bad_capability);
    return;
  }
  c.up = true;
  msg::channel_up up;
  up.channel = c.local;
  up.remote_node = hash256::from(conn_.remote().span());
  up.initiator = conn_.initiator();
  ctx.send(c.feed, msg::encode(msg::local_message{up}));
}

void peer::forward(context& ctx, uint32_t remote_channel, byte_span frame) {
  channel* c = find_remote(remote_channel);
  if (!c || !c->up) {
    fail(ctx, disconnect_reason::unexpected_message);
    return;
  }
  ctx.send(c->feed, ctx.take_frame(frame));
}

void peer::drop_channel(context& ctx, const hash256& discovery_key, disconnect_reason why) {
  channel* c = find(discovery_key);
  if (!c)
    return;
  if (c->feed != no_component)
    ctx.send(c->feed, msg::encode(msg::local_message{msg::channel_down{static_cast<uint16_t>(why)}}));
  erase(*c);
}

void peer::on_message(context& ctx, component_id from, byte_span frame) {
  if (closed_) {
    if (awaiting_node_ && from == settings_->node) {
      auto decoded = msg::decode(frame);
      auto* local = decoded ? std::get_if<msg::local_message>(&*decoded) : nullptr;
      if (local && std::holds_alternative<msg::referral_taken>(*local))
        awaiting_node_ = false; // the host ends the peer now, and tells the node
    }
    return;
  }
  // Frames from our own components are well-formed; most are wire frames a feed service built
  // for the remote, which go out as they are without being decoded.
  auto local_kind = msg::is_local(frame);
  DYNFEED_ASSERT(local_kind.has_value());
  if (!*local_kind) {
    conn_.transmit(ctx.take_frame(frame));
    return;
  }
  auto decoded = msg::decode(frame);
  DYNFEED_ASSERT(decoded.has_value());
  auto& local = std::get<msg::local_message>(*decoded);
  if (auto* a = std::get_if<msg::attach>(&local)) {
    on_attach(ctx, from, *a);
  } else if (auto* d = std::get_if<msg::detach>(&local)) {
    channel* c = find(d->discovery_key);
    if (c && c->local) {
      msg::close_channel close{c->local};
      conn_.transmit(msg::encode(msg::wire_message{close}));
    }
    drop_channel(ctx, d->discovery_key, disconnect_reason::normal);
  } else if (auto* u = std::get_if<msg::feed_unknown>(&local)) {
    // Nobody here serves it: forget the remote's open (it may open others).
    channel* c = find(u->discovery_key);
    if (c && c->feed == no_component)
      erase(*c);
  } else if (auto* p = std::get_if<msg::punish>(&local)) {
    if (p->reason != static_cast<uint16_t>(disconnect_reason::normal))
      ctx.log("closing the connection to " + to_hex(conn_.remote().span()).substr(0, 16) + ": "
              + p->detail);
    fail(ctx, static_cast<disconnect_reason>(p->reason), std::move(p->referrals));
  }
}

void peer::on_disconnect(context& ctx, disconnect_reason why) {
  if (closed_)
    return;
  closed_ = true;
  close_reason_ = static_cast<uint8_t>(why);
  if (why != disconnect_reason::normal)
    ctx.log("connection to " + to_hex(conn_.remote().span()).substr(0, 16) + " ended: "
            + msg::to_string(why));
  for (const channel& c : channels_)
    if (c.feed != no_component)
      ctx.send(c.feed, msg::encode(msg::local_message{msg::channel_down{static_cast<uint16_t>(why)}}));
  channels_.clear();
}

peer::channel* peer::find(const hash256& discovery_key) {
  for (channel& c : channels_)
    if (c.discovery_key == discovery_key)
      return &c;
  return nullptr;
}

peer::channel* peer::find_remote(uint32_t remote_channel) {
  for (channel& c : channels_)
    if (c.has_remote && c.remote == remote_channel)
      return &c;
  return nullptr;
}

peer::channel& peer::find_or_add(const hash256& discovery_key) {
  if (channel* c = find(discovery_key))
    return *c;
  channel& c = channels_.emplace_back();
  c.discovery_key = discovery_key;
  return c;
}

void peer::erase(const channel& c) {
  channels_.erase(channels_.begin() + (&c - channels_.data()));
}

} // namespace dynfeed

#include "dynfeed/replication/feed_service.hpp"

#include "dynfeed/feed/errc.hpp"
#include "dynfeed/feed/flat_tree.hpp"
#include "dynfeed/messages/codec.hpp"
#include "dynfeed/storage/errc.hpp"

#include <algorithm>

namespace dynfeed {

using msg::disconnect_reason;

namespace {

msg::no_data_reason no_data_reason_of(const error& err) {
  if (err.is(feed_errc::fork_mismatch))
    return msg::no_data_reason::fork_mismatch;
  if (err.is(feed_errc::block_not_held) || err.is(feed_errc::missing_node))
    return msg::no_data_reason::not_held;
  return msg::no_data_reason::invalid_request;
}

/// Errors that show the remote sent something false; others (a store failure, an upgrade that
/// went stale because another peer's arrived first) are nobody's fault.
bool is_misbehaviour(const error& err) {
  return err.is(feed_errc::invalid_proof) || err.is(feed_errc::bad_signature)
         || err.is(feed_errc::block_too_large);
}

} // namespace

feed_service::feed_service(feed& f, const feed_service_config& config,
                           feed_service_observer* observer)
  : feed_(f), config_(config), observer_(observer) {}

expected<uint64_t> feed_service::append(context& ctx, const std::vector<byte_span>& blocks) {
  uint64_t before = feed_.length();
  auto length = feed_.append(blocks);
  if (!length)
    return length;
  if (observer_) {
    observer_->on_length(*length);
    observer_->on_blocks(before, *length - before);
  }
  // Stable: the new length goes to every peer inside the swarm. Rotating: it is announced
  // through the value feed, and we move to the new ID's swarm.
  announce(ctx, std::nullopt, mode_ == feed_mode::stable, before, *length - before);
  if (mode_ != feed_mode::stable)
    announce_writer(ctx);
  return length;
}

expected<uint64_t> feed_service::truncate(context& ctx, uint64_t length) {
  uint64_t before = feed_.length();
  auto fork = feed_.truncate(length);
  if (!fork)
    return fork;
  if (observer_)
    observer_->on_length(length);
  for (auto [peer, r] : remotes_) {
    if (mode_ == feed_mode::stable)
      ctx.send(peer, msg::encode(msg::wire_message{our_sync(r.channel)}));
    if (before > length)
      ctx.send(peer, msg::encode(msg::wire_message{msg::range{r.channel, length, before - length, true}}));
  }
  if (mode_ != feed_mode::stable)
    announce_writer(ctx);
  return fork;
}

void feed_service::announce_writer(context& ctx) {
  // An empty feed announces nothing to relay readers: they start from a link to an ID with
  // blocks, and the writer would only wait in the empty feed's swarm for the signature.
  bool empty_relay = feed_.length() == 0 && channels_.has(id_channel::relay);
  if (publisher_ != no_component && !empty_relay) {
    // seq = length: announcements of one writer are ordered by the length they announce,
    // and an empty feed's is seq 0 (given as such, or it would take "the next", 1, and the
    // announcement of length 1 would be refused as stale).
    msg::publish_value p{encode_announcement(mode_, feed_.tree()), feed_.length(), true};
    ctx.send(publisher_, msg::encode(msg::local_message{p}));
    ++stats_.announcements_published;
    // Relay: the peers of the swarm we are in hear the signed value before we leave it
    // (on_signed_update moves once the publisher has signed it).
    if (channels_.has(id_channel::relay) && topic_)
      return;
  }
  move_to(ctx, feed_.id());
}

void feed_service::move_to(context& ctx, const hash256& feed_id) {
  hash256 join = dynfeed::id_topic(feed_id);
  if (topic_ && *topic_ == join)
    return;
  if (node_ != no_component)
    ctx.send(node_, msg::encode(msg::local_message{msg::rotate_swarm{topic_.value_or(hash256{}), join}}));
  topic_ = join;
}

void feed_service::on_set_mode(context& ctx, const msg::set_mode& m) {
  mode_ = static_cast<feed_mode>(m.mode);
  publisher_ = m.publisher;
  node_ = m.node;
  channels_ = id_channels::from_wire(m.id_channels);
  if (mode_ == feed_mode::stable)
    return;
  bool relay = channels_.has(id_channel::relay);
  if (publisher_ != no_component) {
    // Relay passes signed values on, dht puts them in items: they need them whole.
    bool whole = relay || channels_.has(id_channel::dht);
    msg::local_message sub = whole ? msg::local_message{msg::subscribe_signed{}}
                                   : msg::local_message{msg::subscribe_values{}};
    ctx.send(publisher_, msg::encode(sub));
  }
  // A writer announces where it is now. A reader waits to hear it, in the ID swarm it was
  // given (or of the tree it holds) when relay is how it hears.
  if (feed_.writable())
    announce_writer(ctx);
  else if (relay)
    move_to(ctx, first_id_.value_or(feed_.id()));
}

void feed_service::on_announcement(context& ctx, const bytes& value) {
  if (feed_.writable() || mode_ == feed_mode::stable)
    return;
  if (mode_ == feed_mode::rotating) {
    auto ann = decode_id_announcement(value);
    if (ann && ann->length <= feed_.length())
      join_held_swarm(ctx);
    if (!ann || ann->length <= feed_.length() || (target_ && ann->length <= target_->length))
      return;
    target_ = *ann;
    ++stats_.announcements_followed;
    if (want_ && !want_end_ && !live_)
      want_end_ = ann->length; // "everything": what the writer announced
    move_to(ctx, ann->id);
  } else {
    // rotating_roots: the announcement is the signed tree; verify it before asking anyone.
    auto tree = decode_tree_announcement(value);
    if (!tree)
      return;
    auto adopted = feed_.adopt_tree(*tree);
    if (!adopted) {
      ctx.log("refused a tree announcement: " + adopted.error().to_string());
      return;
    }
    if (!*adopted) {
      join_held_swarm(ctx);
      return;
    }
    ++stats_.announcements_followed;
    if (observer_)
      observer_->on_length(feed_.length());
    if (want_ && !want_end_ && !live_)
      want_end_ = feed_.length();
    move_to(ctx, feed_.id());
    check_done();
  }
  schedule(ctx);
}

void feed_service::join_held_swarm(context& ctx) {
  // A reader restarted with a tree it has not downloaded whole hears that tree announced
  // again, which moves nothing: without this it would stay in no ID swarm, one block short
  // for good (the value swarm, rotating-roots, measured sessions: reader 70 of
  // id_dht_test's seed 22).
  if (!topic_ && feed_.length() > 0)
    move_to(ctx, feed_.id());
}

void feed_service::download(context& ctx, uint64_t start, std::optional<uint64_t> end, bool live) {
  want_ = true;
  want_start_ = start;
  want_end_ = end;
  live_ = live;
  done_ = false;
  check_done();
  schedule(ctx);
}

void feed_service::check_done() {
  if (!want_ || done_ || live_ || !want_end_)
    return;
  uint64_t end = *want_end_;
  if (end <= feed_.length() && feed_.have().count(want_start_, end) == end - want_start_) {
    done_ = true;
    if (observer_)
      observer_->on_download_done();
  }
}

void feed_service::on_message(context& ctx, component_id from, byte_span frame) {
  auto decoded = msg::decode(frame);
  if (!decoded) {
    // Only a remote's frame, forwarded by its peer, can fail to decode.
    punish(ctx, from, disconnect_reason::malformed_frame, decoded.error());
    return;
  }
  if (auto* wire = std::get_if<msg::wire_message>(&*decoded)) {
    on_wire(ctx, from, std::move(*wire));
    return;
  }
  auto& local = std::get<msg::local_message>(*decoded);
  if (auto* offer = std::get_if<msg::offer_peer>(&local)) {
    // A peer found in the swarm of an announced ID holds at least that ID's length.
    if (remote* r = remotes_.find(offer->peer); r && target_) {
      r->length = std::max(r->length, target_->length);
      schedule(ctx);
      return;
    }
    msg::attach a{feed_.key(), feed_.discovery_key()};
    ctx.send(offer->peer, msg::encode(msg::local_message{a}));
  } else if (auto* up = std::get_if<msg::channel_up>(&local)) {
    on_channel_up(ctx, from, *up);
  } else if (std::holds_alternative<msg::channel_down>(local)) {
    on_channel_down(ctx, from);
  } else if (auto* m = std::get_if<msg::set_mode>(&local)) {
    on_set_mode(ctx, *m);
  } else if (auto* u = std::get_if<msg::value_update>(&local)) {
    on_announcement(ctx, u->value);
  } else if (auto* su = std::get_if<msg::signed_update>(&local)) {
    on_signed_update(ctx, std::move(*su));
  } else if (auto* use = std::get_if<msg::use_dht>(&local)) {
    on_use_dht(ctx, *use);
  } else if (auto* found = std::get_if<msg::item_found>(&local)) {
    on_item_found(ctx, std::move(*found));
  }
}

void feed_service::on_channel_up(context& ctx, component_id peer, const msg::channel_up& up) {
  remote& r = remotes_[peer];
  r.channel = up.channel;
  if (observer_)
    observer_->on_peer(peer, true);
  // Always, even at length 0: a reader cloning "everything" learns there is nothing to get.
  ctx.send(peer, msg::encode(msg::wire_message{our_sync(r.channel)}));
  // Tell it what we hold, run by run.
  const bitfield& have = feed_.have();
  for (uint64_t pos = 0; pos < feed_.length();) {
    auto first = have.find(pos, feed_.length(), true);
    if (!first)
      break;
    uint64_t end = have.find(*first, feed_.length(), false).value_or(feed_.length());
    ctx.send(peer, msg::encode(msg::wire_message{msg::range{r.channel, *first, end - *first, false}}));
    pos = end;
  }
  // Relay: the side that was dialed tells the newest ID it holds. Whoever dials is either in
  // the swarm of an ID it knows (the other side, found there, knows it too) or a newcomer,
  // which learns it here; a dialer that knows a newer one answers the older push with it.
  // Pushing from both sides would double what every reconnection after a new ID costs. A
  // dialed side that holds no ID (a newcomer, which has only the ID of its link, or a reader
  // just restarted: signed values live in memory) says so in its sync, and the dialer tells
  // it instead (on_sync).
  if (channels_.has(id_channel::relay) && !up.initiator)
    send_id(ctx, peer, r);
  schedule(ctx);
}

// ---- the relay ID channel -----------------------------------------------------------------------

void feed_service::send_id(context& ctx, component_id peer, remote& r) {
  if (!latest_)
    return;
  ctx.send(peer, msg::encode(msg::wire_message{msg::id_push{r.channel, *latest_}}));
  r.id_told = true;
  ++stats_.id_pushes_sent;
}

msg::sync feed_service::our_sync(uint32_t channel) const noexcept {
  return msg::sync{channel, feed_.fork(), feed_.length(), latest_.has_value()};
}

void feed_service::on_signed_update(context& ctx, msg::signed_update&& u) {
  if (latest_ && latest_->seq >= u.value.seq)
    return;
  latest_ = std::move(u.value);
  if (dht_ != no_component && feed_.writable())
    put_id_item(ctx, *latest_);
  if (channels_.has(id_channel::relay))
    for (auto [peer, r] : remotes_)
      if (peer != u.peer)
        send_id(ctx, peer, r);
  // Only now, with our peers told, may the writer leave their swarm.
  if (feed_.writable()) {
    if (latest_->seq == feed_.length())
      move_to(ctx, feed_.id());
    return;
  }
  on_announcement(ctx, latest_->value);
}

void feed_service::on_id_push(context& ctx, component_id peer, remote& r, msg::id_push&& m) {
  if (!channels_.has(id_channel::relay) || publisher_ == no_component)
    return; // not a channel we run: the frame is valid, and nothing here wants it
  ++stats_.id_pushes_received;
  if (latest_ && *latest_ == m.value) {
    ++stats_.id_pushes_known; // what we told everyone already: never relayed twice
    return;
  }
  if (latest_ && latest_->seq > m.value.seq) {
    ++stats_.id_pushes_stale;
    send_id(ctx, peer, r); // it is behind: give it ours
    return;
  }
  // The publisher checks it like any signed value: a forgery ends this peer's connection,
  // an equivocation or a refusal is counted there, and only a value it accepts comes back.
  ctx.send(publisher_, msg::encode(msg::local_message{msg::offer_value{peer, std::move(m.value)}}));
}

void feed_service::on_channel_down(context& ctx, component_id peer) {
  remote* r = remotes_.find(peer);
  if (!r)
    return;
  for (const outstanding& o : r->requests) {
    ctx.cancel_timer(o.timer);
    if (o.count > 0)
      inflight_.set_range(o.first, o.first + o.count, false);
    if (o.upgrade)
      upgrade_inflight_ = false;
    request_owner_.erase(o.id);
  }
  remotes_.erase(peer);
  if (observer_)
    observer_->on_peer(peer, false);
  if (remotes_.empty() && dht_ != no_component && !feed_.writable()) {
    ++stats_.id_polls_quiet; // nobody left to hear a new ID from: ask the DHT now
    poll_ids(ctx);
  }
  schedule(ctx);
}

void feed_service::on_wire(context& ctx, component_id from, msg::wire_message&& m) {
  remote* found = remotes_.find(from);
  if (!found)
    return; // the channel closed while this was on its way
  remote& r = *found;
  if (auto* s = std::get_if<msg::sync>(&m)) {
    on_sync(ctx, from, r, *s);
  } else if (auto* e = std::get_if<msg::equivocation>(&m)) {
    if (equivocation_)
      return;
    // Only a proof about this feed's key stops it; anything else is a lie.
    status valid = e->proof.key == feed_.key()
                     ? verify_equivocation(e->proof)
                     : status{error{feed_errc::invalid_proof, "an equivocation of another key"}};
    if (!valid) {
      punish(ctx, from, disconnect_reason::invalid_proof, valid.error());
      return;
    }
    on_equivocation(ctx, std::move(e->proof));
  } else if (auto* g = std::get_if<msg::range>(&m)) {
    uint64_t length = std::min(g->length, length_max - std::min(g->start, length_max));
    if (g->drop) {
      r.have.drop(g->start, length);
    } else {
      r.have.add(g->start, length);
      // Holding block i means holding a signed tree of at least i + 1 blocks: in the rotating
      // modes, where lengths travel in announcements rather than syncs, this is how a peer
      // that just caught up becomes a source of the upgrade.
      if (length > 0) {
        r.length = std::max(r.length, g->start + length);
        remote_length_max_ = std::max(remote_length_max_, r.length);
      }
    }
    schedule(ctx);
  } else if (auto* q = std::get_if<msg::request>(&m)) {
    on_request(ctx, from, r, *q);
  } else if (auto* d = std::get_if<msg::data>(&m)) {
    on_data(ctx, from, r, std::move(*d));
  } else if (auto* n = std::get_if<msg::no_data>(&m)) {
    on_no_data(ctx, from, r, *n);
  } else if (auto* p = std::get_if<msg::id_push>(&m)) {
    on_id_push(ctx, from, r, std::move(*p));
  }
  // cancel: requests are answered at once, so there is never anything left to cancel.
}

void feed_service::on_sync(context& ctx, component_id peer, remote& r, const msg::sync& s) {
  uint64_t length = std::min(s.length, length_max);
  if (!s.holds_id && !r.id_told && channels_.has(id_channel::relay))
    send_id(ctx, peer, r); // it has no ID to tell, so it never pushed one we could answer
  if (s.fork < r.fork)
    return; // a remote never goes back to an older fork
  r.length = s.fork == r.fork ? std::max(r.length, length) : length;
  r.fork = s.fork;
  if (s.fork == feed_.fork()) {
    remote_length_max_ = std::max(remote_length_max_, r.length);
    if (want_ && !want_end_ && !live_ && mode_ == feed_mode::stable) {
      want_end_ = std::max(r.length, feed_.length()); // "everything": what the first peer has
      check_done();
    }
    schedule(ctx);
  } else if (s.fork > feed_.fork() && !feed_.writable() && !r.checking && !equivocation_) {
    // The writer truncated: fetch its new signed tree before anything else from this peer.
    check_tree(ctx, peer, r, check_kind::fork);
  }
}

void feed_service::check_tree(context& ctx, component_id peer, remote& r, check_kind kind) {
  // The trees are compared at the shorter length: the whole tree up to there, and the nodes
  // that grow it to the peer's signed length, come as one upgrade from 0.
  uint64_t compared = std::min(feed_.length(), r.length);
  if (compared == 0)
    compared = r.length;
  if (compared == 0)
    return; // an empty tree: nothing to compare, nothing to take
  proof_request body;
  body.upgrade = upgrade_request{0, compared};
  outstanding o;
  o.check = kind;
  o.compared = compared;
  r.checking = true;
  if (kind == check_kind::conflict)
    r.checked = true;
  ++stats_.trees_checked;
  send_request(ctx, peer, r, body, o, r.fork);
}

void feed_service::on_checked(context& ctx, component_id peer, remote& r, proof&& p,
                              check_kind kind, uint64_t compared) {
  r.checking = false;
  signed_tree none;
  none.fork = p.fork;
  node_list no_nodes{{}};
  auto verified = verify_proof(p, none, no_nodes, feed_.key());
  if (!verified || !verified->tree) {
    punish(ctx, peer, disconnect_reason::invalid_proof,
           verified ? error{feed_errc::invalid_proof, "a tree check without the tree"}
                    : verified.error());
    return;
  }
  const signed_tree& theirs = *verified->tree;
  r.fork = std::max(r.fork, theirs.fork);
  if (theirs.fork > feed_.fork()) {
    if (!feed_.writable())
      follow_fork(ctx, theirs, verified->nodes, compared);
    return;
  }
  if (theirs.fork < feed_.fork())
    return; // it is behind: nothing to take from it until it moves
  node_list their_nodes{verified->nodes};
  auto found = feed_.find_equivocation(theirs, their_nodes);
  if (!found) {
    // Another history, maybe, that this reader lacks the nodes to prove yet: download nothing
    // from it, and compare again once more blocks (hence nodes) are held.
    ctx.log("cannot compare a peer's tree with ours yet: " + found.error().to_string());
    r.conflicting = true;
    r.compared = false;
    r.compare_after = feed_.have().count() + 1;
    schedule(ctx);
    return;
  }
  if (*found) {
    on_equivocation(ctx, std::move(**found));
    return;
  }
  if (kind == check_kind::conflict) {
    punish(ctx, peer, disconnect_reason::invalid_proof,
           error{feed_errc::invalid_proof, "its proof failed, yet its signed tree agrees with ours"});
    return;
  }
  schedule(ctx);
}

void feed_service::follow_fork(context& ctx, const signed_tree& newer,
                               const std::vector<tree_node>& nodes, uint64_t compared) {
  // Blocks this reader keeps: those under the roots (at the compared length) both trees share.
  uint64_t shared = 0;
  if (compared <= feed_.length()) {
    node_list listed{nodes};
    std::vector<tree_node> theirs;
    for (uint64_t index : flat::full_roots(compared))
      if (auto n = listed.find_node(index); n && *n)
        theirs.push_back(**n);
    if (auto s = feed_.shared_length(theirs, compared))
      shared = *s;
  }
  uint64_t before = feed_.length();
  if (auto st = feed_.adopt_fork(newer, shared, nodes); !st) {
    ctx.log("cannot move to fork " + std::to_string(newer.fork) + ": " + st.error().to_string());
    return;
  }
  ++stats_.forks_followed;
  cancel_all(ctx); // answers for the old fork are of no use now
  remote_length_max_ = feed_.length();
  for (auto [peer, r] : remotes_) {
    if (r.fork == feed_.fork())
      remote_length_max_ = std::max(remote_length_max_, r.length);
    ctx.send(peer, msg::encode(msg::wire_message{our_sync(r.channel)}));
    if (before > shared)
      ctx.send(peer, msg::encode(msg::wire_message{msg::range{r.channel, shared, before - shared, true}}));
  }
  if (observer_) {
    observer_->on_fork(feed_.fork(), feed_.length(), shared);
    observer_->on_length(feed_.length());
  }
  check_done();
  schedule(ctx);
}

void feed_service::cancel_all(context& ctx) {
  for (auto [peer, r] : remotes_) {
    while (!r.requests.empty()) {
      ctx.send(peer, msg::encode(msg::wire_message{msg::cancel{r.channel, r.requests.front().id}}));
      settle(ctx, r, r.requests.front().id, true);
    }
    r.checking = false;
  }
}

void feed_service::on_equivocation(context& ctx, equivocation_proof proof) {
  if (equivocation_)
    return;
  equivocation_ = std::move(proof);
  ctx.log("the writer equivocated: this feed is no longer followed");
  want_ = false;
  cancel_all(ctx);
  // Every peer hears it, the one that delivered the other history too: it is no forger (its
  // signature is valid) and stays connected, but it should stop as well.
  for (auto [peer, r] : remotes_)
    ctx.send(peer, msg::encode(msg::wire_message{msg::equivocation{r.channel, *equivocation_}}));
  if (observer_)
    observer_->on_equivocation(*equivocation_);
}

bool feed_service::usable(const remote& r) const noexcept {
  return r.fork == feed_.fork() && !r.checking && !r.conflicting;
}

void feed_service::on_request(context& ctx, component_id peer, remote& r, const msg::request& m) {
  auto p = feed_.build_proof(m.body);
  if (!p) {
    msg::no_data n{r.channel, m.id, static_cast<uint16_t>(no_data_reason_of(p.error()))};
    ctx.send(peer, msg::encode(msg::wire_message{n}));
    return;
  }
  ++stats_.requests_served;
  if (p->block)
    stats_.blocks_uploaded += p->block->values.size();
  ctx.send(peer, msg::encode(msg::wire_message{msg::data{r.channel, m.id, std::move(*p)}}));
}

void feed_service::settle(context& ctx, remote& r, uint64_t id, bool cancel) {
  const outstanding* found = r.request(id);
  if (!found)
    return;
  const outstanding& o = *found;
  ctx.cancel_timer(o.timer);
  if (o.count > 0)
    inflight_.set_range(o.first, o.first + o.count, false);
  if (o.upgrade)
    upgrade_inflight_ = false;
  if (cancel)
    r.cancelled.push_back(id);
  request_owner_.erase(id);
  r.requests.erase(r.requests.begin() + (found - r.requests.data()));
}

void feed_service::on_data(context& ctx, component_id peer, remote& r, msg::data&& m) {
  const outstanding* asked = r.request(m.id);
  check_kind check = asked ? asked->check : check_kind::none;
  uint64_t compared = asked ? asked->compared : 0;
  if (!asked) {
    // Only an answer to a request of ours that timed out may come unasked.
    auto late = std::find(r.cancelled.begin(), r.cancelled.end(), m.id);
    if (late == r.cancelled.end()) {
      punish(ctx, peer, disconnect_reason::unsolicited_data,
             error{feed_errc::invalid_proof, "data for request " + std::to_string(m.id)});
      return;
    }
    r.cancelled.erase(late);
  }
  settle(ctx, r, m.id, false);
  on_progress(ctx, r);
  if (equivocation_)
    return; // the feed is no longer followed: nothing more is stored
  if (check != check_kind::none) {
    on_checked(ctx, peer, r, std::move(m.body), check, compared);
    return;
  }
  uint64_t before = feed_.length();
  // The runs of this chunk not held yet: what on_blocks reports once it is stored.
  std::vector<std::pair<uint64_t, uint64_t>> fresh;
  if (m.body.block) {
    uint64_t end = m.body.block->index + m.body.block->values.size();
    for (uint64_t pos = m.body.block->index; pos < end;) {
      auto first = feed_.have().find(pos, end, false);
      if (!first)
        break;
      uint64_t stop = feed_.have().find(*first, end, true).value_or(end);
      fresh.emplace_back(*first, stop - *first);
      pos = stop;
    }
  }
  std::optional<id_announcement> expecting;
  if (mode_ == feed_mode::rotating && m.body.upgrade && target_
      && m.body.upgrade->start + m.body.upgrade->length == target_->length)
    expecting = target_;
  auto applied = feed_.apply(m.body);
  if (applied && expecting && applied->target_hash != expecting->id) {
    // Signed by the writer but not the tree it announced: two histories under one key.
    punish(ctx, peer, disconnect_reason::invalid_proof,
           error{feed_errc::invalid_proof, "the upgrade's tree is not the announced ID"});
    return;
  }
  if (applied && target_ && feed_.length() >= target_->length)
    target_.reset();
  if (!applied) {
    bool conflict = applied.error().is(feed_errc::invalid_proof)
                    || applied.error().is(feed_errc::bad_signature);
    if (conflict && m.body.fork == feed_.fork() && !r.checked && !feed_.writable()) {
      // A valid signature over another tree fails like a forgery: ask for its whole signed
      // tree before blaming the peer. Two trees signed by the writer are an equivocation.
      check_tree(ctx, peer, r, check_kind::conflict);
      return;
    }
    if (is_misbehaviour(applied.error()))
      punish(ctx, peer, disconnect_reason::invalid_proof, applied.error());
    else if (applied.error().category() == error{store_errc::io_error}.category() && observer_)
      observer_->on_store_failed(applied.error()); // the store refuses writes from now on
    else
      schedule(ctx);
    return;
  }
  if (m.body.block) {
    uint64_t count = m.body.block->values.size();
    stats_.blocks_downloaded += count;
    stats_.redundant_blocks += count - applied->blocks_added;
  }
  bool grew = feed_.length() > before;
  if (observer_ && grew)
    observer_->on_length(feed_.length());
  for (auto [first, count] : fresh) {
    if (observer_)
      observer_->on_blocks(first, count);
    announce(ctx, peer, false, first, count);
  }
  if (grew)
    announce(ctx, peer, true, 0, 0);
  check_done();
  schedule(ctx);
}

/// An answer came: the remote is slow, not silent. Its other requests waited behind this one
/// in its uplink, so each gets a whole timeout again from now, and its count of timeouts starts
/// over. With a fixed timeout per request, a peer whose uplink needs longer than
/// request_timeout for the answers in flight was dropped after three of them, again and again,
/// and readers behind slow links never caught up (found by `dynfeed sim campaign`, seed 37).
void feed_service::on_progress(context& ctx, remote& r) {
  r.timeouts = 0;
  for (outstanding& o : r.requests) {
    ctx.cancel_timer(o.timer);
    o.timer = ctx.start_timer(config_.request_timeout, o.id);
  }
}

void feed_service::on_no_data(context& ctx, component_id, remote& r, const msg::no_data& m) {
  const outstanding* o = r.request(m.id);
  if (!o)
    return;
  if (o->check != check_kind::none)
    r.checking = false;
  // It does not hold what it announced (or no longer): stop asking it for those blocks.
  if (o->count > 0 && m.reason == static_cast<uint16_t>(msg::no_data_reason::not_held))
    r.have.drop(o->first, o->count);
  if (o->upgrade)
    r.length = feed_.length();
  settle(ctx, r, m.id, false);
  schedule(ctx);
}

void feed_service::on_timer(context& ctx, uint64_t tag) {
  if (tag == quiet_check_tag) {
    on_quiet_check(ctx);
    return;
  }
  auto owner = request_owner_.find(tag);
  if (owner == request_owner_.end())
    return;
  component_id peer = owner->second;
  remote& r = *remotes_.find(peer);
  ++stats_.timeouts;
  ctx.send(peer, msg::encode(msg::wire_message{msg::cancel{r.channel, tag}}));
  if (const outstanding* o = r.request(tag); o && o->check != check_kind::none)
    r.checking = false;
  settle(ctx, r, tag, true);
  if (++r.timeouts >= config_.timeouts_max) {
    punish(ctx, peer, disconnect_reason::timeout,
           error{feed_errc::invalid_request, "too many timed-out requests"});
    return;
  }
  schedule(ctx);
}

void feed_service::punish(context& ctx, component_id peer, disconnect_reason why,
                          const error& err) {
  ++stats_.rejected_proofs;
  if (observer_)
    observer_->on_rejected(peer, err);
  msg::punish p{static_cast<uint16_t>(why), err.to_string(), {}};
  ctx.send(peer, msg::encode(msg::local_message{p}));
  on_channel_down(ctx, peer);
}

void feed_service::announce(context& ctx, std::optional<component_id> except, bool length,
                            uint64_t first, uint64_t count) {
  length = length && mode_ == feed_mode::stable; // rotating modes announce through values
  for (auto [peer, r] : remotes_) {
    if (except && peer == *except && !length)
      continue;
    if (length) {
      ctx.send(peer, msg::encode(msg::wire_message{our_sync(r.channel)}));
      ++stats_.syncs_sent;
    }
    if (count > 0 && !(except && peer == *except))
      ctx.send(peer, msg::encode(msg::wire_message{msg::range{r.channel, first, count, false}}));
  }
}

uint64_t feed_service::send_request(context& ctx, component_id peer, remote& r, proof_request body,
                                    outstanding o, std::optional<uint64_t> fork) {
  uint64_t id = next_request_id_++;
  body.fork = fork.value_or(feed_.fork());
  o.timer = ctx.start_timer(config_.request_timeout, id);
  if (o.count > 0)
    inflight_.set_range(o.first, o.first + o.count, true);
  if (o.upgrade)
    upgrade_inflight_ = true;
  o.id = id;
  r.requests.push_back(o);
  request_owner_[id] = peer;
  ++stats_.requests_sent;
  ctx.send(peer, msg::encode(msg::wire_message{msg::request{r.channel, id, body}}));
  return id;
}

uint64_t feed_service::chunk_at(uint64_t first, uint64_t limit, const remote& r) const {
  uint64_t bytes_per_block =
    feed_.length() > 0 ? std::max<uint64_t>(1, feed_.byte_length() / feed_.length()) : 1;
  uint64_t count = std::min(config_.chunk_blocks_max,
                            std::max<uint64_t>(1, config_.chunk_bytes_target / bytes_per_block));
  uint64_t pow2 = 1;
  while (pow2 * 2 <= count)
    pow2 *= 2;
  for (count = pow2; count > 1; count /= 2) {
    if (first % count != 0 || first + count > limit)
      continue;
    if (!flat::exists(*chunk_root(first, count), limit))
      continue;
    if (feed_.have().count(first, first + count) == 0 && inflight_.count(first, first + count) == 0
        && r.have.has_all(first, count))
      return count;
  }
  return 1;
}

bool feed_service::request_upgrade(context& ctx) {
  // Stable: to the longest length any peer announced. Rotating: to the announced length, from
  // a peer that has it. Rotating-roots: never (the announcement carried the tree).
  if (mode_ == feed_mode::rotating_roots || (mode_ == feed_mode::rotating && !target_))
    return false;
  // Nobody has told of a longer tree than ours (or of the announced one): nothing to ask.
  if (remote_length_max_ <= feed_.length() ||
      (mode_ == feed_mode::rotating && remote_length_max_ < target_->length))
    return false;
  component_id best = no_component;
  uint64_t best_length = feed_.length();
  for (auto [peer, r] : remotes_) {
    if (!usable(r) || r.requests.size() >= config_.requests_in_flight_max)
      continue;
    if (mode_ == feed_mode::rotating) {
      if (r.length >= target_->length && best == no_component) {
        best = peer;
        best_length = target_->length;
      }
    } else if (r.length > best_length) {
      best = peer;
      best_length = r.length;
    }
  }
  if (best == no_component)
    return false;
  remote& r = *remotes_.find(best);
  proof_request body;
  body.upgrade = upgrade_request{feed_.length(), best_length - feed_.length()};
  outstanding o;
  o.upgrade = true;
  // Carry the first wanted new chunk along, saving a round trip when following live.
  uint64_t first = std::max(feed_.length(), want_start_);
  uint64_t limit = want_end_ ? std::min(*want_end_, best_length) : best_length;
  if (first < limit && first >= feed_.length() && !inflight_.get(first) && r.have.has(first)) {
    uint64_t count = chunk_at(first, limit, r);
    body.block = block_request{first, 0, count};
    o.first = first;
    o.count = count;
  }
  send_request(ctx, best, r, body, o);
  return true;
}

bool feed_service::request_blocks(context& ctx, component_id peer, remote& r) {
  uint64_t limit = want_end_ ? std::min(*want_end_, feed_.length()) : feed_.length();
  for (uint64_t pos = want_start_; pos < limit;) {
    auto missing = feed_.have().find(pos, limit, false);
    if (!missing)
      return false;
    uint64_t first = *missing;
    if (inflight_.get(first) || !r.have.has(first)) {
      pos = first + 1;
      continue;
    }
    uint64_t count = chunk_at(first, limit, r);
    auto nodes = feed_.missing_nodes(first, count);
    if (!nodes)
      return false;
    proof_request body;
    body.block = block_request{first, *nodes, count};
    outstanding o;
    o.first = first;
    o.count = count;
    send_request(ctx, peer, r, body, o);
    return true;
  }
  return false;
}

void feed_service::compare_trees(context& ctx) {
  if (!config_.compare_trees || feed_.writable() || feed_.length() == 0 || equivocation_)
    return;
  for (auto [peer, r] : remotes_) {
    if (r.compared || r.checking || r.fork != feed_.fork() || r.length == 0
        || feed_.have().count() < r.compare_after)
      continue;
    r.compared = true;
    check_tree(ctx, peer, r, check_kind::compare);
  }
}

void feed_service::schedule(context& ctx) {
  compare_trees(ctx);
  if (!want_ || done_ || equivocation_)
    return;
  bool wants_more = live_ || !want_end_ || *want_end_ > feed_.length() || target_.has_value();
  if (wants_more && !upgrade_inflight_)
    request_upgrade(ctx);
  uint64_t limit = want_end_ ? std::min(*want_end_, feed_.length()) : feed_.length();
  if (!feed_.have().find(want_start_, limit, false))
    return; // every block wanted is held: no peer needs to be asked
  for (auto [peer, r] : remotes_)
    while (usable(r) && r.requests.size() < config_.requests_in_flight_max
           && request_blocks(ctx, peer, r)) {
    }
}

} // namespace dynfeed

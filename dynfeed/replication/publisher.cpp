#include "dynfeed/replication/publisher.hpp"

#include "dynfeed/base/hex.hpp"
#include "dynfeed/messages/codec.hpp"

#include <algorithm>

namespace dynfeed {

using msg::disconnect_reason;

namespace {

/// Refusals that show the sender forged or corrupted something; the others (a stale or
/// replayed value, one the local rule rejects) happen between honest peers too.
bool is_forgery(const error& err) {
  return err.is(value_errc::bad_signature) || err.is(value_errc::not_enough_signatures)
         || err.is(value_errc::unknown_signer) || err.is(value_errc::duplicate_signer)
         || err.is(value_errc::value_too_large) || err.is(value_errc::salt_too_large)
         || err.is(value_errc::malformed);
}

/// Adds `id` to a sorted vector used as a set, unless it is there.
void insert_sorted(std::vector<component_id>& set, component_id id) {
  auto it = std::lower_bound(set.begin(), set.end(), id);
  if (it == set.end() || *it != id)
    set.insert(it, id);
}

} // namespace

publisher::publisher(value_feed_def def, std::optional<std::pair<uint32_t, secret_key>> signer,
                     value_store* store, publisher_config config, publisher_observer* observer)
  : def_(std::move(def)), id_(def_.id()), signer_(signer ? std::make_unique<const std::pair<uint32_t, secret_key>>(std::move(*signer))
                  : nullptr),
    store_(store),
    config_(std::move(config)), observer_(observer) {}

void publisher::on_start(context& ctx) {
  if (!store_)
    return;
  auto record = store_->load_value(id_);
  if (!record) {
    ctx.log("cannot load value feed " + to_hex(id_).substr(0, 16) + ": "
            + record.error().to_string());
    return;
  }
  if (*record)
    state_ = (*record)->state;
}

status publisher::persist() {
  if (!store_)
    return {};
  return store_->store_value(id_, value_record{def_, state_});
}

expected<uint64_t> publisher::put(context& ctx, bytes value, std::optional<uint64_t> cas,
                                  std::optional<uint64_t> seq_wanted) {
  if (!signer_)
    return error{value_errc::bad_signature, "this node holds no key of the value feed"};
  uint64_t seq = seq_wanted.value_or(state_.current ? state_.current->seq + 1 : 1);
  signed_value v;
  v.seq = seq;
  v.value = std::move(value);
  v.sigs.push_back(sign_value(def_, signer_->first, seq, v.value, signer_->second));
  put_options options;
  options.cas = cas;
  if (auto st = decide(ctx, v, options, std::nullopt); !st)
    return std::move(st).error();
  return seq;
}

status publisher::offer(context& ctx, const signed_value& value, const put_options& options) {
  return decide(ctx, value, options, std::nullopt);
}

status publisher::decide(context& ctx, const signed_value& value, const put_options& options,
                         std::optional<component_id> from, const status* verdict,
                         bool* deferred) {
  bool ask_later = false;
  validate_fn rule = config_.validate;
  if (verdict) {
    rule = [&](const value_feed_def& def, const signed_value& incoming,
               const std::optional<signed_value>& previous) -> status {
      if (config_.validate)
        if (auto st = config_.validate(def, incoming, previous); !st)
          return st;
      return *verdict;
    };
  } else if (config_.validate_async && from) {
    rule = [&](const value_feed_def& def, const signed_value& incoming,
               const std::optional<signed_value>& previous) -> status {
      if (config_.validate)
        if (auto st = config_.validate(def, incoming, previous); !st)
          return st;
      ask_later = true; // passed everything else: now the user decides
      return {};
    };
  }
  value_decision d = accept_value(def_, state_, value, config_.limits, options, rule);
  if (ask_later && !d.err) {
    for (const auto& [token, w] : waiting_)
      if (w.value == value) {
        *deferred = true; // already asked
        return {};
      }
    if (waiting_.size() >= config_.validations_waiting_max) {
      ++stats_.validations_dropped;
      error err{value_errc::rejected, "too many values wait for validation"};
      ++stats_.rejected[err.code()];
      ++state_.rejected;
      ++state_.rejected_by[err.code()];
      return err;
    }
    uint64_t token = next_token_++;
    waiting_[token] = waiting{value, *from};
    *deferred = true;
    if (observer_)
      observer_->on_validate(token, value, state_.current);
    return {};
  }
  if (d.store) {
    value_state before = state_;
    state_ = d.next;
    if (auto st = persist(); !st) {
      state_ = before; // memory changes only after the store did
      return st;
    }
  } else {
    state_.rejected = d.next.rejected; // counters ride along with the next write
    state_.rejected_by = d.next.rejected_by;
  }
  if (d.err) {
    ++stats_.rejected[d.err.code()];
    if (d.err.is(value_errc::equivocation) && observer_ && state_.equivocation)
      observer_->on_equivocation(state_.equivocation->first, state_.equivocation->second);
    return d.err;
  }
  ++stats_.accepted;
  if (observer_)
    observer_->on_value(*state_.current);
  notify(ctx, from.value_or(no_component));
  // Push to every peer but the one it came from.
  for (auto [peer, channel] : peers_)
    if (!from || peer != *from) {
      ++stats_.relayed;
      send_current(ctx, peer);
    }
  return {};
}

void publisher::validated(context& ctx, uint64_t token, status verdict) {
  auto it = waiting_.find(token);
  if (it == waiting_.end())
    return;
  waiting w = std::move(it->second);
  waiting_.erase(it);
  status st = decide(ctx, w.value, {}, w.from, &verdict);
  if (!st && peers_.contains(w.from))
    answer_refusal(ctx, w.from, st.error());
}

void publisher::send_current(context& ctx, component_id peer) {
  const uint32_t* channel = peers_.find(peer);
  if (!channel || !state_.current)
    return;
  msg::value_push push{*channel, *state_.current};
  ctx.send(peer, msg::encode(msg::wire_message{push}));
  ++stats_.pushes_sent;
}

void publisher::notify(context& ctx, component_id from) {
  if (!state_.current)
    return;
  if (!subscribers_.empty()) {
    msg::value_update u{state_.current->seq, state_.current->value};
    bytes frame = msg::encode(msg::local_message{u});
    for (component_id who : subscribers_)
      ctx.send(who, frame);
  }
  if (!signed_subscribers_.empty()) {
    bytes frame = msg::encode(msg::local_message{msg::signed_update{from, *state_.current}});
    for (component_id who : signed_subscribers_)
      ctx.send(who, frame);
  }
}

void publisher::on_push(context& ctx, component_id peer, const signed_value& value) {
  bool deferred = false;
  status st = decide(ctx, value, {}, peer, nullptr, &deferred);
  if (!st)
    answer_refusal(ctx, peer, st.error());
}

void publisher::answer_refusal(context& ctx, component_id peer, const error& err) {
  if (err.is(value_errc::stale_seq)) {
    send_current(ctx, peer); // it is behind: give it ours
  } else if (is_forgery(err)) {
    if (observer_)
      observer_->on_rejected(peer, err);
    msg::punish p{static_cast<uint16_t>(disconnect_reason::invalid_proof), err.to_string(), {}};
    ctx.send(peer, msg::encode(msg::local_message{p}));
    peers_.erase(peer);
  } else if (observer_) {
    observer_->on_rejected(peer, err); // replayed, rejected by the local rule, equivocation
  }
}

void publisher::on_message(context& ctx, component_id from, byte_span frame) {
  auto decoded = msg::decode(frame);
  if (!decoded) {
    // A remote's frame forwarded by its peer, and it does not decode.
    msg::punish p{static_cast<uint16_t>(disconnect_reason::malformed_frame),
                  decoded.error().to_string(), {}};
    ctx.send(from, msg::encode(msg::local_message{p}));
    return;
  }
  if (auto* wire = std::get_if<msg::wire_message>(&*decoded)) {
    if (auto* push = std::get_if<msg::value_push>(wire); push && peers_.contains(from))
      on_push(ctx, from, push->value);
    return;
  }
  auto& local = std::get<msg::local_message>(*decoded);
  if (auto* offer = std::get_if<msg::offer_peer>(&local)) {
    msg::attach a{public_key::from(id_.span()), def_.topic()};
    ctx.send(offer->peer, msg::encode(msg::local_message{a}));
  } else if (auto* up = std::get_if<msg::channel_up>(&local)) {
    peers_[from] = up->channel;
    send_current(ctx, from); // a newly connected peer gets the latest value at once
  } else if (std::holds_alternative<msg::channel_down>(local)) {
    peers_.erase(from);
  } else if (auto* p = std::get_if<msg::publish_value>(&local)) {
    std::optional<uint64_t> seq_wanted;
    if (p->seq_given || p->seq != 0)
      seq_wanted = p->seq;
    auto seq = put(ctx, p->value, std::nullopt, seq_wanted);
    if (!seq)
      ctx.log("cannot publish: " + seq.error().to_string());
  } else if (auto* o = std::get_if<msg::offer_value>(&local)) {
    // A value a peer pushed on another component's channel (the relay ID channel): the same
    // rules as a push from our own peers, and a forgery ends that peer's connection the same.
    bool deferred = false;
    status st = decide(ctx, o->value, {}, o->peer, nullptr, &deferred);
    if (!st)
      answer_refusal(ctx, o->peer, st.error());
  } else if (std::holds_alternative<msg::subscribe_signed>(local)) {
    insert_sorted(signed_subscribers_, from);
    if (state_.current)
      ctx.send(from, msg::encode(msg::local_message{msg::signed_update{no_component, *state_.current}}));
  } else if (std::holds_alternative<msg::subscribe_values>(local)) {
    insert_sorted(subscribers_, from);
    if (state_.current) {
      msg::value_update u{state_.current->seq, state_.current->value};
      ctx.send(from, msg::encode(msg::local_message{u}));
    }
  }
}

} // namespace dynfeed

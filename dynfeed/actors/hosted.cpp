#include "dynfeed/actors/hosted.hpp"

#include "dynfeed/core/equivocation_file.hpp"
#include "dynfeed/errors.hpp"
#include "dynfeed/messages/codec.hpp"

#include <caf/all.hpp>

namespace dynfeed {

feed_info hosted_feed::info() const {
  const feed& f = dir_->feed();
  feed_info out;
  out.key = f.key();
  out.discovery_key = swarm_topic::from(f.discovery_key().span());
  out.id = f.id();
  out.length = f.length();
  out.byte_length = f.byte_length();
  out.fork = f.fork();
  out.held = f.have().count();
  out.peers = service_.peer_count();
  out.writable = f.writable();
  return out;
}

template <class... Ts>
void hosted_feed::notify(Ts&&... xs) {
  for (const caf::actor& who : subscribers_)
    self_->send(who, xs...);
}

void hosted_feed::on_length(uint64_t length) {
  notify(atoms::length::value, length);
}

void hosted_feed::on_blocks(uint64_t first, uint64_t count) {
  notify(atoms::blocks::value, first, count);
}

void hosted_feed::on_download_done() {
  notify(atoms::done::value);
}

void hosted_feed::on_equivocation(const equivocation_proof& proof) {
  notify(atoms::equivocation::value, encode_equivocation(proof));
}

void hosted_feed::on_store_failed(const error& why) {
  notify(atoms::store_failed::value, why.to_string());
}

void hosted_feed::on_peer(component_id, bool) {
  notify(atoms::peers::value, static_cast<uint64_t>(service_.peer_count()));
}

void memory_network::add(const std::string& name, caf::actor node) {
  std::lock_guard<std::mutex> lock(mutex_);
  nodes_[name] = std::move(node);
}

caf::actor memory_network::find(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = nodes_.find(name);
  return it == nodes_.end() ? caf::actor{} : it->second;
}

template <class... Ts>
void actor_connection::deliver(Ts&&... xs) {
  if (latency_ > caf::timespan{0})
    caf::delayed_anon_send(target_, latency_, std::forward<Ts>(xs)...);
  else
    caf::anon_send(target_, std::forward<Ts>(xs)...);
}

void actor_connection::send_frame(bytes frame) {
  if (kind_ == target_kind::transport)
    deliver(atoms::transmit::value, std::move(frame));
  else
    deliver(atoms::remote::value, std::move(frame));
}

void actor_connection::send_close(uint16_t code) {
  if (kind_ == target_kind::transport)
    deliver(atoms::close::value, code);
  else
    deliver(atoms::disconnected::value, code);
}

void actor_connection::bind(component_actor_type* owner) {
  owner_ = owner;
  owner->set_down_handler([owner, latency = latency_](const caf::down_msg&) {
    // Only the far end is watched. A close it sent first ended the peer already; on a link
    // with a latency, the notice takes it too, behind the frames and the close still on the way.
    auto code = static_cast<uint16_t>(msg::disconnect_reason::transport_error);
    if (latency > caf::timespan{0})
      owner->delayed_send(owner, latency, atoms::disconnected::value, code);
    else
      owner->send(owner, atoms::disconnected::value, code);
  });
  if (target_)
    owner->monitor(target_);
}

void actor_connection::set_target(caf::actor target) {
  target_ = std::move(target);
  if (owner_ && target_)
    owner_->monitor(target_);
  for (bytes& frame : waiting_.take())
    send_frame(std::move(frame));
  if (close_waiting_)
    send_close(*close_waiting_);
}

void actor_connection::transmit(bytes frame) {
  if (closed_)
    return;
  if (target_) {
    send_frame(std::move(frame));
    return;
  }
  if (!waiting_.push(std::move(frame)))
    overflow();
}

void actor_connection::overflow() {
  auto code = static_cast<uint16_t>(msg::disconnect_reason::setup_backlog);
  closed_ = true;
  close_waiting_ = code;
  // The peer is in the middle of a handler (it called transmit): it hears it as a message.
  if (owner_)
    owner_->send(owner_, atoms::disconnected::value, code);
}

void actor_connection::close(msg::disconnect_reason why) {
  if (closed_)
    return;
  closed_ = true;
  auto code = static_cast<uint16_t>(why);
  if (!target_)
    close_waiting_ = code;
  else
    send_close(code);
}

caf::message_handler feed_behavior(component_actor_type* self) {
  auto& hosted = static_cast<hosted_feed&>(*self->state.comp);
  hosted.bind(self);
  return {
    [self](atoms::append, const std::vector<bytes>& blocks) -> caf::result<uint64_t> {
      auto& h = static_cast<hosted_feed&>(*self->state.comp);
      auto length = h.service().append(*self->state.ctx,
                                       std::vector<byte_span>(blocks.begin(), blocks.end()));
      if (!length)
        return to_caf_error(length.error());
      return *length;
    },
    [self](atoms::truncate, uint64_t length) -> caf::result<uint64_t> {
      auto& h = static_cast<hosted_feed&>(*self->state.comp);
      auto fork = h.service().truncate(*self->state.ctx, length);
      if (!fork)
        return to_caf_error(fork.error());
      return *fork;
    },
    [self](atoms::get, uint64_t index) -> caf::result<bytes> {
      auto& h = static_cast<hosted_feed&>(*self->state.comp);
      auto value = h.service().data().get(index);
      if (!value)
        return to_caf_error(value.error());
      return std::move(*value);
    },
    [self](atoms::info) -> feed_info {
      return static_cast<hosted_feed&>(*self->state.comp).info();
    },
    [self](atoms::download, uint64_t start, uint64_t end, bool live) {
      auto& h = static_cast<hosted_feed&>(*self->state.comp);
      std::optional<uint64_t> until;
      if (end != download_to_end)
        until = end;
      h.service().download(*self->state.ctx, start, until, live);
    },
    [self](atoms::subscribe, caf::actor who) {
      static_cast<hosted_feed&>(*self->state.comp).subscribe(std::move(who));
    },
  };
}

caf::message_handler peer_behavior(component_actor_type* self) {
  static_cast<hosted_peer&>(*self->state.comp).conn().bind(self);
  return {
    // An in-process link learns its far end once the other node has spawned it.
    [self](atoms::connected, caf::actor target) {
      static_cast<hosted_peer&>(*self->state.comp).conn().set_target(std::move(target));
    },
  };
}

publisher_config hosted_publisher::config_of(const value_feed_spec& rules) {
  publisher_config pc;
  pc.limits = rules.limits;
  pc.validate = rules.validate;
  pc.validate_async = static_cast<bool>(rules.validator);
  return pc;
}

void hosted_publisher::set_rules(const value_feed_spec& rules) {
  publisher_.set_config(config_of(rules));
  validator_ = rules.validator;
  validator_timeout_ = rules.validator_timeout;
}

value_feed_info hosted_publisher::info() const {
  value_feed_info i;
  i.id = publisher_.definition().id();
  i.topic = swarm_topic::from(publisher_.definition().topic().span());
  const value_state& st = publisher_.state();
  if (st.current) {
    i.seq = st.current->seq;
    i.value = st.current->value;
  }
  i.peers = publisher_.peer_count();
  i.accepted = publisher_.stats().accepted;
  i.relayed = publisher_.stats().relayed;
  i.rejected = st.rejected;
  for (size_t code = 1; code < st.rejected_by.size(); ++code)
    if (st.rejected_by[code] != 0)
      i.rejected_by[static_cast<uint8_t>(code)] = st.rejected_by[code];
  i.equivocation = st.equivocation.has_value();
  i.writable = publisher_.writable();
  return i;
}

void hosted_publisher::subscribe(caf::actor who) {
  if (const auto& current = publisher_.state().current)
    self_->send(who, atoms::value::value, current->seq, current->value);
  subscribers_.insert(std::move(who));
}

void hosted_publisher::on_value(const signed_value& value) {
  for (const caf::actor& who : subscribers_)
    self_->send(who, atoms::value::value, value.seq, value.value);
}

void hosted_publisher::on_equivocation(const signed_value& held, const signed_value& other) {
  for (const caf::actor& who : subscribers_)
    self_->send(who, atoms::equivocation::value, held, other);
}

void hosted_publisher::on_validate(uint64_t token, const signed_value& incoming,
                                   const std::optional<signed_value>& held) {
  auto* self = self_;
  auto decide = [self, token](status verdict) {
    auto& h = static_cast<hosted_publisher&>(*self->state.comp);
    h.publisher_.validated(*self->state.ctx, token, std::move(verdict));
  };
  if (!validator_) {
    decide(error{value_errc::rejected, "no validator"});
    return;
  }
  self
    ->request(validator_, validator_timeout_, atoms::validate::value, incoming.seq,
              incoming.value, held ? held->seq : uint64_t{0}, held ? held->value : bytes{})
    .then(
      [decide](bool accept) {
        decide(accept ? status{} : status{error{value_errc::rejected, "the validator refused it"}});
      },
      [decide](caf::error& e) {
        decide(error{value_errc::rejected, "the validator failed: " + caf::to_string(e)});
      });
}

caf::message_handler publisher_behavior(component_actor_type* self) {
  static_cast<hosted_publisher&>(*self->state.comp).bind(self);
  auto hosted = [self]() -> hosted_publisher& {
    return static_cast<hosted_publisher&>(*self->state.comp);
  };
  return {
    [self, hosted](atoms::put_value, bytes& value) -> caf::result<uint64_t> {
      auto seq = hosted().get().put(*self->state.ctx, std::move(value));
      if (!seq)
        return to_caf_error(seq.error());
      return *seq;
    },
    [self, hosted](atoms::offer_value, const signed_value& value) -> caf::result<uint64_t> {
      if (auto st = hosted().get().offer(*self->state.ctx, value); !st)
        return to_caf_error(st.error());
      return value.seq;
    },
    [hosted](atoms::get_value) -> caf::result<uint64_t, bytes> {
      const auto& current = hosted().get().state().current;
      if (!current)
        return {uint64_t{0}, bytes{}};
      return {current->seq, current->value};
    },
    [hosted](atoms::info) { return hosted().info(); },
    [hosted](atoms::subscribe, caf::actor who) { hosted().subscribe(std::move(who)); },
    [hosted](atoms::set_rules, const value_feed_spec& rules) { hosted().set_rules(rules); },
  };
}

} // namespace dynfeed

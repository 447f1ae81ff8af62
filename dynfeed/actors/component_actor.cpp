#include "dynfeed/actors/component_actor.hpp"

#include "dynfeed/component/connection.hpp"
#include "dynfeed/component/datagram.hpp"

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>

namespace dynfeed {

actor_context::actor_context(caf::event_based_actor* self,
                             std::shared_ptr<actor_directory> directory, component_id id)
  : self_(self), directory_(std::move(directory)), id_(id), random_(directory_->seed_for(id)) {}

void actor_context::send(component_id to, bytes frame) {
  if (caf::actor target = directory_->find(to))
    self_->send(target, atoms::frame::value, id_, std::move(frame));
  // A component that is gone drops frames, as a closed connection would.
}

clock_time actor_context::now() const {
  return std::chrono::duration_cast<clock_time>(self_->clock().now().time_since_epoch());
}

void actor_context::log(const std::string& line) {
  directory_->log(line);
}

timer_id actor_context::start_timer(clock_time delay, uint64_t tag) {
  timer_id id = next_timer_++;
  active_timers_.insert(id);
  self_->delayed_send(self_, delay, atoms::timer::value, id, tag);
  return id;
}

std::optional<uint64_t> actor_context::take_timer(timer_id id, uint64_t tag) {
  if (active_timers_.erase(id) == 0)
    return std::nullopt;
  return tag;
}

namespace {

/// Runs one message's handling `fn` if the context admits it, then ends the actor if the
/// component is done. The message's frame, if any, may be taken (context::take_frame).
template <class Fn>
void handle(component_actor_type* self, hosted_event event, Fn&& fn, bytes* frame = nullptr) {
  auto& st = self->state;
  if (!st.ctx->admit(event))
    return;
  st.ctx->set_current(frame);
  fn(*st.comp, *st.ctx);
  st.ctx->set_current(nullptr);
  if (!st.ctx->settle(*st.comp))
    self->quit();
}

caf::message_handler core_handlers(component_actor_type* self) {
  return {
    [self](atoms::start) {
      handle(self, hosted_event::start, [](component& c, context& ctx) { c.on_start(ctx); });
    },
    // Mutable frames: a message that only this actor holds gives up its buffer, uncopied.
    [self](atoms::frame, component_id from, bytes& frame) {
      handle(
        self, hosted_event::frame,
        [&](component& c, context& ctx) { c.on_message(ctx, from, frame); }, &frame);
    },
    [self](atoms::timer, timer_id timer, uint64_t tag) {
      handle(self, hosted_event::timer, [&](component& c, context& ctx) {
        if (auto wanted = self->state.ctx->take_timer(timer, tag))
          c.on_timer(ctx, *wanted);
      });
    },
    [self](atoms::remote, bytes& frame) {
      handle(
        self, hosted_event::remote,
        [&](component& c, context& ctx) {
          if (auto* peer = dynamic_cast<connected_component*>(&c))
            peer->on_remote(ctx, frame);
        },
        &frame);
    },
    [self](atoms::disconnected, uint16_t reason) {
      handle(self, hosted_event::disconnect, [&](component& c, context& ctx) {
        auto why = static_cast<msg::disconnect_reason>(reason);
        if (auto* peer = dynamic_cast<connected_component*>(&c)) {
          self->state.ctx->disconnected(why);
          peer->on_disconnect(ctx, why);
        }
      });
    },
    [self](atoms::datagram, uint32_t ip, uint16_t port, bytes& datagram) {
      handle(
        self, hosted_event::datagram,
        [&](component& c, context& ctx) {
          if (auto* owner = dynamic_cast<datagram_component*>(&c))
            owner->on_datagram(ctx, endpoint{ip, port}, datagram);
        },
        &datagram);
    },
  };
}

caf::behavior host(component_actor_type* self, hosted_component comp,
                   context_factory make_context, behavior_extension extension) {
  auto& st = self->state;
  st.owned = std::move(comp.owned);
  st.comp = st.owned ? st.owned.get() : comp.borrowed;
  st.ctx = make_context(self);
  self->attach_functor([ctx = st.ctx] { ctx->ended(); });
  self->set_exit_handler([self](const caf::exit_msg& msg) {
    // As CAF's default: a linked actor that ended normally is no reason to stop.
    if (msg.reason == caf::exit_reason::normal)
      return;
    auto& s = self->state;
    if (s.ctx->admit(hosted_event::stop))
      s.comp->on_stop(*s.ctx);
    self->quit(msg.reason);
  });
  caf::message_handler core = core_handlers(self);
  if (extension)
    return caf::behavior{extension(self).or_else(core)};
  return caf::behavior{core};
}

} // namespace

caf::actor spawn_hosted(caf::actor_system& sys, hosted_component comp, context_factory make_context,
                        behavior_extension extension) {
  return sys.spawn<caf::lazy_init>(host, std::move(comp), std::move(make_context),
                                   std::move(extension));
}

component_id spawn_component(caf::actor_system& sys,
                             const std::shared_ptr<actor_directory>& directory,
                             std::unique_ptr<component> comp, behavior_extension extension,
                             caf::actor* handle) {
  component_id id = directory->next_id();
  auto make_context = [directory, id](component_actor_type* self) {
    return std::make_unique<actor_context>(self, directory, id);
  };
  // Registered before its first turn, so that no reply to the component can arrive before
  // others can find it.
  caf::actor a = spawn_hosted(sys, hosted_component{std::move(comp), nullptr},
                              std::move(make_context), std::move(extension));
  directory->add(id, a);
  if (handle)
    *handle = a;
  caf::anon_send(a, atoms::start::value);
  return id;
}

} // namespace dynfeed

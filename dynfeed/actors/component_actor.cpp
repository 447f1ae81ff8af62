#include "dynfeed/actors/component_actor.hpp"

#include "dynfeed/component/connection.hpp"

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

namespace {

void stop_if_done(component_actor_type* self) {
  if (!self->state.comp->alive())
    self->quit();
}

caf::behavior host(component_actor_type* self, std::unique_ptr<component> comp,
                   std::shared_ptr<actor_directory> directory, component_id id,
                   behavior_extension extension) {
  self->state.comp = std::move(comp);
  self->state.ctx = std::make_unique<actor_context>(self, directory, id);
  self->attach_functor([directory, id] { directory->remove(id); });
  self->set_exit_handler([self](const caf::exit_msg& msg) {
    // As CAF's default: a linked actor that ended normally is no reason to stop.
    if (msg.reason == caf::exit_reason::normal)
      return;
    self->state.comp->on_stop(*self->state.ctx);
    self->quit(msg.reason);
  });
  self->state.comp->on_start(*self->state.ctx);
  caf::message_handler core{
    [](atoms::start) {
      // The first message: on_start above ran in this turn.
    },
    [self](atoms::frame, component_id from, const bytes& frame) {
      self->state.comp->on_message(*self->state.ctx, from, frame);
      stop_if_done(self);
    },
    [self](atoms::timer, timer_id timer, uint64_t tag) {
      if (self->state.ctx->take_timer(timer))
        self->state.comp->on_timer(*self->state.ctx, tag);
      stop_if_done(self);
    },
    [self](atoms::remote, const bytes& frame) {
      auto* peer = dynamic_cast<connected_component*>(self->state.comp.get());
      if (peer)
        peer->on_remote(*self->state.ctx, frame);
      stop_if_done(self);
    },
    [self](atoms::disconnected, uint16_t reason) {
      auto* peer = dynamic_cast<connected_component*>(self->state.comp.get());
      if (peer)
        peer->on_disconnect(*self->state.ctx, static_cast<msg::disconnect_reason>(reason));
      stop_if_done(self);
    },
  };
  if (extension)
    return caf::behavior{extension(self).or_else(core)};
  return caf::behavior{core};
}

} // namespace

component_id spawn_component(caf::actor_system& sys,
                             const std::shared_ptr<actor_directory>& directory,
                             std::unique_ptr<component> comp, behavior_extension extension,
                             caf::actor* handle) {
  component_id id = directory->next_id();
  // Spawned lazily and registered before its first turn, so that no reply to the component
  // can arrive before others can find it.
  caf::actor a = sys.spawn<caf::lazy_init>(host, std::move(comp), directory, id,
                                           std::move(extension));
  directory->add(id, a);
  if (handle)
    *handle = a;
  caf::anon_send(a, atoms::start::value);
  return id;
}

} // namespace dynfeed

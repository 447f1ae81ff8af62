#pragma once

/// Hosts one component in a CAF actor: frames and timers become actor messages, the context's
/// clock is the actor clock (virtual under CAF's test coordinator), and the component's random
/// stream is seeded from the node's seed and its id.

#include "dynfeed/actors/atoms.hpp"
#include "dynfeed/actors/directory.hpp"
#include "dynfeed/component/component.hpp"

#include <caf/behavior.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/message_handler.hpp>
#include <caf/stateful_actor.hpp>

#include <functional>
#include <memory>
#include <unordered_set>

namespace dynfeed {

class actor_context final : public context {
public:
  actor_context(caf::event_based_actor* self, std::shared_ptr<actor_directory> directory,
                component_id id);

  component_id self() const override { return id_; }
  void send(component_id to, bytes frame) override;
  clock_time now() const override;
  timer_id start_timer(clock_time delay, uint64_t tag) override;
  void cancel_timer(timer_id id) override { active_timers_.erase(id); }
  rng& random() override { return random_; }
  void log(const std::string& line) override;

  /// True (once) if timer `id` is still wanted when it fires.
  bool take_timer(timer_id id) { return active_timers_.erase(id) > 0; }

private:
  caf::event_based_actor* self_;
  std::shared_ptr<actor_directory> directory_; // shared: it must outlive every actor using it
  component_id id_;
  rng random_;
  timer_id next_timer_ = 1;
  std::unordered_set<timer_id> active_timers_;
};

struct component_state {
  static inline const char* name = "dynfeed.component";
  std::unique_ptr<component> comp;
  std::unique_ptr<actor_context> ctx;
};

using component_actor_type = caf::stateful_actor<component_state>;

/// Extra message handlers for a component's own API (a feed service's append, ...), given the
/// hosting actor; they run in the actor like everything else.
using behavior_extension = std::function<caf::message_handler(component_actor_type*)>;

/// Spawns `comp` in a new actor registered in `directory` under a fresh id; returns the id.
/// The component starts (on_start) in the actor's first turn.
component_id spawn_component(caf::actor_system& sys, const std::shared_ptr<actor_directory>& directory,
                             std::unique_ptr<component> comp,
                             behavior_extension extension = nullptr, caf::actor* handle = nullptr);

/// Runs `fn` with a component's context inside the hosting actor (for API handlers).
template <class Component, class Fn>
auto with_component(component_actor_type* self, Fn&& fn) {
  return fn(static_cast<Component&>(*self->state.comp), *self->state.ctx);
}

} // namespace dynfeed

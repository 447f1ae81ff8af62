#pragma once

/// Hosts one component in a CAF actor: frames, timers, remote frames, disconnects and datagrams
/// become actor messages, an exit message stops the component (on_stop), and the actor ends
/// when the component does. The same actor runs in the node and in the simulator's CAF driver;
/// only its context differs (hosted_context): the node's reaches other components through the
/// directory and reads CAF's clock, the simulator's goes through the runtime's timed queue.

#include "dynfeed/atoms.hpp"
#include "dynfeed/actors/directory.hpp"
#include "dynfeed/component/component.hpp"
#include "dynfeed/messages/messages.hpp"

#include <caf/behavior.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/message_handler.hpp>
#include <caf/stateful_actor.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <unordered_set>

namespace dynfeed {

/// What a hosting actor hands in each message: the seam between the actor and where it runs.
enum class hosted_event : uint8_t { start, frame, remote, timer, disconnect, datagram, stop };

/// A component's context as its hosting actor sees it: the context itself (where frames go, the
/// clock, timers, randomness) and what the actor asks around each message.
class hosted_context : public context {
public:
  /// Before the component handles `event`; false drops it (a simulated component that is gone).
  virtual bool admit(hosted_event /*event*/) { return true; }
  /// After each message: false once the component is to end (the actor then quits).
  virtual bool settle(const component& comp) { return comp.alive(); }
  /// The tag of timer `id` if it is still wanted (once); `tag` is the one the timer carried.
  virtual std::optional<uint64_t> take_timer(timer_id id, uint64_t tag) = 0;
  /// The component's connection ended with `why` (counted where the operator sees it).
  virtual void disconnected(msg::disconnect_reason /*why*/) {}
  /// The actor ended (the component stopped, or was killed with its host).
  virtual void ended() {}

  /// The frame of the message being handled gives up its buffer when `frame` is all of it.
  bytes take_frame(byte_span frame) override {
    if (current_ && current_->data() == frame.data() && current_->size() == frame.size())
      return std::move(*current_);
    return frame.to_bytes();
  }
  /// The buffer of the message being handled (nullptr between messages).
  void set_current(bytes* frame) noexcept { current_ = frame; }

private:
  bytes* current_ = nullptr;
};

/// The node's context: frames to other components through the node's directory, CAF's clock
/// (virtual under CAF's test coordinator) and CAF timers, a random stream seeded from the
/// node's seed and the component's id.
class actor_context final : public hosted_context {
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

  std::optional<uint64_t> take_timer(timer_id id, uint64_t tag) override;
  void disconnected(msg::disconnect_reason why) override { directory_->count_disconnect(why); }
  void ended() override { directory_->remove(id_); }

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
  std::unique_ptr<component> owned; ///< the component, unless its driver owns it (simulator)
  component* comp = nullptr;
  /// Shared with the actor's exit hook, which runs once the state is gone.
  std::shared_ptr<hosted_context> ctx;
};

using component_actor_type = caf::stateful_actor<component_state>;

/// Extra message handlers for a component's own API (a feed service's append, ...), given the
/// hosting actor; they run in the actor like everything else.
using behavior_extension = std::function<caf::message_handler(component_actor_type*)>;

/// Makes the context of a component hosted by the given actor.
using context_factory = std::function<std::unique_ptr<hosted_context>(component_actor_type*)>;

/// What a hosting actor runs: a component it owns (the node), or one its driver owns and keeps
/// alive for as long as the context admits messages (the simulator).
struct hosted_component {
  std::unique_ptr<component> owned;
  component* borrowed = nullptr;
};

/// Spawns the actor hosting `comp`, lazily: it starts (on_start) with its first message, which
/// must be (atoms::start).
caf::actor spawn_hosted(caf::actor_system& sys, hosted_component comp, context_factory make_context,
                        behavior_extension extension = nullptr);

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

#include "dynfeed/sim/caf_driver.hpp"

#include "dynfeed/actors/component_actor.hpp"
#include "dynfeed/base/assert.hpp"

#include <caf/all.hpp>
#include <caf/scheduler/test_coordinator.hpp>

#include <unordered_map>

namespace dynfeed::sim {
namespace {

caf::actor_system_config& testing_config(caf::actor_system_config& cfg) {
  cfg.set("scheduler.policy", caf::atom("testing"));
  cfg.set("logger.file-verbosity", caf::atom("quiet"));
  cfg.set("logger.console-verbosity", caf::atom("quiet"));
  return cfg;
}

runtime::kind kind_of(hosted_event event) {
  switch (event) {
    case hosted_event::start:
      return runtime::kind::start;
    case hosted_event::frame:
      return runtime::kind::frame;
    case hosted_event::remote:
      return runtime::kind::remote;
    case hosted_event::timer:
      return runtime::kind::timer;
    case hosted_event::disconnect:
      return runtime::kind::disconnect;
    case hosted_event::datagram:
      return runtime::kind::datagram;
    case hosted_event::stop:
      break;
  }
  return runtime::kind::stop;
}

/// The context the node's hosting actor gets in a simulation: the runtime's own context of
/// the component (frames, timers and randomness through the timed queue and the seed), and
/// the runtime's books around each message, so that both drivers count and remove alike.
class sim_actor_context final : public hosted_context {
public:
  /// `rt` names the runtime while the executor runs; it is cleared when the executor goes, so
  /// that actors ending with it call nothing.
  sim_actor_context(std::shared_ptr<runtime*> rt, component_id id) : rt_(std::move(rt)), id_(id) {}

  component_id self() const override { return id_; }
  void send(component_id to, bytes frame) override { inner().send(to, std::move(frame)); }
  clock_time now() const override { return rt().now(); }
  timer_id start_timer(clock_time delay, uint64_t tag) override {
    return inner().start_timer(delay, tag);
  }
  void cancel_timer(timer_id id) override { inner().cancel_timer(id); }
  rng& random() override { return inner().random(); }
  void log(const std::string& line) override { inner().log(line); }

  bool admit(hosted_event event) override { return *rt_ && rt().admit(id_, kind_of(event)); }
  bool settle(const component&) override { return rt().settle(id_); }
  std::optional<uint64_t> take_timer(timer_id id, uint64_t) override {
    return rt().take_timer(id_, id);
  }
  void ended() override {
    if (*rt_)
      rt().ended(id_);
  }

private:
  runtime& rt() const { return **rt_; }
  // Looked up at each use: only while the runtime admits a mail is the component there.
  context& inner() { return rt().context_of(id_); }

  std::shared_ptr<runtime*> rt_;
  component_id id_;
};

class caf_executor final : public executor {
public:
  caf_executor()
    : sys_(testing_config(cfg_)),
      sched_(dynamic_cast<caf::scheduler::test_coordinator&>(sys_.scheduler())) {}

  ~caf_executor() override {
    // The runtime is going: actors end without a word to it, and without on_stop.
    *rt_ = nullptr;
    for (auto& [id, actor] : actors_)
      caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
    actors_.clear();
    sched_.run();
    sys_.await_actors_before_shutdown(false);
  }

  void attach(runtime& rt) override { *rt_ = &rt; }

  void spawned(component_id id) override {
    // The node's own hosting actor, on a component the runtime owns: the runtime keeps it
    // until it removes it, and from then on refuses the actor every message (admit).
    auto make_context = [rt = rt_, id](component_actor_type*) {
      return std::make_unique<sim_actor_context>(rt, id);
    };
    actors_[id] = spawn_hosted(sys_, hosted_component{nullptr, (*rt_)->find(id)},
                               std::move(make_context));
  }

  void removed(component_id id) override {
    auto it = actors_.find(id);
    if (it == actors_.end())
      return;
    // Without on_stop: the runtime has removed the component already (a crash, or it ended).
    caf::anon_send_exit(it->second, caf::exit_reason::user_shutdown);
    actors_.erase(it);
  }

  void post(component_id id, runtime::mail m) override {
    auto it = actors_.find(id);
    DYNFEED_ASSERT(it != actors_.end());
    const caf::actor& a = it->second;
    switch (m.what) {
      case runtime::kind::start:
        caf::anon_send(a, atoms::start::value);
        break;
      case runtime::kind::frame:
        caf::anon_send(a, atoms::frame::value, m.from, std::move(m.frame));
        break;
      case runtime::kind::remote:
        caf::anon_send(a, atoms::remote::value, std::move(m.frame));
        break;
      case runtime::kind::timer:
        caf::anon_send(a, atoms::timer::value, timer_id{m.tag}, uint64_t{0});
        break;
      case runtime::kind::disconnect:
        caf::anon_send(a, atoms::disconnected::value, static_cast<uint16_t>(m.tag));
        break;
      case runtime::kind::datagram:
        caf::anon_send(a, atoms::datagram::value, static_cast<uint32_t>(m.tag >> 16),
                       static_cast<uint16_t>(m.tag & 0xffff), std::move(m.frame));
        break;
      case runtime::kind::stop:
        // As the node stops a component: an exit message, which runs on_stop.
        caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
        break;
      case runtime::kind::action:
        DYNFEED_ASSERT(false); // run by the runtime, never mailed
        break;
    }
  }

  void run() override { sched_.run(); }
  bool idle() const override { return sched_.jobs.empty(); }

private:
  caf::actor_system_config cfg_;
  caf::actor_system sys_;
  caf::scheduler::test_coordinator& sched_;
  std::shared_ptr<runtime*> rt_ = std::make_shared<runtime*>(nullptr);
  std::unordered_map<component_id, caf::actor> actors_;
};

} // namespace

std::unique_ptr<executor> make_caf_executor() {
  return std::make_unique<caf_executor>();
}

} // namespace dynfeed::sim

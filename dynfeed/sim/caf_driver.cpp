#include "dynfeed/sim/caf_driver.hpp"

#include "dynfeed/base/assert.hpp"

#include <caf/all.hpp>
#include <caf/scheduler/test_coordinator.hpp>

#include <unordered_map>

namespace dynfeed::sim {
namespace {

/// A component's mail as a CAF message (local only: never serialized).
struct posted {
  runtime::mail m;
};

} // namespace
} // namespace dynfeed::sim

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(dynfeed::sim::posted)

namespace dynfeed::sim {
namespace {

caf::actor_system_config& testing_config(caf::actor_system_config& cfg) {
  cfg.set("scheduler.policy", caf::atom("testing"));
  cfg.set("logger.file-verbosity", caf::atom("quiet"));
  cfg.set("logger.console-verbosity", caf::atom("quiet"));
  return cfg;
}

caf::behavior component_behavior(caf::event_based_actor* self, runtime* rt, component_id id) {
  return {[rt, id, self](posted& p) {
    if (!rt->dispatch(id, std::move(p.m)))
      self->quit();
  }};
}

class caf_executor final : public executor {
public:
  caf_executor()
    : sys_(testing_config(cfg_)),
      sched_(dynamic_cast<caf::scheduler::test_coordinator&>(sys_.scheduler())) {}

  ~caf_executor() override {
    for (auto& [id, actor] : actors_)
      caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
    actors_.clear();
    sched_.run();
    sys_.await_actors_before_shutdown(false);
  }

  void attach(runtime& rt) override { rt_ = &rt; }

  void spawned(component_id id) override {
    // The runtime and the id go in as spawn arguments: CAF 0.17 dereferences a null tuple for
    // a function actor spawned without any (undefined behaviour that UBSan reports).
    actors_[id] = sys_.spawn(component_behavior, rt_, id);
  }

  void removed(component_id id) override {
    auto it = actors_.find(id);
    if (it == actors_.end())
      return;
    caf::anon_send_exit(it->second, caf::exit_reason::user_shutdown);
    actors_.erase(it);
  }

  void post(component_id id, runtime::mail m) override {
    auto it = actors_.find(id);
    DYNFEED_ASSERT(it != actors_.end());
    caf::anon_send(it->second, posted{std::move(m)});
  }

  void run() override { sched_.run(); }
  bool idle() const override { return sched_.jobs.empty(); }

private:
  caf::actor_system_config cfg_;
  caf::actor_system sys_;
  caf::scheduler::test_coordinator& sched_;
  runtime* rt_ = nullptr;
  std::unordered_map<component_id, caf::actor> actors_;
};

} // namespace

std::unique_ptr<executor> make_caf_executor() {
  return std::make_unique<caf_executor>();
}

} // namespace dynfeed::sim

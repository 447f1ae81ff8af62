#pragma once

/// A deterministic CAF fixture for Boost.Test: CAF's test coordinator runs every actor on the
/// test's thread, one message at a time, and its clock only moves when the test moves it.

#include <caf/all.hpp>
#include <caf/scheduler/test_coordinator.hpp>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

namespace dynfeed::test {

struct caf_fixture {
  static caf::actor_system_config& configure(caf::actor_system_config& cfg) {
    cfg.set("scheduler.policy", caf::atom("testing"));
    cfg.set("logger.file-verbosity", caf::atom("quiet"));
    cfg.set("logger.console-verbosity", caf::atom("quiet"));
    return cfg;
  }

  caf::actor_system_config cfg;
  caf::actor_system sys;
  caf::scheduler::test_coordinator& sched;

  caf_fixture()
    : sys(configure(cfg)),
      sched(dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler())) {}

  ~caf_fixture() {
    sched.run();
    sys.await_actors_before_shutdown(false);
  }

  /// Runs every ready actor until none is left; timers do not fire.
  size_t run() { return sched.run(); }

  /// Moves the clock forward by `d`, firing every timer due on the way, in order.
  size_t advance(caf::timespan d) {
    auto& clock = sched.clock();
    auto end = clock.now() + d;
    size_t n = sched.run();
    while (!clock.schedule().empty() && clock.schedule().begin()->first <= end) {
      sched.advance_time(clock.schedule().begin()->first - clock.now());
      n += sched.run();
    }
    if (clock.now() < end)
      sched.advance_time(end - clock.now());
    return n + sched.run();
  }

  /// Sends a request from a fresh actor and returns its answer, running the scheduler.
  template <class T, class Handle, class... Ts>
  T ask(const Handle& to, Ts&&... xs) {
    T out{};
    bool got = false;
    std::string failure = "no answer";
    // A spawn argument (unused) because CAF 0.17 spawning a function actor without any
    // dereferences a null pointer, which UndefinedBehaviorSanitizer reports.
    sys.spawn([&](caf::event_based_actor* self, int) {
      self->request(to, caf::infinite, std::forward<Ts>(xs)...)
        .then(
          [&](T& value) {
            out = std::move(value);
            got = true;
          },
          [&](caf::error& err) { failure = sys.render(err); });
    }, 0);
    run();
    if (!got)
      throw std::runtime_error(failure);
    return out;
  }

  /// As ask, returning the error (the actor's, or request_timeout if none came) too.
  template <class T, class Handle, class... Ts>
  caf::expected<T> try_ask(const Handle& to, Ts&&... xs) {
    caf::expected<T> out{caf::sec::request_timeout};
    sys.spawn([&](caf::event_based_actor* self, int) {
      self->request(to, caf::infinite, std::forward<Ts>(xs)...)
        .then([&](T& value) { out = std::move(value); },
              [&](caf::error& err) { out = std::move(err); });
    }, 0);
    run();
    return out;
  }
  /// As ask, for an answer of two values.
  template <class A, class B, class Handle, class... Ts>
  std::pair<A, B> ask2(const Handle& to, Ts&&... xs) {
    std::optional<std::pair<A, B>> out;
    std::string failure = "no answer";
    sys.spawn([&](caf::event_based_actor* self, int) {
      self->request(to, caf::infinite, std::forward<Ts>(xs)...)
        .then([&](A& a, B& b) { out = std::make_pair(std::move(a), std::move(b)); },
              [&](caf::error& err) { failure = sys.render(err); });
    }, 0);
    run();
    if (!out)
      throw std::runtime_error(failure);
    return *out;
  }
};

} // namespace dynfeed::test

#include "dynfeed/sim/liveness.hpp"

#include "dynfeed/sim/simulation.hpp"

#include <algorithm>
#include <cstdio>

namespace dynfeed::sim {

namespace {

std::string secs(clock_time t) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3f s", std::chrono::duration<double>(t).count());
  return text;
}

} // namespace

std::optional<std::string> check_liveness(const liveness_spec& spec,
                                          const std::vector<reader_progress>& readers,
                                          uint64_t latest, clock_time end) {
  for (const reader_progress& r : readers) {
    if (!r.running)
      continue;
    clock_time deadline = std::max(spec.from, r.started) + spec.bound;
    if (deadline > end)
      continue; // started too late to be held to the bound in this run
    std::string who = "liveness: reader " + std::to_string(r.index);
    if (r.held < latest)
      return who + " holds " + std::to_string(r.held) + " of the writer's " +
             std::to_string(latest) + " blocks at the end, " + secs(end - deadline) +
             " past its deadline (faults stop at " + secs(spec.from) + ", bound " +
             secs(spec.bound) + ")";
    if (r.held_since > deadline)
      return who + " caught up at " + secs(r.held_since) + ", " + secs(r.held_since - deadline) +
             " past its deadline (faults stop at " + secs(spec.from) + ", bound " +
             secs(spec.bound) + ")";
  }
  return std::nullopt;
}

void simulation::check_liveness() {
  if (!scenario_.liveness)
    return;
  std::vector<reader_progress> progress;
  progress.reserve(readers_.size());
  for (sim_node* reader : readers_) {
    const reader_state& st = state_of(*reader);
    progress.push_back(
      {reader->index(), reader->running(), st.started, st.contiguous, st.progressed});
  }
  if (auto broken =
        sim::check_liveness(*scenario_.liveness, progress, writer_->data()->length(), drv_.now()))
    fail(std::move(*broken));
}

} // namespace dynfeed::sim

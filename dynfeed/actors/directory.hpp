#pragma once

/// Maps a node's component ids to the actors that host them. Components name each other by id
/// (so that the same code runs without CAF in the simulator); actors of one node share one
/// directory, which is the only state they share, behind a lock.

#include "dynfeed/component/component.hpp"
#include "dynfeed/messages/messages.hpp"

#include <caf/actor.hpp>

#include <array>
#include <atomic>
#include <functional>
#include <string>
#include <shared_mutex>
#include <unordered_map>

namespace dynfeed {

class actor_directory {
public:
  /// How many reason codes are counted apart: the last one also takes every code past it.
  static constexpr uint16_t disconnect_codes = 16;

  explicit actor_directory(uint64_t seed = 0) : seed_(seed) {}

  component_id next_id() noexcept { return next_.fetch_add(1, std::memory_order_relaxed); }
  void add(component_id id, caf::actor handle);
  void remove(component_id id);
  /// The actor hosting `id`, or an invalid handle if it is gone.
  caf::actor find(component_id id) const;
  /// Where the node's components' log lines go (nowhere by default).
  void set_log(std::function<void(const std::string&)> sink) { log_ = std::move(sink); }
  void log(const std::string& line) const {
    if (log_)
      log_(line);
  }
  /// Counts a connection of the node that ended with `why` (as its peer heard it).
  void count_disconnect(msg::disconnect_reason why) noexcept {
    auto code = static_cast<size_t>(why);
    disconnects_[code < disconnects_.size() ? code : disconnects_.size() - 1].fetch_add(
      1, std::memory_order_relaxed);
  }
  /// Connections of the node that ended with `why` so far (what an operator's status shows).
  uint64_t disconnects(msg::disconnect_reason why) const noexcept {
    auto code = static_cast<size_t>(why);
    return code < disconnects_.size() ? disconnects_[code].load(std::memory_order_relaxed) : 0;
  }
  /// Seed for the random stream of component `id`.
  uint64_t seed_for(component_id id) const noexcept { return seed_ ^ (id * 0x9e3779b97f4a7c15ULL); }

private:
  mutable std::shared_mutex mutex_;
  std::unordered_map<component_id, caf::actor> actors_;
  std::atomic<component_id> next_{1};
  uint64_t seed_;
  std::function<void(const std::string&)> log_;
  /// By reason code; the last slot also takes codes past the known ones.
  std::array<std::atomic<uint64_t>, disconnect_codes> disconnects_{};
};

} // namespace dynfeed

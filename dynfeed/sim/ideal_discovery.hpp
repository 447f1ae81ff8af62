#pragma once

/// Ideal discovery: a registry every node consults at no cost and with no delay, as if an
/// oracle knew who announced what. No DHT or tracker can do better, which makes it the
/// baseline that the real backends' costs are measured against. It sends no datagrams.

#include "dynfeed/discovery/discovery.hpp"

#include <map>
#include <set>
#include <vector>
#include <unordered_map>

namespace dynfeed::sim {

/// Who announced which topic: shared by every node of a simulation.
class ideal_registry {
public:
  void announce(const hash256& topic, const endpoint& who);
  void withdraw(const hash256& topic, const endpoint& who);
  /// Up to `max` announcers of `topic`, other than `asker`: consecutive ones from a point
  /// `pick` chooses, wrapping around, so that every announcer is as likely to be told.
  std::vector<std::string> peers(const hash256& topic, const endpoint& asker, size_t max,
                                 uint64_t pick) const;
  /// Topics with at least one announcer right now.
  size_t topic_count() const noexcept { return topics_.size(); }

private:
  /// Announcers in a vector (constant-time picks at any position) and where each one is.
  struct announcers {
    std::vector<endpoint> list;
    std::unordered_map<endpoint, size_t> where;
  };
  std::unordered_map<hash256, announcers> topics_;
};

struct ideal_config {
  endpoint self;         ///< this node's peer address, as announced
  size_t peers_max = 20; ///< addresses per answer
  clock_time lookup_interval = std::chrono::seconds{30};
};

class ideal_discovery final : public discovery_component {
public:
  ideal_discovery(ideal_registry& registry, ideal_config config)
    : registry_(registry), config_(config) {}

  void on_message(context& ctx, component_id from, byte_span frame) override;
  void on_timer(context& ctx, uint64_t tag) override;
  void on_datagram(context&, const endpoint&, byte_span) override {}
  void on_stop(context& ctx) override;
  const discovery_stats& stats() const override { return stats_; }

private:
  struct interest {
    std::set<component_id> requesters;
    bool announced = false;
  };
  void answer(context& ctx, const hash256& topic, component_id requester);

  ideal_registry& registry_;
  ideal_config config_;
  std::map<hash256, interest> topics_;
  std::map<uint64_t, hash256> timers_;
  uint64_t next_tag_ = 1;
  discovery_stats stats_;
};

} // namespace dynfeed::sim

#pragma once

/// The fragmentation metrics, as pure functions over what a run records, so that each can be
/// checked on a hand-built trace (tests/sim/metrics_test.cpp). docs/fragmentation.md defines
/// them for readers of the study.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace dynfeed::sim {

/// One running node of the feed at an instant: the swarm it is in (any numbering that tells
/// swarms apart) and the length it holds (blocks [0, length)).
struct swarm_member {
  uint32_t swarm = 0;
  uint64_t length = 0;
  bool reader = true; ///< false for the writer (and a second host with its key)
};

/// The swarms of one instant.
struct swarm_census {
  uint32_t swarm_ids = 0;     ///< distinct swarms
  uint32_t largest_swarm = 0; ///< members of the largest
  uint32_t members = 0;       ///< nodes in any swarm
  /// Readers behind `latest` in a swarm where no member holds more than they do: nobody they
  /// can meet there has what they lack, so they wait for another way to learn the new ID.
  uint32_t stranded = 0;
};

/// Counts swarms, the largest, and the stranded readers among `members`, given the newest
/// length that counts as existing, `latest` (settled_length).
swarm_census take_census(const std::vector<swarm_member>& members, uint64_t latest);

/// The share of the nodes in swarms that are in the largest one (1 when nobody is in one).
/// Readers in no swarm (joining, or waiting to learn a first ID) are split from nobody: the
/// reach times and the ID lag count their wait.
double largest_share(uint32_t largest_swarm, uint32_t members);

/// The median by nearest rank of `reached` sorted values and `never` values above all of them
/// (appends that never reached a share count as later than any that did): its index among the
/// reached values, or nullopt when the median is one of the never ones.
std::optional<size_t> median_index_with_never(size_t reached, size_t never);

/// A new length counts as existing for stranded readers once the writer has held it this long:
/// longer than an append takes to reach 99 % of readers in every built-in scenario (at most
/// 2.5 s), so that spreading as usual strands nobody, and an instant after an append (when
/// every reader is still in the old ID's swarm) does not count them all.
inline constexpr double stranded_grace_s = 5;

/// An append: when (seconds) and the length it made.
struct length_at {
  double at_s = 0;
  uint64_t length = 0;
};

/// The longest length among `appends` (in time order) made at least `grace_s` before `now_s`,
/// or `initial` when there is none.
uint64_t settled_length(const std::vector<length_at>& appends, double now_s, double grace_s,
                        uint64_t initial);

/// Stranded readers over a run's samples.
struct stranded_summary {
  uint32_t final = 0;      ///< at the last sample
  uint32_t max = 0;        ///< at worst
  double max_share = 0;    ///< the largest share of the running readers stranded at once
  double mean_share = 0;   ///< mean over samples of the share of running readers stranded
};

/// `stranded[i]` readers out of `running[i]` at sample i (same sizes; a sample without
/// running readers counts as none stranded).
stranded_summary summarize_stranded(const std::vector<uint32_t>& stranded,
                                    const std::vector<uint32_t>& running);

/// Residue (Demers et al., "Epidemic algorithms for replicated database maintenance", 1987:
/// the share of sites still susceptible when the epidemic ends), per append: the share of the
/// readers running at the end whose length `final_lengths` is below the length the append
/// made (`append_lengths`), i.e. that never held it. Empty `final_lengths`: every residue is 0.
std::vector<double> residue(const std::vector<uint64_t>& append_lengths,
                            const std::vector<uint64_t>& final_lengths);

struct residue_summary {
  double mean_share = 0; ///< mean over appends
  double max_share = 0;  ///< the worst append's
  double last_share = 0; ///< the last append's
};

residue_summary summarize_residue(const std::vector<double>& per_append);

} // namespace dynfeed::sim

#include "dynfeed/sim/metrics.hpp"

#include "dynfeed/base/assert.hpp"

#include <algorithm>
#include <map>

namespace dynfeed::sim {

swarm_census take_census(const std::vector<swarm_member>& members, uint64_t latest) {
  struct swarm_info {
    uint32_t size = 0;
    uint64_t length_max = 0;
  };
  std::map<uint32_t, swarm_info> swarms;
  for (const swarm_member& m : members) {
    swarm_info& s = swarms[m.swarm];
    ++s.size;
    s.length_max = std::max(s.length_max, m.length);
  }
  swarm_census out;
  out.swarm_ids = static_cast<uint32_t>(swarms.size());
  out.members = static_cast<uint32_t>(members.size());
  for (const auto& [id, s] : swarms)
    out.largest_swarm = std::max(out.largest_swarm, s.size);
  // A reader at its swarm's longest length meets nobody there who holds more.
  for (const swarm_member& m : members)
    if (m.reader && m.length < latest && m.length >= swarms[m.swarm].length_max)
      ++out.stranded;
  return out;
}

double largest_share(uint32_t largest_swarm, uint32_t members) {
  return members > 0 ? static_cast<double>(largest_swarm) / members : 1.0;
}

std::optional<size_t> median_index_with_never(size_t reached, size_t never) {
  size_t rank = (reached + never + 1) / 2; // ceil(all / 2), 1-based
  if (rank == 0 || rank > reached)
    return std::nullopt;
  return rank - 1;
}

uint64_t settled_length(const std::vector<length_at>& appends, double now_s, double grace_s,
                        uint64_t initial) {
  uint64_t out = initial;
  for (const length_at& a : appends) {
    if (a.at_s > now_s - grace_s)
      break;
    out = std::max(out, a.length);
  }
  return out;
}

stranded_summary summarize_stranded(const std::vector<uint32_t>& stranded,
                                    const std::vector<uint32_t>& running) {
  DYNFEED_REQUIRE(stranded.size() == running.size());
  stranded_summary out;
  if (stranded.empty())
    return out;
  double sum = 0;
  for (size_t i = 0; i < stranded.size(); ++i) {
    double share = running[i] ? static_cast<double>(stranded[i]) / running[i] : 0.0;
    sum += share;
    out.max = std::max(out.max, stranded[i]);
    out.max_share = std::max(out.max_share, share);
  }
  out.final = stranded.back();
  out.mean_share = sum / static_cast<double>(stranded.size());
  return out;
}

std::vector<double> residue(const std::vector<uint64_t>& append_lengths,
                            const std::vector<uint64_t>& final_lengths) {
  std::vector<uint64_t> sorted = final_lengths;
  std::sort(sorted.begin(), sorted.end());
  std::vector<double> out;
  out.reserve(append_lengths.size());
  for (uint64_t length : append_lengths) {
    if (sorted.empty()) {
      out.push_back(0);
      continue;
    }
    // Readers whose length is below the append's never held it.
    auto below = std::lower_bound(sorted.begin(), sorted.end(), length) - sorted.begin();
    out.push_back(static_cast<double>(below) / static_cast<double>(sorted.size()));
  }
  return out;
}

residue_summary summarize_residue(const std::vector<double>& per_append) {
  residue_summary out;
  if (per_append.empty())
    return out;
  double sum = 0;
  for (double r : per_append) {
    sum += r;
    out.max_share = std::max(out.max_share, r);
  }
  out.mean_share = sum / static_cast<double>(per_append.size());
  out.last_share = per_append.back();
  return out;
}

} // namespace dynfeed::sim

#include "dynfeed/sim/key_table.hpp"

#include "dynfeed/base/assert.hpp"

namespace dynfeed::sim {

uint32_t key_table::intern(const node_key& key) {
  auto [it, added] = index_.try_emplace(key, static_cast<uint32_t>(keys_.size()));
  if (added) {
    DYNFEED_REQUIRE(keys_.size() < ~uint32_t{0});
    keys_.push_back(key);
  }
  return it->second;
}

} // namespace dynfeed::sim

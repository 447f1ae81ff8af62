#pragma once

/// The node identities a runtime's links name, each kept once: a link end holds a 32-bit index
/// where it held a 32-byte key, and a run has a few identities per host against dozens of link
/// ends per host. Identities are never dropped (a run has as many as it has nodes, hostile
/// ones included), and a key's place never moves, so references to it stay valid.

#include "dynfeed/component/connection.hpp"

#include <cstdint>
#include <cstring>
#include <deque>
#include <unordered_map>

namespace dynfeed::sim {

class key_table {
public:
  /// The index of `key`, added on first sight.
  uint32_t intern(const node_key& key);
  /// The key at `index` (an index intern returned): stays where it is for the table's life.
  const node_key& at(uint32_t index) const { return keys_[index]; }
  size_t size() const noexcept { return keys_.size(); }

private:
  /// Identities are public keys: any 8 of their bytes spread well.
  struct key_hash {
    size_t operator()(const node_key& key) const noexcept {
      uint64_t h;
      std::memcpy(&h, key.data(), sizeof h);
      return static_cast<size_t>(h);
    }
  };
  std::deque<node_key> keys_; ///< a deque: places stay put as it grows
  std::unordered_map<node_key, uint32_t, key_hash> index_;
};

} // namespace dynfeed::sim

#pragma once

#include "dynfeed/base/error.hpp"

#include <cstdint>

namespace dynfeed {

/// Why the DHT refused a query or could not complete an operation.
enum class dht_errc : uint8_t {
  storage_full = 1, ///< no room for a new record (topic, topics or values full)
  bad_token,        ///< an announce or put whose token this node did not give that address
  no_nodes,         ///< the routing table is empty: nobody to ask
  busy,             ///< too many lookups at once (dht_config::lookups_max)
};
const error_category& category_of(dht_errc) noexcept;

} // namespace dynfeed

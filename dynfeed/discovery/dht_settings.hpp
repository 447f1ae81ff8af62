#pragma once

#include "dynfeed/base/endpoint.hpp"
#include "dynfeed/discovery/dht_config.hpp"

#include <vector>

namespace dynfeed {

/// The settings of a DHT node bound to `local` that joins through `bootstrap` (none: the first
/// node), everything else at dht_config's defaults; the ID is left for the caller to draw.
/// On a loopback network (our address and every bootstrap node's in 127.0.0.0/8, or ours
/// unspecified, 0.0.0.0, with loopback bootstrap nodes) all nodes share one address, so the
/// rule of one routing table entry per address is lifted to a bucket's worth there; anywhere
/// else it stays, so that one host cannot fill a table with made-up IDs, and BEP 42's node-ID
/// restriction is enforced (enforce_bep42).
dht_config dht_settings(const endpoint& local, const std::vector<endpoint>& bootstrap);

} // namespace dynfeed

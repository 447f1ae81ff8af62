#include "dynfeed/discovery/dht_settings.hpp"

#include <algorithm>

namespace dynfeed {

namespace {

bool loopback(uint32_t ip) {
  return (ip >> 24) == 127;
}

} // namespace

dht_config dht_settings(const endpoint& local, const std::vector<endpoint>& bootstrap) {
  dht_config config;
  config.bootstrap = bootstrap;
  bool all_loopback = std::all_of(bootstrap.begin(), bootstrap.end(),
                                  [](const endpoint& e) { return loopback(e.ip); });
  bool local_network = (local.ip == 0 || loopback(local.ip)) && all_loopback;
  // An unspecified address with no bootstrap node says nothing about the network.
  if (local_network && (local.ip != 0 || !bootstrap.empty()))
    config.nodes_per_ip_max = config.k;
  else
    config.enforce_bep42 = true; // BEP 42 exempts local addresses anyway; elsewhere it holds
  return config;
}

} // namespace dynfeed

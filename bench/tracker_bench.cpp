#include "bench/tracker_bench.hpp"

#include "dynfeed/discovery/tracker.hpp"
#include "dynfeed/messages/tracker_codec.hpp"
#include "dynfeed/sim/runtime.hpp"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

namespace dynfeed::bench {

namespace {

using namespace std::chrono_literals;
namespace tracker = msg::tracker;

/// Resident memory now, from /proc (bytes).
uint64_t resident_bytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    unsigned long long kb = 0;
    if (std::sscanf(line.c_str(), "VmRSS: %llu kB", &kb) == 1)
      return kb * 1024;
  }
  return 0;
}

/// Sends what it is handed and counts what comes back (keeping the last lookup reply's token).
class prober final : public datagram_component {
public:
  explicit prober(datagram_socket& socket) : socket_(socket) {}
  void on_message(context&, component_id, byte_span) override {}
  void on_datagram(context&, const endpoint&, byte_span datagram) override {
    auto p = tracker::decode(datagram, tracker::limits{});
    if (!p)
      return;
    if (auto* r = std::get_if<tracker::lookup_reply>(&p->what)) {
      token = r->token;
      peers += r->peers.size();
    } else if (std::holds_alternative<tracker::announce_reply>(p->what)) {
      ++stored;
    } else {
      ++refused;
    }
    ++replies;
  }
  void send(const endpoint& to, const tracker::packet& p) { socket_.send_to(to, tracker::encode(p)); }

  bytes token;
  uint64_t peers = 0, stored = 0, refused = 0, replies = 0;

private:
  datagram_socket& socket_;
};

hash256 topic_of(uint32_t n) {
  bytes b(32, 0x5a);
  for (int i = 0; i < 4; ++i)
    b[i] = static_cast<uint8_t>(n >> (8 * i));
  return hash256::from(b);
}

} // namespace

nlohmann::json run_tracker_bench(const tracker_bench_options& o) {
  tracker_server_config config;
  config.requests_per_s = 1000000; // the bench measures storage and lookups, not the rate limit
  config.burst = 1000000;
  config.record_ttl = 24h;
  config.rate_sources_max = std::max<size_t>(o.sources + 1, config.rate_sources_max);
  sim::runtime rt{o.seed};
  const endpoint at{0x0a000001, 6881};
  component_id server = rt.open_datagram(rt.add_host({at.ip, 0}), at.port, [&](datagram_socket& s) {
    return std::make_unique<tracker_server>(s, config);
  });
  std::vector<prober*> probes;
  for (uint32_t i = 0; i < o.sources; ++i) {
    component_id id = rt.open_datagram(rt.add_host({0x0b000000 + i + 1, 0}), 5000,
                                       [](datagram_socket& s) { return std::make_unique<prober>(s); });
    probes.push_back(static_cast<prober*>(rt.find(id)));
  }
  for (prober* p : probes) // a token each
    p->send(at, {1, tracker::lookup{topic_of(0), 0}});
  rt.run_until(rt.now() + 1s);
  const uint64_t rss_before = resident_bytes();
  for (uint32_t k = 0; k < o.records_per_source; ++k) {
    for (uint32_t i = 0; i < o.sources; ++i) {
      const hash256 topic = topic_of((i * o.records_per_source + k) % std::max(o.topics, 1u));
      probes[i]->send(at, {2, tracker::announce{topic, static_cast<uint16_t>(7000 + k), probes[i]->token}});
    }
    rt.run_until(rt.now() + 100ms);
  }
  rt.run_until(rt.now() + 1s);
  const uint64_t rss_after = resident_bytes();
  auto& srv = static_cast<tracker_server&>(*rt.find(server));
  const uint64_t held = srv.stats().records_held;

  prober& asker = *probes.front();
  const uint64_t peers_before = asker.peers;
  const auto start = std::chrono::steady_clock::now();
  for (uint32_t done = 0; done < o.lookups;) {
    for (uint32_t j = 0; j < 1000 && done < o.lookups; ++j, ++done)
      asker.send(at, {3, tracker::lookup{topic_of(0), 0}});
    rt.run_until(rt.now() + 100ms);
  }
  const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  uint64_t stored = 0, refused = 0;
  for (const prober* p : probes) {
    stored += p->stored;
    refused += p->refused;
  }
  const uint64_t grown = rss_after > rss_before ? rss_after - rss_before : 0;
  return {
    {"sources", o.sources},
    {"recordsPerSource", o.records_per_source},
    {"topics", srv.topic_count()},
    {"recordsHeld", held},
    {"announcesStored", stored},
    {"announcesRefused", refused},
    {"firstTopicRecords", srv.peers_of(topic_of(0), rt.now()).size()},
    {"rssGrowthBytes", grown},
    {"bytesPerRecord", held ? grown / held : 0},
    {"lookups", o.lookups},
    {"peersPerLookup", o.lookups ? double(asker.peers - peers_before) / o.lookups : 0.0},
    {"lookupsPerS", wall_s > 0 ? o.lookups / wall_s : 0.0},
    {"seed", o.seed},
  };
}

} // namespace dynfeed::bench

/// Discovery through a DHT: three nodes in one process, each running a DHT node on UDP
/// loopback. The first only answers DHT queries; the writer and the reader join the DHT
/// through it. The writer announces its feed; the reader, told only the public key and no
/// peer address, finds the writer through the DHT and clones the feed over TCP.
/// Exits non-zero unless the reader got every block.

#include <dynfeed/dynfeed.hpp>

#include <caf/all.hpp>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

using namespace dynfeed;
namespace fs = std::filesystem;

namespace {

constexpr auto timeout = std::chrono::seconds{30};
const endpoint loopback{0x7f000001, 0}; // 127.0.0.1, any port

template <class T>
T must(caf::expected<T> answer, const char* what) {
  if (!answer)
    throw std::runtime_error(std::string{what} + ": " + describe(answer.error()));
  return std::move(*answer);
}

/// Starts `node`'s DHT node on a UDP socket of its own; returns the socket's address.
endpoint start_dht(caf::scoped_actor& self, const node_actor& node,
                   std::vector<endpoint> bootstrap) {
  discovery_config dc;
  dc.kind = discovery_config::backend::dht;
  dc.datagrams = make_udp_transport();
  dc.local = loopback;
  // The defaults, but on loopback, where every node has the same IP address, more than one
  // routing table entry per address.
  dc.dht = dht_settings(loopback, bootstrap);
  uint16_t port = must(ask<uint16_t>(self, node, timeout, atoms::discover::value, dc), "discover");
  return endpoint{loopback.ip, port};
}

bool discover_and_clone(caf::scoped_actor& self, const std::vector<node_actor>& nodes,
                        const fs::path& dir) {
  const node_actor& first = nodes[0];
  const node_actor& writer = nodes[1];
  const node_actor& reader = nodes[2];
  endpoint entry = start_dht(self, first, {});
  start_dht(self, writer, {entry});
  start_dht(self, reader, {entry});

  // The writer listens (its announces carry that port) and shares its feed: with no
  // addresses, the swarm finds and announces through the DHT.
  must(ask<peer_address>(self, writer, timeout, atoms::listen::value,
                         peer_address::tcp("127.0.0.1", 0)),
       "listen");
  auto wfeed = must(ask<feed_actor>(self, writer, timeout, atoms::create_feed::value,
                                    (dir / "writer").string(), key_seed{}),
                    "create_feed");
  std::vector<bytes> blocks{bytes{'f', 'o', 'u', 'n', 'd'}, bytes{'b', 'y'}, bytes{'k', 'e', 'y'}};
  uint64_t length = must(ask<uint64_t>(self, wfeed, timeout, atoms::append::value, blocks),
                         "append");
  must(ask<bool>(self, writer, timeout, atoms::join::value, wfeed, std::vector<peer_address>{},
                 feed_mode::stable),
       "join (writer)");
  public_key key = must(ask<feed_info>(self, wfeed, timeout, atoms::info::value), "info").key;

  auto rfeed = must(ask<feed_actor>(self, reader, timeout, atoms::clone_feed::value, key,
                                    (dir / "reader").string()),
                    "clone_feed");
  self->send(rfeed, atoms::subscribe::value, caf::actor_cast<caf::actor>(self));
  self->send(rfeed, atoms::download::value, uint64_t{0}, download_to_end, false);
  must(ask<bool>(self, reader, timeout, atoms::join::value, rfeed, std::vector<peer_address>{},
                 feed_mode::stable),
       "join (reader)");

  uint64_t held = 0;
  bool over = false;
  while (held < length && !over)
    self->receive([&](atoms::blocks, uint64_t, uint64_t count) { held += count; },
                  [&](atoms::done) { over = true; }, [&](atoms::length, uint64_t) {},
                  [&](atoms::peers, uint64_t) {}, caf::after(timeout) >> [&] { over = true; });
  std::cout << "found " << to_hex(key) << " through the DHT: " << held << " of " << length
            << " blocks\n";
  return held == length;
}

} // namespace

int main() {
  std::string dir = (fs::temp_directory_path() / "dynfeed-dht-XXXXXX").string();
  if (::mkdtemp(dir.data()) == nullptr)
    return 1;
  tcp_process_config cfg; // with CAF's network layer: the clone goes over TCP
  add_error_categories(cfg);
  caf::actor_system sys{cfg};
  std::vector<node_actor> nodes;
  for (int i = 0; i < 3; ++i) {
    node_config nc;
    nc.network = make_tcp_transport();
    nodes.push_back(spawn_node(sys, nc));
  }
  bool ok = false;
  {
    caf::scoped_actor self{sys};
    try {
      ok = discover_and_clone(self, nodes, dir);
    } catch (const std::exception& e) {
      std::cerr << "dht_discovery: " << e.what() << '\n';
    }
    for (const node_actor& node : nodes)
      self->send(node, atoms::shutdown::value);
    for (const node_actor& node : nodes)
      self->wait_for(node);
  }
  fs::remove_all(dir);
  return ok ? 0 : 1;
}

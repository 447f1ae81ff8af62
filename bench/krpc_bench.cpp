// krpc_bench: decodes and encodes Mainline DHT datagrams (dynfeed/krpc) and prints one JSON
// object: datagrams per second for each kind. A DHT node's codec cost per datagram, next to the
// network's.
//   build/release/bench/krpc_bench [rounds]

#include "dynfeed/krpc/codec.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>

using namespace dynfeed;
using namespace dynfeed::krpc;

namespace {

using clock_type = std::chrono::steady_clock;

node_id filled(uint8_t b) {
  node_id id;
  id.bytes.fill(b);
  return id;
}

/// A get_peers answer as BEP 5 nodes send it: 8 nodes, 20 peers, a token.
message peers_response() {
  response r;
  for (uint8_t i = 0; i < 8; ++i)
    r.nodes.push_back(node_info{filled(i), endpoint{0x01020300u + i, 6881}});
  for (uint16_t i = 0; i < 20; ++i)
    r.values.push_back(endpoint{0x0a000000u + i, static_cast<uint16_t>(50000 + i)});
  r.token = bytes(8, 't');
  message m;
  m.transaction = bytes{'a', 'a'};
  m.sender = filled(0xaa);
  m.content = std::move(r);
  return m;
}

/// A BEP 44 mutable put of a 200-byte value.
message mutable_put_query() {
  mutable_put item;
  item.k.bytes.fill(7);
  item.salt = bytes{'s'};
  item.seq = 123456;
  std::string v = "200:" + std::string(200, 'v');
  item.v = bytes(v.begin(), v.end());
  item.sig.bytes.fill(9);
  message m;
  m.transaction = bytes{'p', 'p'};
  m.sender = filled(0xbb);
  m.content = query{put{item, bytes(8, 't')}};
  return m;
}

nlohmann::json measure(const message& m, uint64_t rounds) {
  const bytes wire = encode(m);
  auto start = clock_type::now();
  size_t sizes = 0; // keeps the results observable
  for (uint64_t i = 0; i < rounds; ++i)
    sizes += encode(m).size();
  double encode_s = std::chrono::duration<double>(clock_type::now() - start).count();
  start = clock_type::now();
  for (uint64_t i = 0; i < rounds; ++i) {
    auto decoded = decode(wire);
    if (!decoded) {
      std::cerr << "krpc_bench: " << decoded.error().to_string() << "\n";
      std::exit(1);
    }
    sizes += decoded->transaction.size();
  }
  double decode_s = std::chrono::duration<double>(clock_type::now() - start).count();
  auto n = static_cast<double>(rounds);
  return {{"datagram_size", wire.size()},
          {"encode_per_s", n / encode_s},
          {"decode_per_s", n / decode_s},
          {"checksum", sizes}};
}

} // namespace

int main(int argc, char** argv) {
  uint64_t rounds = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 200000;
  if (rounds == 0) {
    std::cerr << "usage: krpc_bench [rounds > 0]\n";
    return 2;
  }
  nlohmann::json out{{"rounds", rounds},
                     {"get_peers_response", measure(peers_response(), rounds)},
                     {"mutable_put", measure(mutable_put_query(), rounds)}};
  std::cout << out.dump() << "\n";
}

// Tracker datagrams: any bytes decode to a packet or fail with a msg error; a packet that
// decodes encodes to a datagram of its announced size that decodes to the same packet.

#include "dynfeed/messages/tracker_codec.hpp"
#include "fuzz/fuzz_support.hpp"

using namespace dynfeed;
using namespace dynfeed::msg::tracker;

namespace {

bool same(const packet& a, const packet& b) {
  if (a.transaction != b.transaction || a.what.index() != b.what.index())
    return false;
  return std::visit(
    [&](const auto& x) {
      using T = std::decay_t<decltype(x)>;
      const T& y = std::get<T>(b.what);
      if constexpr (std::is_same_v<T, lookup>)
        return x.topic == y.topic && x.port == y.port;
      else if constexpr (std::is_same_v<T, lookup_reply>)
        return x.peers == y.peers && x.token == y.token && x.observed_ip == y.observed_ip;
      else if constexpr (std::is_same_v<T, announce>)
        return x.topic == y.topic && x.port == y.port && x.token == y.token;
      else if constexpr (std::is_same_v<T, announce_reply>)
        return true;
      else
        return x.code == y.code && x.message == y.message;
    },
    a.what);
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  hash256 topic = hash256::from(bytes(32, 0x42));
  std::vector<endpoint> peers{{0x0a000001, 7000}, {0x7f000001, 65535}, {0xc0a80001, 1}};
  std::vector<packet> packets{
    {1, lookup{topic, 0}},
    {2, lookup{topic, 7000}},
    {3, lookup_reply{peers, bytes(16, 0xab), 0x0a000002}},
    {4, announce{topic, 7001, bytes(16, 7)}},
    {5, announce_reply{}},
    {6, error_reply{static_cast<uint16_t>(error_code::bad_token), "not a token of ours"}},
  };
  std::vector<bytes> seeds;
  for (const packet& p : packets)
    seeds.push_back(encode(p));
  fuzz::write_seeds(seeds);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto decoded = decode(byte_span{data, size});
  if (!decoded) {
    fuzz::check(decoded.error().category() == "msg", "a refusal outside the msg category");
    return 0;
  }
  bytes again = encode(*decoded);
  fuzz::check(again.size() == encoded_size(*decoded), "encoded_size differs from encode");
  auto back = decode(again);
  fuzz::check(back && same(*back, *decoded), "a decoded packet does not round-trip");
  return 0;
}

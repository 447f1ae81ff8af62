// KRPC datagrams: any bytes decode to a message or fail with a krpc error; a message that
// decodes encodes to a datagram that decodes to the same message, and encoding is stable (the
// second encoding equals the first). A BEP 44 put whose signature verifies must be one we made.
// decode() and the reference decode_tree() agree on every input (message, or code and text of
// the error), and encode() gives encode_tree()'s bytes.
// Seeds: one datagram of each query, a full response and an error, encoded by krpc::encode.

#include "dynfeed/feed/bep44.hpp"
#include "dynfeed/krpc/codec.hpp"
#include "fuzz/fuzz_support.hpp"

using namespace dynfeed;
using namespace dynfeed::krpc;

namespace {

bytes text(std::string_view s) {
  return byte_span{s}.to_bytes();
}

node_id id_of(uint8_t n) {
  node_id id;
  id.bytes.fill(n);
  return id;
}

const bep44::mutable_item& signed_item() {
  static const bep44::mutable_item item = [] {
    key_seed seed;
    seed.bytes[0] = 5;
    return *bep44::sign(crypto::keypair_from_seed(seed), text("salt"), 42, text("d1:ai1ee"));
  }();
  return item;
}

message with(body content) {
  message m;
  m.transaction = text("aa");
  m.sender = id_of(1);
  m.content = std::move(content);
  return m;
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const bep44::mutable_item& item = signed_item();
  mutable_put mp{item.k, item.salt, item.seq, item.v, item.sig, std::nullopt};
  response full;
  full.nodes = {node_info{id_of(2), endpoint{0x7f000001, 6881}}};
  full.token = text("tok");
  full.values = {endpoint{0x0a000001, 1}};
  full.v = item.v;
  full.k = item.k;
  full.seq = item.seq;
  full.sig = item.sig;
  std::vector<message> samples{
    with(query{ping{}}),
    with(query{find_node{id_of(3)}}),
    with(query{get_peers{id_of(4)}}),
    with(query{announce_peer{id_of(4), 6881, true, text("aoeusnth")}}),
    with(query{get{id_of(5), int64_t{7}}}),
    with(query{put{immutable_put{text("12:Hello World!")}, text("t0k")}}),
    with(query{put{mp, text("x")}}),
    with(full),
    with(error_reply{302, "seq not newer"}),
  };
  samples[0].read_only = true;
  samples[0].version = text("DF01");
  samples[7].ip = endpoint{0xc0a80001, 4242};
  std::vector<bytes> seeds;
  for (const message& m : samples)
    seeds.push_back(encode(m));
  fuzz::write_seeds(seeds);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto decoded = decode(byte_span{data, size});
  auto reference = decode_tree(byte_span{data, size});
  fuzz::check(decoded.has_value() == reference.has_value(),
              "the direct and the tree decoders disagree on accepting");
  if (!decoded) {
    fuzz::check(decoded.error().category() == "krpc", "a refusal outside the krpc category");
    fuzz::check(decoded.error().code() == reference.error().code()
                  && decoded.error().context() == reference.error().context(),
                "the direct and the tree decoders refuse with different errors");
    return 0;
  }
  fuzz::check(*decoded == *reference, "the direct and the tree decoders give different messages");
  bytes wire = encode(*decoded);
  fuzz::check(wire == encode_tree(*decoded), "the direct and the tree encoders differ");
  auto again = decode(wire);
  fuzz::check(again && *again == *decoded, "a decoded datagram does not round-trip");
  fuzz::check(encode(*again) == wire, "encoding is not stable");
  if (const query* q = std::get_if<query>(&decoded->content))
    if (const put* p = std::get_if<put>(q))
      if (const mutable_put* mp = std::get_if<mutable_put>(&p->item)) {
        bep44::mutable_item item{mp->k, mp->salt, mp->seq, mp->v, mp->sig};
        const bep44::mutable_item& ours = signed_item();
        if (bep44::verify(item))
          fuzz::check(item.k == ours.k && item.salt == ours.salt && item.seq == ours.seq
                        && item.v == ours.v,
                      "a mutable item we never signed verifies");
      }
  return 0;
}

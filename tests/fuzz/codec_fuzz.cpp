// Wire frames: any input must decode or fail with a msg error, and whatever decodes must encode
// to a frame of the announced size that decodes to the same message. Seeds: the sample
// messages of the codec tests, one of every kind.

#include "dynfeed/messages/codec.hpp"
#include "fuzz/fuzz_support.hpp"
#include "support/message_samples.hpp"

using namespace dynfeed;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  std::vector<bytes> seeds;
  for (const msg::wire_message& m : test::sample_messages())
    seeds.push_back(msg::encode(m));
  fuzz::write_seeds(seeds);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto decoded = msg::decode_wire(byte_span{data, size});
  if (!decoded) {
    fuzz::check(decoded.error().category() == "msg", "a refusal outside the msg category");
    return 0;
  }
  bytes frame = msg::encode(*decoded);
  auto again = msg::decode_wire(frame);
  fuzz::check(again && test::same(*again, *decoded), "a decoded frame does not round-trip");
  fuzz::check(frame.size() == msg::encoded_size(*decoded), "encoded_size differs from encode");
  return 0;
}

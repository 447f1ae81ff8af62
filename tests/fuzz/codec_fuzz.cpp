// libFuzzer target for the frame decoder: any input must decode or fail with a msg error, and
// whatever decodes must encode to a frame that decodes to the same message.
//
//   cmake --preset fuzz && cmake --build --preset fuzz
//   DYNFEED_FUZZ_SEEDS=corpus build/fuzz/tests/codec_fuzz corpus -max_len=200000
//
// With DYNFEED_FUZZ_SEEDS set, the sample frames of the unit tests are first written into that
// directory, so the fuzzer starts from valid frames of every kind.

#include "dynfeed/messages/codec.hpp"
#include "support/message_samples.hpp"

#include <cstdlib>
#include <fstream>
#include <string>

using namespace dynfeed;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const char* dir = std::getenv("DYNFEED_FUZZ_SEEDS");
  if (!dir)
    return 0;
  int n = 0;
  for (const msg::wire_message& m : test::sample_messages()) {
    bytes frame = msg::encode(m);
    std::ofstream out{std::string{dir} + "/sample-" + std::to_string(n++), std::ios::binary};
    out.write(reinterpret_cast<const char*>(frame.data()),
              static_cast<std::streamsize>(frame.size()));
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto decoded = msg::decode_wire(byte_span{data, size});
  if (!decoded) {
    if (decoded.error().category() != "msg")
      __builtin_trap();
    return 0;
  }
  bytes frame = msg::encode(*decoded);
  auto again = msg::decode_wire(frame);
  if (!again || !test::same(*again, *decoded) || frame.size() != msg::encoded_size(*decoded))
    __builtin_trap();
  return 0;
}

// The control socket's requests, as the server reads them (from bytes instead of a socket), and
// the one-line answers, as the client reads them. A request that reads is within every limit
// and is exactly what the client would have sent; every refusal is a control error.
// Seeds: appends and value requests as the client encodes them, and answers.

#include "dynfeed/control/errc.hpp"
#include "dynfeed/control/protocol.hpp"
#include "fuzz/fuzz_support.hpp"

#include <string>

using namespace dynfeed;
using namespace dynfeed::control_detail;

namespace {

/// Small limits, so that the fuzzer reaches each of them.
control_limits small_limits() {
  control_limits limits;
  limits.append.block_count_max = 64;
  limits.append.block_size_max = 4096;
  limits.append.batch_size_max = 16384;
  limits.salt_size_max = 64;
  limits.value_size_max = 1024;
  return limits;
}

void check_refusal(const error& err) {
  fuzz::check(err.category() == "control", "a refusal outside the control category");
}

void check_request(byte_span input) {
  const control_limits limits = small_limits();
  span_reader in{input};
  auto kind = read_kind(in, limits);
  if (!kind)
    return check_refusal(kind.error());
  bytes expected;
  if (*kind == request_kind::append) {
    auto blocks = read_append(in, limits);
    if (!blocks)
      return check_refusal(blocks.error());
    uint64_t total = 0;
    for (const bytes& block : *blocks) {
      fuzz::check(block.size() <= limits.append.block_size_max, "a block over the limit");
      total += block.size();
    }
    fuzz::check(!blocks->empty() && blocks->size() <= limits.append.block_count_max
                  && total <= limits.append.batch_size_max,
                "an append over the limits");
    expected = encode_append(*blocks);
  } else if (*kind == request_kind::truncate) {
    auto length = read_truncate(in, limits);
    if (!length)
      return check_refusal(length.error());
    expected = encode_truncate(*length);
  } else {
    auto request = read_value(in, limits);
    if (!request)
      return check_refusal(request.error());
    fuzz::check(request->salt.size() <= limits.salt_size_max
                  && request->value.size() <= limits.value_size_max,
                "a value request over the limits");
    expected = encode_value(request->salt, request->value);
  }
  fuzz::check(expected.size() == in.consumed()
                && std::equal(expected.begin(), expected.end(), input.begin()),
              "a request read differently from how it is written");
}

void check_reply(byte_span input) {
  std::string reply(input.begin(), input.end());
  auto n = parse_reply(reply, "fuzz");
  if (n)
    fuzz::check(reply.rfind("ok ", 0) == 0, "an answer taken as success without \"ok \"");
  else
    check_refusal(n.error());
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  std::vector<bytes> seeds{
    encode_append({bytes{'a'}}),
    encode_append({bytes(100, 'x'), bytes{}, bytes(7, 'y')}),
    encode_value({}, bytes{'v', '1'}),
    encode_value(bytes{'s'}, bytes(200, 'z')),
  };
  for (std::string reply : {"ok 17", "error feed: not writable"})
    seeds.push_back(fuzz::output{}.u8(0xff).raw(bytes(reply.begin(), reply.end())).take());
  fuzz::write_seeds(seeds);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  byte_span input{data, size};
  // Inputs starting with 0xff are answers (no request starts so); the others are requests.
  if (size > 0 && data[0] == 0xff)
    check_reply(byte_span{data + 1, size - 1});
  else
    check_request(input);
  return 0;
}

#include "bench/codec_bench.hpp"

#include "dynfeed/base/random.hpp"
#include "dynfeed/messages/codec.hpp"

#include <chrono>
#include <stdexcept>

namespace dynfeed::bench {

namespace {

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

msg::data sample_frame(const codec_bench_options& o) {
  rng random{o.seed};
  msg::data m;
  m.channel = 1;
  m.id = 42;
  block_proof block;
  block.index = o.blocks * 1000;
  block.values.resize(o.blocks);
  for (bytes& value : block.values) {
    value.resize(o.block_size);
    for (uint8_t& b : value)
      b = static_cast<uint8_t>(random.next());
  }
  for (uint64_t i = 0; i < 10; ++i) {
    tree_node node{random.next(), random.next(), {}};
    for (uint8_t& b : node.hash.bytes)
      b = static_cast<uint8_t>(random.next());
    block.nodes.push_back(node);
  }
  m.body.block = std::move(block);
  return m;
}

} // namespace

nlohmann::json run_codec_bench(const codec_bench_options& o) {
  if (o.frames == 0)
    throw std::invalid_argument("--frames must be positive");
  msg::codec_limits limits;
  limits.frame_size_max = UINT64_MAX; // measure any size asked for
  limits.traversal_words_max = UINT64_MAX;
  limits.values_max = o.blocks;
  limits.value_size_max = o.block_size;
  const msg::wire_message message = sample_frame(o);

  // Encoding reuses one buffer, as a connection's writer does.
  bytes frame;
  auto start = clock_type::now();
  for (uint64_t i = 0; i < o.frames; ++i)
    msg::encode(message, frame);
  double encode_s = seconds_since(start);

  start = clock_type::now();
  uint64_t checksum = 0; // keeps the decoded messages observable
  for (uint64_t i = 0; i < o.frames; ++i) {
    auto decoded = msg::decode_wire(frame, limits);
    if (!decoded)
      throw std::runtime_error("decode: " + decoded.error().to_string());
    checksum += std::get<msg::data>(*decoded).body.block->values.back().back();
  }
  double decode_s = seconds_since(start);

  auto frames = static_cast<double>(o.frames);
  auto mb = static_cast<double>(frame.size()) * frames / 1e6;
  return {
    {"frames", o.frames},
    {"blocks_per_frame", o.blocks},
    {"block_size", o.block_size},
    {"frame_size", frame.size()},
    {"encode_frames_per_s", frames / encode_s},
    {"encode_mb_per_s", mb / encode_s},
    {"decode_frames_per_s", frames / decode_s},
    {"decode_mb_per_s", mb / decode_s},
    {"encode_decode_mb_per_s", mb / (encode_s + decode_s)},
    {"checksum", checksum},
  };
}

} // namespace dynfeed::bench

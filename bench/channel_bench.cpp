#include "bench/channel_bench.hpp"

#include "dynfeed/crypto/noise.hpp"
#include "dynfeed/channel/secure_channel.hpp"

#include <algorithm>
#include <chrono>
#include <stdexcept>

namespace dynfeed::bench {

namespace {

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

void check(const status& st, const char* what) {
  if (!st)
    throw std::runtime_error(std::string(what) + ": " + st.error().to_string());
}

double handshakes_per_second(uint64_t count) {
  noise_keypair a = noise_keypair::generate();
  noise_keypair b = noise_keypair::generate();
  bytes prologue{'b', 'e', 'n', 'c', 'h'};
  auto start = clock_type::now();
  for (uint64_t i = 0; i < count; ++i) {
    auto init = noise_handshake::initiator(a, prologue);
    auto resp = noise_handshake::responder(b, prologue);
    auto m1 = init.write_message({});
    bool ok = m1 && resp.read_message(*m1);
    auto m2 = resp.write_message({});
    ok = ok && m2 && init.read_message(*m2);
    auto m3 = init.write_message({});
    ok = ok && m3 && resp.read_message(*m3) && init.split() && resp.split();
    if (!ok)
      throw std::runtime_error("handshake failed");
  }
  return static_cast<double>(count) / seconds_since(start);
}

} // namespace

nlohmann::json run_channel_bench(const channel_bench_options& o) {
  secure_channel_config config;
  config.frame_size_max = std::max<uint64_t>(o.frame_size, 1);
  config.output_buffer_max = 4 * config.frame_size_max + (1u << 20);
  secure_channel a{noise_role::initiator, noise_keypair::generate(), config};
  secure_channel b{noise_role::responder, noise_keypair::generate(), config};
  channel_events events;
  for (int i = 0; i < 2; ++i) {
    check(b.feed(a.take_output(), events), "handshake");
    check(a.feed(b.take_output(), events), "handshake");
  }
  if (!a.handshake_complete() || !b.handshake_complete())
    throw std::runtime_error("handshake did not complete");

  bytes frame(o.frame_size, 0x5a);
  double seal_s = 0;
  double open_s = 0;
  uint64_t received = 0;
  for (uint64_t i = 0; i < o.frames; ++i) {
    auto start = clock_type::now();
    check(a.send(frame), "send");
    byte_span wire = a.output();
    seal_s += seconds_since(start);
    start = clock_type::now();
    events.clear();
    check(b.feed(wire, events), "feed");
    open_s += seconds_since(start);
    a.consume_output(wire.size());
    received += events.frames.size();
  }
  if (received != o.frames)
    throw std::runtime_error("frames lost");
  double mb = static_cast<double>(o.frames * o.frame_size) / 1e6;
  return {{"handshakes_per_s", handshakes_per_second(o.handshakes)},
          {"frame_size", o.frame_size},
          {"frames", o.frames},
          {"seal_mb_per_s", mb / seal_s},
          {"open_mb_per_s", mb / open_s},
          {"seal_and_open_mb_per_s", mb / (seal_s + open_s)}};
}

} // namespace dynfeed::bench

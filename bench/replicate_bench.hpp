#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

namespace dynfeed::bench {

struct replicate_bench_options {
  uint64_t blocks = 100000;
  uint64_t block_size = 1024;
  uint64_t seed = 1;
  /// The program to run as the seeding process (this program, normally).
  std::string program = "/proc/self/exe";
};

/// Creates a feed, serves it from a child process (`dynfeed seed`), and clones it in this
/// process over 127.0.0.1: encrypted, verified and stored on both sides.
nlohmann::json run_replicate_bench(const replicate_bench_options& options);

} // namespace dynfeed::bench

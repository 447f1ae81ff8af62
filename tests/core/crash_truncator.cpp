/// Test helper for the crash test: truncates and re-grows the feed in DIR forever, printing
/// "FORK LENGTH" after each acknowledged truncation or append, until it is killed.

#include "dynfeed/core/feed_dir.hpp"
#include "support/crash_blocks.hpp"

#include <cstdio>
#include <cstdlib>

int main(int argc, char** argv) {
  using namespace dynfeed;
  if (argc != 3)
    return 2;
  auto dir = feed_dir::open(argv[1]);
  if (!dir) {
    std::fprintf(stderr, "crash_truncator: %s\n", dir.error().to_string().c_str());
    return 1;
  }
  feed& f = (*dir)->feed();
  rng random{std::strtoull(argv[2], nullptr, 10) ^ f.length()};
  auto acknowledge = [&f] {
    std::printf("%llu %llu\n", static_cast<unsigned long long>(f.fork()),
                static_cast<unsigned long long>(f.length()));
    std::fflush(stdout);
  };
  for (;;) {
    if (f.length() > 0) {
      if (auto fork = f.truncate(random.below(f.length())); !fork) {
        std::fprintf(stderr, "crash_truncator: %s\n", fork.error().to_string().c_str());
        return 1;
      }
      acknowledge();
    }
    std::vector<bytes> blocks(1 + random.below(300));
    // Each fork writes other bytes at an index, so that a mix of two histories cannot verify.
    for (size_t i = 0; i < blocks.size(); ++i) {
      blocks[i] = test::crash_block(f.length() + i);
      blocks[i].push_back(static_cast<uint8_t>(f.fork()));
    }
    if (auto length = f.append(std::vector<byte_span>(blocks.begin(), blocks.end())); !length) {
      std::fprintf(stderr, "crash_truncator: %s\n", length.error().to_string().c_str());
      return 1;
    }
    acknowledge();
  }
}

/// Test helper for the crash test: appends batches to the feed in DIR forever, printing the new
/// length after each acknowledged append, until it is killed.

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
    std::fprintf(stderr, "crash_appender: %s\n", dir.error().to_string().c_str());
    return 1;
  }
  feed& f = (*dir)->feed();
  rng random{std::strtoull(argv[2], nullptr, 10) ^ f.length()};
  for (;;) {
    std::vector<bytes> blocks(1 + random.below(40));
    for (size_t i = 0; i < blocks.size(); ++i)
      blocks[i] = test::crash_block(f.length() + i);
    auto length = f.append(std::vector<byte_span>(blocks.begin(), blocks.end()));
    if (!length) {
      std::fprintf(stderr, "crash_appender: %s\n", length.error().to_string().c_str());
      return 1;
    }
    std::printf("%llu\n", static_cast<unsigned long long>(*length));
    std::fflush(stdout);
  }
}

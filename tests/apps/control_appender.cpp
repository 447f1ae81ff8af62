/// Test helper for the crash tests: hands batches to the node serving DIR through its control
/// socket (what `dynfeed append` does beside a running seeder), forever, printing the new
/// length after each acknowledged batch. Block i is test::crash_block(i); LENGTH is the feed's
/// length when it starts. Exits 1 once the node stops answering or answers a wrong length.
///   control_appender DIR LENGTH SEED

#include "dynfeed/control/control.hpp"
#include "support/crash_blocks.hpp"

#include <cstdio>
#include <cstdlib>

int main(int argc, char** argv) {
  using namespace dynfeed;
  if (argc != 4)
    return 2;
  uint64_t length = std::strtoull(argv[2], nullptr, 10);
  rng random{std::strtoull(argv[3], nullptr, 10)};
  for (;;) {
    std::vector<bytes> blocks(1 + random.below(20));
    for (size_t i = 0; i < blocks.size(); ++i)
      blocks[i] = test::crash_block(length + i);
    auto appended = control_append(argv[1], blocks);
    if (!appended) {
      std::fprintf(stderr, "control_appender: %s\n", appended.error().to_string().c_str());
      return 1;
    }
    if (*appended != length + blocks.size()) {
      std::fprintf(stderr, "control_appender: length %llu after the batch, not %llu\n",
                   static_cast<unsigned long long>(*appended),
                   static_cast<unsigned long long>(length + blocks.size()));
      return 1;
    }
    length = *appended;
    std::printf("%llu\n", static_cast<unsigned long long>(length));
    std::fflush(stdout);
  }
}

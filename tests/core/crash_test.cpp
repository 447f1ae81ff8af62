#include <boost/test/unit_test.hpp>

#include "dynfeed/core/feed_dir.hpp"
#include "support/crash_blocks.hpp"
#include "support/print.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

using namespace dynfeed;

BOOST_AUTO_TEST_SUITE(crash)

BOOST_AUTO_TEST_CASE(acknowledged_appends_survive_sigkill) {
  test::temp_dir tmp;
  std::string dir = tmp / "feed";
  {
    auto created = feed_dir::create(dir, crypto::generate_keypair());
    REQUIRE_OK(created);
  }
  rng random{2024};
  uint64_t acknowledged = 0;
  constexpr int rounds = 40;
  for (int round = 0; round < rounds; ++round) {
    test::child_process child{{CRASH_APPENDER_PATH, dir, std::to_string(round)}};
    // Kill after a random number of acknowledgements: the child is then somewhere inside its
    // next append.
    uint64_t wait_for = 1 + random.below(30);
    std::string line;
    for (uint64_t seen = 0; seen < wait_for && child.read_line(line); ++seen)
      acknowledged = std::max<uint64_t>(acknowledged, std::stoull(line));
    child.kill(SIGKILL);
    // Acknowledgements written before the kill are still in the pipe.
    while (child.read_line(line))
      acknowledged = std::max<uint64_t>(acknowledged, std::stoull(line));
    child.wait();

    auto reopened = feed_dir::open(dir);
    REQUIRE_OK(reopened);
    feed& f = (*reopened)->feed();
    BOOST_TEST_CONTEXT("round " << round) {
      BOOST_REQUIRE(f.length() >= acknowledged);
      REQUIRE_OK(f.verify_all());
      for (uint64_t i = 0; i < f.length(); ++i)
        BOOST_REQUIRE(f.get(i).value() == test::crash_block(i));
    }
  }
  BOOST_TEST(acknowledged > uint64_t{rounds});
}

BOOST_AUTO_TEST_CASE(a_truncation_killed_midway_leaves_the_old_tree_or_the_new_one) {
  test::temp_dir tmp;
  std::string dir = tmp / "feed";
  REQUIRE_OK(feed_dir::create(dir, crypto::generate_keypair()));
  rng random{2025};
  uint64_t fork_acknowledged = 0;
  constexpr int rounds = 30;
  for (int round = 0; round < rounds; ++round) {
    test::child_process child{{CRASH_TRUNCATOR_PATH, dir, std::to_string(round)}};
    uint64_t wait_for = 1 + random.below(20);
    std::string line;
    auto note = [&](const std::string& l) {
      fork_acknowledged = std::max<uint64_t>(fork_acknowledged, std::stoull(l));
    };
    for (uint64_t seen = 0; seen < wait_for && child.read_line(line); ++seen)
      note(line);
    child.kill(SIGKILL);
    while (child.read_line(line))
      note(line);
    child.wait();

    auto reopened = feed_dir::open(dir);
    REQUIRE_OK(reopened);
    feed& f = (*reopened)->feed();
    BOOST_TEST_CONTEXT("round " << round) {
      // The signed tree on disk is whole (it verifies), and no block or node of a dropped
      // history outlives it: every block held hashes into it.
      BOOST_REQUIRE(f.fork() >= fork_acknowledged);
      BOOST_REQUIRE(f.have().count() == f.length());
      REQUIRE_OK(f.verify_all());
      for (uint64_t i = 0; i < f.length(); ++i) {
        bytes block = f.get(i).value();
        BOOST_REQUIRE(block.size() == test::crash_block(i).size() + 1);
        BOOST_REQUIRE(block.back() <= static_cast<uint8_t>(f.fork()));
      }
    }
  }
  BOOST_TEST(fork_acknowledged > uint64_t{rounds});
}

BOOST_AUTO_TEST_SUITE_END()

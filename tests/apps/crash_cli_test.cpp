#define BOOST_TEST_MODULE crash_cli
#include <boost/test/unit_test.hpp>

// SIGKILL, many times, with real processes: a clone, a follower, value puts, and a seeder that
// takes appends through its control socket. After each kill, nothing acknowledged is lost and
// nothing unverifiable is kept. DYNFEED_CRASH_ROUNDS sets the rounds of each case (a few by
// default, so that CI stays short; docs/reliability.md gives the long runs).
//
// The kill comes after a random delay: that delay is the fault's timing (where in its work the
// process dies), not a wait for something to happen; every wait for a result reads the
// process' output or polls with a bound.

#include "dynfeed/base/random.hpp"
#include "dynfeed/core/feed_dir.hpp"
#include "dynfeed/core/value_dir.hpp"
#include "dynfeed/storage/value_store.hpp"
#include "support/crash_blocks.hpp"
#include "support/print.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

using namespace dynfeed;
using test::process_result;

namespace {

int crash_rounds(int ci_default) {
  const char* env = std::getenv("DYNFEED_CRASH_ROUNDS");
  return env ? std::max(1, std::atoi(env)) : ci_default;
}

process_result dynfeed_cmd(std::vector<std::string> args, const std::string& input = {}) {
  args.insert(args.begin(), DYNFEED_PATH);
  return test::run_process(args, input);
}

/// Kills `child` if it is still running after `seconds`, so that a test reading its output
/// fails instead of waiting forever.
class watchdog {
public:
  watchdog(test::child_process& child, int seconds)
    : thread_([this, &child, seconds] {
        std::unique_lock<std::mutex> lock{mutex_};
        if (!cv_.wait_for(lock, std::chrono::seconds{seconds}, [this] { return done_; }))
          child.kill(SIGKILL);
      }) {}
  ~watchdog() {
    {
      std::lock_guard<std::mutex> lock{mutex_};
      done_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }

private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};

/// How long `args` takes to run to completion, in microseconds: the crash cases kill the same
/// command at random points of that span.
uint64_t duration_us(const std::vector<std::string>& args) {
  auto start = std::chrono::steady_clock::now();
  process_result r = dynfeed_cmd(args);
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                 std::chrono::steady_clock::now() - start)
                                 .count());
}

void kill_after(test::child_process& child, uint64_t delay_us) {
  std::this_thread::sleep_for(std::chrono::microseconds{delay_us});
  child.kill(SIGKILL);
}

/// Lines "line i ....", padded to about a kilobyte, for blocks first..first+count-1.
std::string lines(uint64_t first, uint64_t count) {
  std::string out;
  for (uint64_t i = first; i < first + count; ++i)
    out += "line " + std::to_string(i) + " " + std::string(1000, 'a' + i % 26) + "\n";
  return out;
}

std::string line(uint64_t i) {
  std::string l = lines(i, 1);
  l.pop_back();
  return l;
}

nlohmann::json info(const std::string& dir) {
  process_result r = dynfeed_cmd({"info", dir, "--json"});
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  return nlohmann::json::parse(r.out);
}

/// `dynfeed seed DIR` in the background on 127.0.0.1.
struct seeder {
  test::child_process proc;
  std::string key;
  std::string address;

  explicit seeder(const std::string& dir)
    : proc({DYNFEED_PATH, "seed", dir, "--listen", "127.0.0.1:0", "--quiet"}) {
    std::string l;
    BOOST_REQUIRE(proc.read_line(key));
    BOOST_REQUIRE(proc.read_line(l));
    BOOST_REQUIRE(l.rfind("listening on ", 0) == 0);
    address = l.substr(13);
  }
};

/// Everything a killed process left in `dir` verifies, block by block, against what it should be.
void check_feed(const std::string& dir, uint64_t acknowledged,
                const std::function<bytes(uint64_t)>& expected_block) {
  auto opened = feed_dir::open(dir);
  REQUIRE_OK(opened);
  feed& f = (*opened)->feed();
  BOOST_REQUIRE(f.length() >= acknowledged);
  REQUIRE_OK(f.verify_all());
  for (uint64_t i = 0; i < f.length(); ++i) {
    auto block = f.get(i);
    if (block) // a sparse copy holds only some blocks: those it holds are right
      BOOST_REQUIRE(*block == expected_block(i));
  }
}

bytes line_bytes(uint64_t i) {
  std::string l = line(i);
  return bytes(l.begin(), l.end());
}

} // namespace

BOOST_AUTO_TEST_CASE(a_clone_killed_anywhere_resumes_and_keeps_only_what_it_proved) {
  test::temp_dir tmp;
  std::string origin = tmp / "origin";
  constexpr uint64_t length = 20000;
  BOOST_REQUIRE(dynfeed_cmd({"create", origin}).exit_code == 0);
  BOOST_REQUIRE(dynfeed_cmd({"append", origin}, lines(0, length)).exit_code == 0);
  seeder s{origin};
  uint64_t clone_us =
    duration_us({"clone", s.key, tmp / "timed", "--peer", s.address, "--quiet"});
  BOOST_TEST_MESSAGE("a whole clone takes " << clone_us / 1000 << " ms");
  rng random{16};
  int partial = 0;
  int copies = 0;
  std::string copy = tmp / "copy0";
  for (int round = 0, rounds = crash_rounds(8); round < rounds; ++round) {
    BOOST_TEST_CONTEXT("round " << round) {
      test::child_process clone{
        {DYNFEED_PATH, "clone", s.key, copy, "--peer", s.address, "--quiet"}};
      kill_after(clone, clone_us / 3 + random.below(clone_us * 2 / 3));
      clone.wait();
      if (!std::filesystem::exists(copy + "/db"))
        continue; // killed before it made its store
      process_result verified = dynfeed_cmd({"verify", copy});
      if (verified.exit_code != 0 && verified.err.find("holds no feed") != std::string::npos) {
        // Killed between opening its database and writing its feed: it holds nothing, and
        // the next clone resumes in it (feed_dir::open_reader).
        BOOST_TEST_MESSAGE("round " << round << ": killed while making its store");
        continue;
      }
      BOOST_REQUIRE_MESSAGE(verified.exit_code == 0, verified.err);
      uint64_t held = info(copy)["blocksHeld"];
      partial += held > 0 && held < length;
      BOOST_TEST_MESSAGE("round " << round << ": killed holding " << held << " blocks");
      check_feed(copy, 0, line_bytes);
      if (held == length) // this copy is done: the next rounds start another
        copy = tmp / ("copy" + std::to_string(++copies));
    }
  }
  BOOST_TEST_MESSAGE(partial << " clones were killed with part of the feed");
  process_result done = dynfeed_cmd({"clone", s.key, copy, "--peer", s.address, "--quiet"});
  BOOST_REQUIRE_MESSAGE(done.exit_code == 0, done.err);
  BOOST_TEST(info(copy)["blocksHeld"] == length);
  BOOST_TEST(info(copy)["treeHash"] == info(origin)["treeHash"]);
  BOOST_TEST(dynfeed_cmd({"verify", copy}).exit_code == 0);
}

BOOST_AUTO_TEST_CASE(a_follower_killed_keeps_every_block_it_printed) {
  test::temp_dir tmp;
  std::string origin = tmp / "origin";
  BOOST_REQUIRE(dynfeed_cmd({"create", origin}).exit_code == 0);
  BOOST_REQUIRE(dynfeed_cmd({"append", origin}, lines(0, 500)).exit_code == 0);
  seeder s{origin};
  std::string live = tmp / "live";
  rng random{17};
  uint64_t length = 500;
  for (int round = 0, rounds = crash_rounds(6); round < rounds; ++round) {
    BOOST_TEST_CONTEXT("round " << round) {
      test::child_process follower{
        {DYNFEED_PATH, "follow", s.key, live, "--peer", s.address, "--quiet"}};
      watchdog bound{follower, 60};
      // New blocks while it follows: appended through the seeder's control socket.
      process_result appended = dynfeed_cmd({"append", origin}, lines(length, 50));
      BOOST_REQUIRE_MESSAGE(appended.exit_code == 0, appended.err);
      length += 50;
      // It prints blocks in order from 0: read some, then kill it.
      uint64_t printed = 0;
      uint64_t wanted = 1 + random.below(length);
      std::string l;
      while (printed < wanted && follower.read_line(l)) {
        BOOST_REQUIRE(l == line(printed));
        ++printed;
      }
      // A restarted follower prints what it holds, then what arrives (it printed nothing at
      // all before this was fixed).
      BOOST_REQUIRE_MESSAGE(printed == wanted, "the follower stopped printing at " << printed);
      follower.kill(SIGKILL);
      follower.wait();
      // Every printed block is held and right; nothing held fails to verify.
      check_feed(live, 0, line_bytes);
      auto opened = feed_dir::open(live);
      REQUIRE_OK(opened);
      for (uint64_t i = 0; i < printed; ++i)
        BOOST_REQUIRE((*opened)->feed().get(i).has_value());
    }
  }
}

BOOST_AUTO_TEST_CASE(value_puts_killed_anywhere_keep_the_acknowledged_value) {
  test::temp_dir tmp;
  std::string keys = tmp / "keys";
  BOOST_REQUIRE(dynfeed_cmd({"value", "create", keys}).exit_code == 0);
  uint64_t put_us = duration_us({"value", "put", keys, "v1", "--salt", "status"});
  rng random{18};
  uint64_t acknowledged = 1;
  int attempts = 1;
  for (int round = 0, rounds = crash_rounds(15); round < rounds; ++round) {
    BOOST_TEST_CONTEXT("round " << round) {
      ++attempts;
      std::string text = "v" + std::to_string(attempts);
      test::child_process put{{DYNFEED_PATH, "value", "put", keys, text, "--salt", "status"}};
      kill_after(put, random.below(put_us + put_us / 4));
      std::string l;
      if (put.read_line(l)) // printed before the kill: acknowledged
        acknowledged = std::stoull(l);
      put.wait();
      auto dir = value_dir::open(keys);
      REQUIRE_OK(dir);
      value_feed_def def = (*dir)->feed(bytes{'s', 't', 'a', 't', 'u', 's'});
      auto held = load_value_state((*dir)->store(), def);
      REQUIRE_OK(held);
      BOOST_REQUIRE(held->current.has_value());
      BOOST_REQUIRE(held->current->seq >= acknowledged);
      BOOST_REQUIRE(held->current->seq <= uint64_t(attempts));
      BOOST_REQUIRE(static_cast<bool>(verify_value(def, *held->current)));
      std::string value(held->current->value.begin(), held->current->value.end());
      BOOST_REQUIRE(value.rfind("v", 0) == 0); // one of ours
    }
  }
  BOOST_TEST_MESSAGE(acknowledged << " puts acknowledged of " << attempts);
}

BOOST_AUTO_TEST_CASE(a_seeder_killed_during_control_appends_keeps_every_acknowledged_batch) {
  test::temp_dir tmp;
  std::string origin = tmp / "origin";
  BOOST_REQUIRE(dynfeed_cmd({"create", origin}).exit_code == 0);
  rng random{19};
  uint64_t acknowledged = 0;
  uint64_t length = 0;
  for (int round = 0, rounds = crash_rounds(8); round < rounds; ++round) {
    BOOST_TEST_CONTEXT("round " << round) {
      seeder s{origin};
      test::child_process appender{{CONTROL_APPENDER_PATH, origin, std::to_string(length),
                                    std::to_string(round)},
                                   tmp / "appender.err"};
      uint64_t wait_for = 1 + random.below(30);
      std::string l;
      for (uint64_t seen = 0; seen < wait_for && appender.read_line(l); ++seen)
        acknowledged = std::max<uint64_t>(acknowledged, std::stoull(l));
      s.proc.kill(SIGKILL); // the seeder dies somewhere inside a batch
      s.proc.wait();
      while (appender.read_line(l)) // acknowledged before the kill, still in the pipe
        acknowledged = std::max<uint64_t>(acknowledged, std::stoull(l));
      appender.wait();
      check_feed(origin, acknowledged, test::crash_block);
      length = info(origin)["length"];
    }
  }
  BOOST_TEST(acknowledged > 0u);
  BOOST_TEST(dynfeed_cmd({"verify", origin}).exit_code == 0);
}

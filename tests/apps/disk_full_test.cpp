#define BOOST_TEST_MODULE disk_full
#include <boost/test/unit_test.hpp>

// A full disk: appends and a clone into a small tmpfs this test mounts fail with a one-line
// error once space runs out, leave the feed verifiable with every acknowledged append, and work
// again once space is freed. Mounting needs root (CI runs as root): otherwise the case says it
// is skipped and why.

#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <nlohmann/json.hpp>

#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

using namespace dynfeed;
using test::process_result;

namespace {

process_result dynfeed_cmd(std::vector<std::string> args, const std::string& input = {}) {
  args.insert(args.begin(), DYNFEED_PATH);
  return test::run_process(args, input);
}

nlohmann::json info(const std::string& dir) {
  process_result r = dynfeed_cmd({"info", dir, "--json"});
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  return nlohmann::json::parse(r.out);
}

std::string lines(uint64_t first, uint64_t count) {
  std::string out;
  for (uint64_t i = first; i < first + count; ++i)
    out += "line " + std::to_string(i) + " " + std::string(1000, 'a' + i % 26) + "\n";
  return out;
}

/// A tmpfs of `size_mb` mounted on a fresh directory, unmounted at the end.
struct small_disk {
  test::temp_dir tmp;
  std::string path = tmp / "disk";
  bool mounted = false;
  std::string why_not;

  explicit small_disk(int size_mb) {
    if (::geteuid() != 0) {
      why_not = "not root: cannot mount a tmpfs";
      return;
    }
    std::filesystem::create_directory(path);
    std::string options = "size=" + std::to_string(size_mb) + "m,mode=700";
    if (::mount("tmpfs", path.c_str(), "tmpfs", 0, options.c_str()) != 0) {
      why_not = std::string{"mount failed: "} + std::strerror(errno);
      return;
    }
    mounted = true;
  }
  ~small_disk() {
    if (mounted)
      ::umount2(path.c_str(), MNT_DETACH);
  }
  uint64_t free_bytes() const {
    struct statvfs st;
    ::statvfs(path.c_str(), &st);
    return uint64_t{st.f_bavail} * st.f_frsize;
  }
  /// A file taking all free space but `leave` bytes.
  void fill(const std::string& name, uint64_t leave) {
    uint64_t size = free_bytes() > leave ? free_bytes() - leave : 0;
    std::ofstream out{path + "/" + name, std::ios::binary};
    std::string chunk(1 << 16, 'f');
    for (uint64_t done = 0; done < size; done += chunk.size())
      out.write(chunk.data(), static_cast<std::streamsize>(std::min<uint64_t>(chunk.size(), size - done)));
  }
};

/// A refusal for lack of space: exit 1 (no crash), one line on stderr that says so.
void expect_out_of_space(const process_result& r) {
  BOOST_TEST(r.exit_code == 1, "exit " << r.exit_code << ": " << r.err);
  BOOST_TEST(std::count(r.err.begin(), r.err.end(), '\n') == 1, r.err);
  BOOST_TEST(r.err.find("space") != std::string::npos, r.err);
  BOOST_TEST_MESSAGE("out of space: " << r.err);
}

} // namespace

BOOST_AUTO_TEST_CASE(appends_on_a_full_disk_fail_cleanly_and_resume_once_space_is_freed) {
  small_disk disk{16};
  if (!disk.mounted) {
    BOOST_TEST_MESSAGE("skipped: " << disk.why_not);
    return;
  }
  std::string feed = disk.path + "/feed";
  BOOST_REQUIRE(dynfeed_cmd({"create", feed}).exit_code == 0);
  disk.fill("filler", 3 << 20);
  uint64_t acknowledged = 0;
  process_result r;
  for (int batch = 0; batch < 200; ++batch) {
    r = dynfeed_cmd({"append", feed}, lines(acknowledged, 100));
    if (r.exit_code != 0)
      break;
    acknowledged = std::stoull(r.out);
  }
  BOOST_REQUIRE_MESSAGE(r.exit_code != 0, "the disk never filled");
  expect_out_of_space(r);
  BOOST_TEST_MESSAGE(acknowledged << " blocks acknowledged before the disk was full");
  BOOST_TEST(acknowledged > 0u);
  // Still full: the feed reads and verifies, with every acknowledged block.
  process_result verified = dynfeed_cmd({"verify", feed});
  BOOST_TEST(verified.exit_code == 0, verified.err);
  BOOST_TEST(info(feed)["length"] == acknowledged);
  BOOST_TEST(dynfeed_cmd({"get", feed, std::to_string(acknowledged - 1)}).out
             == lines(acknowledged - 1, 1).substr(0, lines(acknowledged - 1, 1).size() - 1));
  // Space freed: appends work again.
  std::filesystem::remove(disk.path + "/filler");
  process_result again = dynfeed_cmd({"append", feed}, lines(acknowledged, 100));
  BOOST_REQUIRE_MESSAGE(again.exit_code == 0, again.err);
  BOOST_TEST(again.out == std::to_string(acknowledged + 100) + "\n");
  BOOST_TEST(dynfeed_cmd({"verify", feed}).exit_code == 0);
}

BOOST_AUTO_TEST_CASE(a_clone_into_a_full_disk_fails_cleanly_and_resumes_once_space_is_freed) {
  small_disk disk{16};
  if (!disk.mounted) {
    BOOST_TEST_MESSAGE("skipped: " << disk.why_not);
    return;
  }
  test::temp_dir tmp;
  std::string origin = tmp / "origin";
  constexpr uint64_t length = 4000; // about 4 MB
  BOOST_REQUIRE(dynfeed_cmd({"create", origin}).exit_code == 0);
  BOOST_REQUIRE(dynfeed_cmd({"append", origin}, lines(0, length)).exit_code == 0);
  test::child_process seeder{{DYNFEED_PATH, "seed", origin, "--listen", "127.0.0.1:0", "--quiet"}};
  std::string key, listening;
  BOOST_REQUIRE(seeder.read_line(key));
  BOOST_REQUIRE(seeder.read_line(listening));
  std::string address = listening.substr(13);

  std::string copy = disk.path + "/copy";
  disk.fill("filler", 2 << 20);
  process_result r = dynfeed_cmd({"clone", key, copy, "--peer", address, "--quiet", "--timeout", "5"});
  BOOST_REQUIRE_MESSAGE(r.exit_code != 0, "the clone fit");
  // No crash (it aborted inside RocksDB before), one line that says the disk is full and where
  // (it said "no progress for 5 s: no peer answered" before), and not after the timeout.
  expect_out_of_space(r);
  BOOST_TEST(r.err.find(copy) != std::string::npos, r.err);
  BOOST_TEST(r.err.find("no progress") == std::string::npos, r.err);
  BOOST_REQUIRE(std::filesystem::exists(copy + "/db"));
  process_result verified = dynfeed_cmd({"verify", copy});
  BOOST_TEST(verified.exit_code == 0, verified.err);
  uint64_t held_when_full = info(copy)["blocksHeld"];
  BOOST_TEST_MESSAGE("held when the disk was full: " << held_when_full);
  BOOST_TEST(held_when_full < length);
  std::filesystem::remove(disk.path + "/filler");
  process_result done = dynfeed_cmd({"clone", key, copy, "--peer", address, "--quiet"});
  BOOST_REQUIRE_MESSAGE(done.exit_code == 0, done.err);
  BOOST_TEST(info(copy)["blocksHeld"] == length);
  BOOST_TEST(info(copy)["treeHash"] == info(origin)["treeHash"]);
  BOOST_TEST(dynfeed_cmd({"verify", copy}).exit_code == 0);
}

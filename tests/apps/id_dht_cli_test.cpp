// The dht ID channel between real processes on 127.0.0.1: a rotating writer seeded with
// --bootstrap and --id-channel dht puts each new ID in the DHT, and a follower whose only
// channel is dht (no --peer, no value swarm, no relay) learns every one by polling and
// receives every live append; and what the command line refuses.

#include <boost/test/unit_test.hpp>

#include "support/dynfeed_cli.hpp"
#include "support/temp_dir.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>

using namespace dynfeed;
using test::dynfeed_cmd;
using test::listening_process;
using test::process_result;

namespace {

std::string make_feed(const test::temp_dir& tmp, uint64_t count) {
  std::string dir = tmp / "origin";
  BOOST_REQUIRE(dynfeed_cmd({"create", dir}).exit_code == 0);
  std::string text;
  for (uint64_t i = 0; i < count; ++i)
    text += "line " + std::to_string(i) + "\n";
  BOOST_REQUIRE(dynfeed_cmd({"append", dir}, text).exit_code == 0);
  return dir;
}

} // namespace

BOOST_AUTO_TEST_SUITE(dht_id_channel_processes)

BOOST_AUTO_TEST_CASE(a_follower_hears_every_id_through_the_dht_alone) {
  for (std::string mode : {"rotating", "rotating-roots"}) {
    BOOST_TEST_CONTEXT("mode " << mode) {
      test::temp_dir tmp;
      listening_process dht{{DYNFEED_PATH, "dht", "--listen", "127.0.0.1:0", "--quiet"}};
      std::string origin = make_feed(tmp, 3);
      listening_process seed{{DYNFEED_PATH, "seed", origin, "--listen", "127.0.0.1:0", "--quiet",
                              "--mode", mode, "--id-channel", "dht", "--bootstrap",
                              dht.address}};
      // No --peer: the follower finds the writer's ID swarms through the DHT, and hears of
      // each new ID only from the DHT's items (a poll every second here). In rotating-roots
      // mode it also keeps each ID swarm it leaves until the next gives it a peer.
      std::vector<std::string> args{DYNFEED_PATH, "follow", seed.first, tmp / "live", "--quiet",
                                    "--mode", mode, "--id-channel", "dht", "--poll-interval",
                                    "1", "--bootstrap", dht.address};
      if (mode == "rotating-roots")
        args.insert(args.end(), {"--id-overlap", "10"});
      test::child_process follower{args};
      std::string line;
      for (uint64_t i = 0; i < 3; ++i) {
        BOOST_REQUIRE(follower.read_line(line));
        BOOST_TEST(line == "line " + std::to_string(i));
      }
      for (int round = 0; round < 3; ++round) {
        std::string text = "through the dht " + std::to_string(round);
        process_result appended = dynfeed_cmd({"append", origin}, text + "\n");
        BOOST_REQUIRE_MESSAGE(appended.exit_code == 0, appended.err);
        BOOST_REQUIRE(follower.read_line(line));
        BOOST_TEST(line == text);
      }
      follower.kill(SIGTERM);
      follower.wait();
      process_result info = dynfeed_cmd({"info", tmp / "live", "--json"});
      BOOST_REQUIRE_MESSAGE(info.exit_code == 0, info.err);
      BOOST_TEST(nlohmann::json::parse(info.out)["length"] == 6);
      BOOST_TEST(dynfeed_cmd({"verify", tmp / "live"}).exit_code == 0);
    }
  }
}

BOOST_AUTO_TEST_CASE(dht_without_a_dht_is_refused_and_poll_and_overlap_times_are_checked) {
  test::temp_dir tmp;
  std::string key(64, 'a');
  for (const char* channels : {"dht", "relay,dht"}) {
    process_result r = dynfeed_cmd({"follow", key, tmp / "c", "--peer", "127.0.0.1:1", "--mode",
                            "rotating", "--id-channel", channels});
    BOOST_TEST(r.exit_code == 2, channels);
    BOOST_TEST(r.err.find("--id-channel dht needs the DHT: give --bootstrap") != std::string::npos,
               r.err);
    r = dynfeed_cmd({"follow", key, tmp / "c", "--tracker", "127.0.0.1:1", "--mode", "rotating",
             "--id-channel", channels});
    BOOST_TEST(r.exit_code == 2, channels);
    BOOST_TEST(r.err.find("needs the DHT") != std::string::npos, r.err);
  }
  std::string origin = make_feed(tmp, 1);
  process_result r = dynfeed_cmd({"seed", origin, "--mode", "rotating", "--id-channel", "dht"});
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(r.err.find("needs the DHT") != std::string::npos, r.err);
  for (const char* bad : {"0", "-1", "x", "100000"}) {
    r = dynfeed_cmd({"follow", key, tmp / "c", "--bootstrap", "127.0.0.1:1", "--mode", "rotating",
             "--id-channel", "dht", "--poll-interval", bad});
    BOOST_TEST(r.exit_code == 2, bad);
    BOOST_TEST(r.err.find("--poll-interval") != std::string::npos, r.err);
  }
  for (const char* bad : {"-1", "x", "5000"}) {
    r = dynfeed_cmd({"follow", key, tmp / "c", "--bootstrap", "127.0.0.1:1", "--mode", "rotating",
                     "--id-channel", "dht", "--id-overlap", bad});
    BOOST_TEST(r.exit_code == 2, bad);
    BOOST_TEST(r.err.find("--id-overlap") != std::string::npos, r.err);
  }
  BOOST_TEST(!std::filesystem::exists(tmp / "c"));
}

BOOST_AUTO_TEST_SUITE_END()

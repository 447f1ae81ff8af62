#define BOOST_TEST_MODULE node_cli
#include <boost/test/unit_test.hpp>

#include "dynfeed/base/hex.hpp"
#include "dynfeed/messages/codec.hpp"
#include "dynfeed/channel/secure_channel.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <thread>

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
    out += "line " + std::to_string(i) + "\n";
  return out;
}

/// `dynfeed seed DIR` running in the background, listening on 127.0.0.1.
struct seeder {
  test::child_process proc;
  std::string key;
  std::string address;

  explicit seeder(const std::string& dir, const std::string& err_path = {})
    : proc({DYNFEED_PATH, "seed", dir, "--listen", "127.0.0.1:0", "--quiet"}, err_path) {
    std::string line;
    BOOST_REQUIRE(proc.read_line(key));
    BOOST_REQUIRE(proc.read_line(line));
    BOOST_REQUIRE(line.rfind("listening on ", 0) == 0);
    address = line.substr(13);
  }

  uint16_t port() const { return static_cast<uint16_t>(std::stoi(address.substr(address.rfind(':') + 1))); }
};

/// A feed with `count` lines, created by the command line.
std::string make_feed(const test::temp_dir& tmp, uint64_t count) {
  std::string dir = tmp / "origin";
  BOOST_REQUIRE(dynfeed_cmd({"create", dir}).exit_code == 0);
  BOOST_REQUIRE(dynfeed_cmd({"append", dir}, lines(0, count)).exit_code == 0);
  return dir;
}

/// Opens a TCP connection to the seeder, sends `bytes`, and closes it.
void raw_connection(uint16_t port, const std::string& bytes) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  BOOST_REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  if (!bytes.empty())
    BOOST_REQUIRE(::write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()));
  ::close(fd);
}

} // namespace

BOOST_AUTO_TEST_CASE(clone_over_tcp_verifies_and_stores_everything) {
  test::temp_dir tmp;
  std::string origin = make_feed(tmp, 500);
  seeder s{origin};
  process_result r = dynfeed_cmd({"clone", s.key, tmp / "copy", "--peer", s.address, "--quiet"});
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  nlohmann::json copy = info(tmp / "copy");
  BOOST_TEST(copy["length"] == 500);
  BOOST_TEST(copy["blocksHeld"] == 500);
  BOOST_TEST(copy["writable"] == false);
  BOOST_TEST(copy["treeHash"] == info(origin)["treeHash"]);
  BOOST_TEST(dynfeed_cmd({"verify", tmp / "copy"}).exit_code == 0);
  BOOST_TEST(dynfeed_cmd({"get", tmp / "copy", "321"}).out == "line 321");
}

BOOST_AUTO_TEST_CASE(clone_a_range_only) {
  test::temp_dir tmp;
  std::string origin = make_feed(tmp, 200);
  seeder s{origin};
  process_result r =
    dynfeed_cmd({"clone", s.key, tmp / "part", "--peer", s.address, "--range", "10-19", "--quiet"});
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  nlohmann::json part = info(tmp / "part");
  BOOST_TEST(part["blocksHeld"] == 10);
  BOOST_TEST(dynfeed_cmd({"get", tmp / "part", "15"}).out == "line 15");
  process_result missing = dynfeed_cmd({"get", tmp / "part", "25"});
  BOOST_TEST(missing.exit_code != 0);
  BOOST_TEST(missing.err.find("not held") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_range_past_the_end_says_what_it_waits_for) {
  test::temp_dir tmp;
  std::string origin = make_feed(tmp, 3);
  seeder s{origin};
  process_result r = dynfeed_cmd({"clone", s.key, tmp / "part", "--peer", s.address, "--range",
                                  "1-9", "--timeout", "1", "--quiet"});
  BOOST_TEST(r.exit_code == 1);
  BOOST_TEST(r.err.find("dynfeed: waiting for block 9: the feed has 3 blocks") != std::string::npos,
             r.err);
  BOOST_TEST(r.err.find("no progress for 1 s: the feed has 3 blocks, the range ends at block 9")
               != std::string::npos,
             r.err);
  // What the feed has was downloaded meanwhile.
  BOOST_TEST(info(tmp / "part")["blocksHeld"] == 2);
  // Within the feed's length, a range says nothing of the sort.
  process_result inside = dynfeed_cmd({"clone", s.key, tmp / "inside", "--peer", s.address,
                                       "--range", "0-2", "--quiet"});
  BOOST_REQUIRE_MESSAGE(inside.exit_code == 0, inside.err);
  BOOST_TEST(inside.err.empty(), inside.err);
}

BOOST_AUTO_TEST_CASE(seed_refuses_a_directory_others_could_write_to) {
  test::temp_dir tmp;
  std::string origin = make_feed(tmp, 2);
  ::chmod(origin.c_str(), 0770); // the group could swap the control socket for its own
  process_result r = dynfeed_cmd({"seed", origin, "--quiet"});
  BOOST_TEST(r.exit_code == 1);
  BOOST_TEST(r.err.find("can be written by other users") != std::string::npos, r.err);
  BOOST_TEST(r.err.find("chmod 700") != std::string::npos, r.err);
  BOOST_TEST(!std::filesystem::exists(origin + "/control.sock"));
  ::chmod(origin.c_str(), 0700);
  BOOST_TEST(dynfeed_cmd({"append", origin}, "more\n").out == "3\n"); // nothing held the store
}

BOOST_AUTO_TEST_CASE(appends_reach_a_running_seeder_and_its_followers) {
  test::temp_dir tmp;
  std::string origin = make_feed(tmp, 5);
  seeder s{origin};
  test::child_process follower{{DYNFEED_PATH, "follow", s.key, tmp / "live", "--peer", s.address,
                                "--quiet"}};
  std::string line;
  for (uint64_t i = 0; i < 5; ++i) {
    BOOST_REQUIRE(follower.read_line(line));
    BOOST_TEST(line == "line " + std::to_string(i));
  }
  // The seeder holds the store: append hands the batch to it through the control socket.
  process_result appended = dynfeed_cmd({"append", origin}, "fresh one\nfresh two\n");
  BOOST_REQUIRE_MESSAGE(appended.exit_code == 0, appended.err);
  BOOST_TEST(appended.out == "7\n");
  BOOST_REQUIRE(follower.read_line(line));
  BOOST_TEST(line == "fresh one");
  BOOST_REQUIRE(follower.read_line(line));
  BOOST_TEST(line == "fresh two");
  // Read-only commands work beside the seeder.
  BOOST_TEST(info(origin)["length"] == 7);
}

/// Polls `dynfeed info DIR` until `ready` holds, for at most about 30 s.
template <class Ready>
nlohmann::json poll_info(const std::string& dir, Ready ready) {
  nlohmann::json j;
  for (int tries = 0; tries < 300; ++tries) {
    process_result r = dynfeed_cmd({"info", dir, "--json"});
    if (r.exit_code == 0) {
      j = nlohmann::json::parse(r.out);
      if (ready(j))
        return j;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{100});
  }
  BOOST_FAIL("gave up waiting on " + dir + ": " + j.dump());
  return j;
}

BOOST_AUTO_TEST_CASE(a_truncation_reaches_a_live_reader_that_held_the_longer_history) {
  test::temp_dir tmp;
  std::string origin = make_feed(tmp, 20);
  seeder s{origin};
  std::string reader = tmp / "reader";
  test::child_process follower{{DYNFEED_PATH, "clone", s.key, reader, "--peer", s.address,
                                "--live", "--quiet"}};
  poll_info(reader, [](const nlohmann::json& j) {
    return j["length"] == 20 && j["blocksHeld"] == 20;
  });
  // The seeder holds the store: the truncation goes through its control socket.
  process_result cut = dynfeed_cmd({"truncate", origin, "12"});
  BOOST_REQUIRE_MESSAGE(cut.exit_code == 0, cut.err);
  BOOST_TEST(cut.out == "fork 1, length 12\n");
  process_result grown = dynfeed_cmd({"append", origin}, "new 12\nnew 13\nnew 14\n");
  BOOST_REQUIRE_MESSAGE(grown.exit_code == 0, grown.err);
  nlohmann::json j = poll_info(reader, [](const nlohmann::json& j) {
    return j["fork"] == 1 && j["length"] == 15 && j["blocksHeld"] == 15;
  });
  BOOST_TEST(j["treeHash"] == info(origin)["treeHash"]);
  // The reader serves the new fork's blocks, never the old ones at those indexes.
  BOOST_TEST(dynfeed_cmd({"get", reader, "11"}).out == "line 11");
  BOOST_TEST(dynfeed_cmd({"get", reader, "12"}).out == "new 12");
  BOOST_TEST(dynfeed_cmd({"get", reader, "14"}).out == "new 14");
  BOOST_TEST(dynfeed_cmd({"get", reader, "15"}).exit_code == 1);
}

BOOST_AUTO_TEST_CASE(two_seeders_of_one_key_with_two_histories_are_caught) {
  test::temp_dir tmp;
  std::string a = make_feed(tmp, 5);
  std::string b = tmp / "copy";
  std::filesystem::copy(a, b, std::filesystem::copy_options::recursive);
  BOOST_REQUIRE(dynfeed_cmd({"append", a}, lines(100, 5)).exit_code == 0);
  BOOST_REQUIRE(dynfeed_cmd({"append", b}, lines(200, 11)).exit_code == 0);
  seeder sa{a, tmp / "a.err"};
  seeder sb{b, tmp / "b.err"};
  BOOST_REQUIRE(sa.key == sb.key);
  for (const char* how : {"clone", "follow"}) {
    BOOST_TEST_CONTEXT(how) {
      std::string reader = tmp / (std::string{"reader-"} + how);
      std::vector<std::string> args{"/usr/bin/timeout", "60", DYNFEED_PATH, how, sa.key, reader,
                                    "--peer", sa.address, "--peer", sb.address, "--quiet"};
      if (std::string{how} == "clone")
        args.push_back("--live"); // follow is live already
      process_result r = test::run_process(args);
      BOOST_TEST(r.exit_code == 3, r.err);
      BOOST_TEST(r.err.find("dynfeed: feed: equivocation: ") != std::string::npos, r.err);
      std::string proof = reader + "/equivocation.json";
      process_result checked = dynfeed_cmd({"verify-equivocation", proof});
      BOOST_TEST(checked.exit_code == 0, checked.err);
      BOOST_TEST(checked.out.find("ok: equivocation by " + sa.key) == 0);
      BOOST_TEST(info(reader)["equivocation"] == true);
      // Some single-byte changes, through the command (every one is tried in test_core).
      std::ifstream in(proof);
      std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      for (size_t i = 0; i < text.size(); i += text.size() / 17) {
        std::string changed = text;
        changed[i] = static_cast<char>(changed[i] ^ 0x04);
        std::string path = tmp / "changed.json";
        std::ofstream(path, std::ios::binary | std::ios::trunc) << changed;
        BOOST_TEST(dynfeed_cmd({"verify-equivocation", path}).exit_code == 1, "byte " << i);
      }
    }
  }
  // The seeders were told, and neither was taken for a forger.
  sa.proc.kill(SIGTERM);
  sb.proc.kill(SIGTERM);
  sa.proc.wait();
  sb.proc.wait();
  for (const std::string& err : {tmp / "a.err", tmp / "b.err"}) {
    std::ifstream in(err);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    BOOST_TEST(text.find("invalid_proof") == std::string::npos, text);
  }
}

BOOST_AUTO_TEST_CASE(the_seeder_keeps_serving_after_bad_connections) {
  test::temp_dir tmp;
  std::string origin = make_feed(tmp, 50);
  seeder s{origin};
  raw_connection(s.port(), "");
  raw_connection(s.port(), std::string("\xff\xff garbage that is no handshake", 32));
  raw_connection(s.port(), std::string(100000, '\0'));
  process_result r = dynfeed_cmd({"clone", s.key, tmp / "copy", "--peer", s.address, "--quiet"});
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  BOOST_TEST(info(tmp / "copy")["blocksHeld"] == 50);
}

BOOST_AUTO_TEST_CASE(the_seeder_stops_on_sigterm) {
  test::temp_dir tmp;
  std::string origin = make_feed(tmp, 10);
  seeder s{origin};
  raw_connection(s.port(), "x"); // a connection came and went, as in real life
  process_result r = dynfeed_cmd({"clone", s.key, tmp / "copy", "--peer", s.address, "--quiet"});
  BOOST_REQUIRE(r.exit_code == 0);
  auto start = std::chrono::steady_clock::now();
  s.proc.kill(SIGTERM);
  int status = s.proc.wait();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  BOOST_TEST(WIFEXITED(status));
  BOOST_TEST(WEXITSTATUS(status) == 0);
  BOOST_TEST(seconds < 10.0);
  // The store is closed properly: it opens, verifies, and the control socket is gone.
  BOOST_TEST(dynfeed_cmd({"verify", origin}).exit_code == 0);
  BOOST_TEST(dynfeed_cmd({"append", origin}, "after\n").out == "11\n");
}

BOOST_AUTO_TEST_CASE(the_seeder_prints_its_counters_as_it_stops) {
  test::temp_dir tmp;
  std::string origin = make_feed(tmp, 10);
  std::string err_path = tmp / "seed.err";
  seeder s{origin, err_path};
  // Two clones, one after the other: the first one's connection has surely ended by the time
  // the second one has downloaded everything through the same seeder.
  for (const char* copy : {"copy1", "copy2"}) {
    process_result r = dynfeed_cmd({"clone", s.key, tmp / copy, "--peer", s.address, "--quiet"});
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  }
  s.proc.kill(SIGTERM);
  int status = s.proc.wait();
  BOOST_TEST(WIFEXITED(status));
  BOOST_TEST(WEXITSTATUS(status) == 0);
  std::ifstream err{err_path};
  std::string line;
  std::vector<std::string> lines;
  while (std::getline(err, line))
    lines.push_back(line);
  BOOST_REQUIRE_EQUAL(lines.size(), 1u); // --quiet: nothing but the counters
  nlohmann::json stats = nlohmann::json::parse(lines[0]);
  BOOST_TEST(stats["feeds"] == 1);
  BOOST_TEST(stats["valueFeeds"].is_number_unsigned());
  BOOST_TEST(stats["peers"].is_number_unsigned());
  BOOST_REQUIRE(stats["disconnects"].is_object());
  uint64_t ended = 0;
  for (const auto& [why, count] : stats["disconnects"].items()) {
    BOOST_TEST(why.find(' ') == std::string::npos, why);
    ended += count.get<uint64_t>();
  }
  BOOST_TEST(ended >= 1u, lines[0]); // the first clone's connection, at least
}

BOOST_AUTO_TEST_CASE(bad_arguments_and_unreachable_peers_are_refused) {
  test::temp_dir tmp;
  std::string key(64, 'a');
  auto refused = [](const process_result& r, const std::string& fragment) {
    BOOST_TEST(r.exit_code != 0);
    BOOST_TEST(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    BOOST_TEST(r.err.find(fragment) != std::string::npos, r.err);
  };
  refused(dynfeed_cmd({"clone", "xyz", tmp / "c", "--peer", "127.0.0.1:1"}), "PUBKEY");
  refused(dynfeed_cmd({"clone", key, tmp / "c", "--peer", "nohostport"}), "--peer");
  refused(dynfeed_cmd({"clone", key, tmp / "c", "--peer", "mem:writer"}), "--peer");
  refused(dynfeed_cmd({"clone", key, tmp / "c", "--peer", "127.0.0.1:65536"}), "--peer");
  refused(dynfeed_cmd({"follow", key, tmp / "c", "--peer", "127.0.0.1:"}), "--peer");
  refused(dynfeed_cmd({"clone", key, tmp / "c", "--peer", "127.0.0.1:1", "--range", "9-2"}),
          "--range");
  refused(dynfeed_cmd({"seed", tmp / "missing", "--listen", "127.0.0.1:0"}), "not a directory");
  refused(dynfeed_cmd({"seed", tmp / "missing", "--listen", "nope"}), "--listen");
  // A port nobody listens on: the clone gives up after its timeout with one line.
  refused(dynfeed_cmd({"clone", key, tmp / "c", "--peer", "127.0.0.1:1", "--timeout", "2",
                       "--quiet"}),
          "no peer answered");
}

namespace {

/// A client that completes the real Noise handshake with the seeder, then sends `frames` as it
/// likes. Returns true if the seeder ended the connection within a few seconds.
bool hostile_session(uint16_t port, const std::vector<bytes>& frames) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0)
    return false;
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  secure_channel_config cc;
  std::string prologue = "dynfeed/1";
  cc.prologue = bytes(prologue.begin(), prologue.end());
  secure_channel ch{noise_role::initiator, noise_keypair::generate(), cc};
  auto flush = [&] {
    bytes out = ch.take_output();
    return out.empty() || ::write(fd, out.data(), out.size()) == static_cast<ssize_t>(out.size());
  };
  channel_events events;
  uint8_t buf[65536];
  BOOST_REQUIRE(flush());
  while (!ch.handshake_complete()) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    BOOST_REQUIRE(n > 0);
    BOOST_REQUIRE(ch.feed(byte_span{buf, static_cast<size_t>(n)}, events).has_value());
    BOOST_REQUIRE(flush());
  }
  for (const bytes& frame : frames)
    BOOST_REQUIRE(ch.send(frame).has_value());
  flush();
  // The seeder answers what it must, then hangs up: read until end of stream.
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n == 0) {
      ::close(fd);
      return true;
    }
    if (n < 0) {
      ::close(fd);
      return false; // timed out: still connected
    }
  }
}

bytes wire_frame(const msg::wire_message& m) {
  return msg::encode(m);
}

} // namespace

BOOST_AUTO_TEST_CASE(hostile_clients_are_dropped_and_everyone_else_served) {
  test::temp_dir tmp;
  std::string origin = make_feed(tmp, 100);
  seeder s{origin};
  msg::hello hello;
  msg::open_channel bogus_open;
  bogus_open.channel = 1;
  bogus_open.discovery_key = hash256::from(bytes(32, 3));
  msg::data unsolicited;
  unsolicited.channel = 9;
  // Garbage instead of a frame; a frame before hello; an unknown kind; data on no channel;
  // a second hello; a frame over the size limit (the channel refuses it before it is read).
  BOOST_TEST(hostile_session(s.port(), {bytes{1, 2, 3, 4, 5, 6, 7, 8, 9}}));
  BOOST_TEST(hostile_session(s.port(), {wire_frame(msg::close_channel{1})}));
  BOOST_TEST(hostile_session(s.port(), {wire_frame(hello), wire_frame(unsolicited)}));
  BOOST_TEST(hostile_session(s.port(), {wire_frame(hello), wire_frame(hello)}));
  BOOST_TEST(hostile_session(s.port(), {wire_frame(hello), msg::encode(msg::local_message{msg::offer_peer{1}})}));
  msg::hello old = hello;
  old.version = 0;
  BOOST_TEST(hostile_session(s.port(), {wire_frame(old)}));
  // The seeder is unharmed: an honest clone still gets everything.
  process_result r = dynfeed_cmd({"clone", s.key, tmp / "copy", "--peer", s.address, "--quiet"});
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  BOOST_TEST(info(tmp / "copy")["blocksHeld"] == 100);
  BOOST_TEST(info(origin)["length"] == 100);
}

BOOST_AUTO_TEST_CASE(followers_follow_a_live_writer_in_every_mode) {
  for (std::string mode : {"stable", "rotating", "rotating-roots"}) {
    BOOST_TEST_CONTEXT("mode " << mode) {
      test::temp_dir tmp;
      std::string origin = make_feed(tmp, 3);
      test::child_process seed_proc{{DYNFEED_PATH, "seed", origin, "--listen", "127.0.0.1:0",
                                     "--quiet", "--mode", mode}};
      std::string key, listening;
      BOOST_REQUIRE(seed_proc.read_line(key));
      BOOST_REQUIRE(seed_proc.read_line(listening));
      std::string address = listening.substr(13);
      test::child_process follower{{DYNFEED_PATH, "follow", key, tmp / "live", "--peer", address,
                                    "--quiet", "--mode", mode}};
      std::string line;
      for (uint64_t i = 0; i < 3; ++i) {
        BOOST_REQUIRE(follower.read_line(line));
        BOOST_TEST(line == "line " + std::to_string(i));
      }
      for (int round = 0; round < 3; ++round) {
        std::string text = mode + " round " + std::to_string(round);
        process_result appended = dynfeed_cmd({"append", origin}, text + "\n");
        BOOST_REQUIRE_MESSAGE(appended.exit_code == 0, appended.err);
        BOOST_REQUIRE(follower.read_line(line));
        BOOST_TEST(line == text);
      }
      follower.kill(SIGTERM);
      follower.wait();
      BOOST_TEST(info(tmp / "live")["length"] == 6);
      BOOST_TEST(dynfeed_cmd({"verify", tmp / "live"}).exit_code == 0);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_follower_without_a_value_swarm_hears_every_id_by_relay) {
  // relay alone: the follower's node runs no value-feed swarm, so each new ID reaches it only
  // as id_push frames in the ID swarms. A writer running both channels serves it just as well.
  struct run_case {
    std::string mode, writer_channels;
  };
  for (const run_case& c : {run_case{"rotating", "relay"}, run_case{"rotating-roots", "relay"},
                            run_case{"rotating", "value-swarm,relay"}}) {
    BOOST_TEST_CONTEXT("mode " << c.mode << ", writer " << c.writer_channels) {
      test::temp_dir tmp;
      std::string origin = make_feed(tmp, 3);
      test::child_process seed_proc{{DYNFEED_PATH, "seed", origin, "--listen", "127.0.0.1:0",
                                     "--quiet", "--mode", c.mode, "--id-channel",
                                     c.writer_channels}};
      std::string key, listening;
      BOOST_REQUIRE(seed_proc.read_line(key));
      BOOST_REQUIRE(seed_proc.read_line(listening));
      std::string address = listening.substr(13);
      test::child_process follower{{DYNFEED_PATH, "follow", key, tmp / "live", "--peer", address,
                                    "--quiet", "--mode", c.mode, "--id-channel", "relay"}};
      std::string line;
      for (uint64_t i = 0; i < 3; ++i) {
        BOOST_REQUIRE(follower.read_line(line));
        BOOST_TEST(line == "line " + std::to_string(i));
      }
      for (int round = 0; round < 4; ++round) {
        std::string text = "relayed " + std::to_string(round);
        process_result appended = dynfeed_cmd({"append", origin}, text + "\n");
        BOOST_REQUIRE_MESSAGE(appended.exit_code == 0, appended.err);
        BOOST_REQUIRE(follower.read_line(line));
        BOOST_TEST(line == text);
      }
      follower.kill(SIGTERM);
      follower.wait();
      BOOST_TEST(info(tmp / "live")["length"] == 7);
      BOOST_TEST(dynfeed_cmd({"verify", tmp / "live"}).exit_code == 0);
    }
  }
}

BOOST_AUTO_TEST_CASE(an_unknown_id_channel_is_a_malformed_command_line) {
  test::temp_dir tmp;
  std::string key(64, 'a');
  for (const char* bad : {"pigeon", "relay,relay", "", "relay,", "dht,dht", "DHT"}) {
    process_result r = dynfeed_cmd({"follow", key, tmp / "c", "--peer", "127.0.0.1:1",
                                    "--mode", "rotating", "--id-channel", bad});
    BOOST_TEST(r.exit_code == 2, bad);
    BOOST_TEST(r.err.find("--id-channel") != std::string::npos, r.err);
  }
}

BOOST_AUTO_TEST_CASE(values_are_served_watched_and_kept_across_restarts) {
  test::temp_dir tmp;
  std::string keys = tmp / "keys";
  process_result created = dynfeed_cmd({"value", "create", keys});
  BOOST_REQUIRE_MESSAGE(created.exit_code == 0, created.err);
  std::string key = created.out.substr(0, 64);
  BOOST_REQUIRE(dynfeed_cmd({"value", "put", keys, "first", "--salt", "news"}).out == "1\n");
  {
    seeder s{keys};
    BOOST_TEST(s.key == key);
    process_result got = dynfeed_cmd({"value", "get", key, "--salt", "news", "--peer", s.address,
                                      "--quiet", "--timeout", "10"});
    BOOST_REQUIRE_MESSAGE(got.exit_code == 0, got.err);
    BOOST_TEST(got.out == "first\n");
    test::child_process watcher{{DYNFEED_PATH, "value", "watch", key, "--salt", "news", "--peer",
                                 s.address, "--quiet"}};
    std::string line;
    BOOST_REQUIRE(watcher.read_line(line));
    BOOST_TEST(line == "1 first");
    // The seeder holds the store: put goes through it, and watchers hear at once.
    process_result put = dynfeed_cmd({"value", "put", keys, "second", "--salt", "news"});
    BOOST_REQUIRE_MESSAGE(put.exit_code == 0, put.err);
    BOOST_TEST(put.out == "2\n");
    BOOST_REQUIRE(watcher.read_line(line));
    BOOST_TEST(line == "2 second");
    // Another salt is another value feed.
    BOOST_TEST(dynfeed_cmd({"value", "put", keys, "other", "--salt", "misc"}).out == "1\n");
    process_result misc = dynfeed_cmd({"value", "get", key, "--salt", "misc", "--peer", s.address,
                                       "--quiet", "--timeout", "10"});
    BOOST_TEST(misc.out == "other\n");
  }
  // Restarted, the seeder still serves the latest value.
  seeder again{keys};
  process_result got = dynfeed_cmd({"value", "get", key, "--salt", "news", "--peer",
                                    again.address, "--quiet", "--json", "--timeout", "10"});
  BOOST_REQUIRE_MESSAGE(got.exit_code == 0, got.err);
  nlohmann::json j = nlohmann::json::parse(got.out);
  BOOST_TEST(j["seq"] == 2);
  BOOST_TEST(j["value"] == to_hex(byte_span{std::string_view{"second"}}));
  BOOST_TEST(j["text"] == "second"); // valid UTF-8: the value as text too
  // Bytes that are no UTF-8 stay hex only (JSON strings cannot hold them).
  std::string binary = "\xff\xfe ok \xc3";
  process_result put = dynfeed_cmd({"value", "put", keys, binary, "--salt", "bin"});
  BOOST_REQUIRE_MESSAGE(put.exit_code == 0, put.err);
  process_result raw = dynfeed_cmd({"value", "get", key, "--salt", "bin", "--peer", again.address,
                                    "--quiet", "--json", "--timeout", "10"});
  BOOST_REQUIRE_MESSAGE(raw.exit_code == 0, raw.err);
  nlohmann::json r = nlohmann::json::parse(raw.out);
  BOOST_TEST(r["value"] == "fffe206f6b20c3");
  BOOST_TEST(!r.contains("text"));
  process_result none = dynfeed_cmd({"value", "get", key, "--salt", "absent", "--peer",
                                     again.address, "--quiet", "--timeout", "2"});
  BOOST_TEST(none.exit_code != 0);
  BOOST_TEST(none.err.find("no peer has one") != std::string::npos);
}

// Discovery between real processes on 127.0.0.1: `dynfeed dht` and `dynfeed tracker` as
// servers, and seed, clone, follow and value get finding each other through them alone.

#include <boost/test/unit_test.hpp>

#include "dynfeed/base/endpoint.hpp"
#include "dynfeed/krpc/codec.hpp"
#include "dynfeed/messages/tracker_codec.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <filesystem>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace dynfeed;
using test::process_result;

namespace {

process_result run(std::vector<std::string> args, const std::string& input = {}) {
  args.insert(args.begin(), DYNFEED_PATH);
  return test::run_process(args, input);
}

/// `dynfeed dht` or `dynfeed tracker` running in the background on 127.0.0.1.
struct discovery_server {
  test::child_process proc;
  std::string id; ///< the DHT node's ID (hex); empty for a tracker
  std::string address;

  explicit discovery_server(const std::string& kind, std::vector<std::string> extra = {})
    : proc(command(kind, std::move(extra))) {
    std::string line;
    if (kind == "dht")
      BOOST_REQUIRE(proc.read_line(id));
    BOOST_REQUIRE(proc.read_line(line));
    BOOST_REQUIRE(line.rfind("listening on ", 0) == 0);
    address = line.substr(13);
  }

  static std::vector<std::string> command(const std::string& kind, std::vector<std::string> extra) {
    std::vector<std::string> argv{DYNFEED_PATH, kind, "--listen", "127.0.0.1:0", "--quiet"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return argv;
  }

  uint16_t port() const {
    return static_cast<uint16_t>(std::stoi(address.substr(address.rfind(':') + 1)));
  }

  /// Stops it (SIGTERM) and returns the counters it prints on the way out.
  nlohmann::json stop() {
    proc.kill(SIGTERM);
    std::string line;
    BOOST_REQUIRE(proc.read_line(line));
    int status = proc.wait();
    BOOST_TEST(WIFEXITED(status));
    BOOST_TEST(WEXITSTATUS(status) == 0);
    return nlohmann::json::parse(line);
  }
};

/// `dynfeed seed DIR` listening on 127.0.0.1 with discovery options.
struct discovering_seeder {
  test::child_process proc;
  std::string key;

  discovering_seeder(const std::string& dir, std::vector<std::string> options)
    : proc(command(dir, std::move(options))) {
    std::string line;
    BOOST_REQUIRE(proc.read_line(key));
    BOOST_REQUIRE(proc.read_line(line));
    BOOST_REQUIRE(line.rfind("listening on ", 0) == 0);
  }

  static std::vector<std::string> command(const std::string& dir,
                                          std::vector<std::string> options) {
    std::vector<std::string> argv{DYNFEED_PATH, "seed", dir, "--listen", "127.0.0.1:0", "--quiet"};
    argv.insert(argv.end(), options.begin(), options.end());
    return argv;
  }
};

std::string make_feed(const test::temp_dir& tmp, uint64_t count) {
  std::string dir = tmp / "origin";
  BOOST_REQUIRE(run({"create", dir}).exit_code == 0);
  std::string text;
  for (uint64_t i = 0; i < count; ++i)
    text += "line " + std::to_string(i) + "\n";
  BOOST_REQUIRE(run({"append", dir}, text).exit_code == 0);
  return dir;
}

nlohmann::json info(const std::string& dir) {
  process_result r = run({"info", dir, "--json"});
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  return nlohmann::json::parse(r.out);
}

uint64_t op(const nlohmann::json& counters, const std::string& name, const std::string& field) {
  if (!counters["ops"].contains(name))
    return 0;
  return counters["ops"][name][field].get<uint64_t>();
}

/// Sends one UDP datagram from a fresh socket to 127.0.0.1:port.
void send_datagram(uint16_t port, const bytes& datagram) {
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  BOOST_REQUIRE(fd >= 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  ::inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
  ssize_t n = ::sendto(fd, datagram.data(), datagram.size(), 0, reinterpret_cast<sockaddr*>(&to),
                       sizeof to);
  ::close(fd);
  BOOST_REQUIRE(n == static_cast<ssize_t>(datagram.size()));
}

/// Clones through `options` alone and checks that the copy is the origin, verified.
void clone_and_check(const test::temp_dir& tmp, const std::string& origin, const std::string& key,
                     std::vector<std::string> options) {
  std::vector<std::string> argv{"clone", key, tmp / "copy", "--quiet", "--timeout", "20"};
  argv.insert(argv.end(), options.begin(), options.end());
  process_result r = run(argv);
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  nlohmann::json copy = info(tmp / "copy");
  BOOST_TEST(copy["length"] == info(origin)["length"]);
  BOOST_TEST(copy["blocksHeld"] == info(origin)["length"]);
  BOOST_TEST(copy["treeHash"] == info(origin)["treeHash"]);
  BOOST_TEST(run({"verify", tmp / "copy"}).exit_code == 0);
}

} // namespace

BOOST_AUTO_TEST_SUITE(discovery_processes)

BOOST_AUTO_TEST_CASE(a_clone_finds_its_seeder_through_the_dht_alone) {
  test::temp_dir tmp;
  std::string origin = make_feed(tmp, 300);
  // A DHT of two nodes; the seeder joins through one, the clone through the other.
  discovery_server first{"dht"};
  discovery_server second{"dht", {"--bootstrap", first.address}};
  BOOST_TEST(first.id.size() == 40u); // a 160-bit Mainline node ID, in hex
  BOOST_TEST(first.id != second.id);
  discovering_seeder s{origin, {"--bootstrap", first.address}};
  clone_and_check(tmp, origin, s.key, {"--bootstrap", second.address});

  // The DHT nodes stored the seeder's announce and answered the lookups for it.
  nlohmann::json a = first.stop();
  nlohmann::json b = second.stop();
  BOOST_TEST_MESSAGE("dht node 1: " << a.dump());
  BOOST_TEST_MESSAGE("dht node 2: " << b.dump());
  BOOST_TEST(op(a, "announce", "responsesSent") + op(b, "announce", "responsesSent") >= 1u);
  BOOST_TEST(op(a, "get_peers", "queriesReceived") + op(b, "get_peers", "queriesReceived") >= 2u);
  BOOST_TEST(a["recordsHeld"].get<uint64_t>() + b["recordsHeld"].get<uint64_t>() >= 1u);
  BOOST_TEST(a["refused"]["badToken"] == 0);
  BOOST_TEST(b["refused"]["malformed"] == 0);
}

BOOST_AUTO_TEST_CASE(a_clone_finds_its_seeder_through_a_tracker_alone) {
  test::temp_dir tmp;
  std::string origin = make_feed(tmp, 300);
  discovery_server tracker{"tracker"};
  BOOST_TEST(tracker.id.empty());
  discovering_seeder s{origin, {"--tracker", tracker.address}};
  clone_and_check(tmp, origin, s.key, {"--tracker", tracker.address});

  nlohmann::json c = tracker.stop();
  BOOST_TEST_MESSAGE("tracker: " << c.dump());
  BOOST_TEST(op(c, "tracker_announce", "responsesSent") >= 1u);
  BOOST_TEST(op(c, "tracker_lookup", "responsesSent") >= 2u); // the seeder's and the clone's
  BOOST_TEST(c["recordsHeld"] == 1);
  BOOST_TEST(c["topics"] == 1);
}

BOOST_AUTO_TEST_CASE(a_follower_finds_a_rotating_writer_through_a_tracker) {
  test::temp_dir tmp;
  std::string origin = make_feed(tmp, 2);
  discovery_server tracker{"tracker"};
  discovering_seeder s{origin, {"--tracker", tracker.address, "--mode", "rotating"}};
  test::child_process follower{{DYNFEED_PATH, "follow", s.key, tmp / "live", "--tracker",
                                tracker.address, "--mode", "rotating", "--quiet"}};
  std::string line;
  for (int i = 0; i < 2; ++i) {
    BOOST_REQUIRE(follower.read_line(line));
    BOOST_TEST(line == "line " + std::to_string(i));
  }
  // Every append is a new ID and a new swarm, found through the tracker again.
  for (int round = 0; round < 2; ++round) {
    std::string text = "round " + std::to_string(round);
    process_result appended = run({"append", origin}, text + "\n");
    BOOST_REQUIRE_MESSAGE(appended.exit_code == 0, appended.err);
    BOOST_REQUIRE(follower.read_line(line));
    BOOST_TEST(line == text);
  }
  follower.kill(SIGTERM);
  follower.wait();
  nlohmann::json c = tracker.stop();
  // The announcement feed's topic and at least three ID topics.
  BOOST_TEST(c["topics"].get<uint64_t>() >= 4u);
}

BOOST_AUTO_TEST_CASE(values_are_found_through_the_dht) {
  test::temp_dir tmp;
  std::string keys = tmp / "keys";
  process_result created = run({"value", "create", keys});
  BOOST_REQUIRE_MESSAGE(created.exit_code == 0, created.err);
  std::string key = created.out.substr(0, 64);
  BOOST_REQUIRE(run({"value", "put", keys, "first", "--salt", "news"}).out == "1\n");
  discovery_server dht_node{"dht"};
  discovering_seeder s{keys, {"--bootstrap", dht_node.address}};
  process_result got = run({"value", "get", key, "--salt", "news", "--bootstrap", dht_node.address,
                            "--quiet", "--timeout", "20"});
  BOOST_REQUIRE_MESSAGE(got.exit_code == 0, got.err);
  BOOST_TEST(got.out == "first\n");
  // A value feed the running seeder creates (another salt) is announced too.
  BOOST_REQUIRE(run({"value", "put", keys, "other", "--salt", "misc"}).out == "1\n");
  process_result misc = run({"value", "get", key, "--salt", "misc", "--bootstrap",
                             dht_node.address, "--quiet", "--timeout", "20"});
  BOOST_REQUIRE_MESSAGE(misc.exit_code == 0, misc.err);
  BOOST_TEST(misc.out == "other\n");
}

BOOST_AUTO_TEST_CASE(servers_shrug_off_hostile_datagrams) {
  test::temp_dir tmp;
  std::string origin = make_feed(tmp, 50);
  discovery_server tracker{"tracker"};
  discovery_server dht_node{"dht"};
  std::vector<bytes> junk{bytes{}, bytes{1, 2, 3}, bytes(64, 0xff), bytes(9000, 7)};
  // A well-formed announce whose token this tracker never gave.
  msg::tracker::announce forged{hash256::from(bytes(32, 9)), 7000, bytes(16, 1)};
  // A KRPC announce_peer with a made-up token, from a sender that never asked for one.
  krpc::message forged_rpc;
  forged_rpc.transaction = bytes{0, 42};
  forged_rpc.sender = node_id::from(bytes(20, 5));
  forged_rpc.content = krpc::query{krpc::announce_peer{node_id::from(bytes(20, 9)), 7000, false,
                                                       bytes(16, 1)}};
  for (const bytes& j : junk) {
    send_datagram(tracker.port(), j);
    send_datagram(dht_node.port(), j);
  }
  send_datagram(tracker.port(), msg::tracker::encode({77, forged}));
  send_datagram(dht_node.port(), krpc::encode(forged_rpc));

  // Both still serve: a clone finds its seeder through each.
  discovering_seeder by_tracker{origin, {"--tracker", tracker.address}};
  clone_and_check(tmp, origin, by_tracker.key, {"--tracker", tracker.address});
  std::filesystem::remove_all(tmp / "copy");
  by_tracker.proc.kill(SIGTERM);
  by_tracker.proc.wait();
  discovering_seeder by_dht{origin, {"--bootstrap", dht_node.address}};
  clone_and_check(tmp, origin, by_dht.key, {"--bootstrap", dht_node.address});

  nlohmann::json t = tracker.stop();
  nlohmann::json d = dht_node.stop();
  BOOST_TEST_MESSAGE("tracker: " << t.dump() << "\ndht: " << d.dump());
  // The 9000-byte datagram never reaches a component: the socket drops it.
  BOOST_TEST(t["refused"]["malformed"] == 3);
  BOOST_TEST(t["refused"]["badToken"] == 1);
  BOOST_TEST(t["recordsHeld"] == 1); // the honest seeder's only
  BOOST_TEST(d["refused"]["malformed"] == 3);
  BOOST_TEST(d["refused"]["badToken"] == 1);
  BOOST_TEST(d["recordsHeld"] == 1);
}

BOOST_AUTO_TEST_CASE(bad_discovery_arguments_are_refused_and_change_nothing) {
  test::temp_dir tmp;
  std::string key(64, 'a');
  auto refused = [](const process_result& r, int code, const std::string& fragment) {
    BOOST_TEST(r.exit_code == code);
    BOOST_TEST(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    BOOST_TEST(r.err.find(fragment) != std::string::npos, r.err);
    BOOST_TEST(r.out.empty());
  };
  std::string copy = tmp / "c";
  refused(run({"clone", key, copy}), 2, "--peer, --bootstrap or --tracker");
  refused(run({"clone", key, copy, "--bootstrap", "nohostport"}), 2,
          "--bootstrap must be IPV4:PORT");
  refused(run({"clone", key, copy, "--bootstrap", "127.0.0.1:0"}), 2, "--bootstrap");
  refused(run({"follow", key, copy, "--tracker", "example.org:6969"}), 2,
          "--tracker must be IPV4:PORT");
  refused(run({"clone", key, copy, "--bootstrap", "127.0.0.1:1", "--tracker", "127.0.0.1:2"}), 2,
          "excludes");
  refused(run({"value", "get", key}), 2, "--peer, --bootstrap or --tracker");
  refused(run({"seed", tmp / "none", "--listen", "localhost:0", "--bootstrap", "127.0.0.1:1"}), 1,
          "not a directory");
  refused(run({"seed", tmp / "none", "--listen", "nohost:0", "--tracker", "127.0.0.1:1"}), 2,
          "--listen must be IPV4:PORT");
  refused(run({"dht", "--listen", "nope"}), 2, "--listen");
  refused(run({"dht", "--listen", "127.0.0.1:0", "--bootstrap", "1.2.3:4"}), 2, "--bootstrap");
  refused(run({"tracker"}), 2, "--listen");
  BOOST_TEST(!std::filesystem::exists(copy));
  BOOST_TEST(!std::filesystem::exists(tmp / "none"));
  // A port that is taken: one line and exit 1.
  discovery_server tracker{"tracker"};
  refused(run({"dht", "--listen", tracker.address}), 1, "cannot listen on " + tracker.address);
  refused(run({"tracker", "--listen", tracker.address}), 1, "Address already in use");
  BOOST_TEST(op(tracker.stop(), "tracker_lookup", "queriesReceived") == 0u);
}

BOOST_AUTO_TEST_SUITE_END()

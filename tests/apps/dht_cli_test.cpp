// The command line and the DHT's items, between real processes on 127.0.0.1: `value put
// --bootstrap` stores a BEP 44 item that `value get --bootstrap` finds with no swarm peer,
// `dht --table` shows the routing table, and what either refuses.

#include <boost/test/unit_test.hpp>

#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

using namespace dynfeed;
using test::process_result;

namespace {

process_result run(std::vector<std::string> args, const std::string& input = {}) {
  args.insert(args.begin(), DYNFEED_PATH);
  return test::run_process(args, input);
}

/// `dynfeed dht` on 127.0.0.1, with `extra` options.
struct dht_process {
  test::child_process proc;
  std::string id;
  std::string address;

  explicit dht_process(std::vector<std::string> extra = {}) : proc(command(std::move(extra))) {
    std::string line;
    BOOST_REQUIRE(proc.read_line(id));
    BOOST_REQUIRE(proc.read_line(line));
    BOOST_REQUIRE(line.rfind("listening on ", 0) == 0);
    address = line.substr(13);
  }

  static std::vector<std::string> command(std::vector<std::string> extra) {
    std::vector<std::string> argv{DYNFEED_PATH, "dht", "--listen", "127.0.0.1:0", "--quiet"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return argv;
  }
};

/// The table file as JSON once it holds a node with `id`; null if it does not within 20 s.
nlohmann::json table_with(const std::string& path, const std::string& id) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{20};
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream in(path);
    nlohmann::json table = nlohmann::json::parse(in, nullptr, false);
    if (!table.is_discarded())
      for (const auto& node : table["nodes"])
        if (node["id"] == id)
          return table;
    std::this_thread::sleep_for(std::chrono::milliseconds{100});
  }
  return nullptr;
}

std::string create_values(const std::string& dir) {
  process_result created = run({"value", "create", dir});
  BOOST_REQUIRE_MESSAGE(created.exit_code == 0, created.err);
  return created.out.substr(0, 64);
}

} // namespace

BOOST_AUTO_TEST_SUITE(dht_processes)

BOOST_AUTO_TEST_CASE(a_value_put_in_the_dht_is_found_there_without_any_peer) {
  test::temp_dir tmp;
  dht_process first;
  dht_process second{{"--bootstrap", first.address}};
  std::string keys = tmp / "keys";
  std::string key = create_values(keys);
  for (int seq = 1; seq <= 2; ++seq) {
    std::string text = "value " + std::to_string(seq);
    process_result put = run({"value", "put", keys, text, "--salt", "news", "--bootstrap",
                              first.address, "--quiet"});
    BOOST_REQUIRE_MESSAGE(put.exit_code == 0, put.err);
    // Both DHT nodes are the closest there are, and both store it.
    BOOST_TEST(put.out == std::to_string(seq) + "\ndht: stored by 2 nodes\n");
    // No seeder runs: the value can only come from the DHT.
    process_result got = run({"value", "get", key, "--salt", "news", "--bootstrap",
                              second.address, "--json", "--quiet", "--timeout", "20"});
    BOOST_REQUIRE_MESSAGE(got.exit_code == 0, got.err);
    nlohmann::json j = nlohmann::json::parse(got.out);
    BOOST_TEST(j["from"] == "dht");
    BOOST_TEST(j["seq"] == seq);
    BOOST_TEST(j["text"] == text);
  }
  // Another salt is another item, which nobody put.
  process_result none = run({"value", "get", key, "--salt", "other", "--bootstrap",
                             first.address, "--quiet", "--timeout", "3"});
  BOOST_TEST(none.exit_code == 1);
  BOOST_TEST(none.err.find("neither a peer nor the DHT has one") != std::string::npos, none.err);
}

BOOST_AUTO_TEST_CASE(dht_table_writes_the_nodes_it_knows) {
  test::temp_dir tmp;
  std::string path = tmp / "table.json";
  dht_process first{{"--table", path}};
  dht_process second{{"--bootstrap", first.address}};
  nlohmann::json table = table_with(path, second.id);
  BOOST_REQUIRE_MESSAGE(!table.is_null(), "the second node never entered the first's table");
  BOOST_TEST(table["id"] == first.id);
  BOOST_TEST(table["address"] == first.address);
  BOOST_TEST(table["nodes"].size() == 1u);
  BOOST_TEST(table["nodes"][0]["address"] == second.address);
  BOOST_TEST(!std::filesystem::exists(path + ".tmp"));
  // A file that cannot be written is refused before the node starts.
  process_result bad = run({"dht", "--listen", "127.0.0.1:0", "--table", tmp / "no/such/dir"});
  BOOST_TEST(bad.exit_code == 2);
  BOOST_TEST(bad.err.find("--table: cannot write") != std::string::npos, bad.err);
  BOOST_TEST(bad.out.empty());
}

BOOST_AUTO_TEST_CASE(value_put_bootstrap_refusals_change_nothing) {
  test::temp_dir tmp;
  std::string keys = tmp / "keys";
  create_values(keys);
  auto refused = [](const process_result& r, int code, const std::string& fragment) {
    BOOST_TEST(r.exit_code == code);
    BOOST_TEST(r.err.find(fragment) != std::string::npos, r.err);
  };
  // BEP 44 bounds the bencoded value: "996:" and 996 bytes fit 1000, 997 do not.
  refused(run({"value", "put", keys, std::string(997, 'x'), "--bootstrap", "127.0.0.1:1"}), 2,
          "BEP 44's 1000 bytes");
  refused(run({"value", "put", keys, "v", "--bootstrap", "nohostport"}), 2,
          "--bootstrap must be IPV4:PORT");
  // Nothing was stored: the next value is still the first.
  BOOST_TEST(run({"value", "put", keys, "v"}).out == "1\n");
  // Stored locally, but no DHT node answers: said, and exit 1.
  process_result lonely = run({"value", "put", keys, "w", "--bootstrap", "127.0.0.1:1", "--quiet"});
  BOOST_TEST(lonely.out == "2\n");
  refused(lonely, 1, "no DHT node answered");
}

BOOST_AUTO_TEST_SUITE_END()

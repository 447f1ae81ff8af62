#define BOOST_TEST_MODULE cli
#include <boost/test/unit_test.hpp>

#include "support/dynfeed_cli.hpp"
#include "support/temp_dir.hpp"
#include "support/vectors.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

using namespace dynfeed;
using test::dynfeed_cmd;
using test::expect_refused;
using test::process_result;

namespace {

const std::string zero_seed(64, '0');

nlohmann::json info(const std::string& dir) {
  process_result r = dynfeed_cmd({"info", dir, "--json"});
  BOOST_REQUIRE(r.exit_code == 0);
  return nlohmann::json::parse(r.out);
}

} // namespace

BOOST_AUTO_TEST_CASE(create_append_get_info_verify) {
  test::temp_dir tmp;
  std::string dir = tmp / "feed";
  process_result created = dynfeed_cmd({"create", dir, "--keypair-seed", zero_seed});
  BOOST_REQUIRE(created.exit_code == 0);
  BOOST_TEST(created.out.size() == 65u);

  // stdin: one block per line, without the newline; the last line may lack one.
  process_result appended = dynfeed_cmd({"append", dir}, "a\nb\nc\n");
  BOOST_TEST(appended.exit_code == 0);
  BOOST_TEST(appended.out == "3\n");
  std::ofstream(tmp / "file1", std::ios::binary) << std::string("\0\1two", 5);
  std::ofstream(tmp / "file2", std::ios::binary) << "";
  BOOST_TEST(dynfeed_cmd({"append", dir, tmp / "file1", tmp / "file2"}).out == "5\n");
  BOOST_TEST(dynfeed_cmd({"append", dir}, "last-without-newline").out == "6\n");

  BOOST_TEST(dynfeed_cmd({"get", dir, "1"}).out == "b");
  BOOST_TEST(dynfeed_cmd({"get", dir, "3"}).out == std::string("\0\1two", 5));
  BOOST_TEST(dynfeed_cmd({"get", dir, "4"}).out.empty());
  BOOST_TEST(dynfeed_cmd({"get", dir, "5"}).out == "last-without-newline");

  nlohmann::json j = info(dir);
  for (const char* field : {"publicKey", "discoveryKey", "length", "byteLength", "fork", "roots",
                            "treeHash", "signature", "writable"})
    BOOST_TEST(j.contains(field), field);
  BOOST_TEST(j["publicKey"].get<std::string>() + "\n" == created.out);
  BOOST_TEST(j["length"] == 6);
  BOOST_TEST(j["byteLength"] == 3 + 5 + 0 + 20);
  BOOST_TEST(j["fork"] == 0);
  BOOST_TEST(j["writable"] == true);
  BOOST_TEST(j["signature"].get<std::string>().size() == 128u);
  BOOST_TEST(j["roots"].size() == 2u); // 6 = 4 + 2
  BOOST_TEST(j["roots"][0]["index"] == 3);

  process_result verified = dynfeed_cmd({"verify", dir});
  BOOST_TEST(verified.exit_code == 0);
  BOOST_TEST(verified.out.find("6 of 6") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(info_matches_the_reference_vectors) {
  // The letters a..j appended one per line: roots and tree hash as the reference computed them.
  auto v = test::load_vectors("hypercore-merkle-small.json");
  const nlohmann::json* letters = nullptr;
  for (const auto& c : v["merkle"])
    if (c["name"] == "letters-a..j")
      letters = &c;
  BOOST_REQUIRE(letters);
  test::temp_dir tmp;
  std::string dir = tmp / "letters";
  BOOST_REQUIRE(dynfeed_cmd({"create", dir}).exit_code == 0);
  std::string input;
  for (const auto& leaf : (*letters)["leaves"]) {
    bytes data = test::hex_bytes(leaf["dataHex"]);
    input += std::string(data.begin(), data.end()) + "\n";
  }
  BOOST_REQUIRE(dynfeed_cmd({"append", dir}, input).exit_code == 0);
  nlohmann::json j = info(dir);
  const auto& last = (*letters)["lengths"].back();
  BOOST_TEST(j["length"] == last["length"]);
  BOOST_TEST(j["byteLength"] == last["byteLength"]);
  BOOST_TEST(j["treeHash"] == last["treeHash"]);
  BOOST_TEST(j["roots"] == last["roots"]);
}

BOOST_AUTO_TEST_CASE(keypair_seed_is_deterministic) {
  test::temp_dir tmp;
  process_result a = dynfeed_cmd({"create", tmp / "a", "--keypair-seed", zero_seed});
  process_result b = dynfeed_cmd({"create", tmp / "b", "--keypair-seed", zero_seed});
  BOOST_TEST(a.out == b.out);
  process_result c = dynfeed_cmd({"create", tmp / "c"});
  BOOST_TEST(c.out != a.out);
}

BOOST_AUTO_TEST_CASE(bad_input_is_refused_and_changes_nothing) {
  test::temp_dir tmp;
  std::string dir = tmp / "feed";
  BOOST_REQUIRE(dynfeed_cmd({"create", dir, "--keypair-seed", zero_seed}).exit_code == 0);
  BOOST_REQUIRE(dynfeed_cmd({"append", dir}, "x\ny\n").exit_code == 0);
  nlohmann::json before = info(dir);

  expect_refused(dynfeed_cmd({"get", dir, "2"}), "out of range");
  expect_refused(dynfeed_cmd({"get", dir, "-1"}), "INDEX");
  expect_refused(dynfeed_cmd({"get", dir, "1x"}), "INDEX");
  expect_refused(dynfeed_cmd({"get", tmp / "nope", "0"}), "not a directory");
  expect_refused(dynfeed_cmd({"info", tmp.path()}), "not a feed directory");
  expect_refused(dynfeed_cmd({"append", dir}, ""), "at least one block");
  expect_refused(dynfeed_cmd({"append", dir, tmp / "missing-file"}), "missing-file");
  expect_refused(dynfeed_cmd({"create", tmp / "bad", "--keypair-seed", "xyz"}), "keypair-seed");
  expect_refused(dynfeed_cmd({"create", tmp / "bad", "--keypair-seed", "00"}), "keypair-seed");
  BOOST_TEST(!std::filesystem::exists(tmp / "bad"));
  expect_refused(dynfeed_cmd({"create", dir}), "not empty");
  expect_refused(dynfeed_cmd({"frobnicate"}), "see --help");
  expect_refused(dynfeed_cmd({"get", dir}), "see --help");

  // A block over the limit, from a file and from stdin.
  std::string big_path = tmp / "big";
  std::filesystem::resize_file((std::ofstream(big_path), big_path), (4u << 20) + 1);
  expect_refused(dynfeed_cmd({"append", dir, big_path}), "block size limit");
  expect_refused(dynfeed_cmd({"append", dir}, std::string((4u << 20) + 1, 'z') + "\n"),
                 "block size limit");

  // A reader's directory has no secret key.
  std::string reader = tmp / "reader";
  std::filesystem::create_directory(reader);
  std::filesystem::copy(dir + "/db", reader + "/db");
  std::filesystem::permissions(reader, std::filesystem::perms::owner_all);
  expect_refused(dynfeed_cmd({"append", reader}, "z\n"), "not writable");

  BOOST_TEST(info(dir) == before);
  BOOST_TEST(dynfeed_cmd({"verify", dir}).exit_code == 0);
}

BOOST_AUTO_TEST_CASE(verify_names_the_first_corrupt_block_and_commands_refuse_damage) {
  test::temp_dir tmp;
  std::string dir = tmp / "feed";
  BOOST_REQUIRE(dynfeed_cmd({"create", dir}).exit_code == 0);
  BOOST_REQUIRE(dynfeed_cmd({"append", dir}, "alpha\nbeta\ngamma\n").exit_code == 0);
  // Damage every table and log file's bytes that spell a block's content.
  int changed = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir + "/db")) {
    std::string content = test::read_file(entry.path().string());
    for (size_t pos = content.find("beta"); pos != std::string::npos;
         pos = content.find("beta", pos + 1)) {
      content[pos] = 'B';
      ++changed;
    }
    std::ofstream(entry.path().string(), std::ios::binary | std::ios::trunc) << content;
  }
  BOOST_REQUIRE(changed > 0);
  process_result r = dynfeed_cmd({"verify", dir});
  BOOST_TEST(r.exit_code != 0);
  BOOST_TEST(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  // Either RocksDB's checksums catch the damage or our hashes do; both name what is wrong.
  BOOST_TEST((r.err.find("block 1") != std::string::npos
              || r.err.find("corrupt") != std::string::npos
              || r.err.find("Corruption") != std::string::npos),
             r.err);
}

BOOST_AUTO_TEST_CASE(bench_feed_prints_one_json_object) {
  process_result r =
    dynfeed_cmd({"bench", "feed", "--blocks", "200", "--batch", "10", "--reads", "50"});
  BOOST_REQUIRE(r.exit_code == 0);
  nlohmann::json j = nlohmann::json::parse(r.out);
  for (const char* field : {"append_blocks_per_s", "get_blocks_per_s", "get_verified_blocks_per_s"})
    BOOST_TEST(j[field].get<double>() > 0, field);
  expect_refused(dynfeed_cmd({"bench", "feed", "--blocks", "7", "--batch", "2"}), "multiple");
}

BOOST_AUTO_TEST_CASE(bench_sim_takes_the_value_swarms_own_count_of_peers) {
  auto bench = [](std::vector<std::string> extra) {
    std::vector<std::string> args{"bench", "sim", "--scenario", "small", "--nodes", "20",
                                  "--duration", "20"};
    args.insert(args.end(), extra.begin(), extra.end());
    return dynfeed_cmd(args);
  };
  process_result usual = bench({});
  process_result fewer = bench({"--value-peers", "2"});
  BOOST_REQUIRE(usual.exit_code == 0);
  BOOST_REQUIRE(fewer.exit_code == 0);
  nlohmann::json u = nlohmann::json::parse(usual.out), f = nlohmann::json::parse(fewer.out);
  BOOST_TEST(u["valuePeersWanted"].get<size_t>() == u["peersWanted"].get<size_t>());
  BOOST_TEST(f["valuePeersWanted"].get<size_t>() == 2u);
  BOOST_TEST(f["peersWanted"].get<size_t>() == u["peersWanted"].get<size_t>());
  BOOST_TEST(f["digest"].get<std::string>() != u["digest"].get<std::string>()); // another run
  expect_refused(bench({"--value-peers", "0"}), "value-peers");
  expect_refused(bench({"--value-peers", "many"}), "value-peers");
}

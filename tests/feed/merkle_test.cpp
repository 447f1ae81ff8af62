#include "dynfeed/feed/merkle.hpp"

#include <boost/test/unit_test.hpp>

#include "dynfeed/feed/flat_tree.hpp"
#include "dynfeed/feed/tree.hpp"
#include "support/vectors.hpp"

using namespace dynfeed;

namespace {

hash256 hash_from(const nlohmann::json& j) {
  return hash256::from(test::hex_bytes(j));
}

} // namespace

BOOST_AUTO_TEST_SUITE(merkle_hashing)

BOOST_AUTO_TEST_CASE(namespaces_match_vectors) {
  auto v = test::load_vectors("hypercore-merkle-small.json");
  const auto& c = v["constants"];
  BOOST_TEST(to_hex(crypto::blake2b_256(byte_span{std::string_view{"hypercore"}}))
             == c["namespaceBase_blake2b256_of_hypercore"].get<std::string>());
  const std::pair<const char*, merkle::ns> names[] = {
    {"TREE", merkle::ns::tree},
    {"REPLICATE_INITIATOR", merkle::ns::replicate_initiator},
    {"REPLICATE_RESPONDER", merkle::ns::replicate_responder},
    {"MANIFEST", merkle::ns::manifest},
    {"DEFAULT_NAMESPACE", merkle::ns::default_namespace},
    {"DEFAULT_ENCRYPTION", merkle::ns::default_encryption},
  };
  for (auto [name, which] : names) {
    BOOST_TEST_CONTEXT(name) {
      BOOST_TEST(c["namespaces"][name]["id"].get<int>() == static_cast<int>(which));
      BOOST_TEST(to_hex(merkle::namespace_hash(which))
                 == c["namespaces"][name]["hash"].get<std::string>());
    }
  }
}

BOOST_AUTO_TEST_CASE(hash_examples_match_vectors) {
  auto v = test::load_vectors("hypercore-merkle-small.json");
  const auto& h = v["hashExamples"];
  tree_node a = merkle::leaf(0, byte_span{std::string_view{"a"}});
  tree_node b = merkle::leaf(1, byte_span{std::string_view{"b"}});
  BOOST_TEST(to_hex(a.hash) == h["data_a"].get<std::string>());
  BOOST_TEST(to_hex(merkle::leaf_hash(byte_span{})) == h["data_empty"].get<std::string>());
  BOOST_TEST(to_hex(merkle::parent(a, b).hash) == h["parent_a_b"].get<std::string>());
  BOOST_TEST(to_hex(merkle::parent(b, a).hash) == h["parent_a_b"].get<std::string>());
  BOOST_TEST(to_hex(merkle::tree_hash({})) == h["tree_empty"].get<std::string>());
  BOOST_TEST(to_hex(crypto::discovery_key(public_key{}))
             == h["discoveryKey_of_32_zero_bytes"].get<std::string>());
}

BOOST_AUTO_TEST_CASE(merkle_cases_match_vectors) {
  auto v = test::load_vectors("hypercore-merkle-small.json");
  BOOST_REQUIRE(!v["merkle"].empty());
  for (const auto& c : v["merkle"]) {
    BOOST_TEST_CONTEXT(c["name"].get<std::string>()) {
      std::vector<bytes> data;
      for (const auto& leaf : c["leaves"]) {
        data.push_back(test::hex_bytes(leaf["dataHex"]));
        tree_node node = merkle::leaf(leaf["block"], data.back());
        BOOST_TEST(node.index == leaf["treeIndex"].get<uint64_t>());
        BOOST_TEST(node.size == leaf["size"].get<uint64_t>());
        BOOST_TEST(node.hash == hash_from(leaf["hash"]));
      }
      BOOST_REQUIRE(data.size() == c["length"].get<size_t>());

      // Appending block by block must produce every node of the reference tree.
      signed_tree tree;
      std::vector<tree_node> created;
      for (size_t i = 0; i < data.size(); ++i) {
        auto batch = prepare_append(tree, {byte_span{data[i]}}, append_limits{});
        BOOST_REQUIRE(batch);
        created.insert(created.end(), batch->nodes.begin(), batch->nodes.end());
        tree = batch->tree;
      }
      for (const auto& expected : c["nodes"]) {
        uint64_t index = expected["index"];
        auto found = std::find_if(created.begin(), created.end(),
                                  [&](const tree_node& n) { return n.index == index; });
        BOOST_TEST_CONTEXT("node " << index) {
          BOOST_REQUIRE(found != created.end());
          BOOST_TEST(found->size == expected["size"].get<uint64_t>());
          BOOST_TEST(found->hash == hash_from(expected["hash"]));
        }
      }

      for (const auto& at : c["lengths"]) {
        uint64_t length = at["length"];
        BOOST_TEST_CONTEXT("length " << length) {
          std::vector<byte_span> prefix(data.begin(), data.begin() + static_cast<long>(length));
          auto batch = prepare_append(signed_tree{}, prefix, append_limits{});
          BOOST_REQUIRE(batch);
          const signed_tree& t = batch->tree;
          BOOST_TEST(t.byte_length() == at["byteLength"].get<uint64_t>());
          BOOST_TEST(flat::full_roots(length) == at["fullRoots"].get<std::vector<uint64_t>>(),
                     boost::test_tools::per_element());
          BOOST_REQUIRE(t.roots.size() == at["roots"].size());
          for (size_t r = 0; r < t.roots.size(); ++r) {
            BOOST_TEST(t.roots[r].index == at["roots"][r]["index"].get<uint64_t>());
            BOOST_TEST(t.roots[r].size == at["roots"][r]["size"].get<uint64_t>());
            BOOST_TEST(t.roots[r].hash == hash_from(at["roots"][r]["hash"]));
          }
          BOOST_TEST(to_hex(t.hash()) == at["treeHash"].get<std::string>());
        }
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(signable_layout) {
  hash256 th = crypto::blake2b_256(byte_span{std::string_view{"x"}});
  merkle::signable_bytes s = merkle::signable(th, 0x0102030405060708ull, 9);
  BOOST_TEST(byte_span(s.data(), 32) == merkle::namespace_hash(merkle::ns::tree).span());
  BOOST_TEST(byte_span(s.data() + 32, 32) == th.span());
  BOOST_TEST(s[64] == 0x08);
  BOOST_TEST(s[71] == 0x01);
  BOOST_TEST(s[72] == 9);
  BOOST_TEST(s[79] == 0);
}

BOOST_AUTO_TEST_SUITE_END()

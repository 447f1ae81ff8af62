#include "dynfeed/core/feed.hpp"

#include <boost/test/unit_test.hpp>

#include "dynfeed/base/hex.hpp"
#include "dynfeed/core/feed_dir.hpp"
#include "dynfeed/feed/errc.hpp"
#include "dynfeed/feed/flat_tree.hpp"
#include "dynfeed/storage/memory_store.hpp"
#include "support/print.hpp"
#include "support/temp_dir.hpp"
#include "support/vectors.hpp"

using namespace dynfeed;

namespace {

keypair vector_keys(const nlohmann::json& v) {
  return crypto::keypair_from_seed(key_seed::from(test::hex_bytes(v.at("seed"))));
}

/// Replays one step of tests/data/hypercore-fork.json on `f`.
void replay(feed& f, const nlohmann::json& step) {
  if (step.at("op") == "truncate") {
    REQUIRE_OK(f.truncate(step.at("length").get<uint64_t>()));
    return;
  }
  std::vector<bytes> blocks;
  std::string tag = step.at("tag");
  for (uint64_t i = 0; i < step.at("count").get<uint64_t>(); ++i) {
    std::string s = tag + "-" + std::to_string(f.length() + i);
    blocks.emplace_back(s.begin(), s.end());
  }
  REQUIRE_OK(f.append(std::vector<byte_span>(blocks.begin(), blocks.end())));
}

void check_step(const feed& f, const nlohmann::json& step) {
  BOOST_TEST(f.fork() == step.at("fork").get<uint64_t>());
  BOOST_TEST(f.length() == step.at("length").get<uint64_t>());
  BOOST_TEST(f.byte_length() == step.at("byteLength").get<uint64_t>());
  BOOST_TEST(to_hex(f.tree().hash()) == step.at("treeHash").get<std::string>());
  BOOST_TEST(to_hex(f.tree().sig) == step.at("signature").get<std::string>());
  const auto& roots = step.at("roots");
  BOOST_REQUIRE_EQUAL(f.tree().roots.size(), roots.size());
  for (size_t i = 0; i < roots.size(); ++i) {
    BOOST_TEST(f.tree().roots[i].index == roots[i].at("index").get<uint64_t>());
    BOOST_TEST(f.tree().roots[i].size == roots[i].at("size").get<uint64_t>());
    BOOST_TEST(to_hex(f.tree().roots[i].hash) == roots[i].at("hash").get<std::string>());
  }
}

std::vector<bytes> numbered(const std::string& tag, uint64_t first, uint64_t count) {
  std::vector<bytes> out;
  for (uint64_t i = first; i < first + count; ++i) {
    std::string s = tag + std::to_string(i);
    out.emplace_back(s.begin(), s.end());
  }
  return out;
}

expected<uint64_t> append(feed& f, const std::vector<bytes>& blocks) {
  return f.append(std::vector<byte_span>(blocks.begin(), blocks.end()));
}

} // namespace

BOOST_AUTO_TEST_SUITE(forks)

BOOST_AUTO_TEST_CASE(truncation_matches_the_reference_vectors_in_memory) {
  auto v = test::load_test_data("hypercore-fork.json");
  memory_store store;
  auto f = feed::create(store, vector_keys(v));
  REQUIRE_OK(f);
  BOOST_TEST(to_hex((*f)->key()) == v.at("publicKey").get<std::string>());
  for (const auto& step : v.at("steps")) {
    BOOST_TEST_CONTEXT(step.dump()) {
      replay(**f, step);
      check_step(**f, step);
      REQUIRE_OK((*f)->verify_all());
    }
  }
}

BOOST_AUTO_TEST_CASE(truncation_matches_the_reference_vectors_on_disk_across_reopens) {
  auto v = test::load_test_data("hypercore-fork.json");
  test::temp_dir tmp;
  std::string dir = tmp / "feed";
  REQUIRE_OK(feed_dir::create(dir, vector_keys(v)));
  for (const auto& step : v.at("steps")) {
    BOOST_TEST_CONTEXT(step.dump()) {
      {
        auto opened = feed_dir::open(dir);
        REQUIRE_OK(opened);
        replay((*opened)->feed(), step);
      }
      auto reopened = feed_dir::open(dir);
      REQUIRE_OK(reopened);
      feed& f = (*reopened)->feed();
      check_step(f, step);
      REQUIRE_OK(f.verify_all());
      // Nothing of the dropped history is left: past the length, no block and no node.
      BOOST_TEST(f.have().count() == f.length());
    }
  }
}

BOOST_AUTO_TEST_CASE(truncation_drops_every_block_and_node_past_the_length) {
  // Lengths around node-page boundaries (32 node slots, 16 blocks), on disk.
  for (uint64_t to : {0, 1, 15, 16, 17, 31, 32, 33, 63, 100}) {
    BOOST_TEST_CONTEXT("to " << to) {
      test::temp_dir tmp;
      std::string dir = tmp / "feed";
      auto created = feed_dir::create(dir, crypto::generate_keypair());
      REQUIRE_OK(created);
      feed& f = (*created)->feed();
      REQUIRE_OK(append(f, numbered("x", 0, 150)));
      REQUIRE_OK(f.truncate(to));
      REQUIRE_OK(append(f, numbered("y", to, 200 - to)));
      created->reset();
      auto reopened = feed_dir::open(dir);
      REQUIRE_OK(reopened);
      feed& g = (*reopened)->feed();
      BOOST_TEST(g.fork() == 1u);
      BOOST_TEST(g.length() == 200u);
      REQUIRE_OK(g.verify_all());
      for (uint64_t i = 0; i < 200; ++i) {
        bytes want = i < to ? numbered("x", i, 1)[0] : numbered("y", i, 1)[0];
        BOOST_REQUIRE(g.get(i).value() == want);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(truncation_is_refused_past_the_length_and_for_a_reader) {
  memory_store store;
  keypair kp = crypto::generate_keypair();
  auto f = feed::create(store, kp);
  REQUIRE_OK(f);
  REQUIRE_OK(append(**f, numbered("a", 0, 4)));
  uint64_t commits = store.commit_count();
  BOOST_TEST((*f)->truncate(5).error().is(feed_errc::out_of_range));
  BOOST_TEST(store.commit_count() == commits);
  store.fail_commits(1);
  BOOST_TEST(!(*f)->truncate(2));
  BOOST_TEST((*f)->length() == 4u);
  BOOST_TEST((*f)->fork() == 0u);
  memory_store reader_store;
  auto reader = feed::create_reader(reader_store, kp.pk);
  REQUIRE_OK(reader);
  BOOST_TEST((*reader)->truncate(0).error().is(feed_errc::not_writable));
}

BOOST_AUTO_TEST_CASE(a_reader_moves_to_a_newer_fork_keeping_the_shared_blocks) {
  memory_store writer_store;
  auto w = feed::create(writer_store, crypto::generate_keypair());
  REQUIRE_OK(w);
  REQUIRE_OK(append(**w, numbered("a", 0, 20)));
  memory_store reader_store;
  auto r = feed::create_reader(reader_store, (*w)->key());
  REQUIRE_OK(r);
  proof_request all;
  all.upgrade = upgrade_request{0, 20};
  auto p = (*w)->build_proof(all);
  REQUIRE_OK(p);
  REQUIRE_OK((*r)->apply(*p));
  for (uint64_t i = 0; i < 20; ++i) {
    proof_request one;
    one.block = block_request{i, (*r)->missing_nodes(i).value(), 1};
    auto bp = (*w)->build_proof(one);
    REQUIRE_OK(bp);
    REQUIRE_OK((*r)->apply(*bp));
  }
  REQUIRE_OK((*w)->truncate(16));
  REQUIRE_OK(append(**w, numbered("b", 16, 2)));
  // The new fork's roots at length 18 are node 15 (blocks 0..15, shared) and node 33 (new).
  const signed_tree& newer = (*w)->tree();
  std::vector<tree_node> theirs = newer.roots;
  auto shared = (*r)->shared_length(theirs, 18);
  REQUIRE_OK(shared);
  BOOST_TEST(*shared == 16u);
  BOOST_TEST((*r)->shared_length(theirs, 19).error().is(feed_errc::invalid_request));
  // A tree of the same fork, or one the writer did not sign, is refused and changes nothing.
  signed_tree forged = newer;
  forged.sig.bytes[0] ^= 1;
  BOOST_TEST((*r)->adopt_fork(forged, *shared, {}).error().is(feed_errc::bad_signature));
  BOOST_TEST((*r)->length() == 20u);
  REQUIRE_OK((*r)->adopt_fork(newer, *shared, {}));
  BOOST_TEST((*r)->fork() == 1u);
  BOOST_TEST((*r)->length() == 18u);
  BOOST_TEST((*r)->have().count() == *shared);
  REQUIRE_OK((*r)->verify_all());
  for (uint64_t i = 0; i < 20; ++i)
    BOOST_TEST(reader_store.get_block(i).value().has_value() == (i < *shared));
  BOOST_TEST((*r)->adopt_fork(newer, *shared, {}).error().is(feed_errc::fork_mismatch));
}

BOOST_AUTO_TEST_SUITE_END()

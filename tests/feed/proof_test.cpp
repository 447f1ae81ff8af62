#include "dynfeed/feed/proof.hpp"

#include <boost/test/unit_test.hpp>

#include "dynfeed/feed/errc.hpp"
#include "support/tree_fixture.hpp"

using namespace dynfeed;
using test::writer_tree;

namespace {

std::vector<uint64_t> indexes(const std::vector<tree_node>& nodes) {
  std::vector<uint64_t> out;
  for (const tree_node& n : nodes)
    out.push_back(n.index);
  return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(proofs)

BOOST_AUTO_TEST_CASE(every_block_verifies_against_the_roots) {
  writer_tree w;
  w.append(1);
  w.append(36);
  for (uint64_t i = 0; i < w.tree.length; ++i) {
    auto [trusted, known] = w.reader_at(w.tree.length);
    proof_request req;
    req.block = block_request{i, test::levels_to_root(i, w.tree.length)};
    auto p = w.prove(req);
    BOOST_REQUIRE(p);
    BOOST_TEST(p->block->nodes.size() == req.block->nodes);
    auto ok = verify_proof(*p, trusted, known, w.kp.pk);
    REQUIRE_OK(ok);
    BOOST_TEST(!ok->tree);
  }
}

BOOST_AUTO_TEST_CASE(a_block_path_may_stop_at_a_stored_node) {
  writer_tree w;
  w.append(16);
  auto [trusted, known] = w.reader_at(16);
  known.nodes[5] = w.nodes.nodes.at(5); // the reader already verified node 5 (blocks 2..3)
  proof_request req;
  req.block = block_request{3, 1};
  auto p = w.prove(req);
  BOOST_REQUIRE(p);
  BOOST_TEST(indexes(p->block->nodes) == std::vector<uint64_t>{4}, boost::test_tools::per_element());
  BOOST_TEST(verify_proof(*p, trusted, known, w.kp.pk).has_value());
}

BOOST_AUTO_TEST_CASE(upgrade_sends_right_siblings_then_later_roots) {
  writer_tree w;
  w.append(8);
  // From 3 blocks (roots 1, 4) to 8 (root 7): climbing from leaf 4 the right siblings are 6 and
  // 11; left siblings (1) are the reader's old roots.
  proof_request req;
  req.upgrade = upgrade_request{3, 5};
  auto p = w.prove(req);
  BOOST_REQUIRE(p);
  BOOST_TEST(indexes(p->upgrade->nodes) == (std::vector<uint64_t>{6, 11}),
             boost::test_tools::per_element());
  BOOST_TEST(p->upgrade->additional_nodes.empty());
  auto [trusted, known] = w.reader_at(3);
  auto ok = verify_proof(*p, trusted, known, w.kp.pk);
  BOOST_REQUIRE(ok);
  BOOST_TEST(ok->tree->length == 8u);
  BOOST_TEST(ok->tree->hash() == w.tree.hash());
}

BOOST_AUTO_TEST_CASE(upgrade_to_a_shorter_length_carries_additional_nodes) {
  writer_tree w;
  w.append(10);
  hash256 at_ten = w.tree.hash();
  w.append(6);
  proof_request req;
  req.upgrade = upgrade_request{0, 10};
  auto p = w.prove(req);
  BOOST_REQUIRE(p);
  BOOST_TEST(!p->upgrade->additional_nodes.empty());
  BOOST_TEST(p->upgrade->signed_length == 16u);
  auto [trusted, known] = w.reader_at(0);
  auto ok = verify_proof(*p, trusted, known, w.kp.pk);
  BOOST_REQUIRE(ok);
  BOOST_TEST(ok->tree->length == 16u);
  BOOST_TEST(*ok->target_hash == at_ten);
}

BOOST_AUTO_TEST_CASE(every_upgrade_with_every_new_block_verifies) {
  writer_tree w;
  w.append(23);
  for (uint64_t start = 0; start < 23; ++start) {
    for (uint64_t block = start; block < 23; ++block) {
      BOOST_TEST_CONTEXT("start " << start << ", block " << block) {
        proof_request req;
        req.upgrade = upgrade_request{start, 23 - start};
        req.block = block_request{block, 0};
        auto p = w.prove(req);
        BOOST_REQUIRE(p);
        auto [trusted, known] = w.reader_at(start);
        auto ok = verify_proof(*p, trusted, known, w.kp.pk);
        REQUIRE_OK(ok);
        BOOST_TEST(ok->tree->roots == w.tree.roots);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(every_aligned_chunk_verifies) {
  writer_tree w;
  w.append(37);
  for (uint64_t count = 1; count <= 32; count *= 2) {
    for (uint64_t index = 0; index + count <= 37; index += count) {
      uint64_t root = *chunk_root(index, count);
      if (!flat::exists(root, 37))
        continue;
      BOOST_TEST_CONTEXT("chunk " << index << " + " << count) {
        auto [trusted, known] = w.reader_at(37);
        uint64_t levels = 0;
        for (uint64_t cur = root; flat::exists(flat::parent(cur), 37); cur = flat::parent(cur))
          ++levels;
        proof_request req;
        req.block = block_request{index, levels, count};
        auto p = w.prove(req);
        REQUIRE_OK(p);
        auto ok = verify_proof(*p, trusted, known, w.kp.pk);
        REQUIRE_OK(ok);
        // Every leaf and inner node of the chunk is learned.
        for (uint64_t i = index; i < index + count; ++i)
          BOOST_TEST(std::count_if(ok->nodes.begin(), ok->nodes.end(), [&](const tree_node& n) {
                       return n == w.nodes.nodes.at(flat::leaf(i));
                     }) >= 1);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(chunks_inside_an_upgrade) {
  writer_tree w;
  w.append(40);
  for (uint64_t start : {0u, 3u, 8u, 16u, 31u}) {
    for (uint64_t count : {1u, 2u, 4u, 8u}) {
      for (uint64_t index = (start + count - 1) / count * count; index + count <= 40;
           index += count) {
        BOOST_TEST_CONTEXT("start " << start << ", chunk " << index << " + " << count) {
          proof_request req;
          req.upgrade = upgrade_request{start, 40 - start};
          req.block = block_request{index, 0, count};
          auto p = w.prove(req);
          if (!flat::exists(*chunk_root(index, count), 40)) {
            BOOST_TEST(!p);
            continue;
          }
          REQUIRE_OK(p);
          auto [trusted, known] = w.reader_at(start);
          auto ok = verify_proof(*p, trusted, known, w.kp.pk);
          REQUIRE_OK(ok);
          BOOST_TEST(ok->tree->roots == w.tree.roots);
        }
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(misaligned_and_straddling_chunks_are_refused) {
  writer_tree w;
  w.append(32);
  for (auto [index, count] : {std::pair<uint64_t, uint64_t>{1, 2}, {4, 3}, {0, 0}, {8, 2048}}) {
    proof_request req;
    req.block = block_request{index, 0, count};
    BOOST_TEST(w.prove(req).error().is(feed_errc::invalid_request));
  }
  // Blocks 4..11 straddle an upgrade starting at 6.
  proof_request req;
  req.upgrade = upgrade_request{6, 26};
  req.block = block_request{0, 0, 8};
  BOOST_TEST(w.prove(req).error().is(feed_errc::invalid_request));
  // A forged proof with such a chunk is refused by the verifier as well.
  proof_request honest;
  honest.upgrade = upgrade_request{6, 26};
  honest.block = block_request{8, 0, 8};
  auto p = w.prove(honest);
  REQUIRE_OK(p);
  proof forged = *p;
  forged.block->index = 0;
  auto [trusted, known] = w.reader_at(6);
  BOOST_TEST(!verify_proof(forged, trusted, known, w.kp.pk));
  proof short_chunk = *p;
  short_chunk.block->values.pop_back();
  BOOST_TEST(verify_proof(short_chunk, trusted, known, w.kp.pk).error().is(feed_errc::invalid_proof));
}

BOOST_AUTO_TEST_CASE(bad_requests_are_refused) {
  writer_tree w;
  w.append(5);
  proof_request req;
  req.block = block_request{5, 0};
  BOOST_TEST(w.prove(req).error().is(feed_errc::out_of_range));
  req.block = block_request{0, 10, 1};
  BOOST_TEST(w.prove(req).error().is(feed_errc::invalid_request));
  req.block.reset();
  req.upgrade = upgrade_request{2, 4};
  BOOST_TEST(w.prove(req).error().is(feed_errc::invalid_request));
  req.upgrade = upgrade_request{5, 0};
  BOOST_TEST(w.prove(req).error().is(feed_errc::invalid_request));
  req.upgrade = upgrade_request{~uint64_t{0}, 2};
  BOOST_TEST(w.prove(req).error().is(feed_errc::invalid_request));
  req.fork = 1;
  BOOST_TEST(w.prove(req).error().is(feed_errc::fork_mismatch));
}

BOOST_AUTO_TEST_CASE(verification_failures_have_their_own_codes) {
  writer_tree w;
  w.append(9);
  proof_request req;
  req.upgrade = upgrade_request{4, 5};
  auto p = w.prove(req);
  BOOST_REQUIRE(p);
  auto [trusted, known] = w.reader_at(4);

  auto wrong_key = crypto::keypair_from_seed(key_seed::from(bytes(32, 1)));
  BOOST_TEST(verify_proof(*p, trusted, known, wrong_key.pk).error().is(feed_errc::bad_signature));

  auto [stale, stale_known] = w.reader_at(5);
  BOOST_TEST(verify_proof(*p, stale, stale_known, w.kp.pk).error().is(feed_errc::stale_upgrade));

  auto with_nodes = [&](std::vector<tree_node> nodes) {
    upgrade_proof up = *p->upgrade;
    up.nodes = std::move(nodes);
    proof changed;
    changed.upgrade = std::move(up);
    return changed;
  };
  std::vector<tree_node> nodes = p->upgrade->nodes;
  BOOST_REQUIRE(!nodes.empty());
  std::vector<tree_node> more = nodes;
  more.push_back(nodes.back());
  BOOST_TEST(verify_proof(with_nodes(more), trusted, known, w.kp.pk)
               .error()
               .is(feed_errc::invalid_proof));
  std::vector<tree_node> fewer(nodes.begin(), nodes.end() - 1);
  BOOST_TEST(verify_proof(with_nodes(fewer), trusted, known, w.kp.pk)
               .error()
               .is(feed_errc::invalid_proof));

  proof forked = *p;
  forked.fork = 3;
  BOOST_TEST(verify_proof(forked, trusted, known, w.kp.pk).error().is(feed_errc::fork_mismatch));

  // A block outside the trusted tree needs an upgrade.
  proof_request block_req;
  block_req.block = block_request{6, 0};
  auto bp = w.prove(block_req);
  BOOST_REQUIRE(bp);
  BOOST_TEST(verify_proof(*bp, trusted, known, w.kp.pk).error().is(feed_errc::invalid_proof));
}

BOOST_AUTO_TEST_CASE(hostile_indexes_do_not_crash) {
  writer_tree w;
  w.append(4);
  auto [trusted, known] = w.reader_at(4);
  for (uint64_t index : {~uint64_t{0}, length_max, length_max - 1, uint64_t{1} << 61}) {
    proof p;
    p.block = block_proof{index, {bytes{1}}, {}};
    BOOST_TEST(!verify_proof(p, trusted, known, w.kp.pk));
    p.block->nodes.push_back(tree_node{index, 1, {}});
    BOOST_TEST(!verify_proof(p, trusted, known, w.kp.pk));
    proof up;
    up.upgrade = upgrade_proof{4, index, {}, {}, index, {}};
    BOOST_TEST(!verify_proof(up, trusted, known, w.kp.pk));
    up.upgrade = upgrade_proof{4, 1, {tree_node{index, 0, {}}}, {}, 5, {}};
    BOOST_TEST(!verify_proof(up, trusted, known, w.kp.pk));
  }
}

BOOST_AUTO_TEST_SUITE_END()

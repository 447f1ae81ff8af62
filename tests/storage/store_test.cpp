#define BOOST_TEST_MODULE storage
#include <boost/test/unit_test.hpp>

#include "dynfeed/feed/bitfield.hpp"
#include "dynfeed/storage/memory_store.hpp"
#include "dynfeed/storage/rocks_store.hpp"
#include "support/print.hpp"
#include "support/temp_dir.hpp"

using namespace dynfeed;

namespace {

tree_node node_at(uint64_t index) {
  tree_node n;
  n.index = index;
  n.size = index * 3 + 1;
  n.hash = crypto::blake2b_256(byte_span{std::to_string(index)});
  return n;
}

/// Writes a mix of a full node page (indexes 64..95), scattered nodes, blocks, the head and
/// the bitfield, then checks everything reads back.
void exercise(feed_store& store) {
  auto meta = store.load_meta();
  REQUIRE_OK(meta);
  BOOST_TEST(!*meta);
  std::vector<bytes> blocks{bytes{}, bytes{1, 2, 3}, bytes(5000, 9)};
  store_batch batch;
  batch.meta = feed_meta{feed_meta::current_version, public_key::from(bytes(32, 7))};
  for (uint64_t i = 0; i < blocks.size(); ++i)
    batch.blocks.emplace_back(i, blocks[i]);
  for (uint64_t i = 64; i < 96; ++i)
    batch.nodes.push_back(node_at(i));
  for (uint64_t i : {0u, 5u, 97u, 1000u})
    batch.nodes.push_back(node_at(i));
  batch.head = head_record{0, 3, signature::from(bytes(64, 5))};
  batch.bitfield_pages.emplace_back(0, bytes(bitfield::page_size, 0x07));
  REQUIRE_OK(store.commit(batch));

  auto m = store.load_meta();
  REQUIRE_OK(m);
  BOOST_TEST((*m)->key == batch.meta->key);
  auto h = store.load_head();
  REQUIRE_OK(h);
  BOOST_TEST((*h)->length == 3u);
  BOOST_TEST((*h)->sig == batch.head->sig);
  for (uint64_t i = 0; i < blocks.size(); ++i) {
    auto b = store.get_block(i);
    REQUIRE_OK(b);
    BOOST_TEST(**b == blocks[i]);
  }
  BOOST_TEST(!*store.get_block(3));
  for (uint64_t i : {0u, 5u, 64u, 80u, 95u, 97u, 1000u}) {
    auto n = store.find_node(i);
    REQUIRE_OK(n);
    BOOST_REQUIRE(*n);
    BOOST_TEST(**n == node_at(i));
  }
  for (uint64_t i : {1u, 63u, 96u, 98u, 999u}) {
    auto n = store.find_node(i);
    REQUIRE_OK(n);
    BOOST_TEST(!*n);
  }
  auto pages = store.load_bitfield();
  REQUIRE_OK(pages);
  BOOST_REQUIRE(pages->size() == 1u);
  BOOST_TEST((*pages)[0].second == batch.bitfield_pages[0].second);
}

} // namespace

BOOST_AUTO_TEST_CASE(memory_store_round_trip) {
  memory_store store;
  exercise(store);
}

BOOST_AUTO_TEST_CASE(memory_store_with_a_block_pool_round_trips) {
  memory_store store;
  store.share_blocks(std::make_shared<block_pool>());
  exercise(store);
}

BOOST_AUTO_TEST_CASE(stores_of_one_pool_keep_each_content_once_and_a_corrupted_copy_apart) {
  auto pool = std::make_shared<block_pool>();
  memory_store a, b, c;
  for (memory_store* s : {&a, &b, &c})
    s->share_blocks(pool);
  c.set_block_fault([](uint64_t, bytes& block) { block[0] ^= 1; });
  bytes block(1024, 7);
  bytes other(1024, 8);
  for (memory_store* s : {&a, &b, &c}) {
    store_batch batch;
    batch.blocks.emplace_back(0, block);
    batch.blocks.emplace_back(1, other);
    REQUIRE_OK(s->commit(batch));
  }
  // Two contents, and the corrupted copies of both.
  BOOST_TEST(pool->size() == 4u);
  auto read = [](memory_store& s, uint64_t i) { return **s.get_block(i); };
  BOOST_TEST(read(a, 0) == block);
  BOOST_TEST(read(b, 0) == block);
  BOOST_TEST(read(b, 1) == other);
  BOOST_TEST(read(c, 0) != block);
  BOOST_TEST(read(c, 0).size() == block.size());
  BOOST_TEST(!*a.get_block(2));
}

BOOST_AUTO_TEST_CASE(stores_of_one_pool_share_tree_nodes_and_keep_another_fork_apart) {
  auto pool = std::make_shared<block_pool>();
  memory_store a, b, c;
  for (memory_store* s : {&a, &b, &c})
    s->share_blocks(pool);
  tree_node forked = node_at(2);
  forked.hash = crypto::blake2b_256(byte_span{std::string{"another history"}});
  for (memory_store* s : {&a, &b, &c}) {
    store_batch batch;
    for (uint64_t i : {0u, 1u, 2u})
      batch.nodes.push_back(s == &c && i == 2 ? forked : node_at(i));
    REQUIRE_OK(s->commit(batch));
  }
  // Three nodes, and c's node of another fork.
  BOOST_TEST(pool->node_count() == 4u);
  BOOST_TEST(**a.find_node(2) == node_at(2));
  BOOST_TEST(**b.find_node(2) == node_at(2));
  BOOST_TEST(**c.find_node(2) == forked);
  // Truncating one store to one block drops its references to block 1's leaf (node 2) and
  // to the parent of blocks 0 and 1 (node 1) only: the other stores keep theirs.
  store_batch cut;
  cut.truncate_to = 1;
  REQUIRE_OK(a.commit(cut));
  BOOST_TEST(a.find_node(0)->has_value());
  BOOST_TEST(!a.find_node(1)->has_value());
  BOOST_TEST(!a.find_node(2)->has_value());
  BOOST_TEST(**b.find_node(1) == node_at(1));
  BOOST_TEST(**b.find_node(2) == node_at(2));
}

BOOST_AUTO_TEST_CASE(memory_store_injected_failure_writes_nothing) {
  memory_store store;
  store.fail_commits(1);
  store_batch batch;
  batch.nodes.push_back(node_at(4));
  auto st = store.commit(batch);
  BOOST_TEST(st.error().is(store_errc::io_error));
  BOOST_TEST(!*store.find_node(4));
  REQUIRE_OK(store.commit(batch));
  BOOST_TEST(store.find_node(4)->has_value());
}

BOOST_AUTO_TEST_CASE(rocks_store_round_trip_and_reopen) {
  test::temp_dir dir;
  rocks_options opts;
  opts.create_if_missing = true;
  {
    auto store = rocks_store::open(dir / "db", opts);
    REQUIRE_OK(store);
    exercise(**store);
  }
  for (size_t cache : {size_t{0}, size_t{1} << 10}) {
    rocks_options reopen;
    reopen.node_cache_entries = cache;
    auto store = rocks_store::open(dir / "db", reopen);
    REQUIRE_OK(store);
    for (uint64_t i : {0u, 5u, 64u, 95u, 97u, 1000u}) {
      auto n = (*store)->find_node(i);
      REQUIRE_OK(n);
      BOOST_REQUIRE(*n);
      BOOST_TEST(**n == node_at(i));
    }
    BOOST_TEST(((*store)->get_block(2).value()->size() == 5000u));
  }
}

BOOST_AUTO_TEST_CASE(rocks_store_later_batches_do_not_lose_page_neighbours) {
  // A page written whole, then single nodes in the same index range, must all stay readable.
  test::temp_dir dir;
  rocks_options opts;
  opts.create_if_missing = true;
  opts.node_cache_entries = 0;
  auto store = rocks_store::open(dir / "db", opts);
  REQUIRE_OK(store);
  store_batch first;
  for (uint64_t i = 0; i < 32; ++i)
    first.nodes.push_back(node_at(i));
  REQUIRE_OK((*store)->commit(first));
  store_batch second;
  for (uint64_t i = 32; i < 40; ++i)
    second.nodes.push_back(node_at(i));
  REQUIRE_OK((*store)->commit(second));
  for (uint64_t i = 0; i < 40; ++i)
    BOOST_TEST(((*store)->find_node(i).value() == std::optional<tree_node>{node_at(i)}));
}

BOOST_AUTO_TEST_CASE(rocks_store_errors) {
  test::temp_dir dir;
  auto missing = rocks_store::open(dir / "nothing", rocks_options{});
  BOOST_REQUIRE(!missing);
  BOOST_TEST(missing.error().is(store_errc::not_found));

  rocks_options create;
  create.create_if_missing = true;
  auto first = rocks_store::open(dir / "db", create);
  REQUIRE_OK(first);
  auto second = rocks_store::open(dir / "db", rocks_options{});
  BOOST_REQUIRE(!second);
  BOOST_TEST(second.error().is(store_errc::locked));

  first->reset();
  rocks_options ro;
  ro.read_only = true;
  auto reader = rocks_store::open(dir / "db", ro);
  REQUIRE_OK(reader);
  store_batch batch;
  batch.nodes.push_back(node_at(1));
  BOOST_TEST(!(*reader)->commit(batch));
}

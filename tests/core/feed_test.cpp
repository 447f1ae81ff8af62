#include "dynfeed/core/feed.hpp"

#include <boost/test/unit_test.hpp>

#include "dynfeed/feed/errc.hpp"
#include "dynfeed/feed/flat_tree.hpp"
#include "dynfeed/storage/memory_store.hpp"
#include "support/print.hpp"

#include <set>

using namespace dynfeed;

namespace {

keypair writer_keys() {
  return crypto::keypair_from_seed(key_seed::from(bytes(32, 42)));
}

std::vector<byte_span> spans(const std::vector<bytes>& blocks) {
  return std::vector<byte_span>(blocks.begin(), blocks.end());
}

std::vector<bytes> numbered(uint64_t first, uint64_t count) {
  std::vector<bytes> out;
  for (uint64_t i = first; i < first + count; ++i) {
    std::string s = "block-" + std::to_string(i);
    out.emplace_back(s.begin(), s.end());
  }
  return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(feed_core)

BOOST_AUTO_TEST_CASE(append_get_and_reopen) {
  memory_store store;
  auto f = feed::create(store, writer_keys());
  REQUIRE_OK(f);
  BOOST_TEST((*f)->length() == 0u);
  auto first = numbered(0, 3);
  auto len = (*f)->append(spans(first));
  REQUIRE_OK(len);
  BOOST_TEST(*len == 3u);
  auto second = numbered(3, 1);
  BOOST_TEST(*(*f)->append(spans(second)) == 4u);
  BOOST_TEST((*f)->get(2).value() == first[2]);
  BOOST_TEST((*f)->get(3).value() == second[0]);
  BOOST_TEST((*f)->byte_length() == 4 * 7u);
  hash256 id = (*f)->id();

  keypair kp = writer_keys();
  auto reopened = feed::open(store, &kp.sk);
  REQUIRE_OK(reopened);
  BOOST_TEST((*reopened)->writable());
  BOOST_TEST((*reopened)->id() == id);
  BOOST_TEST((*reopened)->tree().sig == (*f)->tree().sig);
  BOOST_TEST((*reopened)->have().count() == 4u);
  REQUIRE_OK((*reopened)->verify_all());

  auto read_only = feed::open(store, nullptr);
  REQUIRE_OK(read_only);
  BOOST_TEST(!(*read_only)->writable());
  BOOST_TEST((*read_only)->append(spans(second)).error().is(feed_errc::not_writable));
}

BOOST_AUTO_TEST_CASE(the_id_changes_on_every_append) {
  memory_store store;
  auto f = feed::create(store, writer_keys());
  std::set<hash256> ids{(*f)->id()};
  for (uint64_t i = 0; i < 20; ++i) {
    REQUIRE_OK((*f)->append(spans(numbered(i, 1))));
    BOOST_TEST(ids.insert((*f)->id()).second);
    BOOST_TEST((*f)->id() == (*f)->tree().hash());
  }
}

BOOST_AUTO_TEST_CASE(bad_appends_change_nothing) {
  memory_store store;
  feed_options opts;
  opts.limits.block_size_max = 10;
  auto f = feed::create(store, writer_keys(), opts);
  REQUIRE_OK((*f)->append(spans(numbered(0, 2))));
  signed_tree before = (*f)->tree();
  uint64_t commits = store.commit_count();

  BOOST_TEST((*f)->append({}).error().is(feed_errc::empty_batch));
  std::vector<bytes> big{bytes(11, 1)};
  BOOST_TEST((*f)->append(spans(big)).error().is(feed_errc::block_too_large));
  store.fail_commits(1);
  BOOST_TEST((*f)->append(spans(numbered(2, 3))).error().is(store_errc::io_error));

  BOOST_TEST(((*f)->tree() == before));
  BOOST_TEST(store.commit_count() == commits);
  BOOST_TEST((*f)->have().count() == 2u);
  BOOST_TEST((*f)->get(2).error().is(feed_errc::out_of_range));

  // The failed batch left no trace: appending it again gives the same tree as a fresh feed.
  REQUIRE_OK((*f)->append(spans(numbered(2, 3))));
  memory_store fresh_store;
  auto fresh = feed::create(fresh_store, writer_keys(), opts);
  REQUIRE_OK((*fresh)->append(spans(numbered(0, 2))));
  REQUIRE_OK((*fresh)->append(spans(numbered(2, 3))));
  BOOST_TEST(((*fresh)->tree() == (*f)->tree()));
}

BOOST_AUTO_TEST_CASE(opening_checks_keys_and_the_signed_tree) {
  memory_store store;
  auto f = feed::create(store, writer_keys());
  REQUIRE_OK((*f)->append(spans(numbered(0, 5))));
  keypair other = crypto::keypair_from_seed(key_seed::from(bytes(32, 1)));
  BOOST_TEST(feed::open(store, &other.sk).error().is(crypto_errc::bad_secret_key));
  BOOST_TEST(feed::create(store, writer_keys()).error().is(store_errc::already_exists));

  // A root that no longer matches the signature.
  uint64_t root = flat::full_roots(5).front();
  const tree_node* stored = store.nodes().find(root);
  BOOST_REQUIRE(stored != nullptr);
  tree_node saved = *stored;
  store.nodes()[root].hash.bytes[0] ^= 1;
  BOOST_TEST(feed::open(store, nullptr).error().is(store_errc::corrupt));
  store.nodes()[root] = saved;
  // A missing root.
  store.nodes().erase(root);
  BOOST_TEST(feed::open(store, nullptr).error().is(store_errc::corrupt));
  store.nodes()[root] = saved;
  REQUIRE_OK(feed::open(store, nullptr));

  memory_store empty;
  BOOST_TEST(feed::open(empty, nullptr).error().is(store_errc::not_found));
}

BOOST_AUTO_TEST_CASE(verify_all_names_the_first_bad_block) {
  memory_store store;
  auto f = feed::create(store, writer_keys());
  REQUIRE_OK((*f)->append(spans(numbered(0, 9))));
  REQUIRE_OK((*f)->verify_all());

  store.blocks()[6][0] ^= 0x20;
  auto st = (*f)->verify_all();
  BOOST_REQUIRE(!st);
  BOOST_TEST(st.error().is(feed_errc::corrupt));
  BOOST_TEST(st.error().context().find("block 6") != std::string::npos);
  store.blocks()[6][0] ^= 0x20;

  // The parent of blocks 2 and 3 (node 5) is also on block 0's proof path, so block 0 is the
  // first block that can no longer be proven.
  store.nodes()[5].hash.bytes[3] ^= 1;
  st = (*f)->verify_all();
  BOOST_REQUIRE(!st);
  BOOST_TEST(st.error().context() == "block 0: tree nodes 1 and 5 do not hash to their parent 3");
}

BOOST_AUTO_TEST_SUITE_END()

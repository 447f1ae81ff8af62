#include "dynfeed/feed/equivocation.hpp"

#include <boost/test/unit_test.hpp>

#include "dynfeed/core/equivocation_file.hpp"
#include "dynfeed/core/feed.hpp"
#include "dynfeed/feed/errc.hpp"
#include "dynfeed/storage/memory_store.hpp"
#include "support/print.hpp"

using namespace dynfeed;

namespace {

std::vector<bytes> numbered(const std::string& tag, uint64_t first, uint64_t count) {
  std::vector<bytes> out;
  for (uint64_t i = first; i < first + count; ++i) {
    std::string s = tag + std::to_string(i);
    out.emplace_back(s.begin(), s.end());
  }
  return out;
}

/// One writer's key on two machines: two feeds that share `common` blocks, then diverge.
struct two_copies {
  keypair kp = crypto::keypair_from_seed(key_seed::from(bytes(32, 9)));
  memory_store a_store;
  memory_store b_store;
  std::unique_ptr<feed> a;
  std::unique_ptr<feed> b;

  two_copies(uint64_t common, uint64_t a_more, uint64_t b_more) {
    a = std::move(feed::create(a_store, kp).value());
    b = std::move(feed::create(b_store, kp).value());
    append(*a, numbered("c", 0, common));
    append(*b, numbered("c", 0, common));
    append(*a, numbered("a", common, a_more));
    append(*b, numbered("b", common, b_more));
  }
  static void append(feed& f, const std::vector<bytes>& blocks) {
    if (!blocks.empty())
      BOOST_REQUIRE(f.append(std::vector<byte_span>(blocks.begin(), blocks.end())));
  }
  expected<std::optional<equivocation_proof>> find() {
    return find_equivocation(kp.pk, a->tree(), a_store, b->tree(), b_store);
  }
};

} // namespace

BOOST_AUTO_TEST_SUITE(equivocation)

BOOST_AUTO_TEST_CASE(conflicting_trees_give_a_proof_that_verifies_on_its_own) {
  // Same length, different blocks; one longer than the other, in both orders.
  for (auto [common, a_more, b_more] : std::vector<std::array<uint64_t, 3>>{
         {0, 5, 5}, {8, 3, 7}, {8, 7, 3}, {13, 1, 20}, {16, 16, 1}}) {
    BOOST_TEST_CONTEXT(common << " + " << a_more << " / " << b_more) {
      two_copies c{common, a_more, b_more};
      auto found = c.find();
      REQUIRE_OK(found);
      BOOST_REQUIRE(found->has_value());
      const equivocation_proof& p = **found;
      REQUIRE_OK(verify_equivocation(p));
      BOOST_TEST((p.trees[0] == c.a->tree()));
      BOOST_TEST((p.trees[1] == c.b->tree()));
      auto decoded = decode_equivocation(encode_equivocation(p));
      REQUIRE_OK(decoded);
      BOOST_TEST((*decoded == p));
    }
  }
}

BOOST_AUTO_TEST_CASE(a_tree_that_extends_the_other_is_no_equivocation) {
  two_copies c{10, 0, 6};
  auto found = c.find();
  REQUIRE_OK(found);
  BOOST_TEST(!found->has_value());
  two_copies same{7, 0, 0};
  BOOST_TEST(!same.find().value().has_value());
}

BOOST_AUTO_TEST_CASE(a_proof_changed_in_any_part_is_refused) {
  two_copies c{8, 3, 7};
  equivocation_proof good = c.find().value().value();
  auto refused = [&](auto change, auto code) {
    equivocation_proof p = good;
    change(p);
    auto st = verify_equivocation(p);
    BOOST_TEST(!st);
    BOOST_TEST(st.error().is(code), st.error().to_string());
  };
  refused([](auto& p) { p.trees[1].sig.bytes[5] ^= 1; }, feed_errc::bad_signature);
  refused([](auto& p) { p.key.bytes[0] ^= 1; }, feed_errc::bad_signature);
  refused([](auto& p) { p.trees[0].fork = 1; }, feed_errc::fork_mismatch);
  refused([](auto& p) { p.trees[1] = p.trees[0]; }, feed_errc::invalid_proof);
  refused([](auto& p) { p.paths[1] = p.paths[0]; }, feed_errc::invalid_proof);
  refused([](auto& p) { p.paths[1].back().hash.bytes[0] ^= 1; }, feed_errc::invalid_proof);
  refused([](auto& p) { p.paths[1].pop_back(); }, feed_errc::invalid_proof);
  refused([](auto& p) { p.index += 2; }, feed_errc::invalid_proof);
  refused([](auto& p) { p.paths[0].clear(); }, feed_errc::invalid_proof);
  // Two honest trees of one history, dressed up as a conflict: nothing differs to point at.
  two_copies honest{10, 0, 6};
  equivocation_proof p = good;
  p.trees = {honest.a->tree(), honest.b->tree()};
  BOOST_TEST(!verify_equivocation(p));
}

BOOST_AUTO_TEST_CASE(every_single_byte_change_to_a_proof_file_is_refused) {
  two_copies c{8, 3, 7};
  std::string text = encode_equivocation(c.find().value().value());
  auto accepted = [](const std::string& t) {
    auto p = decode_equivocation(t);
    return p && verify_equivocation(*p);
  };
  BOOST_REQUIRE(accepted(text));
  size_t tried = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    for (uint8_t flip : {0x01, 0x02, 0x20, 0x80, 0x0f}) {
      std::string changed = text;
      changed[i] = static_cast<char>(static_cast<uint8_t>(changed[i]) ^ flip);
      ++tried;
      if (accepted(changed))
        BOOST_ERROR("byte " << i << " ^ " << int(flip) << " still proves an equivocation");
    }
  }
  BOOST_TEST(tried == text.size() * 5);
  BOOST_TEST(!accepted(text.substr(0, text.size() - 1)));
  BOOST_TEST(!accepted(text + " "));
}

BOOST_AUTO_TEST_SUITE_END()

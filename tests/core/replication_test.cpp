#include "dynfeed/core/feed.hpp"

#include <boost/test/unit_test.hpp>

#include "dynfeed/base/random.hpp"
#include "dynfeed/feed/errc.hpp"
#include "dynfeed/feed/flat_tree.hpp"
#include "dynfeed/storage/memory_store.hpp"
#include "support/print.hpp"

using namespace dynfeed;

namespace {

/// A deliberately naive Merkle model, written from the spec without the library's tree code:
/// the hash of a perfect range of leaves by recursion, roots by binary decomposition.
struct naive_tree {
  std::vector<bytes> blocks;

  std::pair<hash256, uint64_t> range(uint64_t first, uint64_t count) const {
    if (count == 1) {
      uint8_t header[9] = {0x00};
      store_u64le(header + 1, blocks[first].size());
      return {crypto::blake2b_256({byte_span{header, 9}, blocks[first]}), blocks[first].size()};
    }
    auto [lh, ls] = range(first, count / 2);
    auto [rh, rs] = range(first + count / 2, count / 2);
    uint8_t header[9] = {0x01};
    store_u64le(header + 1, ls + rs);
    return {crypto::blake2b_256({byte_span{header, 9}, lh, rh}), ls + rs};
  }

  hash256 tree_hash() const {
    bytes input{0x02};
    uint64_t first = 0;
    for (uint64_t bit = uint64_t{1} << 62; bit > 0; bit >>= 1) {
      if (!(blocks.size() & bit))
        continue;
      auto [h, size] = range(first, bit);
      input.insert(input.end(), h.bytes.begin(), h.bytes.end());
      put_u64le(input, 2 * first + bit - 1); // flat-tree index of the perfect subtree
      put_u64le(input, size);
      first += bit;
    }
    return crypto::blake2b_256(byte_span{input});
  }
};

struct peer {
  memory_store store;
  std::unique_ptr<feed> f;
};

/// Asks `from` for block `index` on behalf of `to`, upgrading `to` when needed, and applies
/// the proof. Returns the error of whichever side refused.
status fetch(feed& from, feed& to, uint64_t index, bool force_upgrade, uint64_t count = 1) {
  proof_request req;
  req.fork = to.fork();
  bool upgrade = from.length() > to.length() && (index >= to.length() || force_upgrade);
  if (upgrade)
    req.upgrade = upgrade_request{to.length(), from.length() - to.length()};
  if (index < to.length()) {
    auto missing = to.missing_nodes(index, count);
    if (!missing)
      return std::move(missing).error();
    req.block = block_request{index, *missing, count};
  } else {
    req.block = block_request{index, 0, count};
  }
  auto p = from.build_proof(req);
  if (!p)
    return std::move(p).error();
  auto applied = to.apply(*p);
  if (!applied)
    return std::move(applied).error();
  return {};
}

} // namespace

BOOST_AUTO_TEST_SUITE(replication)

BOOST_AUTO_TEST_CASE(random_operations_match_a_naive_model) {
  for (uint64_t seed : {1u, 2u, 3u}) {
    rng random{seed};
    keypair kp = crypto::keypair_from_seed(key_seed::from(bytes(32, static_cast<uint8_t>(seed))));
    naive_tree model;
    peer writer;
    writer.f = std::move(*feed::create(writer.store, kp));
    std::vector<peer> readers(3);
    for (peer& r : readers)
      r.f = std::move(*feed::create_reader(r.store, kp.pk));

    for (int step = 0; step < 600; ++step) {
      uint64_t op = random.below(10);
      if (op < 3 || model.blocks.empty()) {
        std::vector<bytes> batch(1 + random.below(4));
        for (bytes& b : batch) {
          b.resize(random.below(40));
          for (uint8_t& byte : b)
            byte = static_cast<uint8_t>(random.next());
        }
        REQUIRE_OK(writer.f->append(std::vector<byte_span>(batch.begin(), batch.end())));
        model.blocks.insert(model.blocks.end(), batch.begin(), batch.end());
        BOOST_REQUIRE(writer.f->length() == model.blocks.size());
        BOOST_REQUIRE(writer.f->id() == model.tree_hash());
      } else if (op < 7) {
        peer& r = readers[random.below(readers.size())];
        // A single block, or an aligned chunk of up to 16 that exists at the writer's length.
        uint64_t count = uint64_t{1} << random.below(5);
        uint64_t index = random.below(writer.f->length()) / count * count;
        while (!flat::exists(*chunk_root(index, count), writer.f->length())
               || (index < r.f->length() && index + count > r.f->length())) {
          count /= 2;
          index = index / count * count;
        }
        REQUIRE_OK(fetch(*writer.f, *r.f, index, random.chance(0.3), count));
        for (uint64_t i = index; i < index + count; ++i) {
          auto got = r.f->get(i);
          REQUIRE_OK(got);
          BOOST_REQUIRE(*got == model.blocks[i]);
        }
        if (r.f->length() == writer.f->length())
          BOOST_REQUIRE(r.f->tree().roots == writer.f->tree().roots);
      } else if (op < 9) {
        // A reader serves another reader: it may lack nodes, but what it sends must verify.
        peer& from = readers[random.below(readers.size())];
        peer& to = readers[random.below(readers.size())];
        if (&from == &to || from.f->have().count() == 0)
          continue;
        // A block the serving reader holds: the first at or after a random start, else the first.
        const bitfield& held = from.f->have();
        auto after = held.find(random.below(from.f->length()), from.f->length(), true);
        uint64_t index = after ? *after : *held.find(0, from.f->length(), true);
        status st = fetch(*from.f, *to.f, index, random.chance(0.3));
        if (!st) {
          BOOST_REQUIRE_MESSAGE(st.error().is(feed_errc::missing_node)
                                  || st.error().is(feed_errc::stale_upgrade)
                                  || st.error().is(feed_errc::invalid_request)
                                  || st.error().is(feed_errc::out_of_range),
                                st.error().to_string());
        } else {
          BOOST_REQUIRE(*to.f->get(index) == model.blocks[index]);
        }
      } else {
        peer& r = readers[random.below(readers.size())];
        for (uint64_t i = 0; i < r.f->length(); ++i) {
          auto got = r.f->get(i);
          if (r.f->has(i))
            BOOST_REQUIRE(*got == model.blocks[i]);
          else
            BOOST_REQUIRE(got.error().is(feed_errc::block_not_held));
        }
        // Reopening gives the same state.
        auto reopened = feed::open(r.store, nullptr);
        REQUIRE_OK(reopened);
        BOOST_REQUIRE(((*reopened)->tree() == r.f->tree()));
        BOOST_REQUIRE((*reopened)->have().count() == r.f->have().count());
      }
    }
    REQUIRE_OK(writer.f->verify_all());
    for (peer& r : readers)
      REQUIRE_OK(r.f->verify_all());
  }
}

namespace {

/// Every way of changing one byte of `target` (all 255 other values at every position) must
/// make `apply` fail and leave the reader exactly as it was.
template <class Mutate>
void every_byte_change_is_rejected(const proof& original, memory_store& store, feed& reader,
                                   size_t size, Mutate mutate) {
  signed_tree before = reader.tree();
  uint64_t held = reader.have().count();
  uint64_t commits = store.commit_count();
  for (size_t pos = 0; pos < size; ++pos) {
    for (int delta = 1; delta < 256; ++delta) {
      proof p = original;
      mutate(p, pos, static_cast<uint8_t>(delta));
      auto result = reader.apply(p);
      BOOST_REQUIRE_MESSAGE(!result, "byte " << pos << " xor " << delta << " was accepted");
    }
  }
  BOOST_TEST(store.commit_count() == commits);
  BOOST_TEST((reader.tree() == before));
  BOOST_TEST(reader.have().count() == held);
}

void flip_u64(uint64_t& v, size_t byte, uint8_t delta) {
  v ^= uint64_t{delta} << (8 * byte);
}

void check_all_mutations(const proof& p, memory_store& store, feed& reader) {
  if (p.block) {
    for (size_t v = 0; v < p.block->values.size(); ++v)
      every_byte_change_is_rejected(p, store, reader, p.block->values[v].size(),
                                    [v](proof& q, size_t pos, uint8_t d) {
                                      q.block->values[v][pos] ^= d;
                                    });
    every_byte_change_is_rejected(p, store, reader, 8, [](proof& q, size_t pos, uint8_t d) {
      flip_u64(q.block->index, pos, d);
    });
    for (size_t n = 0; n < p.block->nodes.size(); ++n) {
      every_byte_change_is_rejected(p, store, reader, 32, [n](proof& q, size_t pos, uint8_t d) {
        q.block->nodes[n].hash.bytes[pos] ^= d;
      });
      every_byte_change_is_rejected(p, store, reader, 8, [n](proof& q, size_t pos, uint8_t d) {
        flip_u64(q.block->nodes[n].size, pos, d);
      });
      every_byte_change_is_rejected(p, store, reader, 8, [n](proof& q, size_t pos, uint8_t d) {
        flip_u64(q.block->nodes[n].index, pos, d);
      });
    }
  }
  if (p.upgrade) {
    every_byte_change_is_rejected(p, store, reader, 64, [](proof& q, size_t pos, uint8_t d) {
      q.upgrade->sig.bytes[pos] ^= d;
    });
    for (auto member : {&upgrade_proof::nodes, &upgrade_proof::additional_nodes}) {
      for (size_t n = 0; n < ((*p.upgrade).*member).size(); ++n) {
        every_byte_change_is_rejected(p, store, reader, 32,
                                      [n, member](proof& q, size_t pos, uint8_t d) {
                                        ((*q.upgrade).*member)[n].hash.bytes[pos] ^= d;
                                      });
        every_byte_change_is_rejected(p, store, reader, 8,
                                      [n, member](proof& q, size_t pos, uint8_t d) {
                                        flip_u64(((*q.upgrade).*member)[n].size, pos, d);
                                      });
      }
    }
    for (auto field : {&upgrade_proof::start, &upgrade_proof::length,
                       &upgrade_proof::signed_length}) {
      every_byte_change_is_rejected(p, store, reader, 8, [field](proof& q, size_t pos, uint8_t d) {
        flip_u64((*q.upgrade).*field, pos, d);
      });
    }
  }
  every_byte_change_is_rejected(p, store, reader, 8,
                                [](proof& q, size_t pos, uint8_t d) { flip_u64(q.fork, pos, d); });
  // And the unchanged proof still applies.
  REQUIRE_OK(reader.apply(p));
}

} // namespace

BOOST_AUTO_TEST_CASE(every_single_byte_change_is_rejected) {
  keypair kp = crypto::keypair_from_seed(key_seed::from(bytes(32, 9)));
  memory_store wstore;
  auto writer = std::move(*feed::create(wstore, kp));
  for (uint64_t i = 0; i < 3; ++i) {
    std::string s = "first " + std::to_string(i);
    REQUIRE_OK(writer->append({byte_span{s}}));
  }
  std::vector<bytes> more;
  for (uint64_t i = 3; i < 21; ++i) {
    std::string s = "block " + std::to_string(i);
    more.emplace_back(s.begin(), s.end());
  }
  REQUIRE_OK(writer->append(std::vector<byte_span>(more.begin(), more.end())));

  // A reader at length 3 receiving block 12 together with the upgrade to 21.
  memory_store rstore;
  auto reader = std::move(*feed::create_reader(rstore, kp.pk));
  proof_request first;
  first.upgrade = upgrade_request{0, 3};
  auto p0 = writer->build_proof(first);
  REQUIRE_OK(p0);
  // The writer is at 21, so this proof carries additional nodes and upgrades the reader to 21;
  // build a reader at exactly 3 from a writer snapshot instead.
  memory_store snapshot_store;
  auto snapshot = std::move(*feed::create(snapshot_store, kp));
  for (uint64_t i = 0; i < 3; ++i) {
    std::string s = "first " + std::to_string(i);
    REQUIRE_OK(snapshot->append({byte_span{s}}));
  }
  REQUIRE_OK(reader->apply(*snapshot->build_proof(first)));
  BOOST_REQUIRE(reader->length() == 3u);

  proof_request req;
  req.upgrade = upgrade_request{3, 18};
  req.block = block_request{12, 0};
  auto with_upgrade = writer->build_proof(req);
  REQUIRE_OK(with_upgrade);
  check_all_mutations(*with_upgrade, rstore, *reader);
  BOOST_REQUIRE(reader->length() == 21u);

  // A chunk of four blocks against the now trusted tree.
  proof_request chunk;
  chunk.block = block_request{16, *reader->missing_nodes(16, 4), 4};
  auto chunk_proof = writer->build_proof(chunk);
  REQUIRE_OK(chunk_proof);
  check_all_mutations(*chunk_proof, rstore, *reader);
  BOOST_TEST(reader->have().count(16, 20) == 4u);

  // A plain block proof against the now trusted tree.
  proof_request plain;
  plain.block = block_request{5, *reader->missing_nodes(5)};
  auto block_only = writer->build_proof(plain);
  REQUIRE_OK(block_only);
  BOOST_REQUIRE(!block_only->block->nodes.empty());
  check_all_mutations(*block_only, rstore, *reader);
  BOOST_TEST(*reader->get(5) == more[2]);

  // The additional-nodes path: a reader at 3 asking for an upgrade to only 10.
  memory_store r2store;
  auto r2 = std::move(*feed::create_reader(r2store, kp.pk));
  REQUIRE_OK(r2->apply(*snapshot->build_proof(first)));
  proof_request partial;
  partial.upgrade = upgrade_request{3, 7};
  auto additional = writer->build_proof(partial);
  REQUIRE_OK(additional);
  BOOST_REQUIRE(!additional->upgrade->additional_nodes.empty());
  check_all_mutations(*additional, r2store, *r2);
  BOOST_TEST(r2->length() == 21u);
}

BOOST_AUTO_TEST_CASE(a_failed_store_write_leaves_the_reader_unchanged) {
  keypair kp = crypto::keypair_from_seed(key_seed::from(bytes(32, 3)));
  memory_store wstore;
  auto writer = std::move(*feed::create(wstore, kp));
  REQUIRE_OK(writer->append({byte_span{std::string_view{"a"}}, byte_span{std::string_view{"b"}}}));
  memory_store rstore;
  auto reader = std::move(*feed::create_reader(rstore, kp.pk));
  proof_request req;
  req.upgrade = upgrade_request{0, 2};
  req.block = block_request{1, 0};
  auto p = writer->build_proof(req);
  rstore.fail_commits(1);
  BOOST_TEST(reader->apply(*p).error().is(store_errc::io_error));
  BOOST_TEST(reader->length() == 0u);
  BOOST_TEST(!reader->has(1));
  REQUIRE_OK(reader->apply(*p));
  BOOST_TEST(reader->length() == 2u);
  BOOST_TEST(reader->has(1));
}

BOOST_AUTO_TEST_SUITE_END()

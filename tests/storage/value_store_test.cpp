#include "dynfeed/storage/value_store.hpp"

#include <boost/test/unit_test.hpp>

#include "dynfeed/feed/bep44.hpp"
#include "dynfeed/storage/memory_store.hpp"
#include "dynfeed/storage/rocks_store.hpp"
#include "support/print.hpp"
#include "support/temp_dir.hpp"
#include "support/values.hpp"

#include <rocksdb/db.h>

#include <algorithm>

using namespace dynfeed;
using test::key_number;
using test::text;

namespace {

/// Records of every shape: empty, a value, an equivocation proof, M-of-N, BEP 44, counters.
std::vector<value_record> sample_records() {
  keypair a = key_number(1);
  keypair b = key_number(2);
  std::vector<value_record> out;
  value_record empty{single_key_feed(a.pk), {}};
  out.push_back(empty);

  value_record one{single_key_feed(a.pk, text("salt")), {}};
  one.state.current = make_signed_value(one.def, 7, text("seven"), a.sk);
  one.state.rejected = 3;
  one.state.rejected_by[static_cast<size_t>(value_errc::stale_seq)] = 2;
  one.state.rejected_by[static_cast<size_t>(value_errc::bad_signature)] = 1;
  out.push_back(one);

  value_record multi;
  multi.def.threshold = 2;
  multi.def.signers = {a.pk, b.pk};
  signed_value x{9, text("x"), {}};
  x.sigs.push_back(sign_value(multi.def, 0, 9, x.value, a.sk));
  x.sigs.push_back(sign_value(multi.def, 1, 9, x.value, b.sk));
  signed_value y{9, bytes(1000, 0xab), {}};
  y.sigs.push_back(sign_value(multi.def, 1, 9, y.value, b.sk));
  y.sigs.push_back(sign_value(multi.def, 0, 9, y.value, a.sk));
  multi.state.current = x;
  multi.state.equivocation.emplace(x, y);
  multi.state.rejected = 1;
  multi.state.rejected_by[static_cast<size_t>(value_errc::equivocation)] = 1;
  out.push_back(multi);

  auto item = bep44::sign(b, text("foobar"), 12, text("12:Hello World!"));
  BOOST_REQUIRE(item);
  value_record dht{bep44::feed_def(*item), {}};
  dht.state.current = bep44::to_signed_value(*item);
  out.push_back(dht);
  return out;
}

/// Stores and reads back every sample, then replaces one, in any value_store.
void exercise(value_store& store) {
  std::vector<value_record> records = sample_records();
  auto none = store.load_value(records[1].def.id());
  REQUIRE_OK(none);
  BOOST_TEST(!*none);
  BOOST_TEST(store.list_values()->empty());
  std::vector<hash256> ids;
  for (const value_record& r : records) {
    REQUIRE_OK(store.store_value(r.def.id(), r));
    ids.push_back(r.def.id());
  }
  for (const value_record& r : records) {
    auto loaded = store.load_value(r.def.id());
    REQUIRE_OK(loaded);
    BOOST_REQUIRE(*loaded);
    BOOST_TEST((**loaded == r));
  }
  std::sort(ids.begin(), ids.end());
  auto listed = store.list_values();
  REQUIRE_OK(listed);
  BOOST_TEST((*listed == ids));

  value_record replaced = records[1];
  replaced.state.current = make_signed_value(replaced.def, 8, text("eight"), key_number(1).sk);
  REQUIRE_OK(store.store_value(replaced.def.id(), replaced));
  BOOST_TEST((*store.load_value(replaced.def.id()).value() == replaced));
  BOOST_TEST(store.list_values()->size() == records.size());
}

std::string value_key(const hash256& id) {
  return "V" + std::string(id.bytes.begin(), id.bytes.end());
}

/// Writes raw bytes into a closed rocks_store database, as damage would.
void put_raw(const std::string& path, const std::string& key, const bytes& value) {
  rocksdb::DB* raw = nullptr;
  rocksdb::Options options;
  BOOST_REQUIRE(rocksdb::DB::Open(options, path, &raw).ok());
  std::unique_ptr<rocksdb::DB> db{raw};
  BOOST_REQUIRE(
    db->Put(rocksdb::WriteOptions{}, key,
            rocksdb::Slice{reinterpret_cast<const char*>(value.data()), value.size()})
      .ok());
}

} // namespace

BOOST_AUTO_TEST_SUITE(value_records)

BOOST_AUTO_TEST_CASE(records_round_trip) {
  for (const value_record& r : sample_records()) {
    bytes encoded = encode_value_record(r);
    auto decoded = decode_value_record(encoded);
    REQUIRE_OK(decoded);
    BOOST_TEST((*decoded == r));
    BOOST_TEST(encode_value_record(*decoded) == encoded);
  }
}

BOOST_AUTO_TEST_CASE(damaged_records_are_clean_errors) {
  for (const value_record& r : sample_records()) {
    bytes good = encode_value_record(r);
    // Every truncation and every extension is corrupt.
    for (size_t size = 0; size < good.size(); ++size) {
      auto st = decode_value_record(byte_span{good.data(), size});
      BOOST_REQUIRE(!st);
      BOOST_REQUIRE(st.error().is(store_errc::corrupt));
    }
    bytes longer = good;
    longer.push_back(0);
    BOOST_TEST(decode_value_record(longer).error().is(store_errc::corrupt));
    // Every flipped bit either fails cleanly or decodes to something that encodes back to the
    // same bytes (a flipped signature or value byte is for the signature check to catch).
    for (size_t bit = 0; bit < good.size() * 8; ++bit) {
      bytes flipped = good;
      flipped[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
      auto decoded = decode_value_record(flipped);
      if (decoded)
        BOOST_REQUIRE(encode_value_record(*decoded) == flipped);
      else
        BOOST_REQUIRE((decoded.error().is(store_errc::corrupt)
                       || decoded.error().is(store_errc::version)));
    }
  }
  bytes record = encode_value_record(sample_records()[1]);
  record[4] = 2;
  BOOST_TEST(decode_value_record(record).error().is(store_errc::version));
  // Counts that claim more than there is are refused before anything is allocated.
  bytes huge = encode_value_record(sample_records()[0]);
  store_u64le(huge.data() + 10, 0xffffffffffffffff); // signer count and the first key's bytes
  BOOST_TEST(decode_value_record(huge).error().is(store_errc::corrupt));
}

BOOST_AUTO_TEST_CASE(memory_store_holds_values) {
  memory_store store;
  exercise(store);
}

BOOST_AUTO_TEST_CASE(offer_value_stores_only_what_changed) {
  memory_store store;
  keypair kp = key_number(5);
  value_feed_def def = single_key_feed(kp.pk);
  auto held = load_value_state(store, def);
  REQUIRE_OK(held);
  BOOST_TEST(!held->current);

  auto first = offer_value(store, def, *held, make_signed_value(def, 1, text("a"), kp.sk));
  REQUIRE_OK(first);
  BOOST_TEST(!first->err);
  BOOST_TEST((load_value_state(store, def)->current == first->next.current));

  // A refusal writes nothing, not even its counter.
  store.fail_commits(1);
  auto stale = offer_value(store, def, first->next, make_signed_value(def, 0, text("b"), kp.sk));
  REQUIRE_OK(stale);
  BOOST_TEST(stale->err.is(value_errc::stale_seq));
  BOOST_TEST(!stale->store);
  store.fail_commits(0);
  BOOST_TEST((*load_value_state(store, def) == first->next));

  // A failed write is the error, and the stored state stays.
  store.fail_commits(1);
  auto failed = offer_value(store, def, first->next, make_signed_value(def, 2, text("c"), kp.sk));
  BOOST_REQUIRE(!failed);
  BOOST_TEST(failed.error().is(store_errc::io_error));
  BOOST_TEST((*load_value_state(store, def) == first->next));

  // An equivocation is refused but its proof is stored, with the counters so far.
  auto equivocation =
    offer_value(store, def, stale->next, make_signed_value(def, 1, text("other"), kp.sk));
  REQUIRE_OK(equivocation);
  BOOST_TEST(equivocation->err.is(value_errc::equivocation));
  value_state stored = *load_value_state(store, def);
  BOOST_TEST((stored.current == first->next.current));
  BOOST_TEST(stored.equivocation.has_value());
  BOOST_TEST(stored.rejected == 2u);
}

BOOST_AUTO_TEST_CASE(rocks_store_holds_values_across_reopen_beside_a_feed) {
  test::temp_dir dir;
  rocks_options create;
  create.create_if_missing = true;
  {
    auto store = rocks_store::open(dir / "db", create);
    REQUIRE_OK(store);
    // A feed's records share the database; they are not value feeds.
    store_batch batch;
    batch.meta = feed_meta{feed_meta::current_version, key_number(9).pk};
    bytes block = text("block");
    batch.blocks.emplace_back(0, block);
    batch.head = head_record{0, 1, signature{}};
    REQUIRE_OK((*store)->commit(batch));
    exercise(**store);
  }
  std::vector<value_record> records = sample_records();
  {
    auto store = rocks_store::open(dir / "db", rocks_options{});
    REQUIRE_OK(store);
    BOOST_TEST((*store)->list_values()->size() == records.size());
    for (size_t i : {0u, 2u, 3u})
      BOOST_TEST((*(*store)->load_value(records[i].def.id()).value() == records[i]));
    BOOST_TEST((*store)->load_value(records[1].def.id()).value()->state.current->seq == 8u);
    BOOST_TEST((*store)->load_meta().value()->key == key_number(9).pk);
    BOOST_TEST(*(*store)->get_block(0).value() == text("block"));
  }
  rocks_options ro;
  ro.read_only = true;
  auto reader = rocks_store::open(dir / "db", ro);
  REQUIRE_OK(reader);
  BOOST_TEST((*reader)->load_value(records[2].def.id())->has_value());
  BOOST_TEST(!(*reader)->store_value(records[0].def.id(), records[0]));
}

BOOST_AUTO_TEST_CASE(rocks_store_refuses_damaged_value_records) {
  test::temp_dir dir;
  std::vector<value_record> records = sample_records();
  hash256 id = records[1].def.id();
  {
    rocks_options create;
    create.create_if_missing = true;
    auto store = rocks_store::open(dir / "db", create);
    REQUIRE_OK(store);
    REQUIRE_OK((*store)->store_value(id, records[1]));
  }
  auto load = [&](const hash256& which) {
    auto store = rocks_store::open(dir / "db", rocks_options{});
    BOOST_REQUIRE(store);
    return (*store)->load_value(which);
  };
  bytes good = encode_value_record(records[1]);
  put_raw(dir / "db", value_key(id), bytes(good.begin(), good.end() - 1));
  BOOST_TEST(load(id).error().is(store_errc::corrupt));
  put_raw(dir / "db", value_key(id), text("garbage"));
  BOOST_TEST(load(id).error().is(store_errc::corrupt));
  // A valid record under another feed's id.
  put_raw(dir / "db", value_key(id), encode_value_record(records[2]));
  auto misplaced = load(id);
  BOOST_REQUIRE(!misplaced);
  BOOST_TEST(misplaced.error().is(store_errc::corrupt));
  BOOST_TEST(misplaced.error().context().find("another feed") != std::string::npos);
  // A value key of the wrong length.
  put_raw(dir / "db", "Vshort", good);
  auto store = rocks_store::open(dir / "db", rocks_options{});
  REQUIRE_OK(store);
  BOOST_TEST((*store)->list_values().error().is(store_errc::corrupt));
}

BOOST_AUTO_TEST_SUITE_END()

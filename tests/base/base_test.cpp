#define BOOST_TEST_MODULE base
#include <boost/test/unit_test.hpp>

#include "dynfeed/base/endpoint_set.hpp"
#include "dynfeed/base/flat_map.hpp"
#include "dynfeed/base/hex.hpp"
#include "dynfeed/base/random.hpp"
#include "dynfeed/base/helper_thread.hpp"
#include "dynfeed/base/utf8.hpp"

#include <atomic>
#include <map>
#include <set>
#include <string>
#include <vector>

using namespace dynfeed;

BOOST_AUTO_TEST_CASE(hex_round_trip) {
  bytes data{0x00, 0x01, 0xab, 0xff};
  BOOST_TEST(to_hex(data) == "0001abff");
  auto back = from_hex("0001ABff");
  BOOST_REQUIRE(back);
  BOOST_TEST(*back == data);
}

BOOST_AUTO_TEST_CASE(hex_rejects_bad_input) {
  BOOST_TEST(!from_hex("abc"));
  auto bad = from_hex("zz");
  BOOST_REQUIRE(!bad);
  BOOST_TEST(bad.error().is(base_errc::invalid_argument));
  BOOST_TEST(bad.error().to_string() == "base: invalid argument: not a hex digit at position 0");
  BOOST_TEST(!fixed_from_hex<hash256>("00"));
  BOOST_TEST(fixed_from_hex<hash256>(std::string(64, 'a')).has_value());
}

BOOST_AUTO_TEST_CASE(error_values) {
  error none;
  BOOST_TEST(!none);
  error e{base_errc::io_error, "disk full"};
  BOOST_TEST(static_cast<bool>(e));
  BOOST_TEST(e.is(base_errc::io_error));
  BOOST_TEST(!e.is(base_errc::unsupported));
  BOOST_TEST(e.category() == "base");
  expected<int> good = 5;
  BOOST_TEST(*good == 5);
  expected<int> bad = e;
  BOOST_TEST(!bad);
  BOOST_TEST(bad.error().context() == "disk full");
}

BOOST_AUTO_TEST_CASE(rng_is_reproducible_and_in_range) {
  rng a{42}, b{42}, c{43};
  bool differs = false;
  for (int i = 0; i < 1000; ++i) {
    uint64_t x = a.next();
    BOOST_TEST(x == b.next());
    differs = differs || x != c.next();
  }
  BOOST_TEST(differs);
  std::vector<int> histogram(10);
  for (int i = 0; i < 100000; ++i) {
    uint64_t v = a.below(10);
    BOOST_REQUIRE(v < 10);
    ++histogram[v];
  }
  for (int count : histogram)
    BOOST_TEST((count > 9000 && count < 11000));
}

BOOST_AUTO_TEST_CASE(helper_thread_covers_every_index_once) {
  helper_thread helper{50};
  for (size_t n : {0u, 1u, 5u, 17u, 100u, 1000u}) {
    std::vector<std::atomic<int>> hits(n);
    helper.run_split(n, 2, 3, [&](size_t begin, size_t end) {
      for (size_t i = begin; i < end; ++i)
        hits[i].fetch_add(1);
    });
    for (size_t i = 0; i < n; ++i)
      BOOST_TEST(hits[i].load() == 1);
  }
}

BOOST_AUTO_TEST_CASE(packed_endpoint_reads_back_every_endpoint) {
  for (endpoint e : {endpoint{}, endpoint{0x7f000001u, 1}, endpoint{0xffffffffu, 65535},
                     endpoint{0x01020304u, 0x0506}, endpoint{0x80000000u, 0x8000}}) {
    packed_endpoint p{e};
    BOOST_TEST((p.unpack() == e), e.to_string());
  }
  rng r{5};
  std::vector<endpoint> list;
  for (int i = 0; i < 1000; ++i)
    list.push_back(endpoint{static_cast<uint32_t>(r.next()), static_cast<uint16_t>(r.next())});
  std::vector<packed_endpoint> packed(list.begin(), list.end());
  BOOST_TEST(packed.size() * sizeof(packed_endpoint) == 6 * list.size());
  for (size_t i = 0; i < list.size(); ++i)
    BOOST_TEST_REQUIRE((packed[i].unpack() == list[i]));
}

BOOST_AUTO_TEST_CASE(endpoint_text_is_dotted_decimal_and_parses_back) {
  auto composed = [](const endpoint& e) {
    return std::to_string(e.ip >> 24) + '.' + std::to_string((e.ip >> 16) & 0xff) + '.'
           + std::to_string((e.ip >> 8) & 0xff) + '.' + std::to_string(e.ip & 0xff) + ':'
           + std::to_string(e.port);
  };
  BOOST_TEST(endpoint{}.to_string() == "0.0.0.0:0");
  BOOST_TEST((endpoint{0xffffffffu, 65535}.to_string()) == "255.255.255.255:65535");
  BOOST_TEST((endpoint{0x0a000001u, 80}.to_string()) == "10.0.0.1:80");
  BOOST_TEST(ipv4_to_string(0x7f000001u) == "127.0.0.1");
  rng random{7};
  for (int i = 0; i < 10000; ++i) {
    endpoint e{static_cast<uint32_t>(random.next()),
               static_cast<uint16_t>(random.below(i % 2 == 0 ? 65536 : 100))};
    std::string text = e.to_string();
    BOOST_TEST_REQUIRE(text == composed(e));
    BOOST_TEST_REQUIRE((endpoint::parse(text).value() == e));
  }
}

BOOST_AUTO_TEST_CASE(endpoint_set_behaves_as_a_set) {
  // Random inserts and lookups among a few hundred addresses (so that many repeat, and the
  // table grows several times), checked against std::set; then a clear and a second round,
  // a release (the table freed) and a third.
  rng random(11);
  endpoint_set flat;
  std::set<endpoint> reference;
  for (int round = 0; round < 3; ++round) {
    for (int step = 0; step < 5000; ++step) {
      // Port 0 and ip 0 included: the set takes any address.
      endpoint e{static_cast<uint32_t>(random.below(20)) << 24 | static_cast<uint32_t>(random.below(3)),
                 static_cast<uint16_t>(random.below(10))};
      if (random.below(2) == 0)
        BOOST_REQUIRE_EQUAL(flat.insert(e), reference.insert(e).second);
      else
        BOOST_REQUIRE_EQUAL(flat.contains(e), reference.count(e) == 1);
      BOOST_REQUIRE_EQUAL(flat.size(), reference.size());
    }
    BOOST_TEST(flat.size() > 300u);
    if (round == 1)
      flat.release();
    else
      flat.clear();
    reference.clear();
    BOOST_TEST(flat.empty());
    BOOST_TEST(!flat.contains(endpoint{0, 0}));
  }
}

BOOST_AUTO_TEST_CASE(flat_map_behaves_as_a_map) {
  // Random inserts, lookups and erases, checked against std::map step by step.
  rng random(7);
  flat_map<uint64_t, uint64_t> flat;
  std::map<uint64_t, uint64_t> reference;
  for (int step = 0; step < 20000; ++step) {
    uint64_t key = random.below(300);
    switch (random.below(4)) {
      case 0: {
        uint64_t value = random.next();
        auto [stored, inserted] = flat.try_emplace(key, value);
        auto [it, inserted_there] = reference.try_emplace(key, value);
        BOOST_REQUIRE_EQUAL(inserted, inserted_there);
        BOOST_REQUIRE_EQUAL(stored, it->second);
        break;
      }
      case 1:
        flat[key] += step;
        reference[key] += step;
        break;
      case 2:
        BOOST_REQUIRE_EQUAL(flat.erase(key), reference.erase(key) > 0);
        break;
      default: {
        const uint64_t* found = flat.find(key);
        auto it = reference.find(key);
        BOOST_REQUIRE_EQUAL(found != nullptr, it != reference.end());
        if (found)
          BOOST_REQUIRE_EQUAL(*found, it->second);
      }
    }
    BOOST_REQUIRE_EQUAL(flat.size(), reference.size());
  }
  // Iteration runs in key order, as the map's.
  auto it = reference.begin();
  for (auto [key, value] : flat) {
    BOOST_REQUIRE(it != reference.end());
    BOOST_TEST(key == it->first);
    BOOST_TEST(value == it->second);
    ++it;
  }
  BOOST_TEST((it == reference.end()));
}

BOOST_AUTO_TEST_CASE(flat_map_capacity_follows_its_size) {
  // A table that held a crowd and lost most of it gives the room back, keeping its entries.
  flat_map<uint64_t, std::string> flat;
  for (uint64_t k = 0; k < 1000; ++k) {
    flat.try_emplace(k * 3, std::to_string(k));
    BOOST_REQUIRE_LE(flat.capacity(), flat.size() + flat.size() / 2 + 1);
  }
  for (uint64_t k = 0; k < 990; ++k)
    BOOST_REQUIRE(flat.erase(k * 3));
  BOOST_TEST(flat.size() == 10u);
  BOOST_TEST(flat.capacity() <= 20u);
  uint64_t k = 990;
  for (auto [key, value] : flat) {
    BOOST_TEST(key == k * 3);
    BOOST_TEST(value == std::to_string(k));
    ++k;
  }
  // Small tables are left alone: no reallocation for every peer that comes and goes.
  flat_map<uint64_t, uint64_t> small;
  for (uint64_t i = 0; i < 6; ++i)
    small[i] = i;
  size_t room = small.capacity();
  for (uint64_t i = 0; i < 5; ++i)
    small.erase(i);
  BOOST_TEST(small.capacity() == room);
}

BOOST_AUTO_TEST_CASE(flat_map_erase_if_keeps_the_rest_in_order) {
  // Random tables, random predicates, checked against std::map with std::erase_if's meaning.
  rng random(11);
  for (int round = 0; round < 200; ++round) {
    flat_map<uint64_t, uint64_t> flat;
    std::map<uint64_t, uint64_t> reference;
    size_t count = random.below(200);
    for (size_t i = 0; i < count; ++i) {
      uint64_t key = random.below(1000), value = random.next();
      flat.try_emplace(key, value);
      reference.try_emplace(key, value);
    }
    uint64_t modulus = 1 + random.below(4);
    auto drop = [modulus](uint64_t key, uint64_t value) { return (key ^ value) % modulus == 0; };
    size_t dropped = 0;
    for (auto it = reference.begin(); it != reference.end();) {
      if (drop(it->first, it->second)) {
        it = reference.erase(it);
        ++dropped;
      } else {
        ++it;
      }
    }
    BOOST_REQUIRE_EQUAL(flat.erase_if(drop), dropped);
    BOOST_REQUIRE_EQUAL(flat.size(), reference.size());
    auto it = reference.begin();
    for (auto [key, value] : flat) {
      BOOST_REQUIRE(key == it->first);
      BOOST_REQUIRE(value == it->second);
      ++it;
    }
    // The room follows the size, as after erase.
    BOOST_REQUIRE_LE(flat.capacity(), std::max<size_t>(8, 2 * flat.size()));
  }
}

BOOST_AUTO_TEST_CASE(flat_map_reserve_makes_exact_room) {
  flat_map<uint64_t, std::string> flat;
  flat.reserve(32);
  BOOST_TEST(flat.capacity() == 32u);
  for (uint64_t k = 0; k < 32; ++k)
    flat.try_emplace(31 - k, std::to_string(k));
  BOOST_TEST(flat.capacity() == 32u); // no growth by half on the way
  flat.reserve(10); // never below what it holds
  BOOST_TEST(flat.capacity() == 32u);
  uint64_t k = 0;
  for (auto [key, value] : flat) {
    BOOST_TEST(key == k);
    BOOST_TEST(value == std::to_string(31 - k));
    ++k;
  }
  flat.reserve(33);
  BOOST_TEST(flat.capacity() == 33u);
  BOOST_TEST(flat.size() == 32u);
}

BOOST_AUTO_TEST_CASE(utf8_validity) {
  auto valid = [](std::initializer_list<uint8_t> b) { return valid_utf8(bytes(b)); };
  BOOST_TEST(valid({}));
  BOOST_TEST(valid_utf8(std::string_view{"plain ascii\n"}));
  BOOST_TEST(valid({0xc3, 0xa9}));                   // é
  BOOST_TEST(valid({0xe2, 0x82, 0xac}));             // €
  BOOST_TEST(valid({0xf0, 0x9f, 0x98, 0x80}));       // U+1F600
  BOOST_TEST(valid({0xf4, 0x8f, 0xbf, 0xbf}));       // U+10FFFF, the last code point
  BOOST_TEST(valid({0xed, 0x9f, 0xbf}));             // U+D7FF, just before the surrogates
  BOOST_TEST(!valid({0x80}));                        // a continuation byte alone
  BOOST_TEST(!valid({0xc3}));                        // truncated
  BOOST_TEST(!valid({0xe2, 0x82}));                  // truncated
  BOOST_TEST(!valid({0xc0, 0xaf}));                  // overlong '/'
  BOOST_TEST(!valid({0xc1, 0xbf}));                  // overlong
  BOOST_TEST(!valid({0xe0, 0x80, 0xaf}));            // overlong, three bytes
  BOOST_TEST(!valid({0xf0, 0x80, 0x80, 0xaf}));      // overlong, four bytes
  BOOST_TEST(!valid({0xed, 0xa0, 0x80}));            // U+D800, a surrogate
  BOOST_TEST(!valid({0xf4, 0x90, 0x80, 0x80}));      // U+110000
  BOOST_TEST(!valid({0xf5, 0x80, 0x80, 0x80}));
  BOOST_TEST(!valid({0xff}));
  BOOST_TEST(!valid({0xe2, 0x28, 0xa1}));            // a bad continuation
  BOOST_TEST(!valid({'o', 'k', 0xc3, 0x28}));
}

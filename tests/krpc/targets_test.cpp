#include "dynfeed/krpc/targets.hpp"

#include "dynfeed/krpc/bep42.hpp"

#include <boost/test/unit_test.hpp>

#include "krpc/support.hpp"

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

using namespace dynfeed;
using namespace dynfeed::krpc;
using test::text;

namespace {

/// The non-comment lines of a file under tests/data/.
std::vector<std::string> data_lines(const std::string& name) {
  std::ifstream in(std::string{DYNFEED_TEST_DATA_DIR} + "/" + name);
  BOOST_REQUIRE_MESSAGE(in, "cannot read tests/data/" << name);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);)
    if (!line.empty() && line[0] != '#')
      out.push_back(line);
  return out;
}

template <class Fixed>
Fixed from_hex_text(const std::string& hex) {
  auto parsed = fixed_from_hex<Fixed>(hex);
  BOOST_REQUIRE_MESSAGE(parsed.has_value(), hex);
  return *parsed;
}

uint32_t ipv4(const std::string& dotted) {
  auto e = endpoint::parse(dotted + ":1");
  BOOST_REQUIRE(e.has_value());
  return e->ip;
}

} // namespace

BOOST_AUTO_TEST_CASE(sha1_fips_180_vectors) {
  BOOST_TEST(to_hex(sha1(text("abc")).span()) == "a9993e364706816aba3e25717850c26c9cd0d89d");
  BOOST_TEST(to_hex(sha1(text("")).span()) == "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  BOOST_TEST(to_hex(sha1(text("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")).span())
             == "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
  BOOST_TEST(to_hex(sha1(bytes(1000000, 'a')).span()) == "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}

BOOST_AUTO_TEST_CASE(bep44_targets) {
  std::vector<std::string> lines = data_lines("bep44_targets.txt");
  BOOST_REQUIRE(lines.size() == 3u);
  for (const std::string& line : lines) {
    std::istringstream in(line);
    std::string kind, target_hex;
    in >> kind >> target_hex;
    node_id expected = from_hex_text<node_id>(target_hex);
    BOOST_TEST_CONTEXT(line) {
      if (kind == "mutable") {
        std::string key_hex, salt;
        in >> key_hex >> salt;
        public_key k = from_hex_text<public_key>(key_hex);
        BOOST_TEST(mutable_target(k, text(salt)) == expected);
        BOOST_TEST(mutable_target(k, text(salt + "x")) != expected);
      } else {
        BOOST_REQUIRE(kind == "immutable");
        std::string v;
        std::getline(in >> std::ws, v);
        BOOST_TEST(immutable_target(text(v)) == expected);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(a_topic_maps_to_its_first_20_bytes) {
  swarm_topic topic;
  for (size_t i = 0; i < topic.size(); ++i)
    topic.bytes[i] = static_cast<uint8_t>(i * 7 + 1);
  node_id h = info_hash(topic);
  BOOST_TEST(byte_span(h) == topic.span().subspan(0, 20));
  BOOST_TEST(info_hash(hash256::from(topic.span())) == h);
  topic.bytes[20] ^= 1; // bytes past the 20th do not count
  BOOST_TEST(info_hash(topic) == h);
  topic.bytes[19] ^= 1;
  BOOST_TEST(info_hash(topic) != h);
}

BOOST_AUTO_TEST_CASE(bep42_example_ids) {
  std::vector<std::string> lines = data_lines("bep42_examples.txt");
  BOOST_REQUIRE(lines.size() == 5u);
  for (const std::string& line : lines) {
    std::istringstream in(line);
    std::string ip_text, id_hex;
    int r = 0;
    in >> ip_text >> r >> id_hex;
    uint32_t ip = ipv4(ip_text);
    node_id id = from_hex_text<node_id>(id_hex);
    BOOST_TEST_CONTEXT(line) {
      BOOST_TEST(id.bytes[19] == r);
      BOOST_TEST(bep42::is_valid(id, ip));
      BOOST_TEST(!bep42::is_exempt(ip));
      // make_id keeps the random parts it is given and computes the rest.
      BOOST_TEST(bep42::make_id(ip, static_cast<uint8_t>(r), id) == id);
      node_id other_random = id;
      for (size_t i = 3; i < 19; ++i)
        other_random.bytes[i] ^= 0x5a;
      other_random.bytes[0] ^= 0xff;
      node_id made = bep42::make_id(ip, static_cast<uint8_t>(r), other_random);
      BOOST_TEST(bep42::is_valid(made, ip));
      BOOST_TEST(made.bytes[0] == id.bytes[0]);
      // Each of the first 21 bits counts; the next three do not.
      for (int bit = 0; bit < 24; ++bit) {
        node_id flipped = id;
        flipped.bytes[bit / 8] ^= static_cast<uint8_t>(0x80 >> (bit % 8));
        BOOST_TEST(bep42::is_valid(flipped, ip) == (bit >= 21), "bit " << bit);
      }
      // r's low 3 bits enter the CRC: another r makes another prefix.
      node_id other_r = id;
      other_r.bytes[19] = static_cast<uint8_t>(r ^ 1);
      BOOST_TEST(!bep42::is_valid(other_r, ip));
      BOOST_TEST(!bep42::is_valid(id, ip ^ 0x00000100)); // another address
    }
  }
}

BOOST_AUTO_TEST_CASE(bep42_exempt_ranges) {
  for (const char* exempt : {"127.0.0.1", "127.255.255.255", "10.0.0.1", "10.255.0.1",
                             "172.16.0.1", "172.31.255.254", "192.168.0.1", "192.168.255.255",
                             "169.254.1.1"})
    BOOST_TEST(bep42::is_exempt(ipv4(exempt)), exempt);
  for (const char* global : {"126.255.255.255", "128.0.0.1", "11.0.0.1", "172.15.255.255",
                             "172.32.0.0", "192.167.255.255", "192.169.0.0", "169.253.1.1",
                             "8.8.8.8", "1.1.1.1"})
    BOOST_TEST(!bep42::is_exempt(ipv4(global)), global);
}

// decode() reads datagrams in place and encode() writes most messages straight to bytes; the
// tree codec (decode_tree, encode_tree) is the reference. Both must agree on every input: the
// same message, or the same error (code and text).

#include "dynfeed/krpc/codec.hpp"

#include "dynfeed/krpc/errc.hpp"

#include <boost/test/unit_test.hpp>

#include "krpc/support.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

using namespace dynfeed;
using namespace dynfeed::krpc;
using test::below;
using test::text;

namespace {

/// Compares decode() with decode_tree() on one input; counts and keeps the first difference.
struct comparison {
  size_t accepted = 0;
  size_t refused = 0;
  size_t differing = 0;
  std::string first_difference;

  void run(byte_span input, const limits& lim = {}) {
    auto direct = decode(input, lim);
    auto tree = decode_tree(input, lim);
    bool same = false;
    if (direct && tree)
      same = *direct == *tree;
    else if (!direct && !tree)
      same = direct.error().category() == tree.error().category()
             && direct.error().code() == tree.error().code()
             && direct.error().context() == tree.error().context();
    if (direct && tree)
      ++accepted;
    else
      ++refused;
    if (!same && differing++ == 0)
      first_difference = std::string(input.begin(), input.end()) + " -> "
                         + (direct ? "accepted" : direct.error().to_string()) + " / "
                         + (tree ? "accepted" : tree.error().to_string());
  }

  void require_agreement() const {
    BOOST_TEST(differing == 0u, "first: " << first_difference);
    BOOST_TEST_MESSAGE(accepted << " accepted, " << refused << " refused by both");
  }
};

bytes random_bytes(std::mt19937_64& rng, size_t size) {
  bytes out(size);
  for (uint8_t& b : out)
    b = static_cast<uint8_t>(rng());
  return out;
}

template <class Fixed>
Fixed random_fixed(std::mt19937_64& rng) {
  return Fixed::from(random_bytes(rng, Fixed::size()));
}

endpoint random_endpoint(std::mt19937_64& rng) {
  return endpoint{static_cast<uint32_t>(rng()), static_cast<uint16_t>(rng())};
}

int64_t random_integer(std::mt19937_64& rng) {
  switch (below(rng, 4)) {
    case 0:
      return static_cast<int64_t>(below(rng, 3)) - 1;
    case 1:
      return static_cast<int64_t>(rng());
    case 2:
      return below(rng, 2) ? std::numeric_limits<int64_t>::min()
                           : std::numeric_limits<int64_t>::max();
    default:
      return static_cast<int64_t>(below(rng, 70000));
  }
}

/// A small bencoded value for `v` (an item) and for unknown keys.
bytes random_value_wire(std::mt19937_64& rng) {
  switch (below(rng, 4)) {
    case 0:
      return text("i" + std::to_string(random_integer(rng)) + "e");
    case 1:
      return text("l4:spami-3ee");
    case 2:
      return text("d1:ai1ee");
    default:
      return text("12:Hello World!");
  }
}

query random_query(std::mt19937_64& rng) {
  auto id = [&] { return random_fixed<node_id>(rng); };
  switch (below(rng, 8)) {
    case 0:
      return ping{};
    case 1:
      return find_node{id()};
    case 2:
      return get_peers{id()};
    case 3:
      return announce_peer{id(), static_cast<uint16_t>(rng()), below(rng, 2) == 0,
                           random_bytes(rng, below(rng, 70))};
    case 4:
      return get{id(), below(rng, 2) ? std::optional<int64_t>{random_integer(rng)} : std::nullopt};
    case 5:
      return put{immutable_put{random_value_wire(rng)}, random_bytes(rng, below(rng, 21))};
    case 6: {
      mutable_put mp{random_fixed<public_key>(rng), random_bytes(rng, below(rng, 3) * 10),
                     random_integer(rng), random_value_wire(rng), random_fixed<signature>(rng),
                     std::nullopt};
      if (below(rng, 2))
        mp.cas = random_integer(rng);
      return put{mp, random_bytes(rng, below(rng, 21))};
    }
    default:
      return unknown_query{std::string(below(rng, 40), 'a' + static_cast<char>(below(rng, 26)))};
  }
}

response random_response(std::mt19937_64& rng) {
  response r;
  // Beyond the limits now and then (nodes_max 32, values_max 128), so both refuse.
  size_t nodes = below(rng, 4) == 0 ? below(rng, 34) : 0;
  for (size_t i = 0; i < nodes; ++i)
    r.nodes.push_back(node_info{random_fixed<node_id>(rng), random_endpoint(rng)});
  size_t values = below(rng, 3) == 0 ? below(rng, 140) : 0;
  for (size_t i = 0; i < values; ++i)
    r.values.push_back(random_endpoint(rng));
  if (below(rng, 2))
    r.token = random_bytes(rng, below(rng, 70));
  if (below(rng, 4) == 0)
    r.v = random_value_wire(rng);
  if (below(rng, 4) == 0) {
    r.k = random_fixed<public_key>(rng);
    r.seq = random_integer(rng);
    r.sig = random_fixed<signature>(rng);
  }
  return r;
}

message random_message(std::mt19937_64& rng) {
  message m;
  m.transaction = random_bytes(rng, below(rng, 18));
  m.sender = random_fixed<node_id>(rng);
  switch (below(rng, 3)) {
    case 0:
      m.content = random_query(rng);
      break;
    case 1:
      m.content = random_response(rng);
      break;
    default:
      m.content = error_reply{random_integer(rng), std::string(below(rng, 300), 'e')};
      m.sender = node_id{};
  }
  if (below(rng, 4) == 0)
    m.ip = random_endpoint(rng);
  m.read_only = below(rng, 4) == 0;
  if (below(rng, 4) == 0)
    m.version = random_bytes(rng, below(rng, 18));
  return m;
}

/// Tighter limits than the defaults, so that every limit is met in generated messages.
limits tight_limits() {
  limits lim;
  lim.datagram_size_max = 400;
  lim.transaction_size_max = 2;
  lim.token_size_max = 8;
  lim.version_size_max = 2;
  lim.method_size_max = 4;
  lim.nodes_max = 2;
  lim.values_max = 3;
  lim.error_message_size_max = 10;
  lim.bencode = bencode::limits{3, 40, 6, 30};
  return lim;
}

// ---- random bencode shaped like KRPC, with wrong types, sizes and unknown keys -------------

const std::vector<std::string> key_pool{
  "a", "cas", "e", "id", "implied_port", "info_hash", "ip", "k", "nodes", "port", "q", "r",
  "ro", "salt", "seq", "sig", "t", "target", "token", "v", "values", "y", "x", "zz", "", "id2"};

void put_string(std::string& out, std::string_view s) {
  out += std::to_string(s.size()) + ":";
  out += s;
}

std::string random_bencode(std::mt19937_64& rng, int depth);

std::string random_dictionary(std::mt19937_64& rng, int depth) {
  std::map<std::string, std::string> entries;
  size_t count = below(rng, 7);
  for (size_t i = 0; i < count; ++i)
    entries[key_pool[below(rng, key_pool.size())]] = random_bencode(rng, depth + 1);
  if (depth == 0 && below(rng, 4) != 0) {
    static const char* types[] = {"q", "r", "e", "x", "qq"};
    static const char* methods[] = {"ping", "find_node", "get_peers", "announce_peer",
                                    "get", "put", "vote"};
    std::string y;
    put_string(y, types[below(rng, 5)]);
    entries["y"] = y;
    std::string q;
    put_string(q, methods[below(rng, 7)]);
    entries["q"] = q;
    entries["t"] = "2:aa";
    entries[below(rng, 2) ? "a" : "r"] = random_dictionary(rng, 1);
  }
  if (depth == 1 && below(rng, 4) != 0)
    entries["id"] = "20:abcdefghij0123456789";
  std::string out = "d";
  for (const auto& [key, value] : entries) {
    put_string(out, key);
    out += value;
  }
  return out + "e";
}

std::string random_bencode(std::mt19937_64& rng, int depth) {
  static const size_t sizes[] = {0, 1, 2, 4, 6, 12, 20, 26, 32, 52, 64, 65};
  switch (depth > 3 ? below(rng, 2) : below(rng, 5)) {
    case 0:
      return "i" + std::to_string(random_integer(rng)) + "e";
    case 1: {
      std::string out;
      bytes b = random_bytes(rng, sizes[below(rng, std::size(sizes))]);
      put_string(out, std::string(b.begin(), b.end()));
      return out;
    }
    case 2: {
      std::string out = "l";
      for (size_t n = below(rng, 4); n > 0; --n)
        out += random_bencode(rng, depth + 1);
      return out + "e";
    }
    default:
      return random_dictionary(rng, depth);
  }
}

std::vector<bytes> corpus_files() {
  std::vector<bytes> out;
  namespace fs = std::filesystem;
  fs::path root = fs::path{DYNFEED_TEST_DATA_DIR} / ".." / "fuzz" / "corpus";
  for (const char* target : {"krpc_fuzz", "bencode_fuzz", "bep44_fuzz"}) {
    if (!fs::is_directory(root / target))
      continue;
    for (const auto& file : fs::directory_iterator(root / target)) {
      std::ifstream in(file.path(), std::ios::binary);
      out.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
  }
  return out;
}

} // namespace

BOOST_AUTO_TEST_CASE(direct_and_tree_encodings_give_the_same_bytes) {
  std::mt19937_64 rng{2026};
  for (int round = 0; round < 20000; ++round) {
    message m = random_message(rng);
    bytes wire = encode(m);
    BOOST_TEST(wire == encode_tree(m), "round " << round);
  }
}

BOOST_AUTO_TEST_CASE(direct_and_tree_decoders_agree_on_the_fuzz_corpus) {
  std::vector<bytes> files = corpus_files();
  BOOST_TEST(files.size() >= 9u); // the krpc target's seeds at least
  comparison c;
  for (const bytes& f : files) {
    c.run(f);
    c.run(f, tight_limits());
    for (size_t size = 0; size < f.size(); ++size)
      c.run(byte_span{f.data(), size});
  }
  c.require_agreement();
}

BOOST_AUTO_TEST_CASE(direct_and_tree_decoders_agree_on_generated_messages_and_their_damage) {
  std::mt19937_64 rng{1207};
  comparison c;
  for (int round = 0; round < 4000; ++round) {
    bytes wire = encode(random_message(rng));
    c.run(wire);
    c.run(wire, tight_limits());
    for (int cut = 0; cut < 5; ++cut)
      c.run(byte_span{wire.data(), below(rng, wire.size())});
    bytes mutated = wire;
    for (int change = 0; change < 30; ++change) {
      size_t at = below(rng, wire.size());
      // Random bytes, or the characters that change bencode's structure.
      mutated[at] = below(rng, 2) ? static_cast<uint8_t>(rng())
                                  : static_cast<uint8_t>("ide:0l5"[below(rng, 7)]);
      c.run(mutated);
      c.run(mutated, tight_limits());
      mutated[at] = wire[at];
    }
  }
  c.require_agreement();
  BOOST_TEST(c.accepted > 10000u);
  BOOST_TEST(c.refused > 10000u);
}

BOOST_AUTO_TEST_CASE(direct_and_tree_decoders_agree_on_krpc_shaped_bencode) {
  std::mt19937_64 rng{1208};
  comparison c;
  for (int round = 0; round < 100000; ++round) {
    std::string wire = random_bencode(rng, 0);
    c.run(text(wire));
    if (round % 4 == 0)
      c.run(text(wire), tight_limits());
  }
  c.require_agreement();
  BOOST_TEST(c.accepted > 100u);
}

#include "dynfeed/feed/merkle.hpp"

#include "dynfeed/base/assert.hpp"
#include "dynfeed/feed/flat_tree.hpp"

namespace dynfeed::merkle {

namespace {

constexpr uint8_t leaf_type = 0x00;
constexpr uint8_t parent_type = 0x01;
constexpr uint8_t root_type = 0x02;
constexpr size_t namespace_count = 6;

std::array<hash256, namespace_count> make_namespaces() noexcept {
  hash256 base = crypto::blake2b_256(byte_span{std::string_view{"hypercore"}});
  std::array<hash256, namespace_count> out;
  for (size_t i = 0; i < namespace_count; ++i) {
    uint8_t id = static_cast<uint8_t>(i);
    out[i] = crypto::blake2b_256({base.span(), byte_span{&id, 1}});
  }
  return out;
}

} // namespace

const hash256& namespace_hash(ns which) noexcept {
  static const std::array<hash256, namespace_count> all = make_namespaces();
  return all[static_cast<size_t>(which)];
}

hash256 leaf_hash(byte_span data) noexcept {
  uint8_t header[9];
  header[0] = leaf_type;
  store_u64le(header + 1, data.size());
  return crypto::blake2b_256({byte_span{header, sizeof(header)}, data});
}

tree_node leaf(uint64_t block_index, byte_span data) noexcept {
  return tree_node{flat::leaf(block_index), data.size(), leaf_hash(data)};
}

tree_node parent(const tree_node& a, const tree_node& b) noexcept {
  DYNFEED_REQUIRE(flat::sibling(a.index) == b.index);
  const tree_node& left = a.index < b.index ? a : b;
  const tree_node& right = a.index < b.index ? b : a;
  uint8_t header[9];
  header[0] = parent_type;
  store_u64le(header + 1, a.size + b.size);
  tree_node out;
  out.index = flat::parent(a.index);
  out.size = a.size + b.size;
  out.hash = crypto::blake2b_256(
    {byte_span{header, sizeof(header)}, left.hash.span(), right.hash.span()});
  return out;
}

hash256 tree_hash(const std::vector<tree_node>& roots) noexcept {
  // One buffer keeps this to a single hash update per call.
  uint8_t buf[1 + 64 * 48];
  DYNFEED_REQUIRE(roots.size() <= 64);
  size_t n = 0;
  buf[n++] = root_type;
  for (const tree_node& root : roots) {
    std::memcpy(buf + n, root.hash.data(), 32);
    store_u64le(buf + n + 32, root.index);
    store_u64le(buf + n + 40, root.size);
    n += 48;
  }
  return crypto::blake2b_256(byte_span{buf, n});
}

signable_bytes signable(const hash256& tree_hash, uint64_t length, uint64_t fork) noexcept {
  signable_bytes out;
  std::memcpy(out.data(), namespace_hash(ns::tree).data(), 32);
  std::memcpy(out.data() + 32, tree_hash.data(), 32);
  store_u64le(out.data() + 64, length);
  store_u64le(out.data() + 72, fork);
  return out;
}

} // namespace dynfeed::merkle

#include "dynfeed/feed/dynamic.hpp"

#include "dynfeed/feed/errc.hpp"
#include "dynfeed/feed/flat_tree.hpp"
#include "dynfeed/feed/proof.hpp"

#include <string>

namespace dynfeed {

namespace {

constexpr std::string_view announcement_salt = "dynfeed/feed-id/1";
constexpr std::string_view topic_namespace = "dynfeed/id-topic/1";
constexpr size_t roots_max = 62;
constexpr size_t root_entry_size = 8 + 32;
constexpr size_t tree_header_size = 8 + 8 + 64;

error malformed(const std::string& what) {
  return error{value_errc::malformed, what};
}

} // namespace

value_feed_def id_announcements(const public_key& feed_key) {
  value_feed_def def;
  def.threshold = 1;
  def.signers.push_back(feed_key);
  def.salt = bytes(announcement_salt.begin(), announcement_salt.end());
  return def;
}

value_limits announcement_limits() {
  value_limits limits;
  limits.value_size_max = tree_header_size + roots_max * root_entry_size;
  return limits;
}

hash256 id_topic(const hash256& feed_id) {
  return crypto::blake2b_256({byte_span{topic_namespace}, feed_id.span()});
}

bytes encode_announcement(feed_mode mode, const signed_tree& tree) {
  bytes out;
  put_u64le(out, tree.length);
  if (mode == feed_mode::rotating) {
    hash256 id = tree.hash();
    out.insert(out.end(), id.bytes.begin(), id.bytes.end());
    return out;
  }
  put_u64le(out, tree.fork);
  out.insert(out.end(), tree.sig.bytes.begin(), tree.sig.bytes.end());
  for (const tree_node& root : tree.roots) {
    put_u64le(out, root.size);
    out.insert(out.end(), root.hash.bytes.begin(), root.hash.bytes.end());
  }
  return out;
}

expected<id_announcement> decode_id_announcement(byte_span value) {
  if (value.size() != 8 + 32)
    return malformed("an ID announcement has 40 bytes, not " + std::to_string(value.size()));
  id_announcement out;
  out.length = load_u64le(value.data());
  out.id = hash256::from(value.subspan(8, 32));
  if (out.length > length_max)
    return malformed("length " + std::to_string(out.length));
  return out;
}

expected<signed_tree> decode_tree_announcement(byte_span value) {
  if (value.size() < tree_header_size)
    return malformed("a tree announcement needs at least " + std::to_string(tree_header_size)
                     + " bytes");
  signed_tree tree;
  tree.length = load_u64le(value.data());
  tree.fork = load_u64le(value.data() + 8);
  tree.sig = signature::from(value.subspan(16, 64));
  if (tree.length > length_max)
    return malformed("length " + std::to_string(tree.length));
  std::vector<uint64_t> indexes = flat::full_roots(tree.length);
  if (value.size() != tree_header_size + indexes.size() * root_entry_size)
    return malformed("a tree of length " + std::to_string(tree.length) + " has "
                     + std::to_string(indexes.size()) + " roots");
  const uint8_t* entry = value.data() + tree_header_size;
  for (uint64_t index : indexes) {
    tree.roots.push_back(tree_node{index, load_u64le(entry), hash256::from(byte_span{entry + 8, 32})});
    entry += root_entry_size;
  }
  return tree;
}

} // namespace dynfeed

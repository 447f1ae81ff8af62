#pragma once

/// A writer's tree built in memory from generated blocks, with a node_source over its nodes.

#include "dynfeed/crypto/crypto.hpp"
#include "dynfeed/feed/flat_tree.hpp"
#include "dynfeed/feed/proof.hpp"
#include "dynfeed/feed/tree.hpp"
#include "support/print.hpp"

#include <map>
#include <string>

namespace dynfeed::test {

class map_nodes : public node_source {
public:
  expected<std::optional<tree_node>> find_node(uint64_t index) override {
    auto it = nodes.find(index);
    if (it == nodes.end())
      return std::optional<tree_node>{};
    return std::optional<tree_node>{it->second};
  }
  std::map<uint64_t, tree_node> nodes;
};

inline bytes block_data(uint64_t index) {
  std::string s = "block " + std::to_string(index) + std::string(index % 7, '.');
  return bytes(s.begin(), s.end());
}

struct writer_tree {
  keypair kp = crypto::keypair_from_seed(key_seed{});
  signed_tree tree;
  map_nodes nodes;
  std::vector<bytes> blocks;

  void append(uint64_t count) {
    std::vector<bytes> data;
    for (uint64_t i = 0; i < count; ++i)
      data.push_back(block_data(tree.length + i));
    std::vector<byte_span> spans(data.begin(), data.end());
    auto batch = prepare_append(tree, spans, append_limits{});
    sign_batch(*batch, kp.sk);
    for (const tree_node& n : batch->nodes)
      nodes.nodes[n.index] = n;
    tree = batch->tree;
    blocks.insert(blocks.end(), data.begin(), data.end());
  }

  /// A reader that trusts this writer's tree at `length` and stores only its roots.
  std::pair<signed_tree, map_nodes> reader_at(uint64_t length) const {
    signed_tree t;
    t.length = length;
    map_nodes known;
    for (uint64_t index : flat::full_roots(length)) {
      t.roots.push_back(nodes.nodes.at(index));
      known.nodes[index] = nodes.nodes.at(index);
    }
    return {t, known};
  }

  expected<proof> prove(const proof_request& req) {
    auto p = build_proof(req, tree, nodes);
    if (p && p->block)
      for (uint64_t i = 0; i < req.block->count; ++i)
        p->block->values.push_back(blocks[p->block->index + i]);
    return p;
  }
};

/// Levels from block `index`'s leaf to the root above it in a tree of `length` blocks.
inline uint64_t levels_to_root(uint64_t index, uint64_t length) {
  uint64_t levels = 0;
  for (uint64_t cur = flat::leaf(index); flat::exists(flat::parent(cur), length);
       cur = flat::parent(cur))
    ++levels;
  return levels;
}

} // namespace dynfeed::test

#include "dynfeed/feed/proof.hpp"

#include "dynfeed/feed/errc.hpp"
#include "dynfeed/feed/flat_tree.hpp"

#include <string>

namespace dynfeed {

namespace {

std::string str(uint64_t v) {
  return std::to_string(v);
}

expected<tree_node> require_node(node_source& nodes, uint64_t index) {
  auto found = nodes.find_node(index);
  if (!found)
    return std::move(found).error();
  if (!*found)
    return error{feed_errc::missing_node, "node " + str(index)};
  return **found;
}

/// Responder side: the nodes that grow a tree of `from` blocks to `to` blocks, in Hypercore's
/// order. When the requested chunk (rooted at `chunk`) lies in a node that would be sent, the
/// node is left out and reported in `block_top`: the chunk's own path reaches it instead.
/// (Aligned perfect subtrees are nested or disjoint, so "contains the chunk's root" is enough.)
status collect_upgrade(uint64_t from, uint64_t to, std::optional<uint64_t> chunk,
                       node_source& nodes, std::vector<tree_node>& out, uint64_t* block_top) {
  auto send = [&](uint64_t index) -> status {
    if (chunk && flat::contains(index, *chunk)) {
      *block_top = index;
      return {};
    }
    auto node = require_node(nodes, index);
    if (!node)
      return std::move(node).error();
    out.push_back(*node);
    return {};
  };
  bool connected = from == 0;
  for (uint64_t root : flat::full_roots(to)) {
    if (flat::right_span(root) < 2 * from)
      continue; // an old root: the requester holds it
    if (!connected && flat::contains(root, 2 * from - 2)) {
      // Climb from the old last leaf; left siblings are old roots, right ones are new.
      for (uint64_t cur = 2 * from - 2; cur != root; cur = flat::parent(cur)) {
        uint64_t sib = flat::sibling(cur);
        if (sib > cur)
          if (auto st = send(sib); !st)
            return st;
      }
      connected = true;
      continue;
    }
    connected = true;
    if (auto st = send(root); !st)
      return st;
  }
  return {};
}

} // namespace

std::optional<uint64_t> chunk_root(uint64_t index, uint64_t count) {
  if (count == 0 || count > chunk_blocks_max || (count & (count - 1)) != 0 || index % count != 0
      || index >= length_max)
    return std::nullopt;
  uint64_t depth = static_cast<uint64_t>(__builtin_ctzll(count));
  return flat::index(depth, index / count);
}

expected<proof> build_proof(const proof_request& req, const signed_tree& tree, node_source& nodes) {
  if (req.fork != tree.fork)
    return error{feed_errc::fork_mismatch, "requested fork " + str(req.fork) + ", feed is at "
                                             + str(tree.fork)};
  std::optional<uint64_t> chunk;
  if (req.block) {
    chunk = chunk_root(req.block->index, req.block->count);
    if (!chunk)
      return error{feed_errc::invalid_request, "blocks " + str(req.block->index) + " + "
                                                 + str(req.block->count)
                                                 + " do not form an aligned chunk"};
    if (!flat::exists(*chunk, tree.length))
      return error{feed_errc::out_of_range, "blocks " + str(req.block->index) + " + "
                                              + str(req.block->count) + ", length "
                                              + str(tree.length)};
  }
  proof p;
  p.fork = tree.fork;
  uint64_t block_top = 0;
  bool block_in_upgrade = false;
  uint64_t trusted_length = tree.length;
  if (req.upgrade) {
    const upgrade_request& up = *req.upgrade;
    if (up.length == 0 || up.start > tree.length || up.length > tree.length - up.start)
      return error{feed_errc::invalid_request, "upgrade from " + str(up.start) + " by "
                                                 + str(up.length) + ", length "
                                                 + str(tree.length)};
    uint64_t to = up.start + up.length;
    block_in_upgrade = req.block && req.block->index >= up.start;
    if (block_in_upgrade && !flat::exists(*chunk, to))
      return error{feed_errc::invalid_request, "blocks past the requested upgrade"};
    if (req.block && !block_in_upgrade && !flat::exists(*chunk, up.start))
      return error{feed_errc::invalid_request, "a chunk may not straddle the upgrade's start"};
    trusted_length = up.start;
    upgrade_proof out;
    out.start = up.start;
    out.length = up.length;
    std::optional<uint64_t> in_upgrade;
    if (block_in_upgrade)
      in_upgrade = *chunk;
    if (auto st = collect_upgrade(up.start, to, in_upgrade, nodes, out.nodes, &block_top); !st)
      return std::move(st).error();
    if (auto st = collect_upgrade(to, tree.length, std::nullopt, nodes, out.additional_nodes,
                                  nullptr);
        !st)
      return std::move(st).error();
    out.signed_length = tree.length;
    out.sig = tree.sig;
    p.upgrade = std::move(out);
  }
  if (req.block) {
    uint64_t leaf = *chunk;
    if (!block_in_upgrade) {
      if (req.block->nodes > proof_depth_max)
        return error{feed_errc::invalid_request, "path of " + str(req.block->nodes) + " nodes"};
      block_top = leaf;
      for (uint64_t i = 0; i < req.block->nodes; ++i)
        block_top = flat::parent(block_top);
      if (!flat::exists(block_top, trusted_length))
        return error{feed_errc::invalid_request, "path of " + str(req.block->nodes)
                                                   + " nodes rises above the roots"};
    }
    block_proof out;
    out.index = req.block->index;
    for (uint64_t cur = leaf; cur != block_top; cur = flat::parent(cur)) {
      auto node = require_node(nodes, flat::sibling(cur));
      if (!node)
        return std::move(node).error();
      out.nodes.push_back(*node);
    }
    p.block = std::move(out);
  }
  return p;
}

namespace {

/// Hands out a proof's nodes in the order the verifier needs them, with the block's verified
/// path top standing in for the node it replaces (Hypercore's NodeQueue).
class node_queue {
public:
  node_queue(const std::vector<tree_node>& nodes, std::optional<tree_node> extra)
    : nodes_(nodes), extra_(extra) {}

  expected<tree_node> take(uint64_t index) {
    if (extra_ && extra_->index == index) {
      tree_node out = *extra_;
      extra_.reset();
      return out;
    }
    if (next_ >= nodes_.size())
      return error{feed_errc::invalid_proof, "expected node " + str(index) + ", got none"};
    const tree_node& node = nodes_[next_++];
    if (node.index != index)
      return error{feed_errc::invalid_proof,
                   "expected node " + str(index) + ", got node " + str(node.index)};
    return node;
  }

  bool done() const noexcept { return next_ == nodes_.size() && !extra_; }

private:
  const std::vector<tree_node>& nodes_;
  size_t next_ = 0;
  std::optional<tree_node> extra_;
};

/// Verifier side of collect_upgrade(): turns the roots of a tree of `from` blocks into those of
/// a tree of `to` blocks, taking the new nodes from `queue`.
status grow_roots(std::vector<tree_node>& roots, uint64_t to, node_queue& queue,
                  std::vector<tree_node>& learned) {
  std::vector<uint64_t> target = flat::full_roots(to);
  size_t keep = 0;
  while (keep < roots.size() && keep < target.size() && roots[keep].index == target[keep])
    ++keep;
  std::vector<tree_node> old(roots.begin() + static_cast<std::ptrdiff_t>(keep), roots.end());
  roots.resize(keep);
  size_t next = keep;
  if (!old.empty()) {
    if (next >= target.size())
      return error{feed_errc::invalid_proof, "upgrade shrinks the tree"};
    uint64_t root = target[next++];
    tree_node cur = old.back();
    old.pop_back();
    while (cur.index != root) {
      if (!flat::contains(root, cur.index))
        return error{feed_errc::invalid_proof, "old roots do not lie under the new root"};
      uint64_t sib_index = flat::sibling(cur.index);
      tree_node sib;
      if (sib_index > cur.index) {
        auto taken = queue.take(sib_index);
        if (!taken)
          return std::move(taken).error();
        sib = *taken;
      } else {
        if (old.empty() || old.back().index != sib_index)
          return error{feed_errc::invalid_proof, "old roots do not connect"};
        sib = old.back();
        old.pop_back();
      }
      learned.push_back(sib);
      cur = merkle::parent(cur, sib);
      learned.push_back(cur);
    }
    if (!old.empty())
      return error{feed_errc::invalid_proof, "old roots do not connect"};
    roots.push_back(cur);
  }
  for (; next < target.size(); ++next) {
    auto taken = queue.take(target[next]);
    if (!taken)
      return std::move(taken).error();
    learned.push_back(*taken);
    roots.push_back(*taken);
  }
  return {};
}

/// Hashes the chunk's blocks up to its root, then the root up its sibling path; returns the node
/// at the top.
expected<tree_node> verify_block_path(const block_proof& block, std::vector<tree_node>& learned) {
  if (block.nodes.size() > proof_depth_max)
    return error{feed_errc::invalid_proof, "block path of " + str(block.nodes.size()) + " nodes"};
  if (!chunk_root(block.index, block.values.size()))
    return error{feed_errc::invalid_proof, str(block.values.size()) + " blocks from "
                                             + str(block.index) + " are not an aligned chunk"};
  // Merge the leaves pairwise, level by level, up to the chunk's root.
  std::vector<tree_node> level;
  level.reserve(block.values.size());
  for (size_t i = 0; i < block.values.size(); ++i)
    level.push_back(merkle::leaf(block.index + i, block.values[i]));
  learned.insert(learned.end(), level.begin(), level.end());
  while (level.size() > 1) {
    for (size_t i = 0; i < level.size() / 2; ++i)
      level[i] = merkle::parent(level[2 * i], level[2 * i + 1]);
    level.resize(level.size() / 2);
    learned.insert(learned.end(), level.begin(), level.end());
  }
  tree_node cur = level.front();
  for (const tree_node& sib : block.nodes) {
    if (sib.index != flat::sibling(cur.index))
      return error{feed_errc::invalid_proof, "node " + str(sib.index) + " is not the sibling of "
                                               + str(cur.index)};
    learned.push_back(sib);
    cur = merkle::parent(cur, sib);
    learned.push_back(cur);
  }
  return cur;
}

status verify_upgrade(const upgrade_proof& up, const signed_tree& trusted,
                      std::optional<tree_node> block_top, const public_key& key,
                      verified_proof& out) {
  if (up.start != trusted.length)
    return error{feed_errc::stale_upgrade,
                 "upgrade starts at " + str(up.start) + ", trusted length is " + str(trusted.length)};
  if (up.length == 0 || up.length > length_max - up.start)
    return error{feed_errc::invalid_proof, "upgrade length " + str(up.length)};
  uint64_t to = up.start + up.length;
  if (up.signed_length < to || up.signed_length > length_max)
    return error{feed_errc::invalid_proof, "signed length " + str(up.signed_length)
                                             + " below the upgrade's " + str(to)};
  signed_tree next;
  next.fork = trusted.fork;
  next.roots = trusted.roots;
  node_queue queue{up.nodes, block_top};
  if (auto st = grow_roots(next.roots, to, queue, out.nodes); !st)
    return st;
  if (!queue.done())
    return error{feed_errc::invalid_proof, "upgrade carries nodes it does not use"};
  out.target_hash = merkle::tree_hash(next.roots);
  node_queue additional{up.additional_nodes, std::nullopt};
  if (auto st = grow_roots(next.roots, up.signed_length, additional, out.nodes); !st)
    return st;
  if (!additional.done())
    return error{feed_errc::invalid_proof, "upgrade carries nodes it does not use"};
  next.length = up.signed_length;
  next.sig = up.sig;
  if (!crypto::verify(next.sig, byte_span{next.signable()}, key))
    return error{feed_errc::bad_signature, "tree of length " + str(next.length)};
  out.tree = std::move(next);
  return {};
}

} // namespace

expected<verified_proof> verify_proof(const proof& p, const signed_tree& trusted,
                                      node_source& trusted_nodes, const public_key& key) {
  if (p.fork != trusted.fork)
    return error{feed_errc::fork_mismatch, "proof for fork " + str(p.fork) + ", trusted fork "
                                             + str(trusted.fork)};
  verified_proof out;
  std::optional<tree_node> top;
  if (p.block) {
    if (p.block->index >= length_max)
      return error{feed_errc::invalid_proof, "block index " + str(p.block->index)};
    auto reached = verify_block_path(*p.block, out.nodes);
    if (!reached)
      return std::move(reached).error();
    top = *reached;
  }
  // A chunk that starts before the upgrade is checked against the trusted tree, which it must
  // lie inside entirely.
  bool block_in_upgrade = p.block && p.upgrade && p.block->index >= p.upgrade->start;
  if (p.upgrade) {
    if (auto st = verify_upgrade(*p.upgrade, trusted, block_in_upgrade ? top : std::nullopt, key,
                                 out);
        !st)
      return std::move(st).error();
  }
  if (p.block && !block_in_upgrade) {
    // The path must end at a node the reader already trusts, inside its trusted tree.
    if (!flat::exists(top->index, trusted.length))
      return error{feed_errc::invalid_proof, "block " + str(p.block->index)
                                               + " is not inside the trusted tree"};
    auto known = trusted_nodes.find_node(top->index);
    if (!known)
      return std::move(known).error();
    if (!*known)
      return error{feed_errc::invalid_proof,
                   "block path ends at node " + str(top->index) + ", which is not trusted"};
    if (**known != *top)
      return error{feed_errc::invalid_proof,
                   "block " + str(p.block->index) + " does not hash to the trusted tree"};
  }
  return out;
}

} // namespace dynfeed

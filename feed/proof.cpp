#include "feed/proof.hpp"

#include "feed/errc.hpp"
#include "feed/flat_tree.hpp"

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
/// order. When the block at `block_leaf` lies in a node that would be sent, the node is left out
/// and reported in `block_top`: the block's own path reaches it instead.
status collect_upgrade(uint64_t from, uint64_t to, std::optional<uint64_t> block_leaf,
                       node_source& nodes, std::vector<tree_node>& out, uint64_t* block_top) {
  auto send = [&](uint64_t index) -> status {
    if (block_leaf && flat::contains(index, *block_leaf)) {
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

expected<proof> build_proof(const proof_request& req, const signed_tree& tree, node_source& nodes) {
  if (req.fork != tree.fork)
    return error{feed_errc::fork_mismatch, "requested fork " + str(req.fork) + ", feed is at "
                                             + str(tree.fork)};
  if (req.block && req.block->index >= tree.length)
    return error{feed_errc::out_of_range,
                 "block " + str(req.block->index) + ", length " + str(tree.length)};
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
    if (block_in_upgrade && req.block->index >= to)
      return error{feed_errc::invalid_request, "block past the requested upgrade"};
    trusted_length = up.start;
    upgrade_proof out;
    out.start = up.start;
    out.length = up.length;
    std::optional<uint64_t> block_leaf;
    if (block_in_upgrade)
      block_leaf = flat::leaf(req.block->index);
    if (auto st = collect_upgrade(up.start, to, block_leaf, nodes, out.nodes, &block_top); !st)
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
    uint64_t leaf = flat::leaf(req.block->index);
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

/// Hashes the block up its sibling path; returns the node at the top.
expected<tree_node> verify_block_path(const block_proof& block, std::vector<tree_node>& learned) {
  if (block.nodes.size() > proof_depth_max)
    return error{feed_errc::invalid_proof, "block path of " + str(block.nodes.size()) + " nodes"};
  tree_node cur = merkle::leaf(block.index, block.value);
  learned.push_back(cur);
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

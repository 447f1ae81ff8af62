#include "dynfeed/feed/equivocation.hpp"

#include "dynfeed/feed/errc.hpp"
#include "dynfeed/feed/flat_tree.hpp"

#include <algorithm>
#include <string>

namespace dynfeed {

namespace {

std::string str(uint64_t v) {
  return std::to_string(v);
}

bool is_root(const signed_tree& tree, const tree_node& node) {
  return std::find(tree.roots.begin(), tree.roots.end(), node) != tree.roots.end();
}

/// Hashes `path` up and checks it ends at a root of `tree`.
status check_path(const std::vector<tree_node>& path, uint64_t index, const signed_tree& tree,
                  const std::string& which) {
  if (path.empty() || path.size() > proof_depth_max + 1)
    return error{feed_errc::invalid_proof, which + ": path of " + str(path.size()) + " nodes"};
  if (path.front().index != index)
    return error{feed_errc::invalid_proof, which + ": path starts at node "
                                             + str(path.front().index) + ", not " + str(index)};
  tree_node cur = path.front();
  for (size_t i = 1; i < path.size(); ++i) {
    if (path[i].index != flat::sibling(cur.index))
      return error{feed_errc::invalid_proof, which + ": node " + str(path[i].index)
                                               + " is not the sibling of " + str(cur.index)};
    cur = merkle::parent(cur, path[i]);
  }
  if (!is_root(tree, cur))
    return error{feed_errc::invalid_proof, which + ": the path does not reach a root"};
  return {};
}

/// The longer tree's node at `index` and its path up to one of its roots, from `nodes`.
expected<std::vector<tree_node>> path_in(const signed_tree& tree, node_source& nodes,
                                         uint64_t index) {
  std::vector<tree_node> path;
  auto first = nodes.find_node(index);
  if (!first)
    return std::move(first).error();
  if (!*first)
    return error{feed_errc::missing_node, "node " + str(index)};
  path.push_back(**first);
  tree_node cur = **first;
  while (!is_root(tree, cur)) {
    if (path.size() > proof_depth_max || !flat::exists(flat::parent(cur.index), tree.length))
      return error{feed_errc::invalid_proof, "node " + str(index) + " does not reach a root"};
    auto sib = nodes.find_node(flat::sibling(cur.index));
    if (!sib)
      return std::move(sib).error();
    if (!*sib)
      return error{feed_errc::missing_node, "node " + str(flat::sibling(cur.index))};
    path.push_back(**sib);
    cur = merkle::parent(cur, **sib);
  }
  return path;
}

} // namespace

status verify_equivocation(const equivocation_proof& p) {
  const signed_tree& a = p.trees[0];
  const signed_tree& b = p.trees[1];
  if (a.fork != b.fork)
    return error{feed_errc::fork_mismatch, "trees of forks " + str(a.fork) + " and "
                                             + str(b.fork) + " do not conflict"};
  for (size_t k = 0; k < 2; ++k)
    if (p.trees[k].length > length_max || !p.trees[k].verify(p.key))
      return error{feed_errc::bad_signature, "tree " + str(k) + " is not signed by the key"};
  if (!flat::exists(p.index, a.length) || !flat::exists(p.index, b.length))
    return error{feed_errc::invalid_proof, "node " + str(p.index) + " is not in both trees"};
  for (size_t k = 0; k < 2; ++k)
    if (auto st = check_path(p.paths[k], p.index, p.trees[k], "tree " + str(k)); !st)
      return st;
  if (p.paths[0].front() == p.paths[1].front())
    return error{feed_errc::invalid_proof, "the trees agree on node " + str(p.index)};
  return {};
}

expected<std::optional<equivocation_proof>>
find_equivocation(const public_key& key, const signed_tree& a, node_source& a_nodes,
                  const signed_tree& b, node_source& b_nodes) {
  DYNFEED_REQUIRE(a.fork == b.fork);
  bool a_shorter = a.length <= b.length;
  const signed_tree& shorter = a_shorter ? a : b;
  const signed_tree& longer = a_shorter ? b : a;
  node_source& longer_nodes = a_shorter ? b_nodes : a_nodes;
  for (const tree_node& root : shorter.roots) {
    auto path = path_in(longer, longer_nodes, root.index);
    if (!path)
      return std::move(path).error();
    if (path->front() == root)
      continue;
    equivocation_proof p;
    p.key = key;
    p.trees = {a, b};
    p.index = root.index;
    p.paths[a_shorter ? 0 : 1] = {root};
    p.paths[a_shorter ? 1 : 0] = std::move(*path);
    return std::optional<equivocation_proof>{std::move(p)};
  }
  return std::optional<equivocation_proof>{};
}

node_list::node_list(std::vector<tree_node> nodes) : nodes_(std::move(nodes)) {
  std::stable_sort(nodes_.begin(), nodes_.end(),
                   [](const tree_node& x, const tree_node& y) { return x.index < y.index; });
}

expected<std::optional<tree_node>> node_list::find_node(uint64_t index) {
  auto it = std::lower_bound(nodes_.begin(), nodes_.end(), index,
                             [](const tree_node& n, uint64_t i) { return n.index < i; });
  if (it == nodes_.end() || it->index != index)
    return std::optional<tree_node>{};
  return std::optional<tree_node>{*it};
}

} // namespace dynfeed

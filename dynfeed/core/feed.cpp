#include "dynfeed/core/feed.hpp"

#include "dynfeed/feed/errc.hpp"
#include "dynfeed/feed/flat_tree.hpp"

#include <string>
#include <unordered_set>

namespace dynfeed {

namespace {

std::string str(uint64_t v) {
  return std::to_string(v);
}

head_record head_of(const signed_tree& tree) {
  return head_record{tree.fork, tree.length, tree.sig};
}

} // namespace

feed::feed(feed_store& store, const public_key& key, std::optional<secret_key> sk,
           const feed_options& options)
  : store_(store), key_(key), discovery_key_(crypto::discovery_key(key)), sk_(std::move(sk)),
    options_(options) {
  if (options_.parallel_hashing && sk_)
    helper_ = std::make_unique<helper_thread>();
  set_tree(signed_tree{});
}

void feed::set_tree(signed_tree tree) {
  tree_ = std::move(tree);
  id_ = tree_.hash();
}

expected<std::unique_ptr<feed>> feed::create_with(feed_store& store, const public_key& key,
                                                  std::optional<secret_key> sk,
                                                  const feed_options& options) {
  auto meta = store.load_meta();
  if (!meta)
    return std::move(meta).error();
  if (*meta)
    return error{store_errc::already_exists};
  store_batch batch;
  batch.meta = feed_meta{feed_meta::current_version, key};
  batch.head = head_record{};
  if (auto st = store.commit(batch); !st)
    return std::move(st).error();
  return std::unique_ptr<feed>(new feed(store, key, std::move(sk), options));
}

expected<std::unique_ptr<feed>> feed::create(feed_store& store, const keypair& kp,
                                             const feed_options& options) {
  if (auto st = crypto::check_keypair(kp.pk, kp.sk); !st)
    return std::move(st).error();
  return create_with(store, kp.pk, kp.sk, options);
}

expected<std::unique_ptr<feed>> feed::create_reader(feed_store& store, const public_key& key,
                                                    const feed_options& options) {
  return create_with(store, key, std::nullopt, options);
}

expected<std::unique_ptr<feed>> feed::open(feed_store& store, const secret_key* sk,
                                           const feed_options& options) {
  auto meta = store.load_meta();
  if (!meta)
    return std::move(meta).error();
  if (!*meta)
    return error{store_errc::not_found, "the store holds no feed"};
  std::optional<secret_key> writer_key;
  if (sk) {
    if (auto st = crypto::check_keypair((*meta)->key, *sk); !st)
      return std::move(st).error();
    writer_key = *sk;
  }
  std::unique_ptr<feed> out{new feed(store, (*meta)->key, std::move(writer_key), options)};
  if (auto st = out->load(); !st)
    return std::move(st).error();
  return out;
}

status feed::load() {
  auto head = store_.load_head();
  if (!head)
    return std::move(head).error();
  if (!*head)
    return error{store_errc::corrupt, "the signed tree is missing"};
  signed_tree tree;
  tree.fork = (*head)->fork;
  tree.length = (*head)->length;
  tree.sig = (*head)->sig;
  if (tree.length > length_max)
    return error{store_errc::corrupt, "length " + str(tree.length)};
  for (uint64_t index : flat::full_roots(tree.length)) {
    auto root = store_.find_node(index);
    if (!root)
      return std::move(root).error();
    if (!*root)
      return error{store_errc::corrupt, "root node " + str(index) + " is missing"};
    tree.roots.push_back(**root);
  }
  if (!tree.verify(key_))
    return error{store_errc::corrupt, "the signed tree of length " + str(tree.length)
                                        + " does not verify"};
  auto pages = store_.load_bitfield();
  if (!pages)
    return std::move(pages).error();
  for (const auto& [page, data] : *pages)
    if (!have_.load_page(page, data))
      return error{store_errc::corrupt, "bitfield page " + str(page)};
  if (have_.find(tree.length, UINT64_MAX, true))
    return error{store_errc::corrupt, "the bitfield marks blocks past the length"};
  if (writable() && have_.count() != tree.length)
    return error{store_errc::corrupt, "the writer's bitfield does not cover every block"};
  set_tree(std::move(tree));
  return {};
}

expected<uint64_t> feed::append(const std::vector<byte_span>& blocks) {
  if (!sk_)
    return error{feed_errc::not_writable};
  auto prepared = prepare_append(tree_, blocks, options_.limits, helper_.get());
  if (!prepared)
    return std::move(prepared).error();
  append_batch& batch = *prepared;
  sign_batch(batch, *sk_);
  store_batch write;
  write.blocks.reserve(blocks.size());
  uint64_t index = tree_.length;
  for (byte_span block : blocks)
    write.blocks.emplace_back(index++, block);
  write.nodes = std::move(batch.nodes);
  write.head = head_of(batch.tree);
  write.bitfield_pages = have_.pages_after(tree_.length, batch.tree.length, true);
  if (auto st = store_.commit(write); !st)
    return std::move(st).error();
  have_.set_range(tree_.length, batch.tree.length, true);
  set_tree(std::move(batch.tree));
  return tree_.length;
}

status feed::replace_tree(signed_tree tree, uint64_t keep, std::vector<tree_node> nodes) {
  DYNFEED_REQUIRE(keep <= tree.length && keep <= tree_.length);
  store_batch write;
  write.truncate_to = keep;
  write.nodes = std::move(nodes);
  write.nodes.insert(write.nodes.end(), tree.roots.begin(), tree.roots.end());
  write.head = head_of(tree);
  write.bitfield_pages = have_.pages_after(keep, tree_.length, false);
  if (auto st = store_.commit(write); !st)
    return st;
  have_.set_range(keep, tree_.length, false);
  set_tree(std::move(tree));
  return {};
}

expected<uint64_t> feed::truncate(uint64_t length) {
  if (!sk_)
    return error{feed_errc::not_writable};
  if (length > tree_.length)
    return error{feed_errc::out_of_range, "truncating to " + str(length) + ", length "
                                            + str(tree_.length)};
  if (tree_.fork >= length_max)
    return error{feed_errc::out_of_range, "fork " + str(tree_.fork) + " is the last one"};
  signed_tree next;
  next.fork = tree_.fork + 1;
  next.length = length;
  for (uint64_t index : flat::full_roots(length)) {
    auto root = store_.find_node(index);
    if (!root)
      return std::move(root).error();
    if (!*root)
      return error{store_errc::corrupt, "root node " + str(index) + " is missing"};
    next.roots.push_back(**root);
  }
  next.sig = crypto::sign(byte_span{next.signable()}, *sk_);
  if (auto st = replace_tree(std::move(next), length, {}); !st)
    return std::move(st).error();
  return tree_.fork;
}

expected<uint64_t> feed::shared_length(const std::vector<tree_node>& theirs, uint64_t length) {
  std::vector<uint64_t> indexes = flat::full_roots(length);
  if (length > tree_.length || theirs.size() != indexes.size())
    return error{feed_errc::invalid_request, "roots at length " + str(length)};
  uint64_t shared = 0;
  for (size_t i = 0; i < indexes.size(); ++i) {
    auto mine = store_.find_node(indexes[i]);
    if (!mine)
      return std::move(mine).error();
    if (!*mine || **mine != theirs[i] || theirs[i].index != indexes[i])
      break;
    shared = flat::right_span(indexes[i]) / 2 + 1;
  }
  return shared;
}

status feed::adopt_fork(const signed_tree& newer, uint64_t common,
                        const std::vector<tree_node>& nodes) {
  if (newer.fork <= tree_.fork)
    return error{feed_errc::fork_mismatch, "tree of fork " + str(newer.fork) + ", feed is at "
                                             + str(tree_.fork)};
  if (!newer.verify(key_))
    return error{feed_errc::bad_signature, "tree of fork " + str(newer.fork)};
  if (common > newer.length || common > tree_.length)
    return error{feed_errc::invalid_request, "shared length " + str(common)};
  return replace_tree(newer, common, nodes);
}

expected<std::optional<equivocation_proof>> feed::find_equivocation(const signed_tree& theirs,
                                                                    node_source& their_nodes) {
  DYNFEED_REQUIRE(theirs.fork == tree_.fork);
  return dynfeed::find_equivocation(key_, tree_, store_, theirs, their_nodes);
}

expected<bytes> feed::get(uint64_t index) {
  if (index >= tree_.length)
    return error{feed_errc::out_of_range, "block " + str(index) + ", length " + str(tree_.length)};
  if (!have_.get(index))
    return error{feed_errc::block_not_held, "block " + str(index)};
  auto value = store_.get_block(index);
  if (!value)
    return std::move(value).error();
  if (!*value)
    return error{store_errc::corrupt, "block " + str(index) + " is marked held but missing"};
  return std::move(**value);
}

expected<proof> feed::build_proof(const proof_request& req) {
  auto p = dynfeed::build_proof(req, tree_, store_);
  if (!p)
    return p;
  if (p->block) {
    uint64_t first = req.block->index;
    uint64_t count = req.block->count;
    if (have_.count(first, first + count) != count)
      return error{feed_errc::block_not_held, "blocks " + str(first) + " + " + str(count)};
    auto values = store_.get_blocks(first, count);
    if (!values)
      return std::move(values).error();
    p->block->values = std::move(*values);
  }
  return p;
}

expected<uint64_t> feed::missing_nodes(uint64_t index, uint64_t count) {
  auto root = chunk_root(index, count);
  if (!root)
    return error{feed_errc::invalid_request, "blocks " + str(index) + " + " + str(count)
                                               + " do not form an aligned chunk"};
  if (!flat::exists(*root, tree_.length))
    return error{feed_errc::out_of_range, "blocks " + str(index) + " + " + str(count)
                                            + ", length " + str(tree_.length)};
  uint64_t levels = 0;
  // Roots are always stored, so the climb ends at a root at the latest.
  for (uint64_t cur = *root;; cur = flat::parent(cur), ++levels) {
    auto node = store_.find_node(cur);
    if (!node)
      return std::move(node).error();
    if (*node)
      return levels;
    if (!flat::exists(flat::parent(cur), tree_.length))
      return error{store_errc::corrupt, "root above block " + str(index) + " is missing"};
  }
}

expected<apply_result> feed::apply(const proof& p) {
  auto verified = verify_proof(p, tree_, store_, key_);
  if (!verified)
    return std::move(verified).error();
  apply_result result;
  result.target_hash = verified->target_hash;
  store_batch write;
  write.nodes = std::move(verified->nodes);
  uint64_t new_length = verified->tree ? verified->tree->length : tree_.length;
  uint64_t first = p.block ? p.block->index : 0;
  uint64_t end = p.block ? first + p.block->values.size() : 0;
  if (p.block) {
    for (uint64_t i = first; i < end; ++i) {
      const bytes& value = p.block->values[i - first];
      if (value.size() > options_.limits.block_size_max)
        return error{feed_errc::block_too_large, "block " + str(i)};
      if (!have_.get(i))
        write.blocks.emplace_back(i, value);
    }
    if (!write.blocks.empty())
      write.bitfield_pages = have_.pages_after(first, end, true);
  }
  if (verified->tree)
    write.head = head_of(*verified->tree);
  if (auto st = store_.commit(write); !st)
    return std::move(st).error();
  if (!write.blocks.empty()) {
    have_.set_range(first, end, true);
    result.blocks_added = write.blocks.size();
  }
  if (verified->tree) {
    result.upgraded = new_length > tree_.length;
    set_tree(std::move(*verified->tree));
  }
  return result;
}

expected<bool> feed::adopt_tree(const signed_tree& tree) {
  if (tree.fork != tree_.fork)
    return error{feed_errc::fork_mismatch, "tree of fork " + str(tree.fork)};
  if (tree.length <= tree_.length)
    return false;
  if (!tree.verify(key_))
    return error{feed_errc::bad_signature, "tree of length " + str(tree.length)};
  // A root we already hold under another hash would mean two histories under one key.
  for (const tree_node& root : tree.roots) {
    auto known = store_.find_node(root.index);
    if (!known)
      return std::move(known).error();
    if (*known && **known != root)
      return error{feed_errc::invalid_proof, "root " + str(root.index)
                                               + " disagrees with a verified node"};
  }
  store_batch write;
  write.nodes = tree.roots;
  write.head = head_of(tree);
  if (auto st = store_.commit(write); !st)
    return std::move(st).error();
  set_tree(tree);
  return true;
}

status feed::verify_all() {
  // A node is verified once it hashes, with its sibling, into a verified parent; the roots are
  // verified by the signature (checked again here). Climbing from each held block's leaf until
  // a verified node checks every stored node on the way exactly once.
  if (!tree_.verify(key_))
    return error{feed_errc::corrupt, "the signed tree does not verify"};
  std::unordered_set<uint64_t> verified;
  for (const tree_node& root : tree_.roots)
    verified.insert(root.index);
  for (uint64_t index = 0; index < tree_.length; ++index) {
    if (!have_.get(index))
      continue;
    std::string where = "block " + str(index);
    auto value = store_.get_block(index);
    if (!value)
      return error{feed_errc::corrupt, where + ": " + value.error().to_string()};
    if (!*value)
      return error{feed_errc::corrupt, where + " is missing"};
    tree_node cur = merkle::leaf(index, **value);
    auto stored = store_.find_node(cur.index);
    if (!stored || !*stored || **stored != cur)
      return error{feed_errc::corrupt, where + " does not match its tree node"};
    std::vector<uint64_t> path;
    while (!verified.count(cur.index)) {
      auto sib = store_.find_node(flat::sibling(cur.index));
      auto up = store_.find_node(flat::parent(cur.index));
      if (!sib || !*sib || !up || !*up)
        return error{feed_errc::corrupt, where + ": tree node above it is missing"};
      if (merkle::parent(cur, **sib) != **up)
        return error{feed_errc::corrupt, where + ": tree nodes " + str(cur.index) + " and "
                                           + str((*sib)->index) + " do not hash to their parent "
                                           + str((*up)->index)};
      path.push_back(cur.index);
      path.push_back((*sib)->index);
      cur = **up;
    }
    verified.insert(path.begin(), path.end());
  }
  return {};
}

} // namespace dynfeed

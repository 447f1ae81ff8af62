#include "dynfeed/core/equivocation_file.hpp"

#include "dynfeed/base/error.hpp"
#include "dynfeed/base/hex.hpp"

#include <nlohmann/json.hpp>

namespace dynfeed {

namespace {

using json = nlohmann::json;

json node_json(const tree_node& n) {
  return {{"index", n.index}, {"size", n.size}, {"hash", to_hex(n.hash)}};
}

json nodes_json(const std::vector<tree_node>& nodes) {
  json out = json::array();
  for (const tree_node& n : nodes)
    out.push_back(node_json(n));
  return out;
}

json tree_json(const signed_tree& t) {
  return {{"fork", t.fork},
          {"length", t.length},
          {"treeHash", to_hex(t.hash())},
          {"signature", to_hex(t.sig)},
          {"roots", nodes_json(t.roots)}};
}

template <class Fixed>
Fixed fixed_of(const json& j) {
  auto v = fixed_from_hex<Fixed>(j.get<std::string>());
  if (!v)
    throw std::invalid_argument(v.error().to_string());
  return *v;
}

tree_node node_of(const json& j) {
  return tree_node{j.at("index").get<uint64_t>(), j.at("size").get<uint64_t>(),
                   fixed_of<hash256>(j.at("hash"))};
}

std::vector<tree_node> nodes_of(const json& j, size_t max) {
  if (!j.is_array() || j.size() > max)
    throw std::invalid_argument("a node list longer than " + std::to_string(max));
  std::vector<tree_node> out;
  for (const json& n : j)
    out.push_back(node_of(n));
  return out;
}

signed_tree tree_of(const json& j) {
  signed_tree t;
  t.fork = j.at("fork").get<uint64_t>();
  t.length = j.at("length").get<uint64_t>();
  t.sig = fixed_of<signature>(j.at("signature"));
  t.roots = nodes_of(j.at("roots"), proof_depth_max + 1);
  if (to_hex(t.hash()) != j.at("treeHash").get<std::string>())
    throw std::invalid_argument("treeHash is not the hash of the roots");
  return t;
}

} // namespace

std::string encode_equivocation(const equivocation_proof& p) {
  json j = {{"publicKey", to_hex(p.key)},
            {"trees", json::array({tree_json(p.trees[0]), tree_json(p.trees[1])})},
            {"conflict",
             {{"index", p.index},
              {"paths", json::array({nodes_json(p.paths[0]), nodes_json(p.paths[1])})}}}};
  return j.dump() + "\n";
}

expected<equivocation_proof> decode_equivocation(std::string_view text) {
  // A proof file is small; anything larger is not one.
  constexpr size_t text_size_max = 64 << 10;
  if (text.size() > text_size_max)
    return error{base_errc::invalid_argument, "more than " + std::to_string(text_size_max)
                                                + " bytes: not an equivocation proof"};
  equivocation_proof p;
  try {
    json j = json::parse(text);
    p.key = fixed_of<public_key>(j.at("publicKey"));
    const json& trees = j.at("trees");
    const json& paths = j.at("conflict").at("paths");
    if (!trees.is_array() || trees.size() != 2 || !paths.is_array() || paths.size() != 2)
      return error{base_errc::invalid_argument, "a proof holds two trees and two paths"};
    for (size_t k = 0; k < 2; ++k) {
      p.trees[k] = tree_of(trees[k]);
      p.paths[k] = nodes_of(paths[k], proof_depth_max + 1);
    }
    p.index = j.at("conflict").at("index").get<uint64_t>();
  } catch (const std::exception& e) {
    return error{base_errc::invalid_argument, std::string{"not an equivocation proof: "} + e.what()};
  }
  if (encode_equivocation(p) != text)
    return error{base_errc::invalid_argument,
                 "not in the canonical form dynfeed writes (compact, keys sorted, lower-case "
                 "hex, one newline at the end)"};
  return p;
}

std::string equivocation_path(const std::string& dir) {
  return dir + "/equivocation.json";
}

} // namespace dynfeed

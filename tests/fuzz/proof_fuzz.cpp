// Proof verification against a held tree: the input is a wire frame; when it is a data frame,
// its proof is verified by a reader that trusts the writer's tree at 20 blocks (holding only
// its roots). Whatever verifies must be the honest writer's: the nodes it yields, the upgraded
// tree's roots and the blocks all equal the writer's own, since only the writer can sign.
// Seeds: data frames with honest proofs (blocks, chunks, upgrades, both).

#include "dynfeed/messages/codec.hpp"
#include "fuzz/fuzz_support.hpp"
#include "support/tree_fixture.hpp"

using namespace dynfeed;

namespace {

constexpr uint64_t writer_length = 45;
constexpr uint64_t trusted_length = 20;

test::writer_tree& writer() {
  static test::writer_tree* w = [] {
    auto* tree = new test::writer_tree;
    tree->append(trusted_length);
    tree->append(writer_length - trusted_length);
    return tree;
  }();
  return *w;
}

bytes frame_of(const proof_request& req) {
  auto p = writer().prove(req);
  fuzz::check(static_cast<bool>(p), "the writer cannot prove its own blocks");
  msg::data m;
  m.id = 1;
  m.body = std::move(*p);
  return msg::encode(msg::wire_message{std::move(m)});
}

bool is_writers(const tree_node& n) {
  auto it = writer().nodes.nodes.find(n.index);
  return it != writer().nodes.nodes.end() && it->second == n;
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  std::vector<bytes> seeds;
  upgrade_request to_end{trusted_length, writer_length - trusted_length};
  seeds.push_back(frame_of({0, block_request{3, 5, 1}, std::nullopt}));
  seeds.push_back(frame_of({0, block_request{8, 3, 4}, std::nullopt}));
  seeds.push_back(frame_of({0, std::nullopt, to_end}));
  seeds.push_back(frame_of({0, block_request{30, 0, 1}, to_end}));
  seeds.push_back(frame_of({0, block_request{32, 0, 8}, to_end}));
  fuzz::write_seeds(seeds);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto decoded = msg::decode_wire(byte_span{data, size});
  if (!decoded || !std::holds_alternative<msg::data>(*decoded))
    return 0;
  const proof& p = std::get<msg::data>(*decoded).body;
  auto [trusted, held] = writer().reader_at(trusted_length);
  auto verified = verify_proof(p, trusted, held, writer().kp.pk);
  if (!verified) {
    fuzz::check(verified.error().category() == "feed", "a refusal outside the feed category");
    return 0;
  }
  for (const tree_node& n : verified->nodes)
    fuzz::check(is_writers(n), "a verified node the writer never made");
  if (verified->tree) {
    fuzz::check(verified->tree->length <= writer_length, "a verified tree past the writer's");
    for (const tree_node& root : verified->tree->roots)
      fuzz::check(is_writers(root), "a verified root the writer never made");
  }
  if (p.block)
    for (size_t i = 0; i < p.block->values.size(); ++i)
      fuzz::check(p.block->values[i] == writer().blocks.at(p.block->index + i),
                  "a verified block the writer never wrote");
  return 0;
}

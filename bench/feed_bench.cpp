#include "bench/feed_bench.hpp"

#include "dynfeed/base/random.hpp"
#include "dynfeed/core/feed.hpp"
#include "dynfeed/feed/errc.hpp"
#include "dynfeed/feed/flat_tree.hpp"
#include "dynfeed/storage/memory_store.hpp"
#include "dynfeed/storage/rocks_store.hpp"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>

namespace dynfeed::bench {

namespace {

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

[[noreturn]] void fail(const std::string& what, const error& err) {
  throw std::runtime_error(what + ": " + err.to_string());
}

std::string make_temp_dir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "dynfeed-bench-XXXXXX").string();
  if (!::mkdtemp(pattern.data()))
    throw std::runtime_error("cannot create a temporary directory");
  return pattern;
}

/// Time spent in the parts of an append, measured apart from the store.
nlohmann::json append_breakdown(const feed_bench_options& o, const std::vector<bytes>& data) {
  keypair kp = crypto::keypair_from_seed(key_seed{});
  uint64_t batches = o.blocks / o.batch;
  signed_tree tree;
  std::vector<byte_span> blocks;
  auto start = clock_type::now();
  std::vector<append_batch> prepared;
  prepared.reserve(batches);
  for (uint64_t b = 0; b < batches; ++b) {
    blocks.clear();
    for (uint64_t i = 0; i < o.batch; ++i)
      blocks.emplace_back(data[(b * o.batch + i) % data.size()]);
    auto batch = prepare_append(tree, blocks, append_limits{});
    tree = batch->tree;
    prepared.push_back(std::move(*batch));
  }
  double hash_s = seconds_since(start);
  start = clock_type::now();
  for (append_batch& batch : prepared)
    sign_batch(batch, kp.sk);
  double sign_s = seconds_since(start);
  return {{"hash_us_per_batch", hash_s * 1e6 / static_cast<double>(batches)},
          {"sign_us_per_batch", sign_s * 1e6 / static_cast<double>(batches)}};
}

} // namespace

nlohmann::json run_feed_bench(const feed_bench_options& o) {
  if (o.blocks == 0 || o.batch == 0 || o.blocks % o.batch != 0)
    throw std::invalid_argument("--blocks must be a positive multiple of --batch");
  rng random{o.seed};
  // A pool of distinct block contents, reused round-robin, keeps generation out of the timing.
  std::vector<bytes> data(std::min<uint64_t>(o.blocks, 1024));
  for (bytes& block : data) {
    block.resize(o.block_size);
    for (uint8_t& b : block)
      b = static_cast<uint8_t>(random.next());
  }

  std::string dir;
  std::unique_ptr<feed_store> store;
  if (o.in_memory) {
    store = std::make_unique<memory_store>();
  } else {
    dir = o.dir.empty() ? make_temp_dir() : o.dir;
    rocks_options ro;
    ro.create_if_missing = true;
    ro.fsync = o.fsync;
    auto opened = rocks_store::open(dir + "/db", ro);
    if (!opened)
      fail("opening the store", opened.error());
    store = std::move(*opened);
  }
  feed_options fo;
  fo.parallel_hashing = o.parallel_hashing;
  auto created = feed::create(*store, crypto::keypair_from_seed(key_seed{}), fo);
  if (!created)
    fail("creating the feed", created.error());
  feed& f = **created;

  std::vector<byte_span> blocks;
  auto start = clock_type::now();
  for (uint64_t b = 0; b < o.blocks / o.batch; ++b) {
    blocks.clear();
    for (uint64_t i = 0; i < o.batch; ++i)
      blocks.emplace_back(data[(b * o.batch + i) % data.size()]);
    if (auto len = f.append(blocks); !len)
      fail("append", len.error());
  }
  double append_s = seconds_since(start);

  start = clock_type::now();
  uint64_t bytes_read = 0;
  for (uint64_t i = 0; i < o.reads; ++i) {
    auto value = f.get(random.below(o.blocks));
    if (!value)
      fail("get", value.error());
    bytes_read += value->size();
  }
  double get_s = seconds_since(start);

  // A verified read is what a reader holding only the signed roots does: ask for the block
  // with its full path, then verify the path up to a root.
  start = clock_type::now();
  for (uint64_t i = 0; i < o.reads; ++i) {
    uint64_t index = random.below(o.blocks);
    proof_request req;
    req.block = block_request{index, 0, 1};
    uint64_t top = flat::leaf(index);
    while (flat::exists(flat::parent(top), f.length())) {
      top = flat::parent(top);
      ++req.block->nodes;
    }
    auto p = f.build_proof(req);
    if (!p)
      fail("build proof", p.error());
    auto ok = verify_proof(*p, f.tree(), *store, f.key());
    if (!ok)
      fail("verify proof", ok.error());
  }
  double verified_s = seconds_since(start);

  nlohmann::json out = {
    {"blocks", o.blocks},
    {"block_size", o.block_size},
    {"batch", o.batch},
    {"store", o.in_memory ? "memory" : "rocksdb"},
    {"fsync", o.fsync},
    {"parallel_hashing", o.parallel_hashing},
    {"append_blocks_per_s", static_cast<double>(o.blocks) / append_s},
    {"append_mb_per_s", static_cast<double>(o.blocks * o.block_size) / append_s / 1e6},
    {"get_blocks_per_s", static_cast<double>(o.reads) / get_s},
    {"get_verified_blocks_per_s", static_cast<double>(o.reads) / verified_s},
    {"append_us_per_batch", append_s * 1e6 / static_cast<double>(o.blocks / o.batch)},
  };
  out["breakdown"] = append_breakdown(o, data);
  out["breakdown"]["store_us_per_batch"] = out["append_us_per_batch"].get<double>()
                                           - out["breakdown"]["hash_us_per_batch"].get<double>()
                                           - out["breakdown"]["sign_us_per_batch"].get<double>();
  created->reset();
  store.reset();
  if (!dir.empty() && o.dir.empty())
    std::filesystem::remove_all(dir);
  return out;
}

} // namespace dynfeed::bench

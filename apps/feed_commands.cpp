/// dynfeed create | append | truncate | get | info | verify: one feed in one directory.

#include "apps/cli.hpp"

#include "dynfeed/control/control.hpp"

#include "dynfeed/base/hex.hpp"
#include "dynfeed/core/equivocation_file.hpp"
#include "dynfeed/core/feed_dir.hpp"
#include "dynfeed/feed/errc.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>

namespace dynfeed::cli {

namespace {

struct feed_args {
  std::string dir;
  std::string seed_hex;
  std::vector<std::string> files;
  std::string index;
  bool json = false;
  bool fsync = false;
};

int create(const feed_args& a) {
  auto kp = keypair_from_seed_option(a.seed_hex);
  if (!kp)
    return report(kp.error().context());
  rocks_options ro;
  ro.fsync = a.fsync;
  auto dir = feed_dir::create(a.dir, *kp, ro);
  if (!dir)
    return report(dir.error());
  std::cout << to_hex((*dir)->feed().key()) << '\n';
  return exit_ok;
}

/// Reads the blocks to append: whole files, or stdin lines without their newline.
expected<std::vector<bytes>> read_blocks(const feed_args& a, uint64_t block_size_max) {
  std::vector<bytes> blocks;
  if (a.files.empty()) {
    std::string line;
    while (std::getline(std::cin, line)) {
      if (line.size() > block_size_max)
        return error{base_errc::invalid_argument,
                     "line " + std::to_string(blocks.size() + 1) + " of stdin has "
                       + std::to_string(line.size()) + " bytes, the block size limit is "
                       + std::to_string(block_size_max)};
      blocks.emplace_back(line.begin(), line.end());
    }
    return blocks;
  }
  for (const std::string& path : a.files) {
    std::error_code ec;
    auto size = std::filesystem::file_size(path, ec);
    if (ec)
      return error{base_errc::io_error, path + ": " + ec.message()};
    if (size > block_size_max)
      return error{base_errc::invalid_argument,
                   path + " has " + std::to_string(size) + " bytes, the block size limit is "
                     + std::to_string(block_size_max)};
    std::ifstream in(path, std::ios::binary);
    bytes data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof())
      return error{base_errc::io_error, "cannot read " + path};
    blocks.push_back(std::move(data));
  }
  return blocks;
}

int append(const feed_args& a) {
  rocks_options ro;
  ro.fsync = a.fsync;
  feed_options fo;
  fo.parallel_hashing = true;
  auto dir = feed_dir::open(a.dir, ro, fo);
  if (!dir && dir.error().is(store_errc::locked)) {
    // A node holds the store: hand the batch to it.
    auto blocks = read_blocks(a, fo.limits.block_size_max);
    if (!blocks)
      return report(blocks.error());
    if (blocks->empty())
      return report(error{feed_errc::empty_batch});
    auto length = control_append(a.dir, *blocks);
    if (!length)
      return report(in_use(length.error()));
    std::cout << *length << '\n';
    return exit_ok;
  }
  if (!dir)
    return report(dir.error());
  feed& f = (*dir)->feed();
  if (!f.writable())
    return report(error{feed_errc::not_writable, a.dir + " holds no secret key"});
  auto blocks = read_blocks(a, f.options().limits.block_size_max);
  if (!blocks)
    return report(blocks.error());
  std::vector<byte_span> spans(blocks->begin(), blocks->end());
  auto length = f.append(spans);
  if (!length)
    return report(length.error());
  std::cout << *length << '\n';
  return exit_ok;
}

int truncate(const feed_args& a) {
  std::string message;
  auto length = parse_u64(a.index, "LENGTH", message);
  if (!length)
    return report(message);
  rocks_options ro;
  ro.fsync = a.fsync;
  auto dir = feed_dir::open(a.dir, ro);
  if (!dir && dir.error().is(store_errc::locked)) {
    // A node holds the store: the truncation goes through it, which tells its peers.
    auto fork = control_truncate(a.dir, *length);
    if (!fork)
      return report(in_use(fork.error()));
    std::cout << "fork " << *fork << ", length " << *length << '\n';
    return exit_ok;
  }
  if (!dir)
    return report(dir.error());
  feed& f = (*dir)->feed();
  if (!f.writable())
    return report(error{feed_errc::not_writable, a.dir + " holds no secret key"});
  auto fork = f.truncate(*length);
  if (!fork)
    return report(fork.error());
  std::cout << "fork " << *fork << ", length " << f.length() << '\n';
  return exit_ok;
}

/// Read-only commands open the store without writing a byte.
rocks_options reading() {
  rocks_options ro;
  ro.read_only = true;
  return ro;
}

int get(const feed_args& a) {
  std::string message;
  auto index = parse_u64(a.index, "INDEX", message);
  if (!index)
    return report(message);
  auto dir = feed_dir::open(a.dir, reading());
  if (!dir)
    return report(dir.error());
  auto value = (*dir)->feed().get(*index);
  if (!value)
    return report(value.error());
  std::cout.write(reinterpret_cast<const char*>(value->data()),
                  static_cast<std::streamsize>(value->size()));
  std::cout.flush();
  return std::cout ? exit_ok : report("cannot write to stdout");
}

/// A proof file read and checked on its own.
expected<equivocation_proof> read_equivocation(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return error{base_errc::io_error, "cannot read " + path};
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto p = decode_equivocation(text);
  if (!p)
    return p;
  if (auto st = verify_equivocation(*p); !st)
    return std::move(st).error();
  return p;
}

nlohmann::json info_json(const feed& f) {
  nlohmann::json roots = nlohmann::json::array();
  for (const tree_node& root : f.tree().roots)
    roots.push_back({{"index", root.index}, {"size", root.size}, {"hash", to_hex(root.hash)}});
  return {
    {"publicKey", to_hex(f.key())},
    {"discoveryKey", to_hex(f.discovery_key())},
    {"length", f.length()},
    {"byteLength", f.byte_length()},
    {"fork", f.fork()},
    {"roots", roots},
    {"treeHash", to_hex(f.id())},
    {"signature", f.length() == 0 && f.fork() == 0 ? std::string{} : to_hex(f.tree().sig)},
    {"writable", f.writable()},
    {"blocksHeld", f.have().count()},
  };
}

int info(const feed_args& a) {
  auto dir = feed_dir::open(a.dir, reading());
  if (!dir)
    return report(dir.error());
  nlohmann::json j = info_json((*dir)->feed());
  // A proof kept by clone or follow: the writer of this feed signed two histories.
  j["equivocation"] = std::filesystem::exists(equivocation_path(a.dir))
                      && read_equivocation(equivocation_path(a.dir)).has_value();
  if (a.json) {
    std::cout << j.dump() << '\n';
    return exit_ok;
  }
  std::cout << "public key     " << j["publicKey"].get<std::string>() << '\n'
            << "discovery key  " << j["discoveryKey"].get<std::string>() << '\n'
            << "length         " << j["length"] << " blocks, " << j["byteLength"] << " bytes\n"
            << "held           " << j["blocksHeld"] << " blocks\n"
            << "fork           " << j["fork"] << '\n'
            << "tree hash (ID) " << j["treeHash"].get<std::string>() << '\n'
            << "writable       " << (j["writable"].get<bool>() ? "yes" : "no") << '\n';
  if (j["equivocation"].get<bool>())
    std::cout << "equivocation   the writer signed two histories: " << equivocation_path(a.dir)
              << '\n';
  return exit_ok;
}

int verify_equivocation_file(const feed_args& a) {
  auto p = read_equivocation(a.dir);
  if (!p)
    return report(p.error());
  std::cout << "ok: equivocation by " << to_hex(p->key) << " at fork " << p->trees[0].fork
            << ": trees of length " << p->trees[0].length << " and " << p->trees[1].length
            << " disagree on tree node " << p->index << '\n';
  return exit_ok;
}

int verify(const feed_args& a) {
  auto dir = feed_dir::open(a.dir, reading());
  if (!dir)
    return report(dir.error());
  feed& f = (*dir)->feed();
  if (auto st = f.verify_all(); !st)
    return report(st.error());
  std::cout << "ok: " << f.have().count() << " of " << f.length() << " blocks verified\n";
  return exit_ok;
}

} // namespace

void add_feed_commands(CLI::App& app, command& run) {
  auto args = std::make_shared<feed_args>();

  auto* c = app.add_subcommand("create", "create a writable feed in DIR; prints its public key");
  c->add_option("DIR", args->dir, "directory for the new feed (must not exist or be empty)")
    ->required();
  c->add_option("--keypair-seed", args->seed_hex,
                "derive the keypair from this 32-byte seed (64 hex digits)");
  c->callback([&run, args] { run = [args] { return create(*args); }; });

  auto* ap = app.add_subcommand(
    "append", "append each FILE as one block, or each stdin line; prints the new length");
  ap->add_option("DIR", args->dir, "feed directory")->required();
  ap->add_option("FILE", args->files, "files to append, one block each");
  ap->add_flag("--fsync", args->fsync, "fsync the commit (survives power loss, slower)");
  ap->callback([&run, args] { run = [args] { return append(*args); }; });

  auto* t = app.add_subcommand(
    "truncate", "rewind the feed to LENGTH blocks, bumping its fork; prints the fork and length");
  t->add_option("DIR", args->dir, "feed directory")->required();
  t->add_option("LENGTH", args->index, "blocks to keep")->required();
  t->add_flag("--fsync", args->fsync, "fsync the commit (survives power loss, slower)");
  t->callback([&run, args] { run = [args] { return truncate(*args); }; });

  auto* g = app.add_subcommand("get", "write block INDEX to stdout");
  g->add_option("DIR", args->dir, "feed directory")->required();
  g->add_option("INDEX", args->index, "block index")->required();
  g->callback([&run, args] { run = [args] { return get(*args); }; });

  auto* i = app.add_subcommand("info", "show a feed's key, length, roots and signature");
  i->add_option("DIR", args->dir, "feed directory")->required();
  i->add_flag("--json", args->json, "print one JSON object");
  i->callback([&run, args] { run = [args] { return info(*args); }; });

  auto* e = app.add_subcommand("verify-equivocation",
                               "check an equivocation proof on its own; exit 0 only if it proves one");
  e->add_option("FILE", args->dir, "the proof (DIR/equivocation.json)")->required();
  e->callback([&run, args] { run = [args] { return verify_equivocation_file(*args); }; });

  auto* v = app.add_subcommand("verify", "re-verify every stored block and tree node");
  v->add_option("DIR", args->dir, "feed directory")->required();
  v->callback([&run, args] { run = [args] { return verify(*args); }; });
}

} // namespace dynfeed::cli

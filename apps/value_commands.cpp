/// dynfeed value create | put | verify: signed value feeds.

#include "apps/cli.hpp"
#include "apps/dht_support.hpp"

#include "dynfeed/control/control.hpp"

#include "dynfeed/base/hex.hpp"
#include "dynfeed/core/value_dir.hpp"
#include "dynfeed/feed/bep44.hpp"

#include <iostream>
#include <sstream>

namespace dynfeed::cli {

namespace {

struct value_args {
  std::string dir;
  std::string seed_hex;
  std::string value;
  std::string salt;
  std::string format;
  std::string key_hex;
  std::string seq;
  std::string value_hex;
  std::string sig_hex;
  std::vector<std::string> bootstrap;
  bool quiet_log = false;
};

bytes text_bytes(const std::string& text) {
  return bytes(text.begin(), text.end());
}

int create(const value_args& a) {
  auto kp = keypair_from_seed_option(a.seed_hex);
  if (!kp)
    return report(kp.error().context());
  auto dir = value_dir::create(a.dir, *kp);
  if (!dir)
    return report(dir.error());
  std::cout << to_hex(kp->pk) << '\n';
  return exit_ok;
}

/// What a put stored: the seq, and the writer's keys when --bootstrap needs them to sign the
/// BEP 44 item.
struct stored_value {
  uint64_t seq = 0;
  std::optional<keypair> keys;
};

/// Signs and stores the value as the feed's next seq: in the directory, or through the node
/// that holds it (whose directory still gives the secret key, for BEP 44).
expected<stored_value> store_value(const value_args& a, bool want_keys) {
  auto dir = value_dir::open(a.dir);
  if (!dir && dir.error().is(store_errc::locked)) {
    auto seq = control_put_value(a.dir, text_bytes(a.salt), text_bytes(a.value));
    if (!seq)
      return in_use(seq.error());
    stored_value out{*seq, std::nullopt};
    if (want_keys) {
      auto sk = store_dir::read_secret_key(a.dir);
      if (!sk)
        return sk.error();
      if (!*sk)
        return error{base_errc::invalid_argument, a.dir + " holds no secret key"};
      out.keys = keypair{(*sk)->embedded_public_key(), **sk};
    }
    return out;
  }
  if (!dir)
    return dir.error();
  auto stored = (*dir)->put(text_bytes(a.value), text_bytes(a.salt));
  if (!stored)
    return stored.error();
  stored_value out{stored->seq, std::nullopt};
  if (want_keys)
    out.keys = (*dir)->keys();
  return out;
}

/// "stored by N nodes[, refused by M (codes)][, T did not answer]".
std::string describe(const dht_put_outcome& o) {
  std::ostringstream out;
  out << "dht: stored by " << o.stored << (o.stored == 1 ? " node" : " nodes");
  if (!o.refused.empty()) {
    out << ", refused by " << o.refused.size() << " (";
    for (size_t i = 0; i < o.refused.size(); ++i)
      out << (i ? " " : "") << o.refused[i];
    out << ")";
  }
  if (o.timeouts > 0)
    out << ", " << o.timeouts << " did not answer";
  return out.str();
}

/// --bootstrap: the stored value as a BEP 44 mutable item (v = the value as a bencoded byte
/// string, the feed's seq), put to the DHT nodes closest to its target.
int publish(const value_args& a, const std::vector<endpoint>& bootstrap, const stored_value& s) {
  auto item = bep44::sign(*s.keys, text_bytes(a.salt), static_cast<int64_t>(s.seq),
                          bencode_string(text_bytes(a.value)));
  if (!item)
    return report(item.error());
  auto node = own_dht::start(bootstrap, !a.quiet_log);
  if (!node)
    return report("cannot open a UDP socket: " + node.error().context());
  constexpr dht_wait join_max{10'000};
  constexpr dht_wait put_max{60'000};
  if (auto joined = wait_for_nodes((*node)->actor(), join_max); !joined)
    (*node)->finish(report("dht: " + joined.error().context()));
  auto outcome = dht_put((*node)->actor(), *item, put_max);
  if (!outcome)
    (*node)->finish(report("dht: " + outcome.error().to_string()));
  std::cout << describe(*outcome) << '\n';
  if (outcome->stored == 0)
    (*node)->finish(report("dht: no node stored the value"));
  (*node)->finish(exit_ok);
}

int put(const value_args& a) {
  std::vector<endpoint> bootstrap;
  if (!a.bootstrap.empty()) {
    auto nodes = parse_bootstrap(a.bootstrap);
    if (!nodes)
      return report(nodes.error().context(), exit_usage);
    bootstrap = std::move(*nodes);
    // Refused before anything is stored: BEP 44 bounds v, the value once bencoded.
    size_t v_size = bencode_string(text_bytes(a.value)).size();
    if (v_size > value_limits{}.value_size_max)
      return report("with --bootstrap the value must fit BEP 44's "
                      + std::to_string(value_limits{}.value_size_max)
                      + " bytes once bencoded; it takes " + std::to_string(v_size),
                    exit_usage);
  }
  auto stored = store_value(a, !bootstrap.empty());
  if (!stored)
    return report(stored.error());
  std::cout << stored->seq << '\n' << std::flush;
  if (bootstrap.empty())
    return exit_ok;
  return publish(a, bootstrap, *stored);
}

/// A refused BEP 44 item: the reason and the code a BEP 44 node would answer with.
int report_bep44(const error& err) {
  return report(err.to_string() + " (BEP 44 error " + std::to_string(bep44_code(err)) + ")");
}

int verify_bep44(const value_args& a, const public_key& key, bytes value, const signature& sig) {
  auto seq = bep44::parse_seq(a.seq);
  if (!seq)
    return seq.error().is(value_errc::seq_out_of_range) ? report_bep44(seq.error())
                                                         : report(seq.error());
  bep44::mutable_item item{key, text_bytes(a.salt), *seq, std::move(value), sig};
  if (auto st = bep44::verify(item); !st)
    return report_bep44(st.error());
  std::cout << "valid\n";
  return exit_ok;
}

int verify_dynfeed(const value_args& a, const public_key& key, bytes value,
                   const signature& sig) {
  std::string message;
  auto seq = parse_u64(a.seq, "--seq", message);
  if (!seq)
    return report(message);
  signed_value sv{*seq, std::move(value), {value_signature{0, sig}}};
  if (auto st = verify_value(single_key_feed(key, text_bytes(a.salt)), sv); !st)
    return report(st.error());
  std::cout << "valid\n";
  return exit_ok;
}

int verify(const value_args& a) {
  auto key = fixed_from_hex<public_key>(a.key_hex);
  if (!key)
    return report("invalid --key: " + key.error().context());
  auto value = from_hex(a.value_hex);
  if (!value)
    return report("invalid --value: " + value.error().context());
  auto sig = fixed_from_hex<signature>(a.sig_hex);
  if (!sig)
    return report("invalid --sig: " + sig.error().context());
  if (a.format == "bep44")
    return verify_bep44(a, *key, std::move(*value), *sig);
  return verify_dynfeed(a, *key, std::move(*value), *sig);
}

} // namespace

void add_value_commands(CLI::App& app, command& run) {
  auto* value = app.add_subcommand("value", "signed value feeds: the latest value of a key");
  value->require_subcommand(1);
  auto args = std::make_shared<value_args>();

  auto* c = value->add_subcommand("create", "create a value writer in KEYDIR; prints its key");
  c->add_option("KEYDIR", args->dir, "directory for the key and values (must not exist or be "
                                     "empty)")
    ->required();
  c->add_option("--keypair-seed", args->seed_hex,
                "derive the keypair from this 32-byte seed (64 hex digits)");
  c->callback([&run, args] { run = [args] { return create(*args); }; });

  auto* p = value->add_subcommand(
    "put", "sign VALUE as the next seq of the feed (KEYDIR's key, --salt) and store it; prints "
           "the new seq");
  p->add_option("KEYDIR", args->dir, "directory made by `value create`")->required();
  p->add_option("VALUE", args->value, "the value, its text as given")->required();
  p->add_option("--salt", args->salt, "salt naming one of the key's value feeds (text)");
  p->add_option("--bootstrap", args->bootstrap,
                "also store it in the BitTorrent DHT as a BEP 44 mutable item, joining through "
                "this IPV4:PORT (repeatable; `public`: the public routers); prints how many "
                "nodes stored it");
  p->add_flag("--quiet", args->quiet_log, "with --bootstrap: do not log");
  p->callback([&run, args] { run = [args] { return put(*args); }; });

  auto* v = value->add_subcommand(
    "verify", "check one signed value; prints \"valid\", or the reason on stderr and exits 1");
  v->add_option("--format", args->format, "bep44 (BEP 44 mutable item) or dynfeed")
    ->required()
    ->check(CLI::IsMember({"bep44", "dynfeed"}));
  v->add_option("--key", args->key_hex, "the signer's public key (64 hex digits)")->required();
  v->add_option("--seq", args->seq, "the sequence number")->required();
  v->add_option("--salt", args->salt, "the salt (text)");
  v->add_option("--value", args->value_hex,
                "the value in hex: bencoded for bep44, the raw bytes for dynfeed")
    ->required();
  v->add_option("--sig", args->sig_hex, "the Ed25519 signature (128 hex digits)")->required();
  v->callback([&run, args] { run = [args] { return verify(*args); }; });

  add_value_network_commands(*value, run);
}

} // namespace dynfeed::cli

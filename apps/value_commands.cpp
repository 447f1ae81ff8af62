/// dynfeed value create | put | verify: signed value feeds.

#include "apps/cli.hpp"

#include "dynfeed/control/control.hpp"

#include "dynfeed/base/hex.hpp"
#include "dynfeed/core/value_dir.hpp"
#include "dynfeed/feed/bep44.hpp"

#include <iostream>

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

int put(const value_args& a) {
  auto dir = value_dir::open(a.dir);
  if (!dir && dir.error().is(store_errc::locked)) {
    // A node serving the directory holds its store: it signs and publishes the value.
    auto seq = control_put_value(a.dir, text_bytes(a.salt), text_bytes(a.value));
    if (!seq)
      return report(in_use(seq.error()));
    std::cout << *seq << '\n';
    return exit_ok;
  }
  if (!dir)
    return report(dir.error());
  auto stored = (*dir)->put(text_bytes(a.value), text_bytes(a.salt));
  if (!stored)
    return report(stored.error());
  std::cout << stored->seq << '\n';
  return exit_ok;
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

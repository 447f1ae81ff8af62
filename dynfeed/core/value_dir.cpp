#include "dynfeed/core/value_dir.hpp"

#include "dynfeed/feed/errc.hpp"
#include "dynfeed/storage/value_store.hpp"

#include <limits>

namespace dynfeed {

value_dir::value_dir(std::string path, std::unique_ptr<rocks_store> store,
                     std::optional<keypair> keys)
  : path_(std::move(path)), store_(std::move(store)), keys_(std::move(keys)) {}

expected<std::unique_ptr<value_dir>> value_dir::create(const std::string& dir, const keypair& kp,
                                                       const rocks_options& store_options) {
  if (auto st = crypto::check_keypair(kp.pk, kp.sk); !st)
    return std::move(st).error();
  auto store = store_dir::create(dir, &kp.sk, store_options);
  if (!store)
    return std::move(store).error();
  return std::unique_ptr<value_dir>(new value_dir(dir, std::move(*store), kp));
}

expected<std::unique_ptr<value_dir>> value_dir::open(const std::string& dir,
                                                     const rocks_options& store_options) {
  auto opened = store_dir::open(dir, store_options, "value");
  if (!opened)
    return std::move(opened).error();
  std::optional<keypair> keys;
  if (opened->sk) {
    // The key file holds seed || public key: re-deriving catches a damaged file.
    keys = keypair{opened->sk->embedded_public_key(), *opened->sk};
    if (auto st = crypto::check_keypair(keys->pk, keys->sk); !st)
      return error{store_errc::corrupt, secret_key_path(dir) + ": " + st.error().to_string()};
  }
  return std::unique_ptr<value_dir>(new value_dir(dir, std::move(opened->store), keys));
}

const keypair& value_dir::keys() const {
  DYNFEED_REQUIRE(writable());
  return *keys_;
}

value_feed_def value_dir::feed(bytes salt) const {
  return single_key_feed(keys().pk, std::move(salt));
}

expected<signed_value> value_dir::put(bytes value, bytes salt, const value_limits& limits) {
  if (!writable())
    return error{feed_errc::not_writable, path_ + " holds no secret key"};
  value_feed_def def = feed(std::move(salt));
  auto held = load_value_state(*store_, def);
  if (!held)
    return std::move(held).error();
  uint64_t seq = 1;
  if (held->current) {
    if (held->current->seq == std::numeric_limits<uint64_t>::max())
      return error{value_errc::stale_seq, "the held seq is the largest there is"};
    seq = held->current->seq + 1;
  }
  signed_value next = make_signed_value(def, seq, std::move(value), keys_->sk);
  auto decision = offer_value(*store_, def, *held, next, limits);
  if (!decision)
    return std::move(decision).error();
  if (decision->err)
    return std::move(decision->err);
  return next;
}

} // namespace dynfeed

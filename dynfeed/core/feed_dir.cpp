#include "dynfeed/core/feed_dir.hpp"

namespace dynfeed {

feed_dir::feed_dir(std::string path, std::unique_ptr<rocks_store> store,
                   std::unique_ptr<dynfeed::feed> feed)
  : path_(std::move(path)), store_(std::move(store)), feed_(std::move(feed)) {}

template <class MakeFeed>
expected<std::unique_ptr<feed_dir>> feed_dir::create_in(const std::string& dir,
                                                        const secret_key* sk,
                                                        rocks_options store_options,
                                                        MakeFeed make_feed) {
  auto store = store_dir::create(dir, sk, store_options);
  if (!store)
    return std::move(store).error();
  auto made = make_feed(**store);
  if (!made) {
    store->reset();
    store_dir::remove_new(dir);
    return std::move(made).error();
  }
  return std::unique_ptr<feed_dir>(new feed_dir(dir, std::move(*store), std::move(*made)));
}

expected<std::unique_ptr<feed_dir>> feed_dir::create(const std::string& dir, const keypair& kp,
                                                     const rocks_options& store_options,
                                                     const feed_options& options) {
  if (auto st = crypto::check_keypair(kp.pk, kp.sk); !st)
    return std::move(st).error();
  return create_in(
    dir, &kp.sk, store_options,
    [&](rocks_store& store) { return dynfeed::feed::create(store, kp, options); });
}

expected<std::unique_ptr<feed_dir>> feed_dir::create_reader(const std::string& dir,
                                                            const public_key& key,
                                                            const rocks_options& store_options,
                                                            const feed_options& options) {
  return create_in(
    dir, nullptr, store_options,
    [&](rocks_store& store) { return dynfeed::feed::create_reader(store, key, options); });
}

expected<std::unique_ptr<feed_dir>> feed_dir::open_reader(const std::string& dir,
                                                          const public_key& key,
                                                          const rocks_options& store_options,
                                                          const feed_options& options) {
  auto opened = store_dir::open(dir, store_options, "feed");
  if (!opened) {
    if (opened.error().is(store_errc::not_found))
      return create_reader(dir, key, store_options, options);
    return std::move(opened).error();
  }
  const std::optional<secret_key>& sk = opened->sk;
  auto made = dynfeed::feed::open(*opened->store, sk ? &*sk : nullptr, options);
  // A store without a feed and without a writer's key: the reader's creation was cut short.
  if (!made && made.error().is(store_errc::not_found) && !sk)
    made = dynfeed::feed::create_reader(*opened->store, key, options);
  if (!made)
    return std::move(made).error();
  if ((*made)->key() != key)
    return error{store_errc::already_exists, dir + " holds another feed"};
  return std::unique_ptr<feed_dir>(
    new feed_dir(dir, std::move(opened->store), std::move(*made)));
}

expected<std::unique_ptr<feed_dir>> feed_dir::open(const std::string& dir,
                                                   const rocks_options& store_options,
                                                   const feed_options& options) {
  auto opened = store_dir::open(dir, store_options, "feed");
  if (!opened)
    return std::move(opened).error();
  const std::optional<secret_key>& sk = opened->sk;
  auto made = dynfeed::feed::open(*opened->store, sk ? &*sk : nullptr, options);
  if (!made)
    return std::move(made).error();
  return std::unique_ptr<feed_dir>(
    new feed_dir(dir, std::move(opened->store), std::move(*made)));
}

} // namespace dynfeed

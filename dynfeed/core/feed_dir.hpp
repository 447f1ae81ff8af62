#pragma once

/// A feed in a directory (core/store_dir.hpp):
///
///     DIR/            mode 0700
///     DIR/db/         the RocksDB database: blocks, tree nodes, signed tree, bitfield
///     DIR/secret_key  the writer's Ed25519 secret key, mode 0600; absent for readers
///
/// The secret key lives only in that file, never in the database, so nothing that reads or
/// serves the database can reveal it; a key file that other users could read is refused.

#include "dynfeed/core/feed.hpp"
#include "dynfeed/core/store_dir.hpp"
#include "dynfeed/storage/rocks_store.hpp"

#include <memory>
#include <string>

namespace dynfeed {

class feed_dir {
public:
  /// Creates a writable feed in `dir`, which must not exist or be empty.
  static expected<std::unique_ptr<feed_dir>> create(const std::string& dir, const keypair& kp,
                                                    const rocks_options& store_options = {},
                                                    const feed_options& options = {});
  /// Creates a reader of `key` in `dir`, which must not exist or be empty.
  static expected<std::unique_ptr<feed_dir>> create_reader(const std::string& dir,
                                                           const public_key& key,
                                                           const rocks_options& store_options = {},
                                                           const feed_options& options = {});
  /// A reader of `key` in `dir`: the feed `dir` holds (already_exists if it is another key's),
  /// or a new one when `dir` does not exist, is empty, or holds a reader's store with no feed
  /// yet (what a clone killed while it made its store leaves; it resumes there).
  static expected<std::unique_ptr<feed_dir>> open_reader(const std::string& dir,
                                                         const public_key& key,
                                                         const rocks_options& store_options = {},
                                                         const feed_options& options = {});
  /// Opens the feed in `dir`; it is writable when `dir` holds the secret key.
  static expected<std::unique_ptr<feed_dir>> open(const std::string& dir,
                                                  const rocks_options& store_options = {},
                                                  const feed_options& options = {});

  dynfeed::feed& feed() noexcept { return *feed_; }
  const std::string& path() const noexcept { return path_; }

  static std::string db_path(const std::string& dir) { return store_dir::db_path(dir); }
  static std::string secret_key_path(const std::string& dir) {
    return store_dir::secret_key_path(dir);
  }

private:
  template <class MakeFeed>
  static expected<std::unique_ptr<feed_dir>> create_in(const std::string& dir, const secret_key* sk,
                                                       rocks_options store_options,
                                                       MakeFeed make_feed);
  feed_dir(std::string path, std::unique_ptr<rocks_store> store,
           std::unique_ptr<dynfeed::feed> feed);

  std::string path_;
  std::unique_ptr<rocks_store> store_;
  std::unique_ptr<dynfeed::feed> feed_;
};

} // namespace dynfeed

#pragma once

/// A value-feed writer in a directory (core/store_dir.hpp):
///
///     DIR/            mode 0700
///     DIR/db/         the RocksDB database: one record per value feed (storage/value_store.hpp)
///     DIR/secret_key  the writer's Ed25519 secret key, mode 0600; absent for readers
///
/// One key owns one value feed per salt; all of them live in the one database.

#include "dynfeed/core/store_dir.hpp"
#include "dynfeed/feed/signed_value.hpp"
#include "dynfeed/storage/rocks_store.hpp"

#include <memory>
#include <optional>
#include <string>

namespace dynfeed {

class value_dir {
public:
  /// Creates a writer's directory for `kp` in `dir`, which must not exist or be empty.
  static expected<std::unique_ptr<value_dir>> create(const std::string& dir, const keypair& kp,
                                                     const rocks_options& store_options = {});
  /// Opens the directory `dir`; it is writable when it holds the secret key.
  static expected<std::unique_ptr<value_dir>> open(const std::string& dir,
                                                   const rocks_options& store_options = {});

  bool writable() const noexcept { return keys_.has_value(); }
  /// The writer's keys; the directory must be writable.
  const keypair& keys() const;
  /// The writer's one-key feed with `salt`; the directory must be writable.
  value_feed_def feed(bytes salt) const;
  rocks_store& store() noexcept { return *store_; }
  const std::string& path() const noexcept { return path_; }

  /// Signs `value` as the next seq of the writer's feed with `salt` (1 for the first), runs the
  /// acceptance rules against the stored state and stores it. Returns the value as stored.
  expected<signed_value> put(bytes value, bytes salt, const value_limits& limits = {});

  static std::string db_path(const std::string& dir) { return store_dir::db_path(dir); }
  static std::string secret_key_path(const std::string& dir) {
    return store_dir::secret_key_path(dir);
  }

private:
  value_dir(std::string path, std::unique_ptr<rocks_store> store, std::optional<keypair> keys);

  std::string path_;
  std::unique_ptr<rocks_store> store_;
  std::optional<keypair> keys_;
};

} // namespace dynfeed

#pragma once

/// A directory that holds a RocksDB store and, for a writer, its secret key:
///
///     DIR/            mode 0700
///     DIR/db/         the RocksDB database
///     DIR/secret_key  the writer's Ed25519 secret key, mode 0600; absent for readers
///
/// feed_dir and value_dir are such directories. The secret key lives only in that file, never in
/// the database, so nothing that reads or serves the database can reveal it; a key file that
/// other users could read is refused.

#include "dynfeed/crypto/crypto.hpp"
#include "dynfeed/storage/rocks_store.hpp"

#include <memory>
#include <optional>
#include <string>

namespace dynfeed::store_dir {

inline std::string db_path(const std::string& dir) {
  return dir + "/db";
}
inline std::string secret_key_path(const std::string& dir) {
  return dir + "/secret_key";
}

/// Makes `dir`, which must not exist or be empty, with the secret key when `sk` is not null, and
/// creates its store. A failure leaves nothing behind.
expected<std::unique_ptr<rocks_store>> create(const std::string& dir, const secret_key* sk,
                                              rocks_options options);
/// Undoes a create() whose caller failed afterwards; the store must be closed first.
void remove_new(const std::string& dir);

/// The secret key in `dir`, nullopt if there is none (a reader's directory); a key file other
/// users could read is refused. It reads no store: it works while a node holds the directory.
expected<std::optional<secret_key>> read_secret_key(const std::string& dir);

struct opened {
  std::unique_ptr<rocks_store> store;
  std::optional<secret_key> sk; ///< present when the directory holds the secret key
};
/// Opens the store in `dir` and reads the secret key if there is one. `kind` names the directory
/// in errors ("feed" gives "DIR is not a feed directory").
expected<opened> open(const std::string& dir, rocks_options options, const char* kind);

} // namespace dynfeed::store_dir

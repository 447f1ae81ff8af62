#pragma once

/// While a node holds a feed directory (RocksDB lets one process open a store), other dynfeed
/// commands reach that feed through a Unix socket in the directory, DIR/control.sock (mode
/// 0600 inside the 0700 directory, so only the owner can use it).
///
/// One request per connection, all integers big-endian:
/// - "DFC1", u32 block count, then for each block a u32 size and its bytes: an append;
/// - "DFV1", u32 salt size, the salt, u32 value size, the value: the next value of a value feed
///   of the directory's key.
/// The node answers one line: "ok <new length or seq>" or "error <message>". Sizes are checked
/// against the limits before anything is read into memory.

#include "dynfeed/base/bytes.hpp"
#include "dynfeed/base/expected.hpp"
#include "dynfeed/feed/tree.hpp"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace dynfeed::cli {

std::string control_socket_path(const std::string& dir);

/// Serves the control socket on a thread of its own until destroyed. `append` runs the batch
/// and returns the new length.
class control_server {
public:
  using append_fn = std::function<expected<uint64_t>(std::vector<bytes>)>;
  using put_value_fn = std::function<expected<uint64_t>(bytes salt, bytes value)>;

  /// Either function may be empty: that kind of request is then refused.
  static expected<std::unique_ptr<control_server>> start(const std::string& dir,
                                                        const append_limits& limits,
                                                        append_fn append,
                                                        put_value_fn put_value = nullptr);
  ~control_server();

private:
  struct impl;
  explicit control_server(std::unique_ptr<impl> state);
  std::unique_ptr<impl> impl_;
};

/// Sends a batch to the node serving `dir`; returns the new length.
expected<uint64_t> control_append(const std::string& dir, const std::vector<bytes>& blocks);

/// Asks the node serving the value directory `dir` to sign and publish `value`; returns its seq.
expected<uint64_t> control_put_value(const std::string& dir, const bytes& salt, const bytes& value);

} // namespace dynfeed::cli

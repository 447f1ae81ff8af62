#pragma once

/// The control socket: while a node holds a directory (RocksDB lets one process open a store),
/// other processes reach the feed or value feed in it through a Unix socket in the directory,
/// DIR/control.sock (mode 0600; the server refuses a directory other users could write to, and
/// the client a socket other users could reach).
///
/// One request per connection, all integers big-endian:
/// - "DFC1", u32 block count, then for each block a u32 size and its bytes: an append;
/// - "DFV1", u32 salt size, the salt, u32 value size, the value: the next value of a value feed
///   of the directory's key;
/// - "DFT1", u32 high and u32 low half of the new length: a truncation (the answer is the new
///   fork).
/// The node answers one line: "ok <new length or seq>" or "error <message>". Every count and
/// size is checked against the limits before the bytes it announces are read into memory, and
/// a handler runs only once the whole request has arrived: a refused request changes nothing.

#include "dynfeed/base/bytes.hpp"
#include "dynfeed/base/expected.hpp"
#include "dynfeed/control/errc.hpp"
#include "dynfeed/feed/signed_value.hpp"
#include "dynfeed/feed/tree.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace dynfeed {

/// DIR/control.sock.
std::string control_socket_path(const std::string& dir);

/// What a control server accepts.
struct control_limits {
  append_limits append;
  /// Value requests: salts as a value feed takes them; values up to 64 KiB (a value feed may
  /// limit them further, and then refuses through its handler).
  uint64_t salt_size_max = value_limits{}.salt_size_max;
  uint64_t value_size_max = uint64_t{64} << 10;
  /// The server answers one connection at a time: a client silent for this long is dropped,
  /// so that one stalled client cannot hold the socket.
  uint32_t idle_ms_max = 10'000;
};

/// Serves DIR/control.sock on a thread of its own until destroyed (which removes the socket).
class control_server {
public:
  using append_fn = std::function<expected<uint64_t>(std::vector<bytes>)>;
  using put_value_fn = std::function<expected<uint64_t>(bytes salt, bytes value)>;
  using truncate_fn = std::function<expected<uint64_t>(uint64_t length)>;

  /// What the server does with each kind of request; an empty function refuses that kind.
  struct handlers {
    append_fn append;       ///< runs the batch, returns the new length
    put_value_fn put_value; ///< signs and publishes the value, returns its seq
    truncate_fn truncate = nullptr; ///< truncates the feed, returns the new fork
  };

  /// Binds DIR/control.sock. Refuses a directory other users may write to (they could swap the
  /// socket), a path that exists and is no socket, and a socket a live server answers on; a
  /// stale socket (left by a killed node: nobody answers) is replaced.
  static expected<std::unique_ptr<control_server>> start(const std::string& dir,
                                                        const control_limits& limits,
                                                        handlers on);
  ~control_server();
  control_server(const control_server&) = delete;
  control_server& operator=(const control_server&) = delete;

private:
  struct impl;
  explicit control_server(std::unique_ptr<impl> state);
  std::unique_ptr<impl> impl_;
};

/// Sends a batch to the node serving `dir`; returns the new length.
expected<uint64_t> control_append(const std::string& dir, const std::vector<bytes>& blocks);

/// Asks the node serving `dir` to truncate its feed to `length` blocks; returns the new fork.
expected<uint64_t> control_truncate(const std::string& dir, uint64_t length);

/// Asks the node serving the value directory `dir` to sign and publish `value`; returns its seq.
expected<uint64_t> control_put_value(const std::string& dir, const bytes& salt, const bytes& value);

} // namespace dynfeed

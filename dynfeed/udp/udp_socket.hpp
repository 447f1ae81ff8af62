#pragma once

/// A UDP socket for the node (IPv4), without CAF: what its discovery components (the tracker
/// client and server, the DHT) send and receive datagrams through. It implements
/// datagram_socket (proto/datagram.hpp), so a component uses it as it uses the simulator's.
///
/// Sending never blocks: a datagram the kernel has no room for is dropped and counted, as the
/// network would drop it. Receiving runs on the socket's own thread, which calls the receive
/// callback once per datagram; datagrams larger than datagram_size_max are dropped and
/// counted. close() (and the destructor) stops that thread: once it returns, the callback
/// never runs again.

#include "dynfeed/base/expected.hpp"
#include "dynfeed/component/datagram.hpp"
#include "dynfeed/udp.hpp"

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <thread>

namespace dynfeed {

/// What a socket did, for logs and tests (a snapshot; the counters keep running).
struct udp_socket_stats {
  uint64_t sent = 0;
  uint64_t send_dropped = 0;  ///< the kernel's buffer was full
  uint64_t send_refused = 0;  ///< larger than datagram_size_max, or the socket is closed
  uint64_t send_failed = 0;   ///< any other error of the operating system
  uint64_t received = 0;
  uint64_t received_oversized = 0; ///< dropped: larger than datagram_size_max
  uint64_t receive_failed = 0;     ///< errors of the operating system while receiving
};

class udp_socket final : public datagram_socket {
public:
  /// Runs on the socket's receiving thread, one datagram at a time; must not throw, and must
  /// not close or destroy the socket. `from` is the sender's address as the network gave it.
  using receive_fn = std::function<void(const endpoint& from, bytes datagram)>;

  /// Opens a socket bound to `local` (ip 0: every interface; port 0: one the system picks) and
  /// starts receiving. An error (base_errc::io_error) names the call that failed and why.
  static expected<std::unique_ptr<udp_socket>> open(const endpoint& local, receive_fn on_receive,
                                                    const udp_options& options = {});

  ~udp_socket() override;
  udp_socket(const udp_socket&) = delete;
  udp_socket& operator=(const udp_socket&) = delete;

  /// Safe from any thread, the receive callback's included.
  void send_to(const endpoint& to, bytes datagram) override;
  /// The bound address (with the picked port).
  endpoint local() const override { return local_; }

  /// Stops receiving and closes the socket; idempotent and safe from any thread but the
  /// receiving one. Sends after it are refused.
  void close();

  udp_socket_stats stats() const;

private:
  udp_socket(int fd, int wake_read, int wake_write, endpoint local, receive_fn on_receive);
  void receive_loop();
  /// Receives what is queued, up to a batch; false when the socket failed for good.
  bool drain(bytes& buffer);

  int fd_;                   ///< -1 once closed; guarded by fd_mutex_
  const int wake_read_;      ///< a pipe: close() writes a byte to stop the receiving thread
  const int wake_write_;
  const endpoint local_;
  const receive_fn on_receive_;
  mutable std::shared_mutex fd_mutex_; ///< senders share it; close() takes it alone
  std::mutex close_mutex_;
  bool closed_ = false; ///< guarded by close_mutex_
  std::thread receiver_;

  std::atomic<uint64_t> sent_{0};
  std::atomic<uint64_t> send_dropped_{0};
  std::atomic<uint64_t> send_refused_{0};
  std::atomic<uint64_t> send_failed_{0};
  std::atomic<uint64_t> received_{0};
  std::atomic<uint64_t> received_oversized_{0};
  std::atomic<uint64_t> receive_failed_{0};
};

} // namespace dynfeed

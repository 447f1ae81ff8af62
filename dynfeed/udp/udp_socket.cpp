#include "dynfeed/udp/udp_socket.hpp"

#include "dynfeed/base/assert.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <system_error>

namespace dynfeed {

namespace {

/// Datagrams received in one go before the receiving thread looks for close() again.
constexpr int receive_batch_max = 64;

error os_error(const std::string& what, int code) {
  return error{base_errc::io_error,
               "udp: " + what + ": " + std::error_code(code, std::system_category()).message()};
}

bool set_flags(int fd) {
  int fl = ::fcntl(fd, F_GETFL);
  int fd_flags = ::fcntl(fd, F_GETFD);
  return fl >= 0 && fd_flags >= 0 && ::fcntl(fd, F_SETFL, fl | O_NONBLOCK) == 0
         && ::fcntl(fd, F_SETFD, fd_flags | FD_CLOEXEC) == 0;
}

sockaddr_in to_sockaddr(const endpoint& e) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(e.port);
  addr.sin_addr.s_addr = htonl(e.ip);
  return addr;
}

/// Opens and binds the socket; the descriptor, or the error with the call that failed.
expected<int> open_bound(const endpoint& local, const udp_options& options) {
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0)
    return os_error("socket", errno);
  auto fail = [&](const std::string& what) {
    int code = errno;
    ::close(fd);
    return os_error(what, code);
  };
  if (!set_flags(fd))
    return fail("fcntl");
  if (options.receive_buffer_size > 0
      && ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &options.receive_buffer_size, sizeof(int)) != 0)
    return fail("SO_RCVBUF");
  if (options.send_buffer_size > 0
      && ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &options.send_buffer_size, sizeof(int)) != 0)
    return fail("SO_SNDBUF");
  sockaddr_in addr = to_sockaddr(local);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0)
    return fail("bind " + local.to_string());
  return fd;
}

} // namespace

expected<std::unique_ptr<udp_socket>> udp_socket::open(const endpoint& local, receive_fn on_receive,
                                                       const udp_options& options) {
  DYNFEED_REQUIRE(static_cast<bool>(on_receive));
  auto fd = open_bound(local, options);
  if (!fd)
    return std::move(fd).error();
  sockaddr_in bound{};
  socklen_t size = sizeof bound;
  int wake[2] = {-1, -1};
  if (::getsockname(*fd, reinterpret_cast<sockaddr*>(&bound), &size) != 0 || ::pipe(wake) != 0) {
    int code = errno;
    ::close(*fd);
    return os_error("getsockname or pipe", code);
  }
  if (!set_flags(wake[0]) || !set_flags(wake[1])) {
    int code = errno;
    ::close(*fd);
    ::close(wake[0]);
    ::close(wake[1]);
    return os_error("fcntl", code);
  }
  endpoint actual{ntohl(bound.sin_addr.s_addr), ntohs(bound.sin_port)};
  std::unique_ptr<udp_socket> s{new udp_socket(*fd, wake[0], wake[1], actual, std::move(on_receive))};
  try {
    s->receiver_ = std::thread([raw = s.get()] { raw->receive_loop(); });
  } catch (const std::system_error& e) {
    return error{base_errc::io_error, std::string{"udp: cannot start the receiving thread: "} + e.what()};
  }
  return s;
}

udp_socket::udp_socket(int fd, int wake_read, int wake_write, endpoint local, receive_fn on_receive)
  : fd_(fd), wake_read_(wake_read), wake_write_(wake_write), local_(local),
    on_receive_(std::move(on_receive)) {}

udp_socket::~udp_socket() {
  close();
}

void udp_socket::close() {
  std::lock_guard<std::mutex> guard(close_mutex_);
  if (closed_)
    return;
  closed_ = true;
  if (receiver_.joinable()) {
    // From the callback, the join below would wait for itself.
    DYNFEED_REQUIRE(std::this_thread::get_id() != receiver_.get_id());
    const uint8_t stop = 1;
    ssize_t n;
    do
      n = ::write(wake_write_, &stop, 1);
    while (n < 0 && errno == EINTR);
    DYNFEED_ASSERT(n == 1); // an empty pipe always takes one byte
    receiver_.join();
  }
  {
    std::unique_lock<std::shared_mutex> lock(fd_mutex_); // no send is using the descriptor
    ::close(fd_);
    fd_ = -1;
  }
  ::close(wake_read_);
  ::close(wake_write_);
}

void udp_socket::send_to(const endpoint& to, bytes datagram) {
  if (datagram.size() > datagram_size_max) {
    ++send_refused_;
    return;
  }
  std::shared_lock<std::shared_mutex> lock(fd_mutex_);
  if (fd_ < 0) {
    ++send_refused_;
    return;
  }
  sockaddr_in addr = to_sockaddr(to);
  ssize_t n;
  do
    n = ::sendto(fd_, datagram.data(), datagram.size(), MSG_DONTWAIT | MSG_NOSIGNAL,
                 reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  while (n < 0 && errno == EINTR);
  if (n >= 0)
    ++sent_;
  else if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)
    ++send_dropped_;
  else
    ++send_failed_;
}

void udp_socket::receive_loop() {
  // One byte more than the largest datagram: a datagram that fills it is too large.
  bytes buffer(datagram_size_max + 1);
  pollfd fds[2] = {{fd_, POLLIN, 0}, {wake_read_, POLLIN, 0}};
  for (;;) {
    int n = ::poll(fds, 2, -1);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      ++receive_failed_;
      return; // poll itself failing is not something to retry in a loop
    }
    if (fds[1].revents != 0)
      return; // close()
    if (fds[0].revents != 0 && !drain(buffer))
      return;
  }
}

bool udp_socket::drain(bytes& buffer) {
  for (int i = 0; i < receive_batch_max; ++i) {
    sockaddr_in from{};
    iovec iov{buffer.data(), buffer.size()};
    msghdr m{};
    m.msg_name = &from;
    m.msg_namelen = sizeof from;
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    ssize_t n = ::recvmsg(fd_, &m, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK)
        return true;
      if (errno == EINTR)
        continue;
      ++receive_failed_;
      // A pending error (an ICMP report) is cleared by reading it; anything else is fatal.
      int pending = 0;
      socklen_t size = sizeof pending;
      return ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &pending, &size) == 0;
    }
    if ((m.msg_flags & MSG_TRUNC) != 0 || static_cast<size_t>(n) > datagram_size_max) {
      ++received_oversized_;
      continue;
    }
    if (from.sin_family != AF_INET)
      continue;
    ++received_;
    on_receive_(endpoint{ntohl(from.sin_addr.s_addr), ntohs(from.sin_port)},
                bytes(buffer.begin(), buffer.begin() + n));
  }
  return true;
}

namespace {

class udp_transport final : public datagram_transport {
public:
  explicit udp_transport(const udp_options& options) : options_(options) {}

  expected<std::unique_ptr<datagram_socket>> open(const endpoint& local,
                                                  receive_fn on_receive) override {
    auto opened = udp_socket::open(local, std::move(on_receive), options_);
    if (!opened)
      return std::move(opened).error();
    return std::unique_ptr<datagram_socket>{std::move(*opened)};
  }

private:
  udp_options options_;
};

} // namespace

std::shared_ptr<datagram_transport> make_udp_transport(const udp_options& options) {
  return std::make_shared<udp_transport>(options);
}

udp_socket_stats udp_socket::stats() const {
  udp_socket_stats s;
  s.sent = sent_;
  s.send_dropped = send_dropped_;
  s.send_refused = send_refused_;
  s.send_failed = send_failed_;
  s.received = received_;
  s.received_oversized = received_oversized_;
  s.receive_failed = receive_failed_;
  return s;
}

} // namespace dynfeed

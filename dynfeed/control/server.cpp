#include "dynfeed/control/control.hpp"

#include "dynfeed/control/protocol.hpp"
#include "dynfeed/control/socket_io.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

namespace dynfeed {

using namespace control_detail;

namespace {

/// Reads a request from a connected socket.
class fd_reader : public byte_reader {
public:
  explicit fd_reader(int fd) : fd_(fd) {}
  bool read(void* out, size_t size) override { return read_all(fd_, out, size); }

private:
  int fd_;
};

} // namespace

std::string control_socket_path(const std::string& dir) {
  return dir + "/control.sock";
}

struct control_server::impl {
  int fd = -1;
  std::string path;
  control_limits limits;
  handlers on;
  std::thread thread;

  /// Reads one whole request and runs its handler; a refusal returns before any handler runs.
  expected<uint64_t> answer(int client) {
    fd_reader in{client};
    auto kind = read_kind(in, limits);
    if (!kind)
      return kind.error();
    if (*kind == request_kind::append) {
      if (!on.append)
        return error{control_errc::not_served, "this directory holds a value feed: no appends"};
      auto blocks = read_append(in, limits);
      if (!blocks)
        return blocks.error();
      return on.append(std::move(*blocks));
    }
    if (*kind == request_kind::truncate) {
      if (!on.truncate)
        return error{control_errc::not_served, "this directory holds a value feed: no truncation"};
      auto length = read_truncate(in, limits);
      if (!length)
        return length.error();
      return on.truncate(*length);
    }
    if (!on.put_value)
      return error{control_errc::not_served, "this directory holds a feed: no values"};
    auto request = read_value(in, limits);
    if (!request)
      return request.error();
    return on.put_value(std::move(request->salt), std::move(request->value));
  }

  void serve() {
    for (;;) {
      int client = ::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) {
        if (errno == EINTR || errno == ECONNABORTED)
          continue;
        return; // the listening socket was shut down
      }
      set_receive_timeout(client, limits.idle_ms_max);
      auto result = answer(client);
      std::string reply = result ? "ok " + std::to_string(*result) + "\n"
                                 : "error " + result.error().to_string() + "\n";
      send_all(client, reply.data(), reply.size()); // a client that left misses its answer
      ::close(client);
    }
  }
};

namespace {

/// Refuses a directory whose socket other users could replace.
error check_directory(const std::string& dir) {
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0)
    return io_failure("cannot stat " + dir);
  if (!S_ISDIR(st.st_mode))
    return error{control_errc::bad_argument, dir + " is not a directory"};
  if (st.st_uid != ::geteuid() || (st.st_mode & 022) != 0)
    return error{control_errc::unsafe_socket,
                 dir + " can be written by other users, who could replace its control socket; "
                       "chmod 700 it"};
  return {};
}

/// Clears the way for a new socket at `path`: removes a stale one, refuses anything else.
error clear_path(const std::string& dir, const std::string& path, const sockaddr_un& addr) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0)
    return errno == ENOENT ? error{} : io_failure("cannot stat " + path);
  if (!S_ISSOCK(st.st_mode))
    return error{control_errc::unsafe_socket, path + " exists and is not a socket; not replacing it"};
  int probe = connect_to(addr);
  if (probe >= 0) {
    ::close(probe);
    return error{control_errc::in_use, "a node already serves " + dir + " on " + path};
  }
  if (errno != ECONNREFUSED)
    return io_failure("cannot probe " + path);
  if (::unlink(path.c_str()) != 0) // stale: its node was killed
    return io_failure("cannot remove the stale socket " + path);
  return {};
}

/// A listening socket at `path`, mode 0600.
expected<int> listen_at(const std::string& path, const sockaddr_un& addr) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return io_failure("socket");
  // The socket is created with the umask's mode: never let it be reachable for a moment.
  mode_t old = ::umask(077);
  int bound = ::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr));
  ::umask(old);
  if (bound != 0 || ::chmod(path.c_str(), 0600) != 0 || ::listen(fd, 16) != 0) {
    error err = io_failure("cannot serve " + path);
    ::close(fd);
    return err;
  }
  return fd;
}

} // namespace

control_server::control_server(std::unique_ptr<impl> state) : impl_(std::move(state)) {}

control_server::~control_server() {
  ::shutdown(impl_->fd, SHUT_RDWR);
  ::close(impl_->fd);
  if (impl_->thread.joinable())
    impl_->thread.join();
  ::unlink(impl_->path.c_str());
}

expected<std::unique_ptr<control_server>> control_server::start(const std::string& dir,
                                                               const control_limits& limits,
                                                               handlers on) {
  std::string path = control_socket_path(dir);
  auto addr = address_of(path);
  if (!addr)
    return addr.error();
  if (auto err = check_directory(dir))
    return err;
  if (auto err = clear_path(dir, path, *addr))
    return err;
  auto fd = listen_at(path, *addr);
  if (!fd)
    return fd.error();
  auto state = std::make_unique<impl>();
  state->fd = *fd;
  state->path = path;
  state->limits = limits;
  state->on = std::move(on);
  impl* raw = state.get();
  state->thread = std::thread([raw] { raw->serve(); });
  return std::unique_ptr<control_server>(new control_server(std::move(state)));
}

} // namespace dynfeed

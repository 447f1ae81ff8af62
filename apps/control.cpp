#include "apps/control.hpp"

#include <cerrno>
#include <cstring>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <thread>
#include <unistd.h>

namespace dynfeed::cli {

namespace {

constexpr char append_magic[4] = {'D', 'F', 'C', '1'};
constexpr char value_magic[4] = {'D', 'F', 'V', '1'};
/// Salts and values of the control socket's value requests; value feeds limit them further.
constexpr uint32_t salt_size_max = 64;
constexpr uint32_t value_size_max = 64 * 1024;

error io_failure(const std::string& what) {
  return error{base_errc::io_error, what + ": " + std::strerror(errno)};
}

bool read_all(int fd, void* out, size_t size) {
  auto* p = static_cast<uint8_t*>(out);
  while (size > 0) {
    ssize_t n = ::read(fd, p, size);
    if (n <= 0) {
      if (n < 0 && errno == EINTR)
        continue;
      return false;
    }
    p += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

bool write_all(int fd, const void* data, size_t size) {
  auto* p = static_cast<const uint8_t*>(data);
  while (size > 0) {
    ssize_t n = ::write(fd, p, size);
    if (n <= 0) {
      if (n < 0 && errno == EINTR)
        continue;
      return false;
    }
    p += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

bool read_u32(int fd, uint32_t& v) {
  uint8_t b[4];
  if (!read_all(fd, b, 4))
    return false;
  v = (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3];
  return true;
}

void put_u32(bytes& out, uint32_t v) {
  out.push_back(static_cast<uint8_t>(v >> 24));
  out.push_back(static_cast<uint8_t>(v >> 16));
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}

sockaddr_un address_of(const std::string& path, bool& fits) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  fits = path.size() < sizeof(addr.sun_path);
  if (fits)
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  return addr;
}

/// Reads a u32 size (at most `max`) and that many bytes.
expected<bytes> read_sized(int fd, uint32_t max, const char* what) {
  uint32_t size = 0;
  if (!read_u32(fd, size))
    return error{base_errc::invalid_argument, "truncated request"};
  if (size > max)
    return error{base_errc::invalid_argument, std::string{what} + " of " + std::to_string(size)
                                                + " bytes is over " + std::to_string(max)};
  bytes out(size);
  if (!read_all(fd, out.data(), size))
    return error{base_errc::invalid_argument, "truncated request"};
  return out;
}

/// Reads an append's blocks (after its magic), checking every size before it reads the bytes
/// it announces.
expected<std::vector<bytes>> read_append(int fd, const append_limits& limits) {
  uint32_t count = 0;
  if (!read_u32(fd, count))
    return error{base_errc::invalid_argument, "not a control request"};
  if (count == 0 || count > limits.block_count_max)
    return error{base_errc::invalid_argument, "bad block count " + std::to_string(count)};
  std::vector<bytes> blocks(count);
  uint64_t total = 0;
  for (bytes& block : blocks) {
    uint32_t size = 0;
    if (!read_u32(fd, size))
      return error{base_errc::invalid_argument, "truncated request"};
    total += size;
    if (size > limits.block_size_max || total > limits.batch_size_max)
      return error{base_errc::invalid_argument, "block of " + std::to_string(size)
                                                  + " bytes exceeds the block size limit"};
    block.resize(size);
    if (!read_all(fd, block.data(), size))
      return error{base_errc::invalid_argument, "truncated request"};
  }
  return blocks;
}

} // namespace

std::string control_socket_path(const std::string& dir) {
  return dir + "/control.sock";
}

struct control_server::impl {
  int fd = -1;
  std::string path;
  append_limits limits;
  append_fn append;
  put_value_fn put_value;
  std::thread thread;

  static std::string reply_of(const expected<uint64_t>& result) {
    return result ? "ok " + std::to_string(*result) + "\n"
                  : "error " + result.error().to_string() + "\n";
  }

  std::string answer(int client) {
    char got[4];
    if (!read_all(client, got, 4))
      return "error not a control request\n";
    if (std::memcmp(got, append_magic, 4) == 0 && append) {
      auto blocks = read_append(client, limits);
      if (!blocks)
        return reply_of(blocks.error());
      return reply_of(append(std::move(*blocks)));
    }
    if (std::memcmp(got, value_magic, 4) == 0 && put_value) {
      auto salt = read_sized(client, salt_size_max, "salt");
      if (!salt)
        return reply_of(salt.error());
      auto value = read_sized(client, value_size_max, "value");
      if (!value)
        return reply_of(value.error());
      return reply_of(put_value(std::move(*salt), std::move(*value)));
    }
    return "error this node does not take that request here\n";
  }

  void serve() {
    for (;;) {
      int client = ::accept(fd, nullptr, nullptr);
      if (client < 0) {
        if (errno == EINTR)
          continue;
        return; // the listening socket was shut down
      }
      std::string reply = answer(client);
      write_all(client, reply.data(), reply.size());
      ::close(client);
    }
  }
};

control_server::control_server(std::unique_ptr<impl> state) : impl_(std::move(state)) {}

control_server::~control_server() {
  ::shutdown(impl_->fd, SHUT_RDWR);
  ::close(impl_->fd);
  if (impl_->thread.joinable())
    impl_->thread.join();
  ::unlink(impl_->path.c_str());
}

expected<std::unique_ptr<control_server>> control_server::start(const std::string& dir,
                                                               const append_limits& limits,
                                                               append_fn append,
                                                               put_value_fn put_value) {
  auto state = std::make_unique<impl>();
  state->path = control_socket_path(dir);
  state->limits = limits;
  state->append = std::move(append);
  state->put_value = std::move(put_value);
  bool fits = false;
  sockaddr_un addr = address_of(state->path, fits);
  if (!fits)
    return error{base_errc::invalid_argument, "path too long for a socket: " + state->path};
  ::unlink(state->path.c_str()); // a stale socket from a node that was killed
  state->fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (state->fd < 0)
    return io_failure("socket");
  mode_t old = ::umask(077);
  int bound = ::bind(state->fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  ::umask(old);
  if (bound != 0 || ::listen(state->fd, 16) != 0) {
    ::close(state->fd);
    return io_failure("binding " + state->path);
  }
  impl* raw = state.get();
  state->thread = std::thread([raw] { raw->serve(); });
  return std::unique_ptr<control_server>(new control_server(std::move(state)));
}

namespace {

/// Sends `request` to the node serving `dir` and parses its one-line answer.
expected<uint64_t> send_request(const std::string& dir, const bytes& request) {
  bool fits = false;
  std::string path = control_socket_path(dir);
  sockaddr_un addr = address_of(path, fits);
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (!fits || fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    if (fd >= 0)
      ::close(fd);
    return error{base_errc::io_error, "the store is in use and no node answers on " + path};
  }
  bool sent = write_all(fd, request.data(), request.size());
  std::string reply;
  char c;
  while (sent && reply.size() < 4096 && ::read(fd, &c, 1) == 1 && c != '\n')
    reply += c;
  ::close(fd);
  if (reply.rfind("ok ", 0) == 0)
    return std::stoull(reply.substr(3));
  if (reply.rfind("error ", 0) == 0)
    return error{base_errc::io_error, "the node refused: " + reply.substr(6)};
  return error{base_errc::io_error, "no answer from the node on " + path};
}

} // namespace

expected<uint64_t> control_append(const std::string& dir, const std::vector<bytes>& blocks) {
  bytes request(append_magic, append_magic + 4);
  put_u32(request, static_cast<uint32_t>(blocks.size()));
  for (const bytes& block : blocks) {
    put_u32(request, static_cast<uint32_t>(block.size()));
    request.insert(request.end(), block.begin(), block.end());
  }
  return send_request(dir, request);
}

expected<uint64_t> control_put_value(const std::string& dir, const bytes& salt, const bytes& value) {
  bytes request(value_magic, value_magic + 4);
  put_u32(request, static_cast<uint32_t>(salt.size()));
  request.insert(request.end(), salt.begin(), salt.end());
  put_u32(request, static_cast<uint32_t>(value.size()));
  request.insert(request.end(), value.begin(), value.end());
  return send_request(dir, request);
}

} // namespace dynfeed::cli

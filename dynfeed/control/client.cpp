#include "dynfeed/control/control.hpp"

#include "dynfeed/control/protocol.hpp"
#include "dynfeed/control/socket_io.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

namespace dynfeed {

using namespace control_detail;

namespace {

/// How long a client waits for the node's answer: the node may be busy writing a large batch.
constexpr uint32_t reply_wait_ms_max = 120'000;

/// Refuses to talk to a socket other users could have made or could reach: the request would
/// go to (or be seen by) someone else.
error check_socket(const std::string& dir, const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT)
      return error{control_errc::no_node, "no node serves " + dir + " (no " + path + ")"};
    return io_failure("cannot stat " + path);
  }
  if (!S_ISSOCK(st.st_mode))
    return error{control_errc::unsafe_socket, path + " is not a socket"};
  if (st.st_uid != ::geteuid() || (st.st_mode & 077) != 0)
    return error{control_errc::unsafe_socket,
                 path + " can be reached by other users (or is theirs); refusing to use it"};
  return {};
}

/// Sends `request` to the node serving `dir` and parses its one-line answer.
expected<uint64_t> send_request(const std::string& dir, const bytes& request) {
  std::string path = control_socket_path(dir);
  auto addr = address_of(path);
  if (!addr)
    return addr.error();
  if (auto err = check_socket(dir, path))
    return err;
  int fd = connect_to(*addr);
  if (fd < 0) {
    if (errno == ECONNREFUSED)
      return error{control_errc::no_node, "no node answers on " + path + " (a stale socket)"};
    return io_failure("cannot connect to " + path);
  }
  set_receive_timeout(fd, reply_wait_ms_max);
  // A node that refuses early closes before reading everything: its answer still counts.
  send_all(fd, request.data(), request.size());
  ::shutdown(fd, SHUT_WR);
  std::string reply;
  char c = 0;
  bool ended = false;
  while (reply.size() < reply_size_max && ::read(fd, &c, 1) == 1) {
    if (c == '\n') {
      ended = true;
      break;
    }
    reply += c;
  }
  ::close(fd);
  if (!ended)
    return error{control_errc::no_answer, "the node on " + path + " closed without an answer"};
  return parse_reply(reply, path);
}

} // namespace

expected<uint64_t> control_append(const std::string& dir, const std::vector<bytes>& blocks) {
  if (blocks.empty())
    return error{control_errc::bad_argument, "an append needs at least one block"};
  for (const bytes& block : blocks)
    if (block.size() > UINT32_MAX)
      return error{control_errc::too_large, "a block of " + std::to_string(block.size())
                                              + " bytes does not fit the request format"};
  return send_request(dir, encode_append(blocks));
}

expected<uint64_t> control_truncate(const std::string& dir, uint64_t length) {
  return send_request(dir, encode_truncate(length));
}

expected<uint64_t> control_put_value(const std::string& dir, const bytes& salt, const bytes& value) {
  if (salt.size() > UINT32_MAX || value.size() > UINT32_MAX)
    return error{control_errc::too_large, "the salt or value does not fit the request format"};
  return send_request(dir, encode_value(salt, value));
}

} // namespace dynfeed

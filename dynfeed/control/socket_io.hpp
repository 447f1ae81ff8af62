#pragma once

/// Blocking I/O on the control socket, shared by its server and its client: internal to
/// dynfeed/control, not part of the API (the protocol is in control.hpp).

#include "dynfeed/base/bytes.hpp"
#include "dynfeed/base/expected.hpp"

#include <sys/un.h>

#include <cstdint>
#include <string>

namespace dynfeed::control_detail {

/// The longest reply line a client reads.
inline constexpr size_t reply_size_max = 4096;

/// Reads exactly `size` bytes; false on end of stream, error or receive timeout.
bool read_all(int fd, void* out, size_t size);
/// Writes all of `size` bytes; false if the peer is gone (never raises SIGPIPE).
bool send_all(int fd, const void* data, size_t size);

/// Makes reads on `fd` fail after `ms` without data.
void set_receive_timeout(int fd, uint32_t ms);

/// The address of `path`, or an error if it is too long for a Unix socket.
expected<sockaddr_un> address_of(const std::string& path);

/// A connected stream socket to `path`, or -1 with errno set.
int connect_to(const sockaddr_un& addr);

/// An error of base_errc::io_error naming `what` and errno's message.
error io_failure(const std::string& what);

} // namespace dynfeed::control_detail

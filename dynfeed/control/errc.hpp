#pragma once

/// The control socket's error codes (category "control"): every refusal of a request, on the
/// server's side and on the client's.

#include "dynfeed/base/error.hpp"

#include <cstdint>

namespace dynfeed {

enum class control_errc : uint8_t {
  not_a_request = 1, ///< the request does not start with a known magic (an unknown command)
  truncated,         ///< the request ended (or stalled) before the bytes it announced
  too_large,         ///< a count or size is over the server's limits
  bad_argument,      ///< a field is out of range (no blocks), or a path cannot be a socket
  not_served,        ///< this server does not take that kind of request
  unsafe_socket,     ///< other users could reach or replace the socket, or it is no socket
  in_use,            ///< another node already serves the directory
  no_node,           ///< no node answers: no socket, or a stale one left by a killed node
  refused,           ///< the node answered with an error
  no_answer,         ///< the node closed the connection or answered something unreadable
};
const error_category& category_of(control_errc) noexcept;

} // namespace dynfeed

#pragma once

/// TCP transport on CAF's I/O layer. Every connection is one broker that runs the Noise XX
/// secure channel (net/secure_channel.hpp) and, once the handshake is done, asks the node for
/// the peer that speaks through it; frames then flow peer <-> broker <-> socket.

#include "dynfeed/actors/node.hpp"
#include "dynfeed/component/component.hpp"
#include "dynfeed/crypto/noise.hpp"
#include "dynfeed/tcp.hpp"

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/expected.hpp>

#include <string>

namespace dynfeed {

/// Splits "host:port"; false if it is not one.
bool parse_address(const std::string& address, std::string& host, uint16_t& port);

} // namespace dynfeed

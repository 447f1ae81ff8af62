#pragma once

/// Hosts a datagram component (a DHT node, a tracker client or server: proto/datagram.hpp) in
/// a CAF actor, with the socket it owns. The socket receives on a thread of its own; each
/// datagram becomes a (datagram, ip, port, bytes) message to the actor, so the component stays
/// single-threaded like every other. The actor closes the socket when it terminates.
///
/// The actor's messages, besides the frames and timers of every component actor:
/// - (announce_port, uint16_t): discovery_component::set_announce_port
/// - (info) -> discovery_stats: the component's counters (a discovery component's only)
/// - (run, datagram_task): runs the task with the component and its context, in the actor like
///   every handler; a tool's way to call the component's own API (the command line's DHT get,
///   put and routing table). Within one process only.

#include "dynfeed/actors/component_actor.hpp"
#include "dynfeed/discovery/discovery.hpp"

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/typed_actor.hpp>

#include <functional>
#include <memory>

namespace dynfeed {

/// A hosted datagram component, as discovery_actor: its counters, and the announced port.
using discovery_actor = caf::typed_actor<caf::replies_to<atoms::info>::with<discovery_stats>,
                                         caf::reacts_to<atoms::announce_port, uint16_t>>;

/// Builds the component on the socket it will own.
using datagram_component_factory =
  std::function<std::unique_ptr<datagram_component>(datagram_socket& socket)>;

/// A task for (run, datagram_task). It may keep what it needs for later callbacks of the
/// component (they run in the same actor); it must not keep the references it is given.
using datagram_task = std::function<void(datagram_component& comp, context& ctx)>;

struct hosted_datagram {
  caf::actor actor;
  component_id id = no_component;
  endpoint local; ///< where its socket is bound (with the port the system picked)
};

/// Opens a socket with `transport` bound to `local`, builds the component on it and hosts it
/// in a new actor registered in `directory` (whose seed gives the component's random stream).
/// An error (the socket could not be opened) leaves nothing behind.
expected<hosted_datagram>
spawn_datagram_component(caf::actor_system& sys, const std::shared_ptr<actor_directory>& directory,
                         datagram_transport& transport, const endpoint& local,
                         const datagram_component_factory& make);

} // namespace dynfeed

// Counters with maps and arrays, only ever sent within one process.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(dynfeed::discovery_stats)
// A function, only ever sent within one process.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(dynfeed::datagram_task)

#pragma once

/// The atoms of dynfeed's actor messages. The node, feed and value actors' messages
/// (<dynfeed/node.hpp>, <dynfeed/feed.hpp>, <dynfeed/value.hpp>) name the public ones; the
/// first two groups are between the node's own actors.

#include <caf/atom.hpp>

namespace dynfeed::atoms {

// Between component actors (the frames and timers of component/component.hpp): internal.
using start = caf::atom_constant<caf::atom("start")>;
using frame = caf::atom_constant<caf::atom("frame")>;
using timer = caf::atom_constant<caf::atom("timer")>;
// Between a peer actor and its transport.
using remote = caf::atom_constant<caf::atom("remote")>;
using transmit = caf::atom_constant<caf::atom("transmit")>;
using close = caf::atom_constant<caf::atom("close")>;
using disconnected = caf::atom_constant<caf::atom("disconn")>;
// The embedding API.
using append = caf::atom_constant<caf::atom("append")>;
using truncate = caf::atom_constant<caf::atom("truncate")>;
using get = caf::atom_constant<caf::atom("get")>;
using info = caf::atom_constant<caf::atom("info")>;
using download = caf::atom_constant<caf::atom("download")>;
using subscribe = caf::atom_constant<caf::atom("subscribe")>;
using length = caf::atom_constant<caf::atom("length")>;
using blocks = caf::atom_constant<caf::atom("blocks")>;
using done = caf::atom_constant<caf::atom("done")>;
using peers = caf::atom_constant<caf::atom("peers")>;
/// To subscribers: verified data could not be stored (with the store's error).
using store_failed = caf::atom_constant<caf::atom("storefail")>;
using create_feed = caf::atom_constant<caf::atom("createfeed")>;
using open_feed = caf::atom_constant<caf::atom("openfeed")>;
using clone_feed = caf::atom_constant<caf::atom("clonefeed")>;
using join = caf::atom_constant<caf::atom("join")>;
using listen = caf::atom_constant<caf::atom("listen")>;
using connect = caf::atom_constant<caf::atom("connect")>;
using shutdown = caf::atom_constant<caf::atom("shutdown")>;
using connected = caf::atom_constant<caf::atom("connected")>;
using stats = caf::atom_constant<caf::atom("stats")>;
// Value feeds.
using put_value = caf::atom_constant<caf::atom("putvalue")>;
using get_value = caf::atom_constant<caf::atom("getvalue")>;
using value = caf::atom_constant<caf::atom("value")>;
using open_values = caf::atom_constant<caf::atom("openvalues")>;
using value_feed = caf::atom_constant<caf::atom("valuefeed")>;
using join_value = caf::atom_constant<caf::atom("joinvalue")>;
using offer_value = caf::atom_constant<caf::atom("offervalue")>;
using validate = caf::atom_constant<caf::atom("validate")>;
using equivocation = caf::atom_constant<caf::atom("equivocat")>;
using set_rules = caf::atom_constant<caf::atom("setrules")>;
// Discovery: datagrams from a socket to the actor of its component, the node's TCP port for
// announces, starting a node's discovery, its actor, and running a task in a hosted datagram
// component.
using datagram = caf::atom_constant<caf::atom("datagram")>;
using announce_port = caf::atom_constant<caf::atom("annport")>;
using discover = caf::atom_constant<caf::atom("discover")>;
using discovery = caf::atom_constant<caf::atom("discovery")>;
using run = caf::atom_constant<caf::atom("run")>;

} // namespace dynfeed::atoms

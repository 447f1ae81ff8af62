#pragma once

/// Everything an embedder needs: the node, feed and value actors with their configs and
/// messages, the typed values they take, dynfeed's error categories, the TCP and UDP
/// transports, a blocking ask for code outside actors, and the CAF set-up of a process that
/// runs a node (process_config; tcp_process_config with CAF's I/O layer, for TCP).
/// docs/embedding.md describes it.

#include <dynfeed/actors/process_config.hpp>
#include <dynfeed/atoms.hpp>
#include <dynfeed/blocking.hpp>
#include <dynfeed/discovery.hpp>
#include <dynfeed/errors.hpp>
#include <dynfeed/feed.hpp>
#include <dynfeed/node.hpp>
#include <dynfeed/tcp.hpp>
#include <dynfeed/tcp/tcp_process_config.hpp>
#include <dynfeed/types.hpp>
#include <dynfeed/udp.hpp>
#include <dynfeed/value.hpp>

#pragma once

/// Limits that several layers must agree on, defined once here, in the lowest layer that needs
/// them: the codecs (messages/), the components (component/) and the sockets (udp/) all refer
/// to these names instead of writing the numbers again.

#include <cstddef>

namespace dynfeed {

/// The largest datagram dynfeed sends or accepts: what fits in one UDP packet on most paths
/// without fragmentation is smaller (about 1400 bytes), and the DHT keeps its messages there;
/// signed values with many signatures may need more.
inline constexpr size_t datagram_size_max = 8192;

} // namespace dynfeed

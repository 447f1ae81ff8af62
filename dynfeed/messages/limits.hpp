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

/// Addresses a full node's refusal (a bye with too_many_peers) carries at most, and what a
/// dialler accepts: a short hint, as Gnutella's X-Try-Ultrapeers was. Each referred address is
/// dialled once at most unless it connects, so one refusal causes this many dials at most.
inline constexpr size_t referrals_max = 8;
/// The longest canonical referral, "255.255.255.255:65535".
inline constexpr size_t referral_size_max = 21;

} // namespace dynfeed

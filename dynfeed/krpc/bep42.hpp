#pragma once

/// BEP 42 (DHT security extension) for IPv4: a node's ID is tied to its address, so that one
/// host cannot pick IDs next to a target at will. The first 21 bits of a valid ID are those of
/// CRC32-C((ip & 0x030f3fff) | (r << 29)), where r is the low 3 bits of the ID's last byte.
/// Loopback, private and link-local addresses are exempt (every node on one machine or LAN
/// shares them).

#include "dynfeed/krpc/messages.hpp"

#include <cstdint>

namespace dynfeed::krpc::bep42 {

/// 127.0.0.0/8, 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 169.254.0.0/16 (host byte order).
bool is_exempt(uint32_t ip) noexcept;

/// The CRC32-C of the masked address with r's low 3 bits: its top 21 bits are an ID's prefix.
uint32_t prefix(uint32_t ip, uint8_t r) noexcept;

/// An ID valid for `ip`: the prefix for (ip, r), then `random`'s bytes (its byte 2's low 3 bits,
/// bytes 3 to 18), then r as the last byte.
node_id make_id(uint32_t ip, uint8_t r, const node_id& random) noexcept;

/// Whether `id` is valid for `ip` (exempt addresses are not special here: ask is_exempt).
bool is_valid(const node_id& id, uint32_t ip) noexcept;

} // namespace dynfeed::krpc::bep42

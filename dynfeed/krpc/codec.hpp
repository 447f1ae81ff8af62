#pragma once

/// KRPC datagrams (BEP 5, BEP 44, BEP 42's `ip`, BEP 43's `ro`) <-> krpc::message.
///
/// decode() takes any bytes (a datagram from anyone) and either returns the message or an error
/// in the "krpc" category naming the key and the reason; it never throws and keeps nothing.
/// Keys it does not know are ignored (clients add their own), but every key it knows must have
/// its type and size: `t` a string, `y` "q", "r" or "e", ids and targets 20 bytes, `k` 32,
/// `sig` 64, `ip` 6, `nodes` a multiple of 26, each of `values` 6, ports in [0, 65535], flags 0
/// or 1, `e` = [integer, string]. encode(decode(x)) is canonical bencode; it equals x when x has
/// no unknown keys and no default-valued optional ones (`ro` = 0, `implied_port` = 0, empty
/// `nodes`, `values` or `salt`).

#include "dynfeed/krpc/bencode.hpp"
#include "dynfeed/krpc/messages.hpp"

#include <cstddef>

namespace dynfeed::krpc {

struct limits {
  size_t datagram_size_max = 1500;    ///< bytes of one datagram (a UDP payload on Ethernet)
  size_t transaction_size_max = 16;   ///< `t` (clients use 2 to 4 bytes)
  size_t token_size_max = 64;         ///< `token` (clients use 4 to 20 bytes)
  size_t version_size_max = 16;       ///< top-level `v` (clients use 4 bytes)
  size_t method_size_max = 32;        ///< `q`
  size_t nodes_max = 32;              ///< compact node infos in one `nodes` (BEP 5 sends 8)
  size_t values_max = 128;            ///< compact peers in one `values`
  size_t error_message_size_max = 256;
  bencode::limits bencode{/*depth_max=*/16, /*string_size_max=*/1500,
                          /*container_items_max=*/256, /*items_max=*/512};
};

/// One datagram to a message. Refused: datagrams over limits::datagram_size_max
/// (krpc_errc::limit_exceeded), bencode that decode() refuses, a top level that is not a
/// dictionary, missing or malformed keys (krpc_errc::missing_key, krpc_errc::bad_value).
/// Reads the datagram in place, building no bencode tree.
expected<message> decode(byte_span datagram, const limits& lim = {});

/// The same result as decode() (the message, or the same error), through a bencode tree: the
/// reference that decode() is tested against.
expected<message> decode_tree(byte_span datagram, const limits& lim = {});

/// A message to its datagram. Keys are written only when they carry something: `ro` when
/// read_only, `ip` and `v` when set, `implied_port` when true, `salt` when not empty, `nodes`
/// and `values` when not empty. An immutable or mutable put's `v` and a response's `v` must be
/// bencoded values already (a caller bug otherwise).
bytes encode(const message& m);

/// The same bytes as encode(), always built through a bencode tree: the reference that
/// encode()'s direct writer (every message but puts, errors and responses with `v`) is tested
/// against.
bytes encode_tree(const message& m);

/// Compact forms: 26-byte node infos (ID, IPv4, port) and 6-byte peers (IPv4, port), network
/// byte order.
inline constexpr size_t compact_node_size = 26;
inline constexpr size_t compact_peer_size = 6;
void put_compact(bytes& out, const endpoint& e);
endpoint load_compact_peer(const uint8_t* in) noexcept;

} // namespace dynfeed::krpc

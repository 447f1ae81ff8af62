#pragma once

/// The dht ID channel's items: a feed's ID announcement (a signed value of the value feed
/// id_announcements(key), dynamic.hpp) carried as a BEP 44 mutable item, so that a writer
/// publishes each new ID in the Mainline DHT and readers poll for it.
///
/// BEP 44 signs other bytes than dynfeed's values, so the writer signs both: the item is
///
///     k    = the feed's key (the writer's Ed25519 public key)
///     salt = "dynfeed/feed-id/1" (the announcement feed's salt: this key's ID announcements)
///     seq  = the announcement's seq (the feed length it announces)
///     v    = a bencoded byte string holding the announcement's own encoding:
///            u64le seq || u32le value size || value || u8 signature count
///            || (u32le signer || 64-byte signature) per signature
///     sig  = the BEP 44 signature of (salt, seq, v) with the writer's key
///
/// The DHT checks the BEP 44 signature; a reader then checks the inner signed value with the
/// announcement feed's own rules (its publisher), exactly as a value from any other channel,
/// so the DHT is trusted with nothing. BEP 44 bounds v to 1000 bytes: a rotating announcement
/// (40 bytes) always fits, a rotating-roots one only while the tree has at most
/// roots_max_in_item roots (lengths with at most that many one bits).

#include "dynfeed/base/expected.hpp"
#include "dynfeed/feed/bep44.hpp"
#include "dynfeed/feed/signed_value.hpp"

namespace dynfeed::id_item {

/// BEP 44's limit on v.
inline constexpr size_t v_size_max = 1000;
/// The largest announcement value (one signature) whose item fits v_size_max.
inline constexpr size_t value_size_max = 915;
/// Roots a rotating-roots announcement may carry and still fit (80 + 40 per root bytes).
inline constexpr size_t roots_max_in_item = 20;

/// The item's salt: the announcement feed's salt.
bytes salt();

/// v for `value`: a bencoded string of its encoding (above). value.seq must fit int64.
bytes encode_v(const signed_value& value);

/// The signed value inside `v`, checking only its shape (a bencoded string of exactly one
/// encoded value, at most signers_max signatures): value_errc::malformed otherwise. Its
/// signatures are the reader's publisher's to check.
expected<signed_value> decode_v(byte_span v);

/// The writer's item for `value`, BEP 44-signed with `sk`: value_errc::value_too_large when v
/// would exceed v_size_max (a rotating-roots tree with more than roots_max_in_item roots).
expected<bep44::mutable_item> make(const secret_key& sk, const signed_value& value);

} // namespace dynfeed::id_item

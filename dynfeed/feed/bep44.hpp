#pragma once

/// BEP 44 mutable items (../shared/spec/bep44.md): the signed buffer, a strict bencode check of
/// the value, signing and verifying an item, and the mapping of dynfeed errors to BEP 44's error
/// codes. An item is also a value feed of format value_format::bep44 (feed_def, to_signed_value),
/// so the acceptance rules of signed_value.hpp apply to items from a BitTorrent DHT unchanged.

#include "dynfeed/feed/signed_value.hpp"

#include <cstdint>
#include <limits>
#include <string_view>

namespace dynfeed {

namespace bep44 {

/// BEP 44 nodes reject a seq above 2^63-1 (and below 0).
inline constexpr int64_t seq_max = std::numeric_limits<int64_t>::max();
/// Lists and dictionaries nested deeper than this are refused, so that checking a value needs
/// bounded stack whatever its bytes.
inline constexpr size_t bencode_depth_max = 64;

/// A mutable item as it travels in the DHT. `v` is the value exactly as bencoded on the wire.
struct mutable_item {
  public_key k;
  bytes salt; ///< empty: no salt
  int64_t seq = 0;
  bytes v;
  signature sig;
};

/// Checks that `data` is exactly one complete bencoded object (krpc/bencode.hpp's decoder, the
/// project's only one): integers without leading zeros or "-0" and within int64, strings exactly as long as their length says, lists, dictionaries with string keys
/// in strictly increasing byte order, at most `depth_max` levels of nesting, nothing after it.
/// Failure is value_errc::invalid_bencode, with the offset and the reason.
status check_bencode(byte_span data, size_t depth_max = bencode_depth_max);

/// The buffer that is signed: "4:salt" <salt size> ":" <salt> (only for a non-empty salt), then
/// "3:seqi" <seq> "e1:v" <v>. `v` is the bencoded value; nothing is checked here.
bytes signable(byte_span salt, uint64_t seq, byte_span v);

/// Parses a seq written in decimal ("-1" is read, then refused): seq_out_of_range outside
/// [0, 2^63-1], base_errc::invalid_argument when it is not a decimal integer.
expected<int64_t> parse_seq(std::string_view text);

/// Checks an item, cheapest first: v size (value_too_large), salt size (salt_too_large), seq
/// range (seq_out_of_range), bencode (invalid_bencode), then the signature (bad_signature).
status verify(const mutable_item& item, const value_limits& limits = {});
/// Signs an item after the same checks (an item that verify() would refuse is not signed).
expected<mutable_item> sign(const keypair& kp, bytes salt, int64_t seq, bytes v,
                            const value_limits& limits = {});

/// The value feed an item belongs to (its key and salt), and the item as a value of that feed.
/// A negative seq must be refused first (verify does).
value_feed_def feed_def(const mutable_item& item);
signed_value to_signed_value(const mutable_item& item);

} // namespace bep44

/// BEP 44's error code for a refusal: 205 value too big, 206 invalid signature (also for
/// missing, unlisted or repeated signers), 207 salt too big, 301 CAS mismatch, 302 seq not newer
/// than the stored one (stale, replayed or equivocating: BEP 44 nodes may treat an identical
/// re-put as a refresh instead), 203 protocol error for input that is not a valid item
/// (malformed, seq out of range, invalid bencode), 201 generic error for the rest, 0 for no
/// error.
int bep44_code(const error& err);

} // namespace dynfeed

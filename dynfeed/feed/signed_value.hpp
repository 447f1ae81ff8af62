#pragma once

/// Signed value feeds: the latest value of a key (or of M of N keys), with a sequence number
/// that only grows, and the pure rules that decide whether an offered value replaces the held
/// one. Nothing here does I/O; storage/value_store.hpp persists the state these rules produce.
///
/// A value feed is named by its definition (signers, threshold, salt, format); its identity is
/// the hash of that definition, so one key owns as many feeds as it uses salts, and an M-of-N
/// feed cannot be confused with a one-key feed of any of its signers.

#include "dynfeed/base/expected.hpp"
#include "dynfeed/crypto/crypto.hpp"
#include "dynfeed/feed/value_errc.hpp"

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <utility>
#include <vector>

namespace dynfeed {

/// One more than the highest value_errc code: the size of per-reason counter arrays.
inline constexpr size_t value_errc_count = static_cast<size_t>(value_errc::invalid_bencode) + 1;

struct value_limits {
  size_t value_size_max = 1000;
  size_t salt_size_max = 64;
  size_t signers_max = 32;
};

/// What the signers sign: dynfeed's own canonical bytes (value_signable), or BEP 44's buffer
/// (feed/bep44.hpp) so that items from a BitTorrent DHT follow the same rules. A BEP 44 feed
/// has exactly one signer, a seq of at most 2^63-1 and a bencoded value.
enum class value_format : uint8_t {
  dynfeed = 0,
  bep44 = 1,
};

/// Who may sign a value feed: one key (threshold 1) or M of N listed keys; and its salt.
struct value_feed_def {
  uint32_t threshold = 1;
  std::vector<public_key> signers; ///< one key for an ordinary value feed
  bytes salt;
  value_format format = value_format::dynfeed; ///< last, so that {threshold, signers, salt} works

  /// The feed's identity: the hash of the whole definition (namespace-separated).
  hash256 id() const;
  /// The swarm topic peers meet on to exchange this feed's values: a hash of id(), so that the
  /// topic reveals neither the keys nor the salt.
  hash256 topic() const;

  friend bool operator==(const value_feed_def& a, const value_feed_def& b) noexcept {
    return a.format == b.format && a.threshold == b.threshold && a.signers == b.signers
           && a.salt == b.salt;
  }
  friend bool operator!=(const value_feed_def& a, const value_feed_def& b) noexcept {
    return !(a == b);
  }
};

/// The definition of a one-key feed.
value_feed_def single_key_feed(const public_key& key, bytes salt = {});

struct value_signature {
  uint32_t signer = 0; ///< index into value_feed_def::signers
  signature sig;

  friend bool operator==(const value_signature& a, const value_signature& b) noexcept {
    return a.signer == b.signer && a.sig == b.sig;
  }
  friend bool operator!=(const value_signature& a, const value_signature& b) noexcept {
    return !(a == b);
  }
};

struct signed_value {
  uint64_t seq = 0;
  bytes value;
  std::vector<value_signature> sigs;

  friend bool operator==(const signed_value& a, const signed_value& b) noexcept {
    return a.seq == b.seq && a.value == b.value && a.sigs == b.sigs;
  }
  friend bool operator!=(const signed_value& a, const signed_value& b) noexcept {
    return !(a == b);
  }
};

/// The canonical bytes each signer signs. For the dynfeed format:
///
///     VALUE_NS (32) || def.id() (32) || u64le(seq) || u64le(value size) || value
///
/// VALUE_NS is BLAKE2b-256("dynfeed/value/signable/v1"); def.id() binds the format, threshold,
/// keys and salt. For the BEP 44 format, BEP 44's buffer (bep44::signable).
bytes value_signable(const value_feed_def& def, uint64_t seq, byte_span value);
/// One signer's signature. `signer` must index def.signers and `sk` must be that signer's key.
value_signature sign_value(const value_feed_def& def, uint32_t signer, uint64_t seq,
                           byte_span value, const secret_key& sk);
/// Convenience for the common case: a one-key feed, seq, value -> a complete signed_value. `sk`
/// must belong to one of def's signers; the result is complete when the threshold is 1.
signed_value make_signed_value(const value_feed_def& def, uint64_t seq, bytes value,
                               const secret_key& sk);

/// Checks the definition alone: sizes (salt_too_large) and shape (malformed: no signers, more
/// than signers_max, the same key listed twice, threshold 0 or above N, a BEP 44 feed that is
/// not one key with threshold 1, an unknown format).
status check_def(const value_feed_def& def, const value_limits& limits = {});
/// Checks everything about a value that needs no signature check and no held state, cheapest
/// first: value_too_large, then check_def, then for the BEP 44 format seq_out_of_range and
/// invalid_bencode.
status check_value_form(const value_feed_def& def, const signed_value& value,
                        const value_limits& limits = {});
/// Checks a value on its own, without any held state: check_value_form, then its signatures.
/// Nothing about seq order, CAS or validation.
status verify_value(const value_feed_def& def, const signed_value& value,
                    const value_limits& limits = {});

/// Everything held about one value feed.
struct value_state {
  std::optional<signed_value> current;
  /// Proof of equivocation: the value held and a different one validly signed with the same
  /// seq. The first proof is kept; later ones are reported but not recorded.
  std::optional<std::pair<signed_value, signed_value>> equivocation;
  /// Refused offers, in total and by reason (indexed by value_errc code; [0] is unused).
  uint64_t rejected = 0;
  std::array<uint64_t, value_errc_count> rejected_by{};

  uint64_t rejected_count(value_errc reason) const noexcept {
    return rejected_by[static_cast<size_t>(reason)];
  }

  friend bool operator==(const value_state& a, const value_state& b) noexcept {
    return a.current == b.current && a.equivocation == b.equivocation && a.rejected == b.rejected
           && a.rejected_by == b.rejected_by;
  }
  friend bool operator!=(const value_state& a, const value_state& b) noexcept {
    return !(a == b);
  }
};

struct put_options {
  /// CAS: the seq the sender expects us to hold. Set, it also fails when nothing is held.
  std::optional<uint64_t> cas;
};

/// A user-supplied check, run last, after the signatures and the CAS. Its error is reported as
/// value_errc::rejected with the function's error as context.
using validate_fn = std::function<status(const value_feed_def&, const signed_value& incoming,
                                         const std::optional<signed_value>& previous)>;

/// The outcome of offering a value: an error (each reason its own code) or none; `next` is the
/// state to keep and `store` says whether it differs from `held` in what is persisted (a new
/// value, or an equivocation recorded as proof even though the new value is refused). The
/// rejection counters in `next` change on every refusal without setting `store`: they ride along
/// with the next write, so that a flood of forgeries does not become a flood of disk writes.
struct value_decision {
  error err;
  bool store = false;
  value_state next;
};

/// Decides whether `incoming` replaces `held`. Checks, cheapest first, each failure its own code:
/// 1. sizes and form: value_too_large, salt_too_large, malformed (the definition),
///    seq_out_of_range and invalid_bencode (BEP 44 format only);
/// 2. seq: lower than held is stale_seq; equal with the identical value is replayed (no
///    signature is checked, nothing changes); equal with another value goes on to 3 and, if
///    validly signed, is an equivocation: the held value stays, both are kept as proof;
/// 3. signatures: unknown_signer (an index >= N), duplicate_signer (an index twice: a signer
///    signs once, so this is malformed rather than merely not counted), not_enough_signatures
///    (fewer than the threshold), bad_signature (any carried signature that does not verify;
///    every signature is verified exactly once, so a stored value carries only valid ones);
/// 4. CAS: cas_mismatch when options.cas is set and differs from the held seq (or nothing is
///    held);
/// 5. validate: rejected.
/// Without a held value any seq is newer. The held value never goes backwards.
value_decision accept_value(const value_feed_def& def, const value_state& held,
                            const signed_value& incoming, const value_limits& limits = {},
                            const put_options& options = {}, const validate_fn& validate = nullptr);

} // namespace dynfeed

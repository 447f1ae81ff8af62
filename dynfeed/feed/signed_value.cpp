#include "dynfeed/feed/signed_value.hpp"

#include "dynfeed/feed/bep44.hpp"

#include <algorithm>
#include <string>

namespace dynfeed {

namespace {

/// Domain separation: every hash and signature over value feeds starts with one of these, so
/// that none can be mistaken for another, nor for a feed's tree signature.
enum class value_ns : uint8_t { id = 0, topic, signable };

const hash256& namespace_hash(value_ns which) noexcept {
  static const std::array<hash256, 3> all = {
    crypto::blake2b_256(byte_span{std::string_view{"dynfeed/value/id/v1"}}),
    crypto::blake2b_256(byte_span{std::string_view{"dynfeed/value/topic/v1"}}),
    crypto::blake2b_256(byte_span{std::string_view{"dynfeed/value/signable/v1"}}),
  };
  return all[static_cast<size_t>(which)];
}

error too_large(value_errc code, const char* what, size_t size, size_t size_max) {
  return error{code, std::string{what} + " has " + std::to_string(size) + " bytes, the limit is "
                       + std::to_string(size_max)};
}

bool listed_twice(const std::vector<public_key>& keys) {
  std::vector<public_key> sorted = keys;
  std::sort(sorted.begin(), sorted.end());
  return std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end();
}

/// Stage 3 of accept_value: the signature list's shape first (no crypto), then each signature.
error check_signatures(const value_feed_def& def, const signed_value& incoming) {
  std::vector<bool> seen(def.signers.size(), false);
  for (const value_signature& s : incoming.sigs) {
    if (s.signer >= def.signers.size())
      return error{value_errc::unknown_signer, "signer index " + std::to_string(s.signer)
                                                 + ", the feed lists "
                                                 + std::to_string(def.signers.size())};
    if (seen[s.signer])
      return error{value_errc::duplicate_signer, "signer index " + std::to_string(s.signer)};
    seen[s.signer] = true;
  }
  if (incoming.sigs.size() < def.threshold)
    return error{value_errc::not_enough_signatures,
                 std::to_string(incoming.sigs.size()) + " of the "
                   + std::to_string(def.threshold) + " needed"};
  bytes message = value_signable(def, incoming.seq, incoming.value);
  for (const value_signature& s : incoming.sigs)
    if (!crypto::verify(s.sig, message, def.signers[s.signer]))
      return error{value_errc::bad_signature, "signer index " + std::to_string(s.signer)
                                                + " at seq " + std::to_string(incoming.seq)};
  return {};
}

/// Stage 2 of accept_value: where `incoming` stands against the held value. Returns no error
/// for a newer seq; an equal seq with another value is checked and reported by the caller.
error check_seq(const value_state& held, const signed_value& incoming) {
  if (!held.current)
    return {};
  const signed_value& current = *held.current;
  if (incoming.seq < current.seq)
    return error{value_errc::stale_seq, "seq " + std::to_string(incoming.seq) + ", holding "
                                          + std::to_string(current.seq)};
  if (incoming.seq == current.seq && incoming.value == current.value)
    return error{value_errc::replayed, "seq " + std::to_string(incoming.seq)};
  return {};
}

value_decision refuse(const value_state& held, error err) {
  value_decision d{std::move(err), false, held};
  ++d.next.rejected;
  ++d.next.rejected_by[d.err.code()];
  return d;
}

/// A validly signed value with the held seq but another value: the held one stays, the first
/// such pair is kept as proof.
value_decision equivocate(const value_state& held, const signed_value& incoming) {
  value_decision d =
    refuse(held, error{value_errc::equivocation, "seq " + std::to_string(incoming.seq)});
  if (!held.equivocation) {
    d.next.equivocation.emplace(*held.current, incoming);
    d.store = true;
  }
  return d;
}

} // namespace

hash256 value_feed_def::id() const {
  bytes out;
  out.reserve(1 + 4 + 4 + 32 * signers.size() + 8 + salt.size());
  out.push_back(static_cast<uint8_t>(format));
  put_u32le(out, threshold);
  put_u32le(out, static_cast<uint32_t>(signers.size()));
  for (const public_key& key : signers)
    out.insert(out.end(), key.bytes.begin(), key.bytes.end());
  put_u64le(out, salt.size());
  out.insert(out.end(), salt.begin(), salt.end());
  return crypto::blake2b_256({namespace_hash(value_ns::id), out});
}

hash256 value_feed_def::topic() const {
  return crypto::blake2b_256({namespace_hash(value_ns::topic), id()});
}

value_feed_def single_key_feed(const public_key& key, bytes salt) {
  value_feed_def def;
  def.signers.push_back(key);
  def.salt = std::move(salt);
  return def;
}

bytes value_signable(const value_feed_def& def, uint64_t seq, byte_span value) {
  if (def.format == value_format::bep44)
    return bep44::signable(def.salt, seq, value);
  bytes out;
  out.reserve(32 + 32 + 8 + 8 + value.size());
  const hash256& ns = namespace_hash(value_ns::signable);
  out.insert(out.end(), ns.bytes.begin(), ns.bytes.end());
  hash256 id = def.id();
  out.insert(out.end(), id.bytes.begin(), id.bytes.end());
  put_u64le(out, seq);
  put_u64le(out, value.size());
  out.insert(out.end(), value.begin(), value.end());
  return out;
}

value_signature sign_value(const value_feed_def& def, uint32_t signer, uint64_t seq,
                           byte_span value, const secret_key& sk) {
  DYNFEED_REQUIRE(signer < def.signers.size());
  DYNFEED_REQUIRE(sk.embedded_public_key() == def.signers[signer]);
  return value_signature{signer, crypto::sign(value_signable(def, seq, value), sk)};
}

signed_value make_signed_value(const value_feed_def& def, uint64_t seq, bytes value,
                               const secret_key& sk) {
  auto it = std::find(def.signers.begin(), def.signers.end(), sk.embedded_public_key());
  DYNFEED_REQUIRE(it != def.signers.end());
  auto signer = static_cast<uint32_t>(it - def.signers.begin());
  signed_value out;
  out.seq = seq;
  out.sigs.push_back(sign_value(def, signer, seq, value, sk));
  out.value = std::move(value);
  return out;
}

status check_def(const value_feed_def& def, const value_limits& limits) {
  if (def.salt.size() > limits.salt_size_max)
    return too_large(value_errc::salt_too_large, "the salt", def.salt.size(),
                     limits.salt_size_max);
  size_t n = def.signers.size();
  if (def.format != value_format::dynfeed && def.format != value_format::bep44)
    return error{value_errc::malformed,
                 "unknown format " + std::to_string(static_cast<unsigned>(def.format))};
  if (n == 0 || n > limits.signers_max)
    return error{value_errc::malformed, std::to_string(n) + " signers, the limit is 1 to "
                                          + std::to_string(limits.signers_max)};
  if (def.threshold == 0 || def.threshold > n)
    return error{value_errc::malformed, "threshold " + std::to_string(def.threshold) + " of "
                                          + std::to_string(n) + " signers"};
  if (def.format == value_format::bep44 && n != 1)
    return error{value_errc::malformed, "a BEP 44 item has exactly one key"};
  if (listed_twice(def.signers))
    return error{value_errc::malformed, "a key is listed twice"};
  return {};
}

status check_value_form(const value_feed_def& def, const signed_value& incoming,
                        const value_limits& limits) {
  if (incoming.value.size() > limits.value_size_max)
    return too_large(value_errc::value_too_large, "the value", incoming.value.size(),
                     limits.value_size_max);
  if (auto st = check_def(def, limits); !st)
    return st;
  if (def.format == value_format::bep44) {
    if (incoming.seq > static_cast<uint64_t>(bep44::seq_max))
      return error{value_errc::seq_out_of_range,
                   "seq " + std::to_string(incoming.seq) + " is above 2^63-1"};
    return bep44::check_bencode(incoming.value);
  }
  return {};
}

status verify_value(const value_feed_def& def, const signed_value& value,
                    const value_limits& limits) {
  if (auto st = check_value_form(def, value, limits); !st)
    return st;
  if (error err = check_signatures(def, value))
    return err;
  return {};
}

value_decision accept_value(const value_feed_def& def, const value_state& held,
                            const signed_value& incoming, const value_limits& limits,
                            const put_options& options, const validate_fn& validate) {
  if (auto st = check_value_form(def, incoming, limits); !st)
    return refuse(held, std::move(st).error());
  if (error err = check_seq(held, incoming))
    return refuse(held, std::move(err));
  if (error err = check_signatures(def, incoming))
    return refuse(held, std::move(err));
  if (held.current && incoming.seq == held.current->seq)
    return equivocate(held, incoming);
  if (options.cas && (!held.current || held.current->seq != *options.cas))
    return refuse(held, error{value_errc::cas_mismatch,
                              "expected seq " + std::to_string(*options.cas) + ", holding "
                                + (held.current ? std::to_string(held.current->seq)
                                                : std::string{"nothing"})});
  if (validate)
    if (auto st = validate(def, incoming, held.current); !st)
      return refuse(held, error{value_errc::rejected, st.error().to_string()});
  value_decision d{error{}, true, held};
  d.next.current = incoming;
  return d;
}

} // namespace dynfeed

#include "dynfeed/feed/capability.hpp"

#include "dynfeed/feed/merkle.hpp"

namespace dynfeed {

hash256 replication_capability(bool initiator, const public_key& feed_key,
                               byte_span handshake_hash) {
  uint8_t message[64];
  const hash256& ns = merkle::namespace_hash(initiator ? merkle::ns::replicate_initiator
                                                       : merkle::ns::replicate_responder);
  std::memcpy(message, ns.data(), 32);
  std::memcpy(message + 32, feed_key.data(), 32);
  return crypto::blake2b_256_keyed(handshake_hash, byte_span{message, sizeof(message)});
}

} // namespace dynfeed

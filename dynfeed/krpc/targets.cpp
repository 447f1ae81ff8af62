#include "dynfeed/krpc/targets.hpp"

#include "dynfeed/base/assert.hpp"

#include <openssl/evp.h>

namespace dynfeed::krpc {

namespace {

template <class Topic>
node_id first_20_bytes(const Topic& topic) noexcept {
  return node_id::from(byte_span{topic.data(), node_id::size()});
}

} // namespace

node_id sha1(byte_span data) {
  node_id out;
  unsigned int size = 0;
  int ok = EVP_Digest(data.data(), data.size(), out.data(), &size, EVP_sha1(), nullptr);
  // SHA-1 is built into libcrypto's default provider; failing here is a broken installation.
  DYNFEED_ASSERT(ok == 1 && size == node_id::size());
  return out;
}

node_id mutable_target(const public_key& k, byte_span salt) {
  bytes buffer(k.bytes.begin(), k.bytes.end());
  buffer.insert(buffer.end(), salt.begin(), salt.end());
  return sha1(buffer);
}

node_id immutable_target(byte_span v) { return sha1(v); }

node_id info_hash(const swarm_topic& topic) noexcept { return first_20_bytes(topic); }
node_id info_hash(const hash256& topic) noexcept { return first_20_bytes(topic); }

} // namespace dynfeed::krpc

#include "dynfeed/krpc/bep42.hpp"

#include <boost/crc.hpp>

namespace dynfeed::krpc::bep42 {

namespace {

bool in(uint32_t ip, uint32_t network, int prefix_bits) noexcept {
  uint32_t mask = ~uint32_t{0} << (32 - prefix_bits);
  return (ip & mask) == network;
}

} // namespace

bool is_exempt(uint32_t ip) noexcept {
  return in(ip, 0x7f000000, 8) || in(ip, 0x0a000000, 8) || in(ip, 0xac100000, 12)
         || in(ip, 0xc0a80000, 16) || in(ip, 0xa9fe0000, 16);
}

uint32_t prefix(uint32_t ip, uint8_t r) noexcept {
  uint32_t masked = (ip & 0x030f3fff) | (uint32_t{r & 0x7u} << 29);
  uint8_t in_network_order[4] = {static_cast<uint8_t>(masked >> 24),
                                 static_cast<uint8_t>(masked >> 16),
                                 static_cast<uint8_t>(masked >> 8), static_cast<uint8_t>(masked)};
  boost::crc_optimal<32, 0x1EDC6F41, 0xFFFFFFFF, 0xFFFFFFFF, true, true> crc32c;
  crc32c.process_bytes(in_network_order, sizeof in_network_order);
  return crc32c.checksum();
}

node_id make_id(uint32_t ip, uint8_t r, const node_id& random) noexcept {
  uint32_t p = prefix(ip, r);
  node_id id = random;
  id.bytes[0] = static_cast<uint8_t>(p >> 24);
  id.bytes[1] = static_cast<uint8_t>(p >> 16);
  id.bytes[2] = static_cast<uint8_t>(((p >> 8) & 0xf8) | (random.bytes[2] & 0x07));
  id.bytes[19] = r;
  return id;
}

bool is_valid(const node_id& id, uint32_t ip) noexcept {
  uint32_t p = prefix(ip, id.bytes[19]);
  return id.bytes[0] == static_cast<uint8_t>(p >> 24)
         && id.bytes[1] == static_cast<uint8_t>(p >> 16)
         && (id.bytes[2] & 0xf8) == ((p >> 8) & 0xf8);
}

} // namespace dynfeed::krpc::bep42

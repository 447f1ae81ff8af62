#include "dynfeed/feed/id_item.hpp"

#include "dynfeed/feed/dynamic.hpp"
#include "dynfeed/feed/value_errc.hpp"

#include <string>

namespace dynfeed::id_item {

namespace {

constexpr size_t header_size = 8 + 4;     // seq, value size
constexpr size_t signature_entry_size = 4 + 64;

void put_u32le(bytes& out, uint32_t v) {
  for (int i = 0; i < 4; ++i)
    out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

uint32_t get_u32le(const uint8_t* in) {
  return uint32_t{in[0]} | uint32_t{in[1]} << 8 | uint32_t{in[2]} << 16 | uint32_t{in[3]} << 24;
}

error malformed(const std::string& what) {
  return error{value_errc::malformed, "dht item: " + what};
}

/// The bytes of a bencoded string "<size>:<bytes>" that spans all of `v`.
expected<byte_span> string_body(byte_span v) {
  size_t colon = 0;
  while (colon < v.size() && colon < 5 && v[colon] >= '0' && v[colon] <= '9')
    ++colon;
  if (colon == 0 || colon >= v.size() || v[colon] != ':' || (v[0] == '0' && colon > 1))
    return malformed("v is not a bencoded string");
  size_t size = std::stoul(std::string(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(colon)));
  if (size != v.size() - colon - 1)
    return malformed("v's string length does not match");
  return v.subspan(colon + 1, size);
}

} // namespace

bytes salt() {
  return id_announcements(public_key{}).salt;
}

bytes encode_v(const signed_value& value) {
  bytes inner;
  inner.reserve(header_size + value.value.size() + 1 + value.sigs.size() * signature_entry_size);
  inner.resize(8);
  store_u64le(inner.data(), value.seq);
  put_u32le(inner, static_cast<uint32_t>(value.value.size()));
  inner.insert(inner.end(), value.value.begin(), value.value.end());
  inner.push_back(static_cast<uint8_t>(value.sigs.size()));
  for (const value_signature& s : value.sigs) {
    put_u32le(inner, s.signer);
    inner.insert(inner.end(), s.sig.data(), s.sig.data() + signature::size());
  }
  std::string prefix = std::to_string(inner.size()) + ":";
  bytes v(prefix.begin(), prefix.end());
  v.insert(v.end(), inner.begin(), inner.end());
  return v;
}

expected<signed_value> decode_v(byte_span v) {
  if (v.size() > v_size_max)
    return malformed(std::to_string(v.size()) + " bytes");
  auto body = string_body(v);
  if (!body)
    return std::move(body).error();
  byte_span in = *body;
  if (in.size() < header_size + 1)
    return malformed("too short");
  signed_value out;
  out.seq = load_u64le(in.data());
  size_t size = get_u32le(in.data() + 8);
  if (size > in.size() - header_size - 1)
    return malformed("value size beyond the item");
  out.value.assign(in.begin() + header_size, in.begin() + static_cast<std::ptrdiff_t>(header_size + size));
  size_t pos = header_size + size;
  size_t count = in[pos++];
  if (count > value_limits{}.signers_max || in.size() - pos != count * signature_entry_size)
    return malformed("signatures do not match the item's size");
  out.sigs.resize(count);
  for (value_signature& s : out.sigs) {
    s.signer = get_u32le(in.data() + pos);
    s.sig = signature::from(in.subspan(pos + 4, signature::size()));
    pos += signature_entry_size;
  }
  return out;
}

expected<bep44::mutable_item> make(const secret_key& sk, const signed_value& value) {
  bytes v = encode_v(value);
  if (v.size() > v_size_max)
    return error{value_errc::value_too_large,
                 "an ID announcement of " + std::to_string(value.value.size())
                   + " bytes does not fit a BEP 44 item (at most "
                   + std::to_string(value_size_max) + " bytes: a rotating-roots tree of at most "
                   + std::to_string(roots_max_in_item) + " roots)"};
  keypair kp{sk.embedded_public_key(), sk};
  return bep44::sign(kp, salt(), static_cast<int64_t>(value.seq), std::move(v));
}

} // namespace dynfeed::id_item

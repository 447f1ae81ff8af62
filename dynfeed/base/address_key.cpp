#include "dynfeed/base/address_key.hpp"

#include "dynfeed/base/assert.hpp"
#include "dynfeed/base/endpoint.hpp"

#include <charconv>

namespace dynfeed {

namespace {

/// Writes endpoint::to_string's text of `e` at `out` (room for 21 characters); its length.
size_t format(const endpoint& e, char* out) noexcept {
  char* p = out;
  char* end = out + 24;
  for (int shift = 24; shift >= 0; shift -= 8) {
    p = std::to_chars(p, end, (e.ip >> shift) & 0xff).ptr;
    *p++ = shift > 0 ? '.' : ':';
  }
  p = std::to_chars(p, end, e.port).ptr;
  return static_cast<size_t>(p - out);
}

} // namespace

address_key::address_key(const address_key& o) {
  bits_ = o.packed() || o.empty() ? o.bits_ : reinterpret_cast<uint64_t>(new std::string(*o.heap()));
}

address_key& address_key::operator=(const address_key& o) {
  if (this != &o) {
    address_key copy(o);
    *this = std::move(copy);
  }
  return *this;
}

address_key& address_key::operator=(address_key&& o) noexcept {
  if (this != &o) {
    release();
    bits_ = o.bits_;
    o.bits_ = 0;
  }
  return *this;
}

void address_key::release() noexcept {
  if (!packed() && !empty())
    delete heap();
  bits_ = 0;
}

void address_key::assign(std::string_view text) {
  if (text.empty())
    return;
  if (auto e = endpoint::parse(text)) {
    char buffer[24];
    // Only a text that reads back the same: "localhost:1" or "01.2.3.4:5" stay text.
    if (std::string_view(buffer, format(*e, buffer)) == text) {
      bits_ = packed_bit | e->packed();
      return;
    }
  }
  auto* s = new std::string(text);
  bits_ = reinterpret_cast<uint64_t>(s);
  DYNFEED_ASSERT(!packed()); // user-space pointers leave the top bit clear
}

std::string_view address_key::view(text_buffer& buffer) const noexcept {
  if (packed()) {
    endpoint e{static_cast<uint32_t>((bits_ >> 16) & 0xffffffff), static_cast<uint16_t>(bits_)};
    return {buffer.chars, format(e, buffer.chars)};
  }
  return empty() ? std::string_view{} : std::string_view(*heap());
}

std::string address_key::str() const {
  text_buffer buffer;
  return std::string(view(buffer));
}

int address_key::compare(const address_key& o) const noexcept {
  if (bits_ == o.bits_)
    return 0;
  text_buffer a;
  text_buffer b;
  return view(a).compare(o.view(b));
}

} // namespace dynfeed

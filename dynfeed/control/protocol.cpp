#include "dynfeed/control/protocol.hpp"

#include "dynfeed/control/errc.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>

namespace dynfeed::control_detail {

namespace {

error truncated(const control_limits& limits) {
  return error{control_errc::truncated, "the request ended, or stalled for "
                                          + std::to_string(limits.idle_ms_max)
                                          + " ms, before the bytes it announced"};
}

error over(const char* what, uint64_t got, uint64_t max) {
  return error{control_errc::too_large, std::string{what} + " of " + std::to_string(got)
                                          + " is over the limit of " + std::to_string(max)};
}

/// Reads a u32 size (at most `max`) and that many bytes.
expected<bytes> read_sized(byte_reader& in, uint64_t max, const char* what,
                           const control_limits& limits) {
  uint32_t size = 0;
  if (!in.read_u32(size))
    return truncated(limits);
  if (size > max)
    return over(what, size, max);
  bytes out(size);
  if (!in.read(out.data(), size))
    return truncated(limits);
  return out;
}

/// The magic as text for a message: printable characters as they are, others as '?'.
std::string printable(const char (&magic)[4]) {
  std::string out(magic, 4);
  for (char& c : out)
    if (c < 0x20 || c > 0x7e)
      c = '?';
  return out;
}

void put_u32(bytes& out, uint32_t v) {
  out.push_back(static_cast<uint8_t>(v >> 24));
  out.push_back(static_cast<uint8_t>(v >> 16));
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}

void put_sized(bytes& request, const bytes& data) {
  put_u32(request, static_cast<uint32_t>(data.size()));
  request.insert(request.end(), data.begin(), data.end());
}

} // namespace

bool byte_reader::read_u32(uint32_t& v) {
  uint8_t b[4];
  if (!read(b, 4))
    return false;
  v = (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3];
  return true;
}

bool span_reader::read(void* out, size_t size) {
  if (size > data_.size() - offset_)
    return false;
  if (size > 0)
    std::memcpy(out, data_.data() + offset_, size);
  offset_ += size;
  return true;
}

expected<request_kind> read_kind(byte_reader& in, const control_limits& limits) {
  char magic[4];
  if (!in.read(magic, 4))
    return truncated(limits);
  if (std::memcmp(magic, append_magic, 4) == 0)
    return request_kind::append;
  if (std::memcmp(magic, value_magic, 4) == 0)
    return request_kind::put_value;
  if (std::memcmp(magic, truncate_magic, 4) == 0)
    return request_kind::truncate;
  return error{control_errc::not_a_request, "unknown request '" + printable(magic) + "'"};
}

expected<std::vector<bytes>> read_append(byte_reader& in, const control_limits& limits) {
  uint32_t count = 0;
  if (!in.read_u32(count))
    return truncated(limits);
  if (count == 0)
    return error{control_errc::bad_argument, "an append needs at least one block"};
  if (count > limits.append.block_count_max)
    return over("block count", count, limits.append.block_count_max);
  std::vector<bytes> blocks;
  blocks.reserve(std::min<size_t>(count, 1024)); // the count is a claim until the bytes come
  uint64_t total = 0;
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t size = 0;
    if (!in.read_u32(size))
      return truncated(limits);
    if (size > limits.append.block_size_max)
      return over("block size", size, limits.append.block_size_max);
    total += size;
    if (total > limits.append.batch_size_max)
      return over("batch size", total, limits.append.batch_size_max);
    bytes& block = blocks.emplace_back(size);
    if (!in.read(block.data(), size))
      return truncated(limits);
  }
  return blocks;
}

expected<value_request> read_value(byte_reader& in, const control_limits& limits) {
  auto salt = read_sized(in, limits.salt_size_max, "salt size", limits);
  if (!salt)
    return salt.error();
  auto value = read_sized(in, limits.value_size_max, "value size", limits);
  if (!value)
    return value.error();
  return value_request{std::move(*salt), std::move(*value)};
}

expected<uint64_t> read_truncate(byte_reader& in, const control_limits& limits) {
  uint32_t high = 0;
  uint32_t low = 0;
  if (!in.read_u32(high) || !in.read_u32(low))
    return truncated(limits);
  return (uint64_t{high} << 32) | low;
}

bytes encode_append(const std::vector<bytes>& blocks) {
  bytes request(append_magic, append_magic + 4);
  put_u32(request, static_cast<uint32_t>(blocks.size()));
  for (const bytes& block : blocks)
    put_sized(request, block);
  return request;
}

bytes encode_value(const bytes& salt, const bytes& value) {
  bytes request(value_magic, value_magic + 4);
  put_sized(request, salt);
  put_sized(request, value);
  return request;
}

expected<uint64_t> parse_reply(const std::string& reply, const std::string& path) {
  if (reply.rfind("ok ", 0) == 0) {
    uint64_t n = 0;
    const char* end = reply.data() + reply.size();
    auto [p, ec] = std::from_chars(reply.data() + 3, end, n);
    if (ec == std::errc{} && p == end && p != reply.data() + 3)
      return n;
  } else if (reply.rfind("error ", 0) == 0) {
    return error{control_errc::refused, reply.substr(6)};
  }
  return error{control_errc::no_answer, "unreadable answer from the node on " + path};
}

bytes encode_truncate(uint64_t length) {
  bytes request(truncate_magic, truncate_magic + 4);
  put_u32(request, static_cast<uint32_t>(length >> 32));
  put_u32(request, static_cast<uint32_t>(length));
  return request;
}

} // namespace dynfeed::control_detail

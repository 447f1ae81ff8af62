#pragma once

/// The control socket's request format (control.hpp describes it) apart from any socket: the
/// server reads requests through a byte_reader (a socket, or bytes in memory for the fuzzer),
/// the client encodes them. Internal to dynfeed/control, not part of the API.

#include "dynfeed/base/bytes.hpp"
#include "dynfeed/base/expected.hpp"
#include "dynfeed/control/control.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace dynfeed::control_detail {

inline constexpr char append_magic[4] = {'D', 'F', 'C', '1'};
inline constexpr char value_magic[4] = {'D', 'F', 'V', '1'};
inline constexpr char truncate_magic[4] = {'D', 'F', 'T', '1'};

/// Where a request's bytes come from.
class byte_reader {
public:
  virtual ~byte_reader() = default;
  /// Reads exactly `size` bytes; false when they do not come (end, error or timeout).
  virtual bool read(void* out, size_t size) = 0;
  bool read_u32(uint32_t& v);
};

/// Reads from bytes held in memory.
class span_reader : public byte_reader {
public:
  explicit span_reader(byte_span data) : data_(data) {}
  bool read(void* out, size_t size) override;
  /// How many bytes were read so far.
  size_t consumed() const noexcept { return offset_; }

private:
  byte_span data_;
  size_t offset_ = 0;
};

enum class request_kind : uint8_t { append, put_value, truncate };

/// The request's magic; not_a_request for an unknown one.
expected<request_kind> read_kind(byte_reader& in, const control_limits& limits);
/// An append's blocks (after its magic). Every count and size is checked against `limits`
/// before the bytes it announces are read.
expected<std::vector<bytes>> read_append(byte_reader& in, const control_limits& limits);
struct value_request {
  bytes salt;
  bytes value;
};
/// A value request's salt and value (after its magic), each size checked before its bytes.
expected<value_request> read_value(byte_reader& in, const control_limits& limits);

/// A truncation's new length (after its magic): a u32 high half, then a u32 low half.
expected<uint64_t> read_truncate(byte_reader& in, const control_limits& limits);

/// The request bytes a client sends. Every size must fit in 32 bits (the client checks).
bytes encode_append(const std::vector<bytes>& blocks);
bytes encode_value(const bytes& salt, const bytes& value);
bytes encode_truncate(uint64_t length);

/// The node's one-line answer (without its newline): "ok N" gives N, "error ..." a refusal
/// (control_errc::refused), anything else control_errc::no_answer naming `path`.
expected<uint64_t> parse_reply(const std::string& reply, const std::string& path);

} // namespace dynfeed::control_detail

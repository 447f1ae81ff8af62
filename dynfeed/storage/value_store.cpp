#include "dynfeed/storage/value_store.hpp"

#include <algorithm>
#include <string>

namespace dynfeed {

namespace {

// Record layout, all integers little-endian (docs/values.md):
//   magic "DFVR", u8 version
//   definition: u8 format, u32 threshold, u32 signer count, 32 bytes per key, u32 salt size, salt
//   u8 flags: bit 0 a current value follows, bit 1 an equivocation proof (two values) follows
//   each value: u64 seq, u32 value size, value, u32 signature count, (u32 signer, 64-byte sig)...
//   u64 rejected, u8 reason count, u64 per reason (by value_errc code)
constexpr uint8_t record_magic[4] = {'D', 'F', 'V', 'R'};
constexpr uint8_t record_version = 1;
constexpr uint8_t flag_current = 1;
constexpr uint8_t flag_equivocation = 2;
constexpr size_t signature_entry_size = 4 + signature::size_bytes;

void put_value(bytes& out, const signed_value& v) {
  put_u64le(out, v.seq);
  put_u32le(out, static_cast<uint32_t>(v.value.size()));
  out.insert(out.end(), v.value.begin(), v.value.end());
  put_u32le(out, static_cast<uint32_t>(v.sigs.size()));
  for (const value_signature& s : v.sigs) {
    put_u32le(out, s.signer);
    out.insert(out.end(), s.sig.bytes.begin(), s.sig.bytes.end());
  }
}

/// Reads a record front to back. Any read past the end, or a count that cannot fit in what is
/// left, marks the reader failed; sizes are checked before anything is allocated.
class record_reader {
public:
  explicit record_reader(byte_span data) : data_(data) {}

  bool failed() const noexcept { return failed_; }
  bool done() const noexcept { return pos_ == data_.size(); }

  byte_span take(uint64_t size) {
    if (failed_ || size > data_.size() - pos_) {
      failed_ = true;
      return {};
    }
    byte_span out = data_.subspan(pos_, size);
    pos_ += size;
    return out;
  }
  uint8_t u8() {
    byte_span b = take(1);
    return failed_ ? 0 : b[0];
  }
  uint32_t u32() {
    byte_span b = take(4);
    return failed_ ? 0 : load_u32le(b.data());
  }
  uint64_t u64() {
    byte_span b = take(8);
    return failed_ ? 0 : load_u64le(b.data());
  }
  /// A count of entries of `entry_size` bytes each, refused if they cannot all be there.
  uint32_t count(size_t entry_size) {
    uint32_t n = u32();
    if (!failed_ && n > (data_.size() - pos_) / entry_size)
      failed_ = true;
    return failed_ ? 0 : n;
  }

  signed_value value() {
    signed_value v;
    v.seq = u64();
    v.value = take(u32()).to_bytes();
    uint32_t n = count(signature_entry_size);
    v.sigs.reserve(n);
    for (uint32_t i = 0; i < n && !failed_; ++i) {
      value_signature s;
      s.signer = u32();
      s.sig = signature::from(take(signature::size_bytes));
      v.sigs.push_back(s);
    }
    return v;
  }

private:
  byte_span data_;
  size_t pos_ = 0;
  bool failed_ = false;
};

value_feed_def read_def(record_reader& in) {
  value_feed_def def;
  uint8_t format = in.u8();
  def.format = static_cast<value_format>(format);
  def.threshold = in.u32();
  uint32_t n = in.count(public_key::size_bytes);
  def.signers.reserve(n);
  for (uint32_t i = 0; i < n && !in.failed(); ++i)
    def.signers.push_back(public_key::from(in.take(public_key::size_bytes)));
  def.salt = in.take(in.u32()).to_bytes();
  return def;
}

} // namespace

bytes encode_value_record(const value_record& record) {
  const value_feed_def& def = record.def;
  const value_state& state = record.state;
  bytes out(std::begin(record_magic), std::end(record_magic));
  out.push_back(record_version);
  out.push_back(static_cast<uint8_t>(def.format));
  put_u32le(out, def.threshold);
  put_u32le(out, static_cast<uint32_t>(def.signers.size()));
  for (const public_key& key : def.signers)
    out.insert(out.end(), key.bytes.begin(), key.bytes.end());
  put_u32le(out, static_cast<uint32_t>(def.salt.size()));
  out.insert(out.end(), def.salt.begin(), def.salt.end());
  out.push_back(static_cast<uint8_t>((state.current ? flag_current : 0)
                                     | (state.equivocation ? flag_equivocation : 0)));
  if (state.current)
    put_value(out, *state.current);
  if (state.equivocation) {
    put_value(out, state.equivocation->first);
    put_value(out, state.equivocation->second);
  }
  put_u64le(out, state.rejected);
  out.push_back(static_cast<uint8_t>(state.rejected_by.size()));
  for (uint64_t n : state.rejected_by)
    put_u64le(out, n);
  return out;
}

expected<value_record> decode_value_record(byte_span data) {
  record_reader in(data);
  if (in.take(sizeof(record_magic)) != byte_span{record_magic, sizeof(record_magic)})
    return error{store_errc::corrupt, "value record: no magic"};
  uint8_t version = in.u8();
  if (in.failed())
    return error{store_errc::corrupt, "value record: truncated"};
  if (version != record_version)
    return error{store_errc::version, "value record version " + std::to_string(version)};
  value_record record;
  record.def = read_def(in);
  uint8_t flags = in.u8();
  if (static_cast<uint8_t>(record.def.format) > static_cast<uint8_t>(value_format::bep44)
      || (flags & ~(flag_current | flag_equivocation)) != 0)
    return error{store_errc::corrupt, "value record: unknown format or flags"};
  if (flags & flag_current)
    record.state.current = in.value();
  if (flags & flag_equivocation) {
    signed_value held = in.value();
    record.state.equivocation.emplace(std::move(held), in.value());
  }
  record.state.rejected = in.u64();
  uint8_t reasons = in.u8();
  for (size_t i = 0; i < reasons && !in.failed(); ++i) {
    uint64_t n = in.u64();
    // Reasons added by a later version are still in the total.
    if (i < record.state.rejected_by.size())
      record.state.rejected_by[i] = n;
  }
  if (in.failed() || !in.done())
    return error{store_errc::corrupt, "value record: truncated or overlong"};
  return record;
}

expected<value_state> load_value_state(value_store& store, const value_feed_def& def) {
  auto record = store.load_value(def.id());
  if (!record)
    return std::move(record).error();
  if (!*record)
    return value_state{};
  return std::move(**record).state;
}

expected<value_decision> offer_value(value_store& store, const value_feed_def& def,
                                     const value_state& held, const signed_value& incoming,
                                     const value_limits& limits, const put_options& options,
                                     const validate_fn& validate) {
  value_decision d = accept_value(def, held, incoming, limits, options, validate);
  if (d.store)
    if (auto st = store.store_value(def.id(), value_record{def, d.next}); !st)
      return std::move(st).error();
  return d;
}

} // namespace dynfeed

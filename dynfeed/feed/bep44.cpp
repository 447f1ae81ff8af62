#include "dynfeed/feed/bep44.hpp"

#include "dynfeed/krpc/bencode.hpp"

#include <algorithm>
#include <charconv>
#include <string>

namespace dynfeed::bep44 {

namespace {

bool is_digit(uint8_t c) noexcept {
  return c >= '0' && c <= '9';
}

void append(bytes& out, std::string_view text) {
  out.insert(out.end(), text.begin(), text.end());
}

/// An item's negative seq wraps above seq_max as a value feed's seq, which the form check
/// refuses; this names it as the negative number it was.
status name_negative_seq(status st, int64_t seq) {
  if (!st && seq < 0 && st.error().is(value_errc::seq_out_of_range))
    return error{value_errc::seq_out_of_range, "seq " + std::to_string(seq) + " is negative"};
  return st;
}

} // namespace

status check_bencode(byte_span data, size_t depth_max) {
  // Only the nesting is bounded here: a value's size limit was checked before (verify()), and
  // no object of `data` can hold more strings, items or bytes than `data` has.
  bencode::limits lim;
  lim.depth_max = depth_max;
  lim.string_size_max = data.size();
  lim.container_items_max = data.size();
  lim.items_max = data.size();
  if (status st = bencode::check(data, lim); !st)
    return error{value_errc::invalid_bencode, st.error().context()};
  return {};
}

bytes signable(byte_span salt, uint64_t seq, byte_span v) {
  bytes out;
  out.reserve(salt.size() + v.size() + 64);
  if (!salt.empty()) {
    append(out, "4:salt" + std::to_string(salt.size()) + ":");
    out.insert(out.end(), salt.begin(), salt.end());
  }
  append(out, "3:seqi" + std::to_string(seq) + "e1:v");
  out.insert(out.end(), v.begin(), v.end());
  return out;
}

expected<int64_t> parse_seq(std::string_view text) {
  bool negative = !text.empty() && text.front() == '-';
  std::string_view digits = negative ? text.substr(1) : text;
  if (digits.empty() || !std::all_of(digits.begin(), digits.end(),
                                     [](char c) { return is_digit(static_cast<uint8_t>(c)); }))
    return error{base_errc::invalid_argument,
                 "seq must be a decimal integer, got '" + std::string{text} + "'"};
  uint64_t magnitude = 0;
  auto parsed = std::from_chars(digits.data(), digits.data() + digits.size(), magnitude);
  if (parsed.ec != std::errc{} || magnitude > static_cast<uint64_t>(seq_max)
      || (negative && magnitude != 0))
    return error{value_errc::seq_out_of_range,
                 "seq " + std::string{text} + " is not in [0, 2^63-1]"};
  return static_cast<int64_t>(magnitude);
}

value_feed_def feed_def(const mutable_item& item) {
  value_feed_def def = single_key_feed(item.k, item.salt);
  def.format = value_format::bep44;
  return def;
}

signed_value to_signed_value(const mutable_item& item) {
  signed_value out;
  // A negative seq wraps to above seq_max, which the BEP 44 form check refuses.
  out.seq = static_cast<uint64_t>(item.seq);
  out.value = item.v;
  out.sigs.push_back(value_signature{0, item.sig});
  return out;
}

status verify(const mutable_item& item, const value_limits& limits) {
  status st = verify_value(feed_def(item), to_signed_value(item), limits);
  return name_negative_seq(std::move(st), item.seq);
}

expected<mutable_item> sign(const keypair& kp, bytes salt, int64_t seq, bytes v,
                            const value_limits& limits) {
  mutable_item item;
  item.k = kp.pk;
  item.salt = std::move(salt);
  item.seq = seq;
  item.v = std::move(v);
  value_feed_def def = feed_def(item);
  signed_value value = to_signed_value(item);
  if (auto st = name_negative_seq(check_value_form(def, value, limits), seq); !st)
    return std::move(st).error();
  item.sig = sign_value(def, 0, value.seq, value.value, kp.sk).sig;
  return item;
}

} // namespace dynfeed::bep44

namespace dynfeed {

int bep44_code(const error& err) {
  if (!err)
    return 0;
  if (err.category() != category_of(value_errc{}).name)
    return 201;
  switch (static_cast<value_errc>(err.code())) {
    case value_errc::value_too_large:
      return 205;
    case value_errc::bad_signature:
    case value_errc::not_enough_signatures:
    case value_errc::unknown_signer:
    case value_errc::duplicate_signer:
      return 206;
    case value_errc::salt_too_large:
      return 207;
    case value_errc::cas_mismatch:
      return 301;
    case value_errc::stale_seq:
    case value_errc::replayed:
    case value_errc::equivocation:
      return 302;
    case value_errc::malformed:
    case value_errc::seq_out_of_range:
    case value_errc::invalid_bencode:
      return 203;
    case value_errc::rejected:
      return 201;
  }
  return 201;
}

} // namespace dynfeed

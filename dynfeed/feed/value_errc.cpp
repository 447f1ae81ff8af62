#include "dynfeed/feed/value_errc.hpp"

namespace dynfeed {

namespace {

const char* describe_value(uint8_t code) noexcept {
  switch (static_cast<value_errc>(code)) {
    case value_errc::value_too_large:
      return "value too large";
    case value_errc::salt_too_large:
      return "salt too large";
    case value_errc::stale_seq:
      return "seq older than the held one";
    case value_errc::replayed:
      return "value already held";
    case value_errc::bad_signature:
      return "bad signature";
    case value_errc::not_enough_signatures:
      return "not enough signatures";
    case value_errc::unknown_signer:
      return "signer not listed";
    case value_errc::duplicate_signer:
      return "signer signed twice";
    case value_errc::cas_mismatch:
      return "CAS mismatch";
    case value_errc::rejected:
      return "value rejected by validation";
    case value_errc::equivocation:
      return "equivocation: another value with the held seq";
    case value_errc::malformed:
      return "malformed value feed";
    case value_errc::seq_out_of_range:
      return "seq out of range";
    case value_errc::invalid_bencode:
      return "invalid bencode";
  }
  return "unknown error";
}

} // namespace

const error_category& category_of(value_errc) noexcept {
  static const error_category cat{"value", describe_value};
  return cat;
}

} // namespace dynfeed

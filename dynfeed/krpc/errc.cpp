#include "dynfeed/krpc/errc.hpp"

namespace dynfeed::krpc {

namespace {

const char* describe_krpc(uint8_t code) noexcept {
  switch (static_cast<krpc_errc>(code)) {
    case krpc_errc::invalid_bencode:
      return "invalid bencode";
    case krpc_errc::limit_exceeded:
      return "limit exceeded";
    case krpc_errc::missing_key:
      return "missing key";
    case krpc_errc::bad_value:
      return "bad value";
  }
  return "unknown error";
}

} // namespace

const error_category& category_of(krpc_errc) noexcept {
  static const error_category cat{"krpc", describe_krpc};
  return cat;
}

} // namespace dynfeed::krpc

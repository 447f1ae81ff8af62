#include "dynfeed/messages/errc.hpp"

namespace dynfeed::msg {

namespace {

const char* describe_msg(uint8_t code) noexcept {
  switch (static_cast<msg_errc>(code)) {
    case msg_errc::malformed:
      return "malformed frame";
    case msg_errc::truncated:
      return "truncated frame";
    case msg_errc::too_large:
      return "frame too large";
    case msg_errc::wrong_size:
      return "fixed-size field has the wrong size";
    case msg_errc::local_only:
      return "component-local message from a peer";
    case msg_errc::unknown_kind:
      return "unknown message kind";
    case msg_errc::limit_exceeded:
      return "frame exceeds a decoding limit";
  }
  return "unknown error";
}

} // namespace

const error_category& category_of(msg_errc) noexcept {
  static const error_category cat{"msg", describe_msg};
  return cat;
}

} // namespace dynfeed::msg

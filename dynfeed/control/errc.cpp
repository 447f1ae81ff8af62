#include "dynfeed/control/errc.hpp"

namespace dynfeed {

namespace {

const char* describe_control(uint8_t code) noexcept {
  switch (static_cast<control_errc>(code)) {
    case control_errc::not_a_request:
      return "not a control request";
    case control_errc::truncated:
      return "truncated request";
    case control_errc::too_large:
      return "over a limit";
    case control_errc::bad_argument:
      return "bad argument";
    case control_errc::not_served:
      return "request not served here";
    case control_errc::unsafe_socket:
      return "unsafe socket";
    case control_errc::in_use:
      return "directory in use";
    case control_errc::no_node:
      return "no node answers";
    case control_errc::refused:
      return "refused by the node";
    case control_errc::no_answer:
      return "no answer";
  }
  return "unknown error";
}

} // namespace

const error_category& category_of(control_errc) noexcept {
  static const error_category cat{"control", describe_control};
  return cat;
}

} // namespace dynfeed

#include "dynfeed/messages/messages.hpp"

namespace dynfeed::msg {

const char* to_string(disconnect_reason reason) noexcept {
  switch (reason) {
    case disconnect_reason::normal:
      return "normal";
    case disconnect_reason::protocol_version:
      return "protocol version mismatch";
    case disconnect_reason::malformed_frame:
      return "malformed frame";
    case disconnect_reason::unexpected_message:
      return "unexpected message";
    case disconnect_reason::bad_capability:
      return "bad capability";
    case disconnect_reason::invalid_proof:
      return "invalid proof";
    case disconnect_reason::unsolicited_data:
      return "unsolicited data";
    case disconnect_reason::timeout:
      return "timeout";
    case disconnect_reason::too_many_channels:
      return "too many channels";
    case disconnect_reason::transport_error:
      return "transport error";
    case disconnect_reason::shutting_down:
      return "shutting down";
    case disconnect_reason::too_many_peers:
      return "too many peers";
    case disconnect_reason::setup_backlog:
      return "too many frames waiting while the connection was set up";
  }
  return "unknown reason";
}

const char* name_of(disconnect_reason reason) noexcept {
  switch (reason) {
    case disconnect_reason::normal:
      return "normal";
    case disconnect_reason::protocol_version:
      return "protocol_version";
    case disconnect_reason::malformed_frame:
      return "malformed_frame";
    case disconnect_reason::unexpected_message:
      return "unexpected_message";
    case disconnect_reason::bad_capability:
      return "bad_capability";
    case disconnect_reason::invalid_proof:
      return "invalid_proof";
    case disconnect_reason::unsolicited_data:
      return "unsolicited_data";
    case disconnect_reason::timeout:
      return "timeout";
    case disconnect_reason::too_many_channels:
      return "too_many_channels";
    case disconnect_reason::transport_error:
      return "transport_error";
    case disconnect_reason::shutting_down:
      return "shutting_down";
    case disconnect_reason::too_many_peers:
      return "too_many_peers";
    case disconnect_reason::setup_backlog:
      return "setup_backlog";
  }
  return "unknown";
}

} // namespace dynfeed::msg

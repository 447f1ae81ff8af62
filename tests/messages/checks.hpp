#pragma once

#include "dynfeed/messages/codec.hpp"

#include <boost/test/unit_test.hpp>

namespace dynfeed::test {

/// True if decoding failed with `code`; logs what happened either way.
inline bool fails_with(const expected<msg::wire_message>& decoded, msg::msg_errc code) {
  if (decoded) {
    BOOST_TEST_MESSAGE("decoded, expected " << error{code}.to_string());
    return false;
  }
  BOOST_TEST_MESSAGE(decoded.error().to_string());
  return decoded.error().is(code);
}

} // namespace dynfeed::test

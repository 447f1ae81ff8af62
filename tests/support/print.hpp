#pragma once

/// How test failures print dynfeed values.

#include "dynfeed/base/hex.hpp"
#include "dynfeed/feed/merkle.hpp"

#include <ostream>
#include <vector>

namespace dynfeed {

template <size_t N, class Tag>
std::ostream& operator<<(std::ostream& out, const fixed_bytes<N, Tag>& v) {
  return out << to_hex(v.span());
}

inline std::ostream& operator<<(std::ostream& out, byte_span v) {
  return out << to_hex(v);
}

inline std::ostream& operator<<(std::ostream& out, const tree_node& n) {
  return out << "{" << n.index << ", " << n.size << ", " << to_hex(n.hash) << "}";
}

inline std::ostream& operator<<(std::ostream& out, const std::vector<tree_node>& nodes) {
  out << "[";
  for (const tree_node& n : nodes)
    out << n << " ";
  return out << "]";
}

} // namespace dynfeed

namespace std {
inline std::ostream& operator<<(std::ostream& out, const std::vector<uint8_t>& v) {
  return out << dynfeed::to_hex(dynfeed::byte_span{v});
}
} // namespace std

/// Requires that an expected<T> holds a value, printing the error when it does not. Evaluates
/// its argument once.
#define REQUIRE_OK(e)                                                                              \
  do {                                                                                             \
    const auto& require_ok_result_ = (e);                                                          \
    BOOST_REQUIRE_MESSAGE(require_ok_result_.has_value(),                                          \
                          (require_ok_result_.has_value()                                          \
                             ? std::string{}                                                       \
                             : require_ok_result_.error().to_string()));                           \
  } while (false)

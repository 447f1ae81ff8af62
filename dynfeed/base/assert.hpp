#pragma once

/// Two kinds of checks, both on in every build (TigerBeetle keeps its assertions in production):
/// - DYNFEED_REQUIRE: a caller broke an API precondition (a bug in the calling code).
/// - DYNFEED_ASSERT: an internal invariant does not hold (a bug in this code).
/// Neither is for bad input from outside: that is an `error` value.

namespace dynfeed::detail {
[[noreturn]] void check_failed(const char* kind, const char* expr, const char* file, int line);
} // namespace dynfeed::detail

#define DYNFEED_REQUIRE(cond)                                                                      \
  do {                                                                                             \
    if (!(cond))                                                                                   \
      ::dynfeed::detail::check_failed("precondition", #cond, __FILE__, __LINE__);                  \
  } while (false)

#define DYNFEED_ASSERT(cond)                                                                       \
  do {                                                                                             \
    if (!(cond))                                                                                   \
      ::dynfeed::detail::check_failed("invariant", #cond, __FILE__, __LINE__);                     \
  } while (false)

#include "dynfeed/base/assert.hpp"

#include <cstdio>
#include <cstdlib>

namespace dynfeed::detail {

void check_failed(const char* kind, const char* expr, const char* file, int line) {
  std::fprintf(stderr, "dynfeed: %s violated: %s (%s:%d)\n", kind, expr, file, line);
  std::abort();
}

} // namespace dynfeed::detail

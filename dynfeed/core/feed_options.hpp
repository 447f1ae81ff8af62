#pragma once

#include "dynfeed/feed/append_limits.hpp"

namespace dynfeed {

struct feed_options {
  append_limits limits;
  /// Hash large append batches on a second thread. Worth it for a node's feeds on a multi-core
  /// machine; off by default so that a simulation's thousands of feeds spawn no threads.
  bool parallel_hashing = false;
};

} // namespace dynfeed

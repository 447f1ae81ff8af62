#pragma once

#include "dynfeed/base/bytes.hpp"
#include "dynfeed/base/random.hpp"

#include <string>

namespace dynfeed::test {

/// The content of block `index` in the crash test: both the appending child and the checking
/// parent derive it from the index alone.
inline bytes crash_block(uint64_t index) {
  rng random{index};
  std::string s = "block " + std::to_string(index) + " ";
  bytes out(s.begin(), s.end());
  out.resize(out.size() + random.below(3000));
  for (size_t i = s.size(); i < out.size(); ++i)
    out[i] = static_cast<uint8_t>(random.next());
  return out;
}

} // namespace dynfeed::test

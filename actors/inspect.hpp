#pragma once

/// How CAF serializes dynfeed's value types in actor messages.

#include "base/bytes.hpp"

#include <caf/meta/type_name.hpp>

namespace dynfeed {

template <class Inspector, size_t N, class Tag>
typename Inspector::result_type inspect(Inspector& f, fixed_bytes<N, Tag>& x) {
  return f(caf::meta::type_name("fixed_bytes"), x.bytes);
}

} // namespace dynfeed

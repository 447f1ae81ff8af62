#pragma once

/// How CAF serializes dynfeed's value types in actor messages.

#include "dynfeed/base/bytes.hpp"
#include "dynfeed/feed/signed_value.hpp"

#include <caf/meta/type_name.hpp>

namespace dynfeed {

template <class Inspector, size_t N, class Tag>
typename Inspector::result_type inspect(Inspector& f, fixed_bytes<N, Tag>& x) {
  return f(caf::meta::type_name("fixed_bytes"), x.bytes);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, value_signature& x) {
  return f(caf::meta::type_name("value_signature"), x.signer, x.sig);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, signed_value& x) {
  return f(caf::meta::type_name("signed_value"), x.seq, x.value, x.sigs);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, value_feed_def& x) {
  return f(caf::meta::type_name("value_feed_def"), x.threshold, x.signers, x.salt, x.format);
}

} // namespace dynfeed

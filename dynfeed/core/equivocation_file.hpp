#pragma once

/// An equivocation proof as a JSON file (DIR/equivocation.json), for people and other tools:
///
///     {"conflict":{"index":N,"paths":[[NODE...],[NODE...]]},
///      "publicKey":HEX,
///      "trees":[{"fork":N,"length":N,"roots":[NODE...],"signature":HEX,"treeHash":HEX},{...}]}
///
/// where NODE is {"hash":HEX,"index":N,"size":N}, hex is lower case, and the text is exactly
/// what encode_equivocation writes (compact, keys sorted, one newline at the end): a file that
/// differs from it in any byte is refused, so that a copy either is the proof or is no proof.

#include "dynfeed/base/expected.hpp"
#include "dynfeed/feed/equivocation.hpp"

#include <string>
#include <string_view>

namespace dynfeed {

/// The canonical JSON text of `p`.
std::string encode_equivocation(const equivocation_proof& p);
/// Parses the canonical JSON text of a proof (it is not verified: verify_equivocation does).
/// Errors: base_errc::invalid_argument naming the first thing wrong.
expected<equivocation_proof> decode_equivocation(std::string_view text);

/// DIR/equivocation.json.
std::string equivocation_path(const std::string& dir);

} // namespace dynfeed

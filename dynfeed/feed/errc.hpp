#pragma once

#include "dynfeed/base/error.hpp"

namespace dynfeed {

/// Why a feed operation was refused. Every code leaves the feed exactly as it was.
enum class feed_errc : uint8_t {
  not_writable = 1,    ///< append on a feed without its secret key
  empty_batch,         ///< append of zero blocks
  block_too_large,     ///< a block exceeds block_size_max
  batch_too_large,     ///< an append batch exceeds block_count_max or batch_size_max
  out_of_range,        ///< a block index at or past the feed's length
  block_not_held,      ///< a sparse feed does not hold that block
  fork_mismatch,       ///< a proof or request for another fork
  invalid_proof,       ///< a proof's nodes do not fit together or do not reach a trusted node
  bad_signature,       ///< the signature over an upgraded tree does not verify
  stale_upgrade,       ///< an upgrade that does not grow the trusted tree
  base_changed,        ///< a prepared batch no longer fits the feed it was prepared for
  invalid_request,     ///< a proof request that the responder cannot answer as asked
  missing_node,        ///< a tree node needed to answer is not stored
  corrupt,             ///< stored data does not verify against the signed tree
  equivocation,        ///< the writer signed two trees that cannot both be true
};
const error_category& category_of(feed_errc) noexcept;

} // namespace dynfeed

#include "dynfeed/feed/errc.hpp"

namespace dynfeed {

namespace {

const char* describe_feed(uint8_t code) noexcept {
  switch (static_cast<feed_errc>(code)) {
    case feed_errc::not_writable:
      return "feed is not writable";
    case feed_errc::empty_batch:
      return "append needs at least one block";
    case feed_errc::block_too_large:
      return "block too large";
    case feed_errc::batch_too_large:
      return "append batch too large";
    case feed_errc::out_of_range:
      return "block index out of range";
    case feed_errc::block_not_held:
      return "block not held";
    case feed_errc::fork_mismatch:
      return "fork mismatch";
    case feed_errc::invalid_proof:
      return "invalid proof";
    case feed_errc::bad_signature:
      return "bad signature";
    case feed_errc::stale_upgrade:
      return "upgrade does not grow the tree";
    case feed_errc::base_changed:
      return "feed changed since the batch was prepared";
    case feed_errc::invalid_request:
      return "invalid proof request";
    case feed_errc::missing_node:
      return "tree node not stored";
    case feed_errc::corrupt:
      return "stored data does not verify";
    case feed_errc::equivocation:
      return "equivocation";
  }
  return "unknown error";
}

} // namespace

const error_category& category_of(feed_errc) noexcept {
  static const error_category cat{"feed", describe_feed};
  return cat;
}

} // namespace dynfeed

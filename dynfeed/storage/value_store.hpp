#pragma once

/// Where value feeds keep their state: one record per feed, named by the feed's id and replaced
/// whole, atomically. memory_store and rocks_store implement it beside feed_store, so a node can
/// keep a feed and value feeds in one database.

#include "dynfeed/feed/signed_value.hpp"
#include "dynfeed/storage/store.hpp"

#include <optional>
#include <vector>

namespace dynfeed {

/// Everything stored about one value feed.
struct value_record {
  value_feed_def def;
  value_state state;

  friend bool operator==(const value_record& a, const value_record& b) noexcept {
    return a.def == b.def && a.state == b.state;
  }
  friend bool operator!=(const value_record& a, const value_record& b) noexcept {
    return !(a == b);
  }
};

class value_store {
public:
  virtual ~value_store() = default;

  /// The record of the feed `feed_id`, nullopt if none is stored.
  virtual expected<std::optional<value_record>> load_value(const hash256& feed_id) = 0;
  /// Replaces the record of `feed_id`, which must be record.def.id(), in one atomic write.
  virtual status store_value(const hash256& feed_id, const value_record& record) = 0;
  /// The ids of every stored value feed, in byte order.
  virtual expected<std::vector<hash256>> list_values() = 0;
};

/// The held state of `def`'s feed: empty when nothing is stored.
expected<value_state> load_value_state(value_store& store, const value_feed_def& def);

/// Runs accept_value against `held` and, when the decision says so, stores the next state in
/// one atomic write. A failed write is the error and nothing changed: the caller keeps `held`.
expected<value_decision> offer_value(value_store& store, const value_feed_def& def,
                                     const value_state& held, const signed_value& incoming,
                                     const value_limits& limits = {},
                                     const put_options& options = {},
                                     const validate_fn& validate = nullptr);

/// A record's stored bytes: versioned and length-prefixed (docs/values.md has the layout).
bytes encode_value_record(const value_record& record);
/// Decodes what encode_value_record wrote. Bytes that do not decode exactly are
/// store_errc::corrupt, another format version store_errc::version; never a crash.
expected<value_record> decode_value_record(byte_span data);

} // namespace dynfeed

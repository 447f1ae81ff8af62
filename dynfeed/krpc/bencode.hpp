#pragma once

/// Bencode (BEP 3): integers, byte strings, lists and dictionaries with byte-string keys.
///
/// The decoder is strict: it accepts only the canonical form, so a decoded value encodes back to
/// exactly the bytes it came from (encode(decode(x)) == x for every x decode accepts). That is
/// what lets BEP 44 sign `v` "exactly as bencoded": the wire bytes of any sub-value are
/// encode(sub-value). Refused, each with its offset and reason:
///  - integers with leading zeros ("i03e"), "-0", no digits, or beyond int64;
///  - string lengths with leading zeros, or running past the end;
///  - dictionary keys that are not strings, or not strictly increasing (unsorted or repeated);
///  - anything after the one top-level object;
///  - nesting, string sizes, item counts beyond bencode::limits.

#include "dynfeed/base/bytes.hpp"
#include "dynfeed/base/expected.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <variant>
#include <vector>

namespace dynfeed::bencode {

struct value;
struct entry;
using integer = int64_t;
using string = bytes;
using list = std::vector<value>;
/// Entries in strictly increasing key order (as unsigned bytes), each key once.
using dictionary = std::vector<entry>;

struct value {
  std::variant<integer, string, list, dictionary> data;

  value() noexcept : data(integer{0}) {}
  value(integer i) noexcept : data(i) {}
  value(string s) : data(std::move(s)) {}
  value(std::string_view s) : data(string(s.begin(), s.end())) {}
  value(byte_span s) : data(s.to_bytes()) {}
  value(list l) : data(std::move(l)) {}
  value(dictionary d) : data(std::move(d)) {}

  /// The alternative, or null when the value is of another kind.
  const integer* as_integer() const noexcept { return std::get_if<integer>(&data); }
  const string* as_string() const noexcept { return std::get_if<string>(&data); }
  const list* as_list() const noexcept { return std::get_if<list>(&data); }
  const dictionary* as_dictionary() const noexcept { return std::get_if<dictionary>(&data); }

  friend bool operator==(const value& a, const value& b);
  friend bool operator!=(const value& a, const value& b) { return !(a == b); }
};

struct entry {
  string key;
  value val;

  friend bool operator==(const entry& a, const entry& b) { return a.key == b.key && a.val == b.val; }
};

inline bool operator==(const value& a, const value& b) { return a.data == b.data; }

/// The value under `key`, or null.
const value* find(const dictionary& d, std::string_view key) noexcept;
/// Sets `key` to `v`, keeping the keys sorted (replaces an entry with the same key).
void insert(dictionary& d, std::string_view key, value v);

/// Bounds on what decode() accepts, so that hostile input costs bounded memory and stack.
struct limits {
  size_t depth_max = 64;             ///< lists and dictionaries nested in each other
  size_t string_size_max = 65536;    ///< bytes of one string (or key)
  size_t container_items_max = 4096; ///< elements of one list, entries of one dictionary
  size_t items_max = 65536;          ///< values in the whole object (containers included)
};

/// Decodes exactly one object spanning all of `data`. Errors are krpc_errc::invalid_bencode
/// (not canonical bencode) or krpc_errc::limit_exceeded, with "at byte N: reason".
expected<value> decode(byte_span data, const limits& lim = {});

/// Checks `data` as decode() does, and keeps nothing.
status check(byte_span data, const limits& lim = {});

/// A value that check() read: its kind and where it lies, a string's bytes, an integer.
struct scanned {
  uint8_t kind = 0; ///< 'i', 's', 'l' or 'd'; 0: none
  byte_span whole;  ///< its encoding (canonical once check() succeeded)
  byte_span text;   ///< a string's bytes
  integer number = 0;
};

/// Told by check() of the entries of the two outer levels of dictionaries as it reads them, so
/// a caller reads the keys it knows without walking the bytes again. What it was told means
/// something only if check() then succeeds.
class entry_observer {
public:
  /// An entry of the top-level dictionary.
  virtual void top_entry(byte_span key, const scanned& value) = 0;
  /// An entry of a dictionary that is the value of the top-level entry `outer` (told before
  /// that entry itself).
  virtual void inner_entry(byte_span outer, byte_span key, const scanned& value) = 0;

protected:
  ~entry_observer() = default;
};

/// check(), telling `observer` of the entries it reads: one pass over the bytes.
status check(byte_span data, const limits& lim, entry_observer& observer);

/// The canonical encoding. A dictionary whose keys are not strictly increasing is a caller bug.
bytes encode(const value& v);
void encode_to(bytes& out, const value& v);

} // namespace dynfeed::bencode

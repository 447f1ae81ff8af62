#include "dynfeed/krpc/bencode.hpp"

#include "dynfeed/krpc/errc.hpp"

#include <algorithm>
#include <limits>
#include <string>

namespace dynfeed::bencode {

namespace {

bool is_digit(uint8_t c) noexcept { return c >= '0' && c <= '9'; }

bool key_less(byte_span a, byte_span b) noexcept {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end());
}

/// Recursive descent; the depth is bounded by limits::depth_max, so the stack is too.
class decoder {
public:
  decoder(byte_span data, const limits& lim, entry_observer* observer = nullptr)
    : data_(data), lim_(lim), observer_(observer) {}

  expected<value> run() {
    value out;
    if (error err = object(&out, 0))
      return err;
    if (pos_ != data_.size())
      return fail("bytes after the object");
    return out;
  }

  /// The same checks as run(), in the same order with the same errors, building nothing.
  status check() {
    if (error err = object(nullptr, 0))
      return err;
    if (pos_ != data_.size())
      return fail("bytes after the object");
    return {};
  }

private:
  bool at_end() const noexcept { return pos_ >= data_.size(); }
  uint8_t peek() const noexcept { return data_[pos_]; }

  error fail(const char* reason, krpc::krpc_errc code = krpc::krpc_errc::invalid_bencode) const {
    return error{code, "at byte " + std::to_string(pos_) + ": " + reason};
  }

  /// Builds the value in `*out`, or only checks it when `out` is null (no allocation then).
  error object(value* out, size_t depth) {
    if (at_end())
      return fail("the data ends where a value should start");
    if (++items_ > lim_.items_max)
      return fail("more values than items_max", krpc::krpc_errc::limit_exceeded);
    uint8_t c = peek();
    if (c == 'i') {
      integer i = 0;
      error err = parse_integer(i);
      if (out)
        *out = value{i};
      last_integer_ = i;
      return err;
    }
    if (is_digit(c)) {
      byte_span s;
      error err = parse_string(s);
      if (out)
        *out = value{s};
      last_text_ = s;
      return err;
    }
    if (c != 'l' && c != 'd')
      return fail("not the start of a value");
    if (depth >= lim_.depth_max)
      return fail("nesting deeper than depth_max", krpc::krpc_errc::limit_exceeded);
    ++pos_;
    return c == 'l' ? parse_list(out, depth + 1) : parse_dictionary(out, depth + 1);
  }

  error parse_integer(integer& out) {
    ++pos_; // 'i'
    bool negative = !at_end() && peek() == '-';
    if (negative)
      ++pos_;
    size_t first = pos_;
    // The magnitude of int64's minimum is one more than its maximum.
    uint64_t bound = uint64_t{std::numeric_limits<integer>::max()} + (negative ? 1 : 0);
    uint64_t magnitude = 0;
    for (; !at_end() && is_digit(peek()); ++pos_) {
      uint64_t digit = peek() - '0';
      if (magnitude > (bound - digit) / 10)
        return fail("an integer beyond int64");
      magnitude = magnitude * 10 + digit;
    }
    if (pos_ == first)
      return fail("an integer without digits");
    if (data_[first] == '0' && (pos_ - first > 1 || negative))
      return fail("an integer with a leading zero or -0");
    if (at_end() || peek() != 'e')
      return fail("an integer without its 'e'");
    ++pos_;
    out = negative ? static_cast<integer>(0 - magnitude) : static_cast<integer>(magnitude);
    return {};
  }

  error parse_string(byte_span& out) {
    size_t first = pos_;
    uint64_t size = 0;
    for (; !at_end() && is_digit(peek()); ++pos_) {
      size = size * 10 + (peek() - '0');
      if (size > data_.size())
        return fail("a string longer than the data");
    }
    if (data_[first] == '0' && pos_ - first > 1)
      return fail("a string length with a leading zero");
    if (at_end() || peek() != ':')
      return fail("a string length without its ':'");
    if (size > lim_.string_size_max)
      return fail("a string longer than string_size_max", krpc::krpc_errc::limit_exceeded);
    ++pos_;
    if (size > data_.size() - pos_)
      return fail("a string that runs past the end");
    out = data_.subspan(pos_, size);
    pos_ += size;
    return {};
  }

  error parse_list(value* out, size_t depth) {
    list items;
    size_t count = 0;
    while (true) {
      if (at_end())
        return fail("a list without its 'e'");
      if (peek() == 'e')
        break;
      if (count == lim_.container_items_max)
        return fail("a list longer than container_items_max", krpc::krpc_errc::limit_exceeded);
      ++count;
      if (out)
        items.emplace_back();
      if (error err = object(out ? &items.back() : nullptr, depth))
        return err;
    }
    ++pos_;
    if (out)
      *out = value{std::move(items)};
    return {};
  }

  /// Which level of the observer's this dictionary is (1 the top, 2 a top-level entry's
  /// value), or 0 when the observer does not hear of it.
  int observed_level(size_t depth) const noexcept {
    if (!observer_)
      return 0;
    if (depth == 1)
      return 1;
    return depth == 2 && pos_ - 1 == outer_at_ ? 2 : 0;
  }

  void tell(int level, byte_span key, size_t value_at) {
    scanned v;
    v.whole = data_.subspan(value_at, pos_ - value_at);
    uint8_t c = data_[value_at];
    v.kind = is_digit(c) ? 's' : c;
    if (c == 'i')
      v.number = last_integer_;
    else if (v.kind == 's')
      v.text = last_text_;
    if (level == 1)
      observer_->top_entry(key, v);
    else
      observer_->inner_entry(outer_key_, key, v);
  }

  error parse_dictionary(value* out, size_t depth) {
    int level = observed_level(depth);
    dictionary entries;
    size_t count = 0;
    byte_span previous;
    while (true) {
      if (at_end())
        return fail("a dictionary without its 'e'");
      if (peek() == 'e')
        break;
      if (!is_digit(peek()))
        return fail("a dictionary key that is not a string");
      if (count == lim_.container_items_max)
        return fail("a dictionary larger than container_items_max",
                    krpc::krpc_errc::limit_exceeded);
      size_t key_at = pos_;
      byte_span key;
      if (error err = parse_string(key))
        return err;
      if (count != 0 && !key_less(previous, key)) {
        pos_ = key_at;
        return fail("dictionary keys out of order or repeated");
      }
      previous = key;
      ++count;
      if (out)
        entries.push_back(entry{key.to_bytes(), value{}});
      size_t value_at = pos_;
      if (level == 1) {
        outer_key_ = key;
        outer_at_ = value_at;
      }
      if (error err = object(out ? &entries.back().val : nullptr, depth))
        return err;
      if (level != 0)
        tell(level, key, value_at);
    }
    ++pos_;
    if (out)
      *out = value{std::move(entries)};
    return {};
  }

  byte_span data_;
  const limits& lim_;
  size_t pos_ = 0;
  size_t items_ = 0;
  // What the observer needs, kept as the values are read.
  entry_observer* observer_ = nullptr;
  integer last_integer_ = 0;
  byte_span last_text_;
  byte_span outer_key_;                                ///< the top-level entry being read
  size_t outer_at_ = std::numeric_limits<size_t>::max(); ///< where its value starts
};

void append(bytes& out, std::string_view text) { out.insert(out.end(), text.begin(), text.end()); }

void encode_string(bytes& out, byte_span s) {
  append(out, std::to_string(s.size()));
  out.push_back(':');
  out.insert(out.end(), s.begin(), s.end());
}

} // namespace

const value* find(const dictionary& d, std::string_view key) noexcept {
  byte_span k{key};
  auto it = std::lower_bound(d.begin(), d.end(), k,
                             [](const entry& e, byte_span x) { return key_less(e.key, x); });
  return it != d.end() && byte_span{it->key} == k ? &it->val : nullptr;
}

void insert(dictionary& d, std::string_view key, value v) {
  byte_span k{key};
  auto it = std::lower_bound(d.begin(), d.end(), k,
                             [](const entry& e, byte_span x) { return key_less(e.key, x); });
  if (it != d.end() && byte_span{it->key} == k)
    it->val = std::move(v);
  else
    d.insert(it, entry{k.to_bytes(), std::move(v)});
}

expected<value> decode(byte_span data, const limits& lim) { return decoder{data, lim}.run(); }

status check(byte_span data, const limits& lim) { return decoder{data, lim}.check(); }

status check(byte_span data, const limits& lim, entry_observer& observer) {
  return decoder{data, lim, &observer}.check();
}

void encode_to(bytes& out, const value& v) {
  if (const integer* i = v.as_integer()) {
    out.push_back('i');
    append(out, std::to_string(*i));
    out.push_back('e');
  } else if (const string* s = v.as_string()) {
    encode_string(out, *s);
  } else if (const list* l = v.as_list()) {
    out.push_back('l');
    for (const value& item : *l)
      encode_to(out, item);
    out.push_back('e');
  } else {
    const dictionary& d = *v.as_dictionary();
    out.push_back('d');
    for (size_t i = 0; i < d.size(); ++i) {
      DYNFEED_REQUIRE(i == 0 || key_less(d[i - 1].key, d[i].key));
      encode_string(out, d[i].key);
      encode_to(out, d[i].val);
    }
    out.push_back('e');
  }
}

bytes encode(const value& v) {
  bytes out;
  encode_to(out, v);
  return out;
}

} // namespace dynfeed::bencode

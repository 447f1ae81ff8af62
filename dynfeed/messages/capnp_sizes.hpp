#pragma once

/// What the two Cap'n Proto codecs (codec.cpp, tracker_codec.cpp) share: the
/// arithmetic that sizes a message exactly before it is built, the builder that builds it
/// straight into the caller's memory, and how a decoding exception becomes an error. Private to
/// messages/: include it from a codec's .cpp only.

#include "dynfeed/base/assert.hpp"
#include "dynfeed/base/bytes.hpp"
#include "dynfeed/base/error.hpp"
#include "dynfeed/base/expected.hpp"
#include "dynfeed/messages/codec.hpp"

#include <capnp/message.h>
#include <kj/exception.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

namespace dynfeed::msg::capnp_sizes {

inline constexpr size_t word_size = sizeof(capnp::word);
/// Cap'n Proto's largest list or blob (elements) and segment (words).
inline constexpr size_t capnp_count_max = (size_t{1} << 29) - 1;

inline std::string str(uint64_t v) {
  return std::to_string(v);
}

/// Words of a struct's data and pointer sections.
template <class T>
inline constexpr size_t struct_words =
  T::_capnpPrivate::dataWordSize + T::_capnpPrivate::pointerCount;

inline size_t blob_words(size_t size) {
  DYNFEED_REQUIRE(size <= capnp_count_max);
  return (size + word_size - 1) / word_size;
}

/// An empty text is left as a null pointer, which decodes the same, and takes no space.
inline size_t text_words(const std::string& text) {
  return text.empty() ? 0 : blob_words(text.size() + 1); // with its NUL terminator
}

/// A MessageBuilder whose only segment is memory the caller provides, zeroed and exactly as
/// large as the codec computed: the message is built where it will be sent from.
class span_builder final : public capnp::MessageBuilder {
public:
  explicit span_builder(kj::ArrayPtr<capnp::word> segment) : segment_(segment) {}

  kj::ArrayPtr<capnp::word> allocateSegment(unsigned minimum_size) override {
    // A second request means the size computation disagrees with the schema: a bug.
    DYNFEED_ASSERT(!handed_out_ && minimum_size <= segment_.size());
    handed_out_ = true;
    return segment_;
  }

private:
  kj::ArrayPtr<capnp::word> segment_;
  bool handed_out_ = false;
};

inline capnp::Data::Reader blob(byte_span b) {
  return capnp::Data::Reader(b.data(), b.size());
}

/// A value over its limit: limit_exceeded, naming what.
inline status check_limit(const char* what, uint64_t value, uint64_t max) {
  if (value <= max)
    return {};
  return error{msg_errc::limit_exceeded, std::string{what} + ": " + str(value) + " > " + str(max)};
}

/// Reads the segment table at the start of `in` (at least one word long) and returns the words
/// the table and its segments take, checking each size against `in` as it adds them up (so
/// the sum cannot overflow). What may follow the segments is the caller's to judge.
inline expected<uint64_t> segment_table_words(byte_span in, uint64_t segment_count_max) {
  uint64_t segment_count = uint64_t{load_u32le(in.data())} + 1;
  if (auto st = check_limit("segments", segment_count, segment_count_max); !st)
    return std::move(st).error();
  uint64_t words = segment_count / 2 + 1; // the table: two u32 per word
  if (in.size() < words * word_size)
    return error{msg_errc::truncated, "in the segment table"};
  for (uint64_t i = 0; i < segment_count; ++i) {
    words += load_u32le(in.data() + 4 * (i + 1));
    if (words > in.size() / word_size)
      return error{msg_errc::truncated, "segment " + str(i) + " ends after byte " + str(in.size())};
  }
  return words;
}

/// The first `words` words of `in` as Cap'n Proto reads them, in place: 8-byte aligned, copied
/// only when `in` is not.
class aligned_words {
public:
  aligned_words(byte_span in, size_t words) {
    if (reinterpret_cast<uintptr_t>(in.data()) % word_size == 0) {
      words_ = kj::arrayPtr(reinterpret_cast<const capnp::word*>(in.data()), words);
    } else {
      copy_.reset(new uint64_t[words]);
      std::memcpy(copy_.get(), in.data(), std::min(in.size(), words * word_size));
      words_ = kj::arrayPtr(reinterpret_cast<const capnp::word*>(copy_.get()), words);
    }
  }
  kj::ArrayPtr<const capnp::word> get() const { return words_; }

private:
  std::unique_ptr<uint64_t[]> copy_;
  kj::ArrayPtr<const capnp::word> words_;
};

/// Cap'n Proto reports broken pointers and exceeded read limits as exceptions; only the
/// description tells them apart. Descriptions read "expected <condition> [<values>]; <reason>":
/// the error keeps the reason (Cap'n Proto's own words, at most `context_max` characters,
/// never bytes of the input).
inline error capnp_error(const kj::Exception& e, size_t context_max) {
  std::string_view what{e.getDescription().begin(), e.getDescription().size()};
  bool limit = what.find("traversal limit") != std::string_view::npos
               || what.find("deeply-nested") != std::string_view::npos
               || what.find("amplified") != std::string_view::npos;
  if (size_t reason = what.rfind("; "); reason != std::string_view::npos)
    what.remove_prefix(reason + 2);
  std::string context{what.substr(0, context_max)};
  for (char& c : context)
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f)
      c = '?';
  return error{limit ? msg_errc::limit_exceeded : msg_errc::malformed, std::move(context)};
}

} // namespace dynfeed::msg::capnp_sizes

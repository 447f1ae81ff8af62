#pragma once

/// What the three Cap'n Proto codecs (codec.cpp, dht_codec.cpp, tracker_codec.cpp) share: the
/// arithmetic that sizes a message exactly before it is built, and the builder that builds it
/// straight into the caller's memory. Private to messages/: include it from a codec's .cpp only.

#include "base/assert.hpp"
#include "base/bytes.hpp"

#include <capnp/message.h>

#include <cstddef>
#include <cstdint>
#include <string>

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

} // namespace dynfeed::msg::capnp_sizes

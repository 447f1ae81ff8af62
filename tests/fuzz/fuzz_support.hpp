#pragma once

/// What every libFuzzer target here shares: writing its seed corpus, reading structured values
/// from the fuzzer's bytes, and failing loudly when an invariant breaks.
///
/// Each target writes a few valid inputs of its own into the directory DYNFEED_FUZZ_SEEDS
/// names, if set, when it starts (LLVMFuzzerInitialize): that is how tests/fuzz/corpus/<target>/
/// is made (scripts/fuzz.sh --write-corpus), so the seeds are generated, never copied.

#include "dynfeed/base/bytes.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace dynfeed::fuzz {

/// Writes `seeds` as seed-0, seed-1, ... into $DYNFEED_FUZZ_SEEDS, if it is set.
inline void write_seeds(const std::vector<bytes>& seeds) {
  const char* dir = std::getenv("DYNFEED_FUZZ_SEEDS");
  if (!dir)
    return;
  for (size_t i = 0; i < seeds.size(); ++i) {
    std::ofstream out{std::string{dir} + "/seed-" + std::to_string(i), std::ios::binary};
    out.write(reinterpret_cast<const char*>(seeds[i].data()),
              static_cast<std::streamsize>(seeds[i].size()));
  }
}

/// An invariant of the code under test broke: print why and abort, so libFuzzer keeps the input.
[[noreturn]] inline void fail(const char* what) {
  std::fprintf(stderr, "fuzz invariant broken: %s\n", what);
  std::abort();
}

inline void check(bool ok, const char* what) {
  if (!ok)
    fail(what);
}

/// Takes typed values off the front of the fuzzer's bytes; past the end, everything is zero or
/// empty (so that any input means something).
class input {
public:
  input(const uint8_t* data, size_t size) : data_(data), size_(size) {}

  uint8_t u8() { return offset_ < size_ ? data_[offset_++] : 0; }
  uint16_t u16() { return static_cast<uint16_t>(u8() | (u8() << 8)); }
  uint64_t u64() {
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i)
      v |= uint64_t{u8()} << (8 * i);
    return v;
  }
  /// `size` bytes, or fewer if the input ends first.
  bytes take(size_t size) {
    size = std::min(size, size_ - offset_);
    bytes out(data_ + offset_, data_ + offset_ + size);
    offset_ += size;
    return out;
  }
  /// A u16 size, then that many bytes.
  bytes sized() { return take(u16()); }
  bytes rest() { return take(size_ - offset_); }
  bool empty() const noexcept { return offset_ >= size_; }

private:
  const uint8_t* data_;
  size_t size_;
  size_t offset_ = 0;
};

/// The inverse of input: builds seeds in the layout input reads.
class output {
public:
  output& u8(uint8_t v) {
    out_.push_back(v);
    return *this;
  }
  output& u16(uint16_t v) { return u8(static_cast<uint8_t>(v)).u8(static_cast<uint8_t>(v >> 8)); }
  output& u64(uint64_t v) {
    for (int i = 0; i < 8; ++i)
      u8(static_cast<uint8_t>(v >> (8 * i)));
    return *this;
  }
  output& raw(byte_span data) {
    out_.insert(out_.end(), data.begin(), data.end());
    return *this;
  }
  output& sized(byte_span data) { return u16(static_cast<uint16_t>(data.size())).raw(data); }
  bytes take() { return std::move(out_); }

private:
  bytes out_;
};

} // namespace dynfeed::fuzz

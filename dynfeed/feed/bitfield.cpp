#include "dynfeed/feed/bitfield.hpp"

#include "dynfeed/base/assert.hpp"

namespace dynfeed {

namespace {

uint64_t popcount(uint64_t w) noexcept {
  return static_cast<uint64_t>(__builtin_popcountll(w));
}

/// Bits [lo, hi) of a word, 0 <= lo < hi <= 64.
uint64_t mask(uint64_t lo, uint64_t hi) noexcept {
  uint64_t upper = hi == 64 ? ~uint64_t{0} : ((uint64_t{1} << hi) - 1);
  return upper & ~((uint64_t{1} << lo) - 1);
}

} // namespace

bool bitfield::get(uint64_t index) const noexcept {
  uint64_t w = index / 64;
  return w < words_.size() && ((words_[w] >> (index % 64)) & 1);
}

void bitfield::grow(uint64_t words) {
  if (words > words_.size()) {
    // Whole pages, so that encode_page() never reads past the end.
    uint64_t pages = (words + page_words - 1) / page_words;
    words_.resize(pages * page_words, 0);
  }
}

void bitfield::set(uint64_t index, bool value) {
  set_range(index, index + 1, value);
}

void bitfield::set_range(uint64_t begin, uint64_t end, bool value) {
  if (begin >= end)
    return;
  if (value)
    grow((end + 63) / 64);
  else
    end = std::min<uint64_t>(end, words_.size() * 64);
  for (uint64_t i = begin; i < end;) {
    uint64_t w = i / 64;
    uint64_t lo = i % 64;
    uint64_t hi = std::min<uint64_t>(64, lo + (end - i));
    uint64_t m = mask(lo, hi);
    uint64_t before = words_[w];
    words_[w] = value ? (before | m) : (before & ~m);
    count_ = count_ - popcount(before) + popcount(words_[w]);
    i += hi - lo;
  }
}

uint64_t bitfield::count(uint64_t begin, uint64_t end) const noexcept {
  end = std::min<uint64_t>(end, words_.size() * 64);
  uint64_t total = 0;
  for (uint64_t i = begin; i < end;) {
    uint64_t w = i / 64;
    uint64_t lo = i % 64;
    uint64_t hi = std::min<uint64_t>(64, lo + (end - i));
    total += popcount(words_[w] & mask(lo, hi));
    i += hi - lo;
  }
  return total;
}

std::optional<uint64_t> bitfield::find(uint64_t begin, uint64_t end, bool value) const noexcept {
  for (uint64_t i = begin; i < end;) {
    uint64_t w = i / 64;
    if (w >= words_.size())
      return value ? std::nullopt : std::optional<uint64_t>{i};
    uint64_t lo = i % 64;
    uint64_t hi = std::min<uint64_t>(64, lo + (end - i));
    uint64_t bits = (value ? words_[w] : ~words_[w]) & mask(lo, hi);
    if (bits)
      return w * 64 + static_cast<uint64_t>(__builtin_ctzll(bits));
    i += hi - lo;
  }
  return std::nullopt;
}

std::vector<std::pair<uint64_t, bytes>> bitfield::pages_after(uint64_t begin, uint64_t end,
                                                              bool value) const {
  std::vector<std::pair<uint64_t, bytes>> out;
  if (begin >= end)
    return out;
  for (uint64_t page = begin / page_bits; page <= (end - 1) / page_bits; ++page) {
    bytes data = encode_page(page);
    uint64_t lo = std::max(begin, page * page_bits);
    uint64_t hi = std::min(end, (page + 1) * page_bits);
    for (uint64_t i = lo; i < hi; ++i) {
      uint8_t& byte = data[(i % page_bits) / 8];
      uint8_t bit = static_cast<uint8_t>(1u << (i % 8));
      byte = value ? static_cast<uint8_t>(byte | bit) : static_cast<uint8_t>(byte & ~bit);
    }
    out.emplace_back(page, std::move(data));
  }
  return out;
}

bytes bitfield::encode_page(uint64_t page) const {
  bytes out;
  out.reserve(page_size);
  for (uint64_t i = 0; i < page_words; ++i) {
    uint64_t w = page * page_words + i;
    put_u64le(out, w < words_.size() ? words_[w] : 0);
  }
  return out;
}

bool bitfield::load_page(uint64_t page, byte_span data) {
  if (data.size() != page_size)
    return false;
  grow((page + 1) * page_words);
  for (uint64_t i = 0; i < page_words; ++i) {
    uint64_t& w = words_[page * page_words + i];
    count_ -= popcount(w);
    w = load_u64le(data.data() + 8 * i);
    count_ += popcount(w);
  }
  return true;
}

} // namespace dynfeed

// Bencode: what decodes is canonical (it encodes back to exactly its bytes), check() agrees
// with decode(), and the decoder agrees with the strict checker BEP 44 values go through
// (bep44::check_bencode): two implementations of one grammar, fuzzed against each other.
// Seeds: values of every kind, encoded by bencode::encode.

#include "dynfeed/feed/bep44.hpp"
#include "dynfeed/krpc/bencode.hpp"
#include "dynfeed/krpc/errc.hpp"
#include "fuzz/fuzz_support.hpp"

using namespace dynfeed;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  using namespace bencode;
  dictionary d;
  insert(d, "cow", value{"moo"});
  insert(d, "list", value{list{value{integer{-7}}, value{"spam"}, value{list{}}}});
  insert(d, "n", value{integer{INT64_MAX}});
  dictionary nested;
  insert(nested, "a", value{d});
  std::vector<bytes> seeds{encode(value{integer{0}}), encode(value{"4:no"}), encode(value{d}),
                           encode(value{nested}), encode(value{list{}})};
  fuzz::write_seeds(seeds);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  byte_span input{data, size};
  auto decoded = bencode::decode(input);
  status checked = bencode::check(input);
  fuzz::check(static_cast<bool>(decoded) == static_cast<bool>(checked),
              "check() and decode() disagree");
  status strict = bep44::check_bencode(input);
  if (decoded) {
    bytes again = bencode::encode(*decoded);
    fuzz::check(again.size() == size && std::equal(again.begin(), again.end(), data),
                "a decoded value does not encode back to its bytes");
    fuzz::check(static_cast<bool>(strict), "decode() accepts what bep44::check_bencode refuses");
    return 0;
  }
  fuzz::check(decoded.error().category() == "krpc", "a refusal outside the krpc category");
  // The BEP 44 checker has no size or count limits; it may accept only what decode() refuses
  // for a limit.
  fuzz::check(!strict || decoded.error().is(krpc::krpc_errc::limit_exceeded),
              "bep44::check_bencode accepts what decode() refuses as invalid");
  return 0;
}

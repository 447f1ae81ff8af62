// BEP 44 mutable items. The first byte picks what the rest is: 0, a value for the strict
// bencode check; 1, a seq in decimal; otherwise an item (salt, seq, v, signature) under our
// key. Only items we signed may verify; every refusal maps to one of BEP 44's codes.
// Seeds: items we signed (with and without salt, nested values), bencoded values, seqs.

#include "dynfeed/feed/bep44.hpp"
#include "fuzz/fuzz_support.hpp"

#include <set>
#include <string>
#include <tuple>

using namespace dynfeed;

namespace {

enum mode : uint8_t { bencode_mode = 0, seq_mode = 1, item_mode = 2 };

const keypair& writer() {
  static const keypair kp = [] {
    key_seed seed;
    seed.bytes[0] = 44;
    return crypto::keypair_from_seed(seed);
  }();
  return kp;
}

bytes text(const std::string& s) {
  return bytes(s.begin(), s.end());
}

std::vector<bep44::mutable_item>& signed_items() {
  static auto* items = [] {
    auto* out = new std::vector<bep44::mutable_item>;
    std::vector<std::tuple<std::string, int64_t, std::string>> made{
      {"", 1, "5:hello"},
      {"status", 42, "d1:ai-7e1:bl4:spami0eee"},
      {"s", bep44::seq_max, "i9223372036854775807e"},
    };
    for (const auto& [salt, seq, v] : made)
      out->push_back(*bep44::sign(writer(), text(salt), seq, text(v)));
    return out;
  }();
  return *items;
}

bool ours(const bep44::mutable_item& item) {
  for (const bep44::mutable_item& s : signed_items())
    if (s.salt == item.salt && s.seq == item.seq && s.v == item.v)
      return true;
  return false;
}

bytes encode_item(const bep44::mutable_item& item) {
  return fuzz::output{}
    .u8(item_mode)
    .sized(item.salt)
    .u64(static_cast<uint64_t>(item.seq))
    .sized(item.v)
    .raw(item.sig.span())
    .take();
}

void check_item(fuzz::input& in) {
  bep44::mutable_item item;
  item.k = writer().pk;
  item.salt = in.sized();
  item.seq = static_cast<int64_t>(in.u64());
  item.v = in.sized();
  item.sig = signature::from(in.take(signature::size()));
  status verified = bep44::verify(item);
  if (verified) {
    fuzz::check(ours(item), "an item we never signed verifies");
    fuzz::check(static_cast<bool>(bep44::check_bencode(item.v)), "a verified item is no bencode");
    return;
  }
  int code = bep44_code(verified.error());
  fuzz::check(code == 203 || code == 205 || code == 206 || code == 207,
              "an item refused with an unexpected BEP 44 code");
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  std::vector<bytes> seeds;
  for (const bep44::mutable_item& item : signed_items())
    seeds.push_back(encode_item(item));
  for (std::string v : {"4:spam", "li1ei-2ee", "d3:cow3:moo4:spam4:eggse", "de"})
    seeds.push_back(fuzz::output{}.u8(bencode_mode).raw(text(v)).take());
  seeds.push_back(fuzz::output{}.u8(seq_mode).raw(text("9223372036854775807")).take());
  fuzz::write_seeds(seeds);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::input in{data, size};
  uint8_t mode = in.u8();
  if (mode == bencode_mode) {
    bytes value = in.rest();
    status checked = bep44::check_bencode(value);
    fuzz::check(checked || checked.error().is(value_errc::invalid_bencode),
                "a bencode refusal of another kind");
  } else if (mode == seq_mode) {
    bytes digits = in.rest();
    auto seq = bep44::parse_seq(std::string_view{reinterpret_cast<const char*>(digits.data()),
                                                 digits.size()});
    fuzz::check(!seq || *seq >= 0, "a negative seq parsed");
  } else {
    check_item(in);
  }
  return 0;
}

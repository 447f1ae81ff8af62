// Signed values: the input is a wire frame; a value_push is offered (accept_value) to a held
// state at seq 5 of one of three feeds, picked by its channel: one key, 2 of 3 keys, and one
// key in BEP 44's format. Only values we signed may ever be accepted or reported as an
// equivocation, the held value never goes backwards, and a replay changes nothing.
// Seeds: value_push frames of values we signed, for each feed.

#include "dynfeed/feed/bep44.hpp"
#include "dynfeed/messages/codec.hpp"
#include "fuzz/fuzz_support.hpp"

#include <set>
#include <utility>

using namespace dynfeed;

namespace {

constexpr uint64_t held_seq = 5;
constexpr uint64_t signed_seq_max = 8;

struct feed_under_test {
  value_feed_def def;
  std::vector<keypair> keys;
  value_state held;
  std::set<std::pair<uint64_t, bytes>> signed_values; ///< every (seq, value) we signed
  std::vector<signed_value> samples;
};

keypair key(uint8_t n) {
  key_seed seed;
  seed.bytes[0] = n;
  return crypto::keypair_from_seed(seed);
}

bytes value_for(const value_feed_def& def, uint64_t seq) {
  std::string text = "v" + std::to_string(seq);
  if (def.format == value_format::bep44)
    text = std::to_string(text.size()) + ":" + text; // a bencoded string
  return bytes(text.begin(), text.end());
}

feed_under_test make_feed(std::vector<keypair> keys, uint32_t threshold, value_format format) {
  feed_under_test f;
  f.keys = std::move(keys);
  f.def.threshold = threshold;
  for (const keypair& kp : f.keys)
    f.def.signers.push_back(kp.pk);
  f.def.salt = {'s'};
  f.def.format = format;
  for (uint64_t seq = 1; seq <= signed_seq_max; ++seq) {
    signed_value v{seq, value_for(f.def, seq), {}};
    for (uint32_t i = 0; i < threshold; ++i)
      v.sigs.push_back(sign_value(f.def, i, seq, v.value, f.keys[i].sk));
    f.signed_values.insert({seq, v.value});
    f.samples.push_back(v);
    if (seq == held_seq)
      f.held.current = v;
  }
  return f;
}

std::vector<feed_under_test>& feeds() {
  static auto* all = new std::vector<feed_under_test>{
    make_feed({key(1)}, 1, value_format::dynfeed),
    make_feed({key(2), key(3), key(4)}, 2, value_format::dynfeed),
    make_feed({key(5)}, 1, value_format::bep44),
  };
  return *all;
}

bool ours(const feed_under_test& f, const signed_value& v) {
  return f.signed_values.count({v.seq, v.value}) > 0;
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  std::vector<bytes> seeds;
  for (uint32_t channel = 0; channel < feeds().size(); ++channel)
    for (const signed_value& v : feeds()[channel].samples)
      if (v.seq >= held_seq - 1)
        seeds.push_back(msg::encode(msg::wire_message{msg::value_push{channel, v}}));
  fuzz::write_seeds(seeds);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto decoded = msg::decode_wire(byte_span{data, size});
  if (!decoded || !std::holds_alternative<msg::value_push>(*decoded))
    return 0;
  const msg::value_push& push = std::get<msg::value_push>(*decoded);
  const feed_under_test& f = feeds()[push.channel % feeds().size()];
  value_decision d = accept_value(f.def, f.held, push.value);
  bool verifies = static_cast<bool>(verify_value(f.def, push.value));
  fuzz::check(!verifies || ours(f, push.value), "a value we never signed verifies");
  if (!d.err) {
    fuzz::check(verifies && d.store, "a value accepted without verifying");
    fuzz::check(d.next.current == push.value, "the accepted value is not the one held");
    fuzz::check(push.value.seq > held_seq, "an accepted value that is not newer");
    return 0;
  }
  fuzz::check(d.next.current == f.held.current, "a refused value changed the held one");
  if (d.err.is(value_errc::equivocation))
    fuzz::check(verifies && push.value.seq == held_seq, "an equivocation without proof");
  if (d.err.is(value_errc::replayed))
    fuzz::check(push.value.seq == held_seq && push.value.value == f.held.current->value
                  && !d.store,
                "a replay that is not one");
  fuzz::check(!d.store || d.err.is(value_errc::equivocation), "a refusal that stores");
  return 0;
}

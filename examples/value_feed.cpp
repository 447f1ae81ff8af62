/// Value feeds with rules of your own: a signer's node publishes prices, a reader's node checks
/// every value it gets from its peers before it accepts it.
///   value_feed              the reader's rule is a validate callback (runs in the feed's actor)
///   value_feed --validator  the reader's rule is an actor of yours, asked asynchronously
/// The signer offers "42" and then "forty-three"; the reader keeps 42 and refuses the other.
/// Exits non-zero unless it did exactly that.

#include <dynfeed/dynfeed.hpp>

#include <caf/all.hpp>

#include <algorithm>
#include <cctype>
#include <iostream>
#include <stdexcept>
#include <string>

using namespace dynfeed;

namespace {

constexpr auto timeout = std::chrono::seconds{10};

template <class T>
T must(caf::expected<T> answer, const char* what) {
  if (!answer)
    throw std::runtime_error(std::string{what} + ": " + describe(answer.error()));
  return std::move(*answer);
}

bool is_number(const bytes& value) {
  return !value.empty()
         && std::all_of(value.begin(), value.end(), [](uint8_t c) { return std::isdigit(c); });
}

/// The rule as a callback: any dynfeed error refuses the value (value_errc::rejected).
status numbers_only(const value_feed_def&, const signed_value& incoming,
                    const std::optional<signed_value>& /*held*/) {
  if (!is_number(incoming.value))
    return error{base_errc::invalid_argument, "not a number"};
  return {};
}

/// The rule as an actor: it could ask a database or another service before it answers.
/// (CAF 0.17 wants a function actor spawned with at least one argument: here, its setting.)
caf::behavior number_checker(caf::event_based_actor*, size_t digits_max) {
  return {[digits_max](atoms::validate, uint64_t /*seq*/, const bytes& value,
                       uint64_t /*held_seq*/, const bytes& /*held_value*/) {
    return is_number(value) && value.size() <= digits_max;
  }};
}

bool publish_and_check(caf::scoped_actor& self, const node_actor& signer,
                       const node_actor& reader, bool with_actor) {
  // A one-key feed whose key the signer holds in memory; values are signed here and offered.
  keypair keys = crypto::keypair_from_seed(key_seed::from(bytes(32, 42)));
  value_feed_spec spec;
  spec.def = single_key_feed(keys.pk, bytes{'p', 'r', 'i', 'c', 'e'});
  auto published = must(ask<value_actor>(self, signer, timeout, atoms::value_feed::value, spec),
                        "value_feed (signer)");

  if (with_actor)
    spec.validator = self->spawn(number_checker, size_t{18});
  else
    spec.validate = numbers_only;
  auto held = must(ask<value_actor>(self, reader, timeout, atoms::value_feed::value, spec),
                   "value_feed (reader)");
  self->send(held, atoms::subscribe::value, caf::actor_cast<caf::actor>(self));
  must(ask<bool>(self, reader, timeout, atoms::join_value::value, held,
                 std::vector<peer_address>{peer_address::memory("signer")}),
       "join_value");

  // Peers exchange the latest value only: the second offer waits until the first arrived.
  auto offer = [&](uint64_t seq, const std::string& text) {
    must(ask<uint64_t>(self, published, timeout, atoms::offer_value::value,
                       make_signed_value(spec.def, seq, bytes(text.begin(), text.end()), keys.sk)),
         "offer_value");
  };
  offer(1, "42");
  self->receive([](atoms::value, uint64_t seq, const bytes& v) {
    std::cout << "accepted " << seq << ": " << std::string(v.begin(), v.end()) << '\n';
  }, caf::after(timeout) >> [] { std::cout << "nothing arrived\n"; });
  offer(2, "forty-three");
  // The refused value shows in the reader's counters (polled: nothing else announces it).
  value_feed_info info;
  for (int i = 0; i < 100 && info.rejected == 0; ++i) {
    self->receive(caf::after(std::chrono::milliseconds{100}) >> [] {});
    info = must(ask<value_feed_info>(self, held, timeout, atoms::info::value), "info");
  }
  std::cout << "holds seq " << info.seq << " (" << std::string(info.value.begin(), info.value.end())
            << "), refused " << info.rejected << '\n';
  return info.seq == 1 && info.rejected == 1;
}

} // namespace

int main(int argc, char** argv) {
  bool with_actor = argc == 2 && std::string{argv[1]} == "--validator";
  if (argc > 2 || (argc == 2 && !with_actor)) {
    std::cerr << "usage: value_feed [--validator]\n";
    return 2;
  }
  process_config cfg; // in-process links only: no network layer
  add_error_categories(cfg);
  caf::actor_system sys{cfg};
  auto memory = std::make_shared<memory_network>();
  auto config = [&](const std::string& name) {
    node_config nc;
    nc.memory = memory;
    nc.memory_name = name;
    return nc;
  };
  node_actor signer = spawn_node(sys, config("signer"));
  node_actor reader = spawn_node(sys, config("reader"));
  bool ok = false;
  {
    caf::scoped_actor self{sys};
    try {
      ok = publish_and_check(self, signer, reader, with_actor);
    } catch (const std::exception& e) {
      std::cerr << "value_feed: " << e.what() << '\n';
    }
    self->send(signer, atoms::shutdown::value);
    self->send(reader, atoms::shutdown::value);
    self->wait_for(signer, reader);
  }
  return ok ? 0 : 1;
}

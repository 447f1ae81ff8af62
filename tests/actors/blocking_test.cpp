#include "dynfeed/blocking.hpp"

#include <boost/test/unit_test.hpp>

#include "dynfeed/errors.hpp"
#include "dynfeed/types.hpp"

#include <caf/all.hpp>

#include <memory>
#include <tuple>
#include <vector>

using namespace dynfeed;
using namespace std::chrono_literals;

namespace {

using pair_atom = caf::atom_constant<caf::atom("pair")>;
using fail_atom = caf::atom_constant<caf::atom("fail")>;
using never_atom = caf::atom_constant<caf::atom("never")>;

/// Answers one value (x + step), two values, an error of a dynfeed category, or never. It takes
/// an argument because CAF 0.17 dereferences a null tuple for a function actor spawned without
/// any (undefined behaviour that UBSan reports).
caf::behavior answering(caf::event_based_actor* self, uint64_t step) {
  auto kept = std::make_shared<std::vector<caf::response_promise>>();
  return {
    [step](uint64_t x) { return x + step; },
    [](pair_atom, uint64_t seq) { return caf::make_message(seq, bytes{'v'}); },
    [](fail_atom) -> caf::result<uint64_t> { return make_error(feed_errc::out_of_range); },
    [self, kept](never_atom) {
      // Kept, never delivered: the asker's timeout decides.
      kept->push_back(self->make_response_promise());
      return caf::delegated<uint64_t>{};
    },
  };
}

/// A real actor system (ask blocks the calling thread, which the test coordinator cannot run).
struct real_system {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(blocking_ask, real_system)

BOOST_AUTO_TEST_CASE(answers_and_errors_come_back_as_expected_values) {
  auto actor = sys.spawn(answering, uint64_t{1});
  auto one = ask<uint64_t>(sys, actor, 10s, uint64_t{41});
  BOOST_REQUIRE(one);
  BOOST_TEST(*one == 42u);
  caf::scoped_actor self{sys};
  auto two = ask<std::tuple<uint64_t, bytes>>(self, actor, 10s, pair_atom::value, uint64_t{7});
  BOOST_REQUIRE(two);
  BOOST_TEST(std::get<0>(*two) == 7u);
  BOOST_TEST((std::get<1>(*two) == bytes{'v'}));
  auto failed = ask<uint64_t>(self, actor, 10s, fail_atom::value);
  BOOST_REQUIRE(!failed);
  BOOST_TEST((failed.error() == feed_errc::out_of_range));
  caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
}

BOOST_AUTO_TEST_CASE(no_answer_in_time_is_a_request_timeout) {
  auto actor = sys.spawn(answering, uint64_t{1});
  auto late = ask<uint64_t>(sys, actor, 20ms, never_atom::value);
  BOOST_REQUIRE(!late);
  BOOST_TEST((late.error() == caf::sec::request_timeout));
  caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
}

BOOST_AUTO_TEST_SUITE_END()
